/* test_values.c: a test's observed values judged outside the process, against the
 * reference's run of the same test (values.c, and correct.c's part: judge_values). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "correct.h"
#include "values.h"

Test(values, parse_keeps_label_and_value_in_order, .timeout = 5)
{
    const char *done = "obs cook(0x1,5) 00000000000000aa 123 1111111111111111\n"
                       "done cook::matches_reference 123 2222222222222222\n"
                       "obs out[0].status ffffffffffffff92 123 3333333333333333\n"
                       "obs too few words\n"
                       "observed nothing 1 2 3\n";
    char *v = values_parse(done);

    cr_assert_str_eq(v, "cook(0x1,5) 00000000000000aa\nout[0].status ffffffffffffff92\n");
    free(v);
    v = values_parse("done x 1 2\n");
    cr_assert_str_eq(v, "");
    free(v);
    v = values_parse(NULL);
    cr_assert_str_eq(v, "");
    free(v);
}

Test(values, compare_same_passes_and_says_nothing, .timeout = 5)
{
    struct item it = {0};

    cr_assert_eq(values_compare("a 01\nb 02\n", "a 01\nb 02\n", &it), V_PASS);
    cr_assert_null(it.output);
}

Test(values, none_reported_fails_and_says_how_many, .timeout = 5)
{
    struct item it = {0};

    cr_assert_eq(values_compare("", "a 01\nb 02\n", &it), V_FAIL);
    cr_assert(strstr(it.output, "none of the 2 values"), "%s", it.output);
    free(it.output);
    it.output = NULL;
    cr_assert_eq(values_compare(NULL, "a 01\n", &it), V_FAIL);
    free(it.output);
}

Test(values, first_difference_is_shown_with_both_values, .timeout = 5)
{
    struct item it = {0};

    cr_assert_eq(values_compare("a 01\nb 03\nc 04\n", "a 01\nb 02\nc 04\n", &it), V_FAIL);
    cr_assert(strstr(it.output, "value 2 of the 3"), "%s", it.output);
    cr_assert(strstr(it.output, "yours:          b = 0x03"), "%s", it.output);
    cr_assert(strstr(it.output, "the reference: b = 0x02"), "%s", it.output);
    free(it.output);
}

Test(values, fewer_values_than_the_reference_fails, .timeout = 5)
{
    struct item it = {0};

    cr_assert_eq(values_compare("a 01\n", "a 01\nb 02\n", &it), V_FAIL);
    cr_assert(strstr(it.output, "value 2 of the 2"), "%s", it.output);
    cr_assert(strstr(it.output, "none: the test stopped before it"), "%s", it.output);
    cr_assert(strstr(it.output, "reported 1 values, the reference's 2"), "%s", it.output);
    free(it.output);
}

/* ---- correct_run's part: a passing test run again on the reference, once a seed ---- */

static struct {
    const char *student_says;  /* the values the student's run reports (NULL: none) */
    enum verdict reference_is; /* what the reference's run reads */
    int student_runs, reference_runs;
} fake;

static enum verdict fake_run(const struct correct_conf *c, const struct spec_test *t,
                             struct item *it, struct jail_result *r)
{
    bool ref = !strcmp(c->tests, "reference");
    const char *says = !ref                               ? fake.student_says
                       : !strcmp(t->name, "seq_map::one") ? "out[0].value 07\n"
                                                          : "dish 2a\nout[0].status 00\n";

    (void)it;
    *r = (struct jail_result){.end = JAIL_EXITED, .wall_s = 0.01};
    ref ? fake.reference_runs++ : fake.student_runs++;
    free(c->values->last);
    c->values->last = says ? strdup(says) : NULL;
    return ref ? fake.reference_is : V_PASS;
}

/* One test marked values=reference (or not), run with seed `seed` `times` times. */
static enum verdict grade(struct values *v, int marked, uint64_t seed, int times, struct item *out)
{
    struct spec s = {.ntests = 1};
    struct build_out b = {.tests_ok = true};
    struct correct_conf c = {.tests = "student", .seed = seed, .run_test = fake_run, .values = v};
    struct report r;

