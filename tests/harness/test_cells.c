/* test_cells.c: the speed cells on a scripted machine: sharing, retries, gates, verdicts. */
#include <string.h>

#include <criterion/criterion.h>

#include "cells.h"

/* The scripted machine: baseline 1 s, version `ver_wall`; the first `disturbed_until`
 * trials disturbed; the version's trials fail with `ver_fault` when set. */
static struct {
    double ver_wall;
    int disturbed_until;
    enum verdict ver_fault;
    int calls;
} m;

static int fake(void *ctx, int side, struct trial *t)
{
    const struct trial_ctx *x = ctx;

    cr_assert_not_null(x->s);
    m.calls++;
    t->fault = side && m.ver_fault != V_PASS ? m.ver_fault : V_PASS;
    if (t->fault != V_PASS)
        strcpy(t->what, "wrong answer for job 3");
    t->wall = side ? m.ver_wall : 1.0;
    t->cpu = 0.01;
    t->disturbed = m.calls <= m.disturbed_until;
    if (t->disturbed)
        strcpy(t->why, "other processes used 0.90 cores meanwhile");
    return 0;
}

static struct spec spec;
static struct report r;
static struct cores cores = {.online = 2, .affinity = 2, .usable = 2, .why = "2 usable cores"};
static struct cells cs;

/* io cells: no calibration, no reference hash, no core probe */
static void load(const char *cells)
{
    char text[2048], err[256];

    snprintf(text, sizeof(text), "student a.c\ntest t::ok 1\ntest t::todo 1\n%s", cells);
    cr_assert_eq(spec_parse(text, "t", &spec, err, sizeof(err)), 0, "%s", err);
    report_init(&r, "lab", "t");
    struct item ok = {.name = "t::ok", .verdict = V_PASS};
    struct item todo = {.name = "t::todo", .verdict = V_NOT_IMPLEMENTED};
    report_add(&r, &ok);
    report_add(&r, &todo);
    memset(&m, 0, sizeof(m));
    m.ver_wall = 0.25;
    cs = (struct cells){.site = {.cores = &cores}, .bench_ok = true, .r = &r, .trial = fake};
}

static void fini(void)
{
    report_free(&r);
    spec_free(&spec);
}

#define CELL(name, checks)                                                                         \
    "speed " name " 2 workload=io version=par baseline=seq jobs=8 workers=4 latency=5 "            \
    "ideal=W check=\"" checks "\" requires=t::ok\n"

static const struct item *item(const char *name)
{
    for (size_t i = 0; i < r.n; i++)
        if (!strcmp(r.items[i].name, name))
            return &r.items[i];
    return NULL;
}

Test(cells, measured_and_judged, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3"));
    cells_grade(&cs, &spec, NULL);
    cr_assert_eq(item("a")->verdict, V_PASS, "%s", item("a")->output);
    cr_assert_eq(item("a")->score, 2);
    cr_assert(strstr(item("a")->measured, "4.00x"), "%s", item("a")->measured);
    cr_assert_eq(m.calls, 2 + 2 * SPEED_SETTLED, "a pass every pair meets is settled early");
    cr_assert(!r.output || !strstr(r.output, "the note's table"), "no matrix= key, no note");
}

Test(cells, note_on_the_notes_table, .fini = fini, .timeout = 10)
{
    load("speed a 2 workload=io version=par baseline=seq jobs=8 workers=4 latency=5 ideal=W "
         "check=\"speedup>=3\" requires=t::ok matrix=threads/io\n");
    cs.root = "."; /* the unit tests run at the kit's top: its matrix table */
    cells_grade(&cs, &spec, NULL);
    cr_assert(r.output && strstr(r.output, "threads (C: no GIL), I/O-bound: 4.00x (4.00-4.00)"),
              "%s", r.output);
    cr_assert(strstr(r.output, "the note says faster: threads for I/O: holds (lab a, seed 0"), "%s",
              r.output);
}

