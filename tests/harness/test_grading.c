/* test_grading.c: the items and notes one grading adds besides tests, races and cells. */
#include <string.h>

#include <criterion/criterion.h>

#include "grading.h"

static struct report r;

static void init(void)
{
    report_init(&r, "lab", "t");
}

static void fini(void)
{
    report_free(&r);
}

TestSuite(grading, .init = init, .fini = fini);

static struct item *add(const char *name, enum verdict v, double score)
{
    struct item it = {.kind = ITEM_TEST, .verdict = v, .score = score, .max_score = 1};

    snprintf(it.name, sizeof(it.name), "%s", name);
    return report_add(&r, &it);
}

Test(grading, build_items_one_per_file_and_the_link)
{
    struct spec s = {.nfiles = 2, .files = {"a.c", "b.c"}};
    struct build_out b = {.file_ok = {true, false},
                          .file_log = {NULL, "b.c:3: error: x"},
                          .tests_ok = true,
                          .bench_ok = false};

    grading_build_items(&r, &s, &b);
    cr_assert_eq(r.n, 3);
    cr_assert_str_eq(r.items[0].name, "build a.c");
    cr_assert_eq(r.items[0].verdict, V_PASS);
    cr_assert_eq(r.items[1].verdict, V_BUILD_ERROR);
    cr_assert_str_eq(r.items[1].output, "b.c:3: error: x");
    cr_assert(strstr(r.items[1].hint, "the skeleton's b.c stands in"));
    cr_assert_str_eq(r.items[2].name, "build link");
    cr_assert_str_eq(r.items[2].output, "the link failed\n");
    b.bench_ok = true;
    grading_build_items(&r, &s, &b);
    cr_assert_eq(r.n, 5, "no link item when both linked");
    b.bench_ok = false;
    b.bench_skipped = true; /* --no-speed: nothing to time, not linked */
    grading_build_items(&r, &s, &b);
    cr_assert_eq(r.n, 7, "a bench driver not linked is no failed link");
    b.tests_ok = false;
    grading_build_items(&r, &s, &b);
    cr_assert_str_eq(r.items[r.n - 1].name, "build link", "the test runner's link still counts");
}

Test(grading, todo_note_names_each_stub_once)
{
    static struct spec s = {.tests = {{.name = "a::x", .fn = "cook()", .file = "cook.c"},
                                      {.name = "a::y", .fn = "cook()", .file = "cook.c"},
                                      {.name = "b::z", .file = "serve.c"}},
                            .ntests = 3};

    add("a::x", V_NOT_IMPLEMENTED, 0);
    add("a::y", V_NOT_IMPLEMENTED, 0);
    add("b::z", V_FAIL, 0);
    grading_note_todo(&r, &s);
    cr_assert_str_eq(r.output, "not implemented yet: cook() (cook.c)\n");
    r.items[2].verdict = V_NOT_IMPLEMENTED;
    free(r.output);
    r.output = NULL;
    grading_note_todo(&r, &s);
    cr_assert_str_eq(r.output, "not implemented yet: cook() (cook.c), b::z (serve.c)\n");
}

/* The stub the test found, which need not be the spec's fn=: a timer_stop() test that
 * found timer_start() a stub names both. */
Test(grading, todo_note_names_the_stub_the_test_found)
{
    static struct spec s = {
        .tests = {{.name = "timer::wall", .fn = "timer_stop()", .file = "timer.c"}}, .ntests = 1};
    struct item *it = add("timer::wall", V_NOT_IMPLEMENTED, 0);

    item_printf(it, "  not implemented: timer_start() (see the TODO(student) in timer.c)\n");
    grading_note_todo(&r, &s);
    cr_assert_str_eq(r.output,
                     "not implemented yet: timer_start() (timer.c), timer_stop() (timer.c)\n");
}

Test(grading, no_todo_note_when_nothing_is_a_stub)
{
    static struct spec s = {.tests = {{.name = "a::x"}}, .ntests = 1};

    add("a::x", V_PASS, 1);
    grading_note_todo(&r, &s);
    cr_assert_null(r.output);
}

Test(grading, harness_error_is_never_the_students)
{
    grading_harness_error(&r, "kitchen", "could not start the kitchen (x)");
    cr_assert_eq(r.n, 1);
    cr_assert_str_eq(r.items[0].name, "harness kitchen");
    cr_assert_eq(r.items[0].verdict, V_ERROR);
    cr_assert_str_eq(r.items[0].output,
                     "harness error, not your code: could not start the kitchen (x)\n");
    cr_assert_eq(report_errors(&r), 1);
}

/* The kitchen died mid-run: what failed may have failed for it; what passed stands. */
Test(grading, a_dead_kitchen_voids_the_failures)
{
    add("a::pass", V_PASS, 1);
    add("a::refused", V_FAIL, 0);
    add("a::late", V_TIMEOUT, 0);
    add("a::stub", V_NOT_IMPLEMENTED, 0);
    struct item b = {.kind = ITEM_BUILD, .verdict = V_BUILD_ERROR, .name = "build x.c"};
    report_add(&r, &b);
    grading_void_failures(&r, "kitchen", "the kitchen ended");
    cr_assert_eq(r.items[0].verdict, V_PASS);
    cr_assert_eq(r.items[0].score, 1);
    cr_assert_eq(r.items[1].verdict, V_ERROR);
    cr_assert_eq(r.items[2].verdict, V_ERROR);
    cr_assert_str_eq(r.items[1].output, "not judged: the kitchen ended\n");
    cr_assert_eq(r.items[3].verdict, V_NOT_IMPLEMENTED, "a stub is the student's own fact");
    cr_assert_eq(r.items[4].verdict, V_BUILD_ERROR, "built before the kitchen started");
    cr_assert_str_eq(r.items[5].name, "harness kitchen");
    cr_assert_eq(report_errors(&r), 3);
}

Test(grading, repeat_folds_other_seeds_in)
{
    struct report once;

    add("a::pass", V_PASS, 1);
    add("a::flaky", V_PASS, 1);
    add("a::skip", V_PASS, 1);
    add("a::broken", V_BUILD_ERROR, 0);
    add("a::bad", V_FAIL, 0);
    report_init(&once, "lab", "t");
    struct item o[] = {
        {.name = "a::pass", .verdict = V_PASS},    {.name = "a::flaky", .verdict = V_TIMEOUT},
        {.name = "a::skip", .verdict = V_SKIPPED}, {.name = "a::broken", .verdict = V_BUILD_ERROR},
        {.name = "a::bad", .verdict = V_CRASH},    {.name = "a::gone", .verdict = V_FAIL}};
    for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
        report_add(&once, &o[i]);
    item_printf(&once.items[1], "timed out: cook() did not return\n");

    cr_assert_eq(grading_fold_repeat(&r, &once, 43, 2, 3), 3);
    cr_assert_eq(r.items[0].verdict, V_PASS);
    cr_assert_null(r.items[0].output);
    cr_assert_eq(r.items[1].verdict, V_TIMEOUT);
    cr_assert_eq(r.items[1].score, 0);
    cr_assert_str_eq(r.items[1].output,
                     "seed 43 (run 2 of 3): timeout\ntimed out: cook() did not return\n");
    cr_assert_eq(r.items[2].verdict, V_INCONCLUSIVE, "a skip under one seed only");
    cr_assert_null(r.items[3].output, "a build error is said once");
    cr_assert_eq(r.items[4].verdict, V_FAIL, "the first seed's verdict stays");
    cr_assert(strstr(r.items[4].output, "seed 43 (run 2 of 3): crash"));
    report_free(&once);
}