    snprintf(s.tests[0].name, sizeof(s.tests[0].name), "cook::matches_reference");
    s.tests[0].points = 3;
    s.tests[0].values = marked;
    snprintf(v->ref.tests, sizeof(v->ref.tests), "reference");
    for (int k = 0; k < times; k++) {
        report_init(&r, "lab", "t");
        correct_run(&c, &s, &b, &r);
        *out = r.items[0];
        r.items[0].output = NULL;
        report_free(&r);
    }
    return out->verdict;
}

static void reset(struct values *v, const char *student_says, enum verdict reference_is)
{
    memset(v, 0, sizeof(*v));
    v->have_ref = true;
    v->built = true; /* its runner: fake_run's "reference" */
    fake.student_says = student_says;
    fake.reference_is = reference_is;
    fake.student_runs = fake.reference_runs = 0;
}

Test(values, same_values_pass_and_reference_runs_once_a_seed, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, "dish 2a\nout[0].status 00\n", V_PASS);
    cr_assert_eq(grade(&v, 1, 7, 3, &it), V_PASS, "%s", it.output ? it.output : "");
    cr_assert_eq(it.score, 3);
    cr_assert_eq(fake.student_runs, 3);
    cr_assert_eq(fake.reference_runs, 1, "the reference's run is kept for its seed");
    cr_assert_not(v.built, "its runner is gone once it ran (values_unbuild)");
    v.built = true; /* as values_build would make it anew */
    grade(&v, 1, 8, 1, &it);
    cr_assert_eq(fake.reference_runs, 2, "another seed, another run of the reference");
    free(v.last);
    free(v.ref_values[0]);
}

Test(values, other_values_fail_though_the_run_passed, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, "dish 2b\nout[0].status 00\n", V_PASS);
    cr_assert_eq(grade(&v, 1, 7, 1, &it), V_FAIL);
    cr_assert_eq(it.score, 0);
    cr_assert(strstr(it.output, "dish = 0x2b"), "%s", it.output);
    free(it.output);
    free(v.ref_values[0]);
}

Test(values, a_pass_that_reports_no_values_fails, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, NULL, V_PASS); /* a forged "done" line, and the test never reached its values */
    cr_assert_eq(grade(&v, 1, 7, 1, &it), V_FAIL);
    cr_assert(strstr(it.output, "none of the 2 values"), "%s", it.output);
    free(it.output);
    free(v.ref_values[0]);
}

Test(values, unmarked_test_is_not_compared, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, "dish 2b\n", V_PASS);
    cr_assert_eq(grade(&v, 0, 7, 1, &it), V_PASS);
    cr_assert_eq(fake.reference_runs, 0);
    free(v.last);
}

Test(values, no_reference_here_leaves_the_test_its_own_verdict, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, "dish 2b\n", V_PASS);
    v.have_ref = false; /* a student release: no solutions/ */
    cr_assert_eq(grade(&v, 1, 7, 1, &it), V_PASS);
    cr_assert_eq(fake.reference_runs, 0);
}

/* values_prepare: grading solutions/<lab> itself (make check SOLUTION=1) builds and runs no
 * reference beside it, and says why; grading any other folder with a solutions/<lab> there
 * prepares the reference. */
Test(values, the_reference_itself_is_not_run_twice, .timeout = 5)
{
    char root[] = "/tmp/values-root-XXXXXX", sol[200], other[200], box[200];
    struct build_conf bc = {.lab = "lab1-baselines"};
    struct spec s = {0};
    struct values v;

    cr_assert(mkdtemp(root));
    snprintf(sol, sizeof(sol), "%s/solutions", root);
    mkdir(sol, 0700);
    snprintf(sol, sizeof(sol), "%s/solutions/lab1-baselines", root);
    snprintf(other, sizeof(other), "%s/labs", root);
    snprintf(box, sizeof(box), "%s/build", root);
    cr_assert(mkdir(sol, 0700) == 0 && mkdir(other, 0700) == 0 && mkdir(box, 0700) == 0);
    bc.root = root;
    bc.dir = box;
    bc.src = sol;
    values_prepare(&v, &bc, &s);
    cr_assert(!v.have_ref && strstr(v.why, "the reference itself"), "why: %s", v.why);
    bc.src = other;
    values_prepare(&v, &bc, &s);
    cr_assert(v.have_ref, "another folder is compared with solutions/: %s", v.why);
    rmdir(sol);
    snprintf(sol, sizeof(sol), "%s/solutions", root);
    rmdir(sol);
    rmdir(other);
    rmdir(box);
    rmdir(root);
}