Test(cells, same_experiment_measured_once, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3") CELL("b", "speedup<=2"));
    cells_grade(&cs, &spec, NULL);
    cr_assert_eq(m.calls, 2 + 2 * SPEED_WANT_CLEAN,
                 "the second cell reuses the measurement, and its fail needs every pair");
    cr_assert_eq(cs.nmeasured, 1);
    cr_assert_eq(item("a")->verdict, V_PASS);
    cr_assert_eq(item("b")->verdict, V_FAIL, "its own check, on the shared medians");
}

Test(cells, inconclusive_is_measured_again_afresh, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3"));
    m.disturbed_until = 2 + 2 * SPEED_MAX_ROUNDS; /* the whole first measurement */
    cells_grade_one(&cs, &spec.speeds[0]);
    cr_assert_eq(item("a")->verdict, V_PASS, "%s", item("a")->output);
    cr_assert_eq(m.calls, m.disturbed_until + 2 + 2 * SPEED_WANT_CLEAN);
}

Test(cells, still_inconclusive_after_two_tries, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3"));
    m.disturbed_until = 1000;
    cells_grade_one(&cs, &spec.speeds[0]);
    cr_assert_eq(item("a")->verdict, V_INCONCLUSIVE);
    cr_assert_eq(item("a")->score, 0);
    cr_assert_eq(m.calls, CELLS_ATTEMPTS * (2 + 2 * SPEED_MAX_ROUNDS));
    cr_assert(strstr(item("a")->output, "still inconclusive after 2 tries (2 usable cores)"), "%s",
              item("a")->output);
}

Test(cells, wrong_code_is_not_retried, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3"));
    m.ver_fault = V_FAIL;
    cells_grade_one(&cs, &spec.speeds[0]);
    cr_assert_eq(item("a")->verdict, V_FAIL);
    cr_assert_eq(m.calls, 2, "the warm-up's fault ends the cell");
    cr_assert(strstr(item("a")->output, "par: wrong answer for job 3"), "%s", item("a")->output);
}

Test(cells, a_clear_fail_is_not_retried, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3"));
    m.ver_wall = 1.0; /* speedup 1, far from 3 */
    cells_grade_one(&cs, &spec.speeds[0]);
    cr_assert_eq(item("a")->verdict, V_FAIL);
    cr_assert_eq(m.calls, 2 + 2 * SPEED_WANT_CLEAN);
}

Test(cells, gated_by_requires_and_the_bench_build, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3") "speed b 2 workload=io version=par baseline=seq jobs=8 workers=4 "
                                 "latency=5 ideal=W "
                                 "check=\"speedup>=3\" requires=t::todo\n");
    cells_grade(&cs, &spec, "b");
    cr_assert_null(item("a"), "--speed b times b alone");
    cr_assert_eq(item("b")->verdict, V_NOT_IMPLEMENTED);
    cr_assert(strstr(item("b")->output, "a fast wrong answer earns nothing"));
    cs.bench_ok = false;
    cells_grade_one(&cs, &spec.speeds[0]);
    cr_assert_eq(item("a")->verdict, V_BUILD_ERROR);
    cr_assert_eq(m.calls, 0);
}

Test(cells, anything_to_time, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3") "speed b 2 workload=io version=par baseline=seq jobs=8 workers=4 "
                                 "latency=5 ideal=W "
                                 "check=\"speedup>=3\" requires=t::todo\n");
    cr_assert(cells_any_to_time(&cs, &spec, NULL), "a's test passed: a is timed");
    cr_assert(cells_any_to_time(&cs, &spec, "a"));
    cr_assert_not(cells_any_to_time(&cs, &spec, "b"), "b waits for t::todo: nothing to time");
    cs.bench_ok = false;
    cr_assert_not(cells_any_to_time(&cs, &spec, NULL), "no bench driver: nothing to time");
    cr_assert_eq(m.calls, 0, "asking times nothing");
    cr_assert_eq(r.n, 2, "and adds no item");
}

