/* test_grading_alone.c: what a grading in a batch runs alone (grading_alone.c): the tests
 * that read inconclusive beside the batch's other gradings run again, and only those; a
 * race that waited for them is judged again; nothing runs when nothing was inconclusive. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "grading.h"
#include "grading_int.h"
#include "requires.h"

static int runs;         /* runs of the fake runner */
static char ran[4][96];  /* the tests it ran, in order */
static enum verdict now; /* what it says */

static enum verdict fake_run(const struct correct_conf *c, const struct spec_test *t,
                             struct item *it, struct jail_result *r)
{
    (void)c;
    if (runs < 4)
        snprintf(ran[runs], sizeof(ran[runs]), "%s", t->name);
    runs++;
    *r = (struct jail_result){.end = JAIL_EXITED, .wall_s = 0.1, .cpu_s = 0.1, .runq_s = 0};
    item_printf(it, "ran alone\n");
    return now;
}

static struct opts o = {.lab = "lab9-fake", .no_speed = true};
static struct grading *g;

/* A grading whose tests a::x (inconclusive), a::y (pass) and a::z (fail) ran beside
 * others, and whose race r1 waited for a::x (its driver did not build, so judging it
 * again needs no sanitizer: a build error shows it was judged). */
static void setup(void)
{
    static const char *names[] = {"a::x", "a::y", "a::z"};
    static const enum verdict was[] = {V_INCONCLUSIVE, V_PASS, V_FAIL};
    struct item race = {.kind = ITEM_RACE, .max_score = 2, .verdict = V_SKIPPED};

    setenv("GRADE_SPEED_LOCK", "/tmp/test_grading_alone.lock", 1);
    g = calloc(1, sizeof(*g));
    g->o = &o;
    g->kitchen_up = true;
    g->b.tests_ok = true;
    report_init(&g->r, o.lab, "fake");
    for (int i = 0; i < 3; i++) {
        struct item it = {.kind = ITEM_TEST, .max_score = 1, .verdict = was[i]};

        snprintf(g->spec.tests[i].name, sizeof(g->spec.tests[i].name), "%s", names[i]);
        g->spec.tests[i].points = 1;
        snprintf(it.name, sizeof(it.name), "%s", names[i]);
        it.score = was[i] == V_PASS;
        item_printf(&it, "%s beside the others\n", verdict_name(was[i]));
        report_add(&g->r, &it);
    }
    g->spec.ntests = 3;
    snprintf(g->spec.races[0].name, sizeof(g->spec.races[0].name), "r1");
    snprintf(g->spec.races[0].requires[0], sizeof(g->spec.races[0].requires[0]), "a::x");
    g->spec.races[0].nrequires = 1;
    g->spec.races[0].points = 2;
    g->spec.nraces = 1;
    snprintf(race.name, sizeof(race.name), "r1");
    item_printf(&race, "not run: it needs a::x, which was inconclusive\n");
    report_add(&g->r, &race);
    grading_run_test = fake_run;
    runs = 0;
}

static void teardown(void)
{
    report_free(&g->r);
    free(g);
    grading_run_test = NULL;
}

TestSuite(grading_alone, .init = setup, .fini = teardown);

Test(grading_alone, only_the_inconclusive_test_runs_again_and_its_race_follows, .timeout = 10)
{
    struct item *x, *z, *r1;

    now = V_PASS;
    cr_assert(grading_wants_alone(g), "an inconclusive test asks for a turn alone");
    grading_alone(g);
    cr_assert_eq(runs, 1);
    cr_assert_str_eq(ran[0], "a::x");
    x = requires_find(&g->r, "a::x");
    cr_assert_eq(x->verdict, V_PASS);
    cr_assert_eq(x->score, 1);
    cr_assert_str_eq(x->output, "ran alone\n");
    z = requires_find(&g->r, "a::z");
    cr_assert_eq(z->verdict, V_FAIL, "a failure beside the others stands");
    r1 = requires_find(&g->r, "r1");
    cr_assert_eq(r1->verdict, V_BUILD_ERROR, "the race that waited for a::x was judged: %s",
                 r1->output);
    cr_assert_eq(g->r.n, 4, "items replaced in place, none added");
    cr_assert(g->r.output && strstr(g->r.output, "1 test that read inconclusive ran again"), "%s",
              g->r.output);
    cr_assert_not(grading_wants_alone(g), "nothing is left to run alone");
}

Test(grading_alone, a_failure_alone_is_the_verdict, .timeout = 10)
{
    struct item *x;

    now = V_FAIL;
    grading_alone(g);
    x = requires_find(&g->r, "a::x");
    cr_assert_eq(x->verdict, V_FAIL, "alone, on a quiet machine, a failure stands");
    cr_assert_eq(x->score, 0);
    cr_assert_eq(requires_find(&g->r, "r1")->verdict, V_SKIPPED, "its race still waits");
}

Test(grading_alone, nothing_inconclusive_nothing_runs, .timeout = 10)
{
    struct item *x = requires_find(&g->r, "a::x");

    x->verdict = V_PASS;
    cr_assert_not(grading_wants_alone(g), "--no-speed and no inconclusive test");
    grading_alone(g);
    cr_assert_eq(runs, 0);
}