Test(values, reference_that_did_not_build_is_the_graders_error, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, "dish 2a\n", V_PASS);
    v.have_ref = false;
    v.ref_error = true;
    snprintf(v.why, sizeof(v.why), "the reference solution did not build");
    cr_assert_eq(grade(&v, 1, 7, 1, &it), V_ERROR);
    cr_assert(strstr(it.output, "harness error, not your code"), "%s", it.output);
    free(it.output);
}

Test(values, reference_that_fails_is_the_graders_error_not_the_students, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, "dish 2a\nout[0].status 00\n", V_FAIL);
    cr_assert_eq(grade(&v, 1, 7, 1, &it), V_ERROR);
    cr_assert(strstr(it.output, "reference solution did not pass"), "%s", it.output);
    free(it.output);
    free(v.ref_values[0]);
}

/* A batch runs a test that read inconclusive again in a spec of its own (grading_alone.c):
 * at another index, it is compared with its own reference values, not those of the test that
 * had its index before. */
Test(values, a_test_run_again_in_a_spec_of_its_own_keeps_its_reference, .timeout = 5)
{
    struct values v;
    struct spec s = {.ntests = 2};
    struct build_out b = {.tests_ok = true};
    struct correct_conf c = {.tests = "student", .seed = 7, .run_test = fake_run, .values = &v};
    struct report r;

    reset(&v, "dish 2a\nout[0].status 00\n", V_PASS);
    snprintf(v.ref.tests, sizeof(v.ref.tests), "reference");
    snprintf(s.tests[0].name, sizeof(s.tests[0].name), "cook::matches_reference");
    snprintf(s.tests[1].name, sizeof(s.tests[1].name), "seq_map::one");
    s.tests[0].values = s.tests[1].values = s.tests[0].points = s.tests[1].points = 1;
    report_init(&r, "lab", "t");
    correct_run(&c, &s, &b, &r); /* the second reads a fail: the student's values are the first's */
    cr_assert_eq(r.items[0].verdict, V_PASS);
    cr_assert_eq(r.items[1].verdict, V_FAIL);
    report_free(&r);
    fake.student_says = "out[0].value 07\n"; /* seq_map::one again, alone, now right */
    s.tests[0] = s.tests[1];
    s.ntests = 1;
    report_init(&r, "lab", "t");
    correct_run(&c, &s, &b, &r);
    cr_assert_eq(r.items[0].verdict, V_PASS, "%s", r.items[0].output ? r.items[0].output : "");
    cr_assert_eq(fake.reference_runs, 2, "the reference ran once a seed, both tests at once");
    report_free(&r);
    for (int k = 0; k < v.nslots; k++)
        free(v.ref_values[k]);
}

Test(values, reference_that_read_inconclusive_runs_again_with_the_test, .timeout = 5)
{
    struct values v;
    struct item it;

    reset(&v, "dish 2a\nout[0].status 00\n", V_INCONCLUSIVE);
    cr_assert_eq(grade(&v, 1, 7, 1, &it), V_INCONCLUSIVE);
    cr_assert(strstr(it.output, "INCONCLUSIVE"), "%s", it.output);
    free(it.output);
    v.built = true; /* as values_build would make it anew */
    fake.reference_is = V_PASS;
    cr_assert_eq(grade(&v, 1, 7, 1, &it), V_PASS, "the same seed, the reference run again");
    cr_assert_eq(fake.reference_runs, 2);
    free(v.ref_values[0]);
}