Test(cells, same_experiment_ignores_checks_and_points)
{
    struct spec_speed a = {.workload = WORKLOAD_CPU,
                           .version = "par",
                           .baseline = "seq",
                           .jobs = 8,
                           .points = 1,
                           .nconds = 1};
    struct spec_speed b = a;

    b.points = 3, b.nconds = 2, strcpy(b.name, "other");
    cr_assert(cells_same_experiment(&a, &b));
    b.jobs = 16;
    cr_assert_not(cells_same_experiment(&a, &b));
    b = a, b.skew = SKEW_SKEWED;
    cr_assert_not(cells_same_experiment(&a, &b));
    b = a, b.all_cores = 1;
    cr_assert_not(cells_same_experiment(&a, &b));
}

Test(cells, wanted_names_whole_cells)
{
    cr_assert(cells_wanted(NULL, "cook.seq"));
    cr_assert(cells_wanted("cook.seq", "cook.seq"));
    cr_assert(cells_wanted("a,cook.seq,b", "cook.seq"));
    cr_assert_not(cells_wanted("cook.seq2", "cook.seq"));
    cr_assert_not(cells_wanted("cook", "cook.seq"));
    cr_assert_not(cells_wanted("", "cook.seq"));
}

Test(cells, workers_and_cores_needed)
{
    struct spec_speed s = {.workload = WORKLOAD_CPU, .workers = 3};
    struct cell c = {.spec = &s, .P = 2, .W = 3};

    cr_assert_eq(cells_workers(&s, 2.5), 3);
    s.workers = 0;
    cr_assert_eq(cells_workers(&s, 2.5), 2, "P rounded down");
    cr_assert_eq(cells_workers(&s, 0.5), 1, "at least one");
    cr_assert_float_eq(cells_cores_needed(&c), 2, 1e-9, "min(W, P)");
    c.W = 1;
    cr_assert_float_eq(cells_cores_needed(&c), 1, 1e-9);
    s.all_cores = 1;
    cr_assert_float_eq(cells_cores_needed(&c), 2, 1e-9, "cores=all: every one");
    s.workload = WORKLOAD_IO;
    cr_assert_float_eq(cells_cores_needed(&c), 0, 1e-9, "waiting needs none");
}

/* L in an ideal is the latency the grading's kitchen was started with, not the spec's
 * expectation (latency= 5 in CELL): the kitchen answers after 40 ms here. */
Test(cells, ideal_uses_the_kitchens_latency, .fini = fini, .timeout = 10)
{
    static const struct kitchen k = {.latency_ms = 40};

    load("speed a 2 workload=io version=par baseline=seq jobs=8 workers=4 latency=5 "
         "ideal=L*100 check=\"eff>=0.5\" requires=t::ok\n");
    cs.site.k = &k;
    cells_grade_one(&cs, &spec.speeds[0]);
    cr_assert(strstr(item("a")->expected, "= 4"), "ideal 0.04 s * 100 = 4: %s",
              item("a")->expected);
    cr_assert_eq(item("a")->verdict, V_PASS, "4.00x of an ideal 4: %s", item("a")->output);
}

/* Half a CPU (a cgroup quota): every cell inconclusive with the reason, none timed, none
 * failed; a cell whose tests do not pass still says so first. */
Test(cells, below_one_core_is_inconclusive_not_failed, .fini = fini, .timeout = 10)
{
    struct cores half = {.online = 2, .affinity = 2, .quota = 0.5, .usable = 0.5};

    snprintf(half.why, sizeof(half.why), "0.5 usable cores (cgroup CPU quota 0.50 cores)");
    load(CELL("a", "speedup>=3") "speed b 2 workload=io version=par baseline=seq jobs=8 "
                                 "ideal=1 check=\"speedup>=1\" requires=t::todo\n");
    cs.site.cores = &half;
    cells_grade(&cs, &spec, NULL);
    cr_assert_eq(m.calls, 0, "nothing is timed on half a core");
    cr_assert_eq(item("a")->verdict, V_INCONCLUSIVE);
    cr_assert_eq(item("a")->score, 0);
    cr_assert(strstr(item("a")->output, "0.50 of a core"), "%s", item("a")->output);
    cr_assert_eq(item("b")->verdict, V_NOT_IMPLEMENTED, "its test comes first");
}

