/* grading_alone.c: what a grading in a batch runs alone, once no other grading of the
 * batch tests: its tests that read inconclusive beside the others, again, then its speed
 * cells (grading.h). */
#define _GNU_SOURCE
#include <stdlib.h>

#include "correct.h"
#include "grading.h"
#include "grading_int.h"
#include "requires.h"
#include "speedlock.h"
#include "sys.h"

/* The tests that read inconclusive (the machine was too busy for them), by spec index;
 * how many. */
static int inconclusive_tests(const struct grading *g, int *which)
{
    int n = 0;

    for (int i = 0; i < g->spec.ntests; i++) {
        const struct item *it = requires_find(&g->r, g->spec.tests[i].name);

        if (it && it->kind == ITEM_TEST && it->verdict == V_INCONCLUSIVE)
            which[n++] = i;
    }
    return n;
}

/* Put `it` in place of the report's item of the same name; its output moves there. */
static void replace_item(struct grading *g, struct item *it)
{
    struct item *old = requires_find(&g->r, it->name);

    if (!old)
        return;
    free(old->output);
    *old = *it;
    it->output = NULL;
}

/*
 * The tests that read inconclusive beside the batch's other gradings, run again now that
 * none runs (the grader holds the timing lock): the verdict a grading alone gives them.
 * A race that waited for them runs now if they pass. Returns how many ran again.
 */
static int tests_again(struct grading *g)
{
    int which[SPEC_MAX_TESTS], n = inconclusive_tests(g, which);
    struct correct_conf cc = grading_correct_conf(g);
    struct spec *s;
    struct report once;

    if (n == 0 || !(s = malloc(sizeof(*s))))
        return 0;
    *s = g->spec;
    s->ntests = s->nraces = s->nspeeds = 0;
    for (int i = 0; i < n; i++)
        s->tests[s->ntests++] = g->spec.tests[which[i]];
    report_init(&once, g->o->lab, g->spec.title);
    correct_run(&cc, s, &g->b, &once);
    for (size_t i = 0; i < once.n; i++)
        replace_item(g, &once.items[i]);
    report_free(&once);
    free(s);
    for (int i = 0; i < g->spec.nraces; i++) {
        const struct item *old = requires_find(&g->r, g->spec.races[i].name);
        double t0 = sys_now();
        struct item it;

        if (old && old->verdict == V_SKIPPED) {
            it = grading_race_item(g, i);
            it.elapsed_s = sys_now() - t0;
            replace_item(g, &it);
            free(it.output);
        }
    }
    report_note(&g->r,
                "%d test%s that read inconclusive ran again, alone (holding the timing lock)\n", n,
                n == 1 ? "" : "s");
    return n;
}

bool grading_wants_alone(const struct grading *g)
{
    int which[SPEC_MAX_TESTS];

    return grading_wants_cells(g) || (g->kitchen_up && inconclusive_tests(g, which) > 0);
}

void grading_alone(struct grading *g)
{
    int which[SPEC_MAX_TESTS], lock;

    if (!g->kitchen_up)
        return;
    if (inconclusive_tests(g, which) == 0) {
        grading_speed_items(g, false); /* takes the lock if it has cells to time */
        return;
    }
    lock = grading_take_lock();
    tests_again(g);
    grading_speed_items(g, true);
    speedlock_release(lock);
}