/* A mixed cell's ideal counts the cooking its baseline really did: meal.hybrid's formula
 * with T = 0.3 s (the calibration's target) is 5.5; a rate calibrated in a busy moment
 * that gave the baseline 0.05 s of cooking makes the meals mostly waiting, and the ideal
 * with it is 11.5 (a correct hybrid read 12.62x, "faster than possible" against 5.5, in
 * CI). An io or cpu cell's ideal never changes with it. */
Test(cells, mixed_ideal_counts_what_the_baseline_cooked, .fini = fini, .timeout = 10)
{
    static const struct kitchen k = {.latency_ms = 50};

    load("speed m 4 workload=mixed version=hybrid baseline=ref jobs=16 workers=2 "
         "ideal=(N*L+T)/(L+T/min(W,P)) check=\"eff>=0.6\" requires=t::ok\n"
         "speed w 2 workload=io version=par baseline=seq jobs=8 workers=4 latency=5 "
         "ideal=L*100 check=\"eff>=0.5\" requires=t::ok\n");
    cs.site.k = &k;
    struct cell c = {.spec = &spec.speeds[0], .P = 2, .W = 2, .N = 16};
    cr_assert_float_eq(cells_ideal(&cs, &c), 5.5, 1e-9, "before measuring: the target's T 0.3");
    double cooked[] = {0.06, 0.05, 0.04};
    stats_summary(cooked, 3, &c.base_cpu);
    cr_assert_float_eq(cells_ideal(&cs, &c), (16 * 0.05 + 0.05) / (0.05 + 0.05 / 2), 1e-9,
                       "measured: the baseline's median CPU is T");
    struct cell w = {.spec = &spec.speeds[1], .P = 2, .W = 4, .N = 8};
    stats_summary(cooked, 3, &w.base_cpu);
    cr_assert_float_eq(cells_ideal(&cs, &w), 5, 1e-9, "an io cell: L*100, nothing cooked");
}

Test(cells, settled_only_when_every_cell_sharing_it_passes, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3") CELL("b", "speedup>=2"));
    cells_grade(&cs, &spec, NULL);
    cr_assert_eq(m.calls, 2 + 2 * SPEED_SETTLED, "both pass on every pair: settled");
    cr_assert_eq(item("a")->verdict, V_PASS);
    cr_assert_eq(item("b")->verdict, V_PASS);
}

Test(cells, settled_when_one_passes_and_the_other_fails_far, .fini = fini, .timeout = 10)
{
    /* 4x on every pair: a passes (>= 3), b fails far off (<= 1.5, over twice its limit) */
    load(CELL("a", "speedup>=3") CELL("b", "speedup<=1.5"));
    cells_grade(&cs, &spec, NULL);
    cr_assert_eq(m.calls, 2 + 2 * SPEED_SETTLED, "both verdicts are decided: settled");
    cr_assert_eq(item("a")->verdict, V_PASS);
    cr_assert_eq(item("b")->verdict, V_FAIL, "%s", item("b")->output);
    /* b fails near its limit (<= 3): measured in full */
    fini();
    load(CELL("a", "speedup>=3") CELL("b", "speedup<=3"));
    cells_grade(&cs, &spec, NULL);
    cr_assert_eq(m.calls, 2 + 2 * SPEED_WANT_CLEAN, "b's fail is not far: every pair");
    cr_assert_eq(item("b")->verdict, V_FAIL, "%s", item("b")->output);
}

Test(cells, a_cell_not_graded_does_not_hold_the_measurement, .fini = fini, .timeout = 10)
{
    load(CELL("a", "speedup>=3") CELL("b", "speedup<=2"));
    cells_grade(&cs, &spec, "a");
    cr_assert_eq(m.calls, 2 + 2 * SPEED_SETTLED, "b is not graded (--speed a): a alone decides");
    cr_assert_eq(item("a")->verdict, V_PASS);
    cr_assert_null(item("b"));
}
