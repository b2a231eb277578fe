/* test_speed.c: the measurement protocol and its verdicts, on scripted trials. */
#include <string.h>

#include <criterion/criterion.h>

#include "speed.h"

/* A scripted machine: each call returns the next trial for that side. */
struct script {
    double base_wall, ver_wall, ver_cpu;
    double ver_walls[32]; /* when set, one per version call (warm-up first) */
    int disturbed_every;  /* every k-th pair disturbed (0: none); 1: all */
    enum verdict ver_fault;
    uint64_t ver_hash;
    int calls, ver_calls, pairs;
    char order[128]; /* 'b' and 'v', in call order */
};

static int fake(void *ctx, int side, struct trial *t)
{
    struct script *s = ctx;
    int is_ver = side == 1;

    s->order[s->calls++] = is_ver ? 'v' : 'b';
    t->fault = V_PASS;
    t->hash = 42;
    if (is_ver) {
        t->wall = s->ver_walls[s->ver_calls] ? s->ver_walls[s->ver_calls] : s->ver_wall;
        t->cpu = s->ver_cpu ? s->ver_cpu : t->wall;
        t->fault = s->ver_fault;
        if (s->ver_hash)
            t->hash = s->ver_hash;
        if (s->ver_fault != V_PASS)
            strcpy(t->what, "not implemented: par_map()");
        s->ver_calls++;
    } else {
        t->wall = t->cpu = s->base_wall;
    }
    /* after the warm-up (2 calls), pairs of 2 */
    int pair = (s->calls - 3) / 2;
    if (s->calls > 2 && s->disturbed_every && pair % s->disturbed_every == 0) {
        t->disturbed = true;
        strcpy(t->why, "other processes used 0.90 cores meanwhile");
    }
    return 0;
}

static struct spec_speed spec2(const char *checks)
{
    struct spec_speed s = {.jobs = 4, .workers = 2};
    struct spec tmp;
    char text[512], err[256];

    snprintf(text, sizeof(text),
             "student a.c\nspeed c 3 workload=cpu version=par baseline=seq ideal=min(W,P) "
             "check=\"%s\"\n",
             checks);
    cr_assert_eq(spec_parse(text, "t", &tmp, err, sizeof(err)), 0, "%s", err);
    s = tmp.speeds[0];
    spec_free(&tmp);
    return s;
}

/* Measure and judge a cell of ideal 2 on P = W = 2; with `judges`, the cell is the one
 * judge of its measurement (cells.c sets them): a pass may be settled before
 * SPEED_WANT_CLEAN pairs. */
static enum verdict measure_cell(struct script *sc, struct spec_speed *sp, struct item *it,
                                 struct cell *c, bool *retry, bool judges)
{
    *c = (struct cell){.spec = sp, .P = 2, .W = 2, .N = 4, .ideal = 2};
    if (judges)
        c->judges[c->njudges++] = (struct judge){.spec = sp, .ideal = 2};
    enum verdict v = speed_measure(c, fake, sc, 42);
    if (v != V_PASS)
        return v;
    return speed_judge(c, it, retry);
}

static enum verdict measure(struct script *sc, struct spec_speed *sp, struct item *it,
                            struct cell *c, bool *retry)
{
    return measure_cell(sc, sp, it, c, retry, false);
}

static enum verdict measure_judged(struct script *sc, struct spec_speed *sp, struct item *it,
                                   struct cell *c, bool *retry)
{
    return measure_cell(sc, sp, it, c, retry, true);
}

Test(speed, parallel_version_passes, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.205, .ver_cpu = 0.4};
    struct spec_speed sp = spec2("eff>=0.75 cpuwall>=1.5");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_PASS, "%s", it.output);
    cr_assert_eq(c.clean, SPEED_WANT_CLEAN);
    cr_assert_float_eq(c.speedup.median, 0.4 / 0.205, 1e-9);
    cr_assert_eq(c.base_cpu.n, SPEED_WANT_CLEAN, "the baseline's CPU of every kept pair");
    cr_assert_float_eq(c.base_cpu.median, 0.4, 1e-9);
    cr_assert(strstr(it.measured, "1.95x"), "measured: %s", it.measured);
    cr_assert(strstr(it.expected, ">= 1.50x"), "expected: %s", it.expected);
    cr_assert(strstr(it.expected, "min(W,P)"), "expected: %s", it.expected);
    free(it.output);
}

Test(speed, serialized_version_fails_not_inconclusive, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_FAIL);
    cr_assert_not(retry, "a clear fail is not worth retrying");
    cr_assert(strstr(it.output, "want speedup >= 1.50x"), "%s", it.output);
    free(it.output);
}

Test(speed, near_the_threshold_is_inconclusive, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4 / 1.45};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_INCONCLUSIVE);
    cr_assert(retry);
    cr_assert(strstr(it.output, "within 10%"), "%s", it.output);
    free(it.output);
}

Test(speed, disturbed_pairs_are_dropped_then_inconclusive, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4, .disturbed_every = 1};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_INCONCLUSIVE,
                 "a disturbed machine must never read as a fail");
    cr_assert_eq(c.rounds, SPEED_MAX_ROUNDS);
    cr_assert_eq(c.clean, 0);
    cr_assert(strstr(it.output, "other processes used"), "the reason in words: %s", it.output);
    cr_assert_str_eq(it.measured, "no clean pair of 10 measured", "not a 0.00x figure");
    free(it.output);
}

Test(speed, some_disturbed_pairs_dropped_rest_judged, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4, .disturbed_every = 2};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_FAIL);
    cr_assert_eq(c.clean, 5);
    cr_assert_eq(c.rounds, 10);
    cr_assert(strstr(c.dropped, "other processes"), "%s", c.dropped);
    free(it.output);
}

Test(speed, rounds_interleave_and_rotate, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.2};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    measure(&sc, &sp, &it, &c, &retry);
    /* warm-up b v, then b v | v b | b v | v b | b v */
    cr_assert_str_eq(sc.order, "bvbvvbbvvbbv");
    free(it.output);
}

Test(speed, wrong_answers_fail_at_once, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.2, .ver_hash = 7};
    struct spec_speed sp = spec2("eff>=0.75");
    struct cell c = {.spec = &sp};

    cr_assert_eq(speed_measure(&c, fake, &sc, 42), V_FAIL);
    cr_assert(strstr(c.fault, "differ from the reference"), "%s", c.fault);
    cr_assert_eq(sc.calls, 2, "no timing of wrong code after the warm-up");
}

Test(speed, not_implemented_is_its_own_verdict, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.2, .ver_fault = V_NOT_IMPLEMENTED};
    struct spec_speed sp = spec2("eff>=0.75");
    struct cell c = {.spec = &sp};

    cr_assert_eq(speed_measure(&c, fake, &sc, 42), V_NOT_IMPLEMENTED);
    cr_assert(strstr(c.fault, "not implemented"), "%s", c.fault);
}

Test(speed, wide_spread_fail_is_inconclusive, .timeout = 5)
{
    /* ratios 1.0 .. 2.0: a fail on such a spread is no proof */
    struct script sc = {.base_wall = 0.4,
                        .ver_walls = {0.4, 0.4, 0.2, 0.4, 0.4, 0.3, 0.25, 0.4, 0.4, 0.4, 0.4}};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_INCONCLUSIVE);
    cr_assert(strstr(it.output, "disagree"), "%s", it.output);
    free(it.output);
}

Test(speed, two_sided_limits, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.2, .ver_cpu = 0.4};
    struct spec_speed sp = spec2("speedup<=1.2 cpuwall<=1.15");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_FAIL, "2x and 2 cores busy under a GIL");
    cr_assert(strstr(it.output, "speedup"), "%s", it.output);
    cr_assert(strstr(it.output, "cpuwall"), "%s", it.output);
    free(it.output);
}

Test(speed, faster_than_possible_fails, .timeout = 5)
{
    /* 78x for an ideal of 2 (a serial version reading cached answers) */
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4 / 78};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_float_eq(speed_ceiling(&(struct cell){.spec = &sp, .ideal = 2}), 3.5, 1e-9);
    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_FAIL);
    cr_assert_not(retry);
    cr_assert(strstr(it.output, "faster than possible: measured speedup 78.00x"), "%s", it.output);
    free(it.output);
}

Test(speed, far_beyond_the_ceiling_fails_on_a_busy_machine_too, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4 / 68, .disturbed_every = 1};
    struct script near = {.base_wall = 0.4, .ver_wall = 0.4 / 6, .disturbed_every = 1};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_FAIL, "%s", it.output);
    cr_assert(strstr(it.output, "faster than possible, even on a busy machine"), "%s", it.output);
    free(it.output);
    it = (struct item){0};
    /* 6x over an ideal of 2, every pair disturbed: a slowed baseline could explain it */
    cr_assert_eq(measure(&near, &sp, &it, &c, &retry), V_INCONCLUSIVE, "%s", it.output);
    free(it.output);
}

Test(speed, just_below_the_ceiling_passes, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4 / 3.4};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_PASS, "%s", it.output);
    free(it.output);
}

Test(speed, ceiling_pairs_that_disagree_are_inconclusive, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4,
                        .ver_walls = {0.1, 0.1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure(&sc, &sp, &it, &c, &retry), V_INCONCLUSIVE, "%s", it.output);
    cr_assert(retry);
    cr_assert(strstr(it.output, "faster than possible"), "%s", it.output);
    free(it.output);
}

Test(speed, ceiling_only_where_the_spec_leaves_it, .timeout = 5)
{
    struct spec_speed own = spec2("eff>=0.75 speedup<=5"), more = spec2("speedup>=2.5"),
                      cpu = spec2("cpuwall>=1.5"), claim = spec2("speedup>=1.5");

    cr_assert_eq(speed_ceiling(&(struct cell){.spec = &own, .ideal = 2}), 0, "its own bound");
    cr_assert_eq(speed_ceiling(&(struct cell){.spec = &more, .ideal = 2}), 0, "asks above ideal");
    cr_assert_eq(speed_ceiling(&(struct cell){.spec = &cpu, .ideal = 2}), 0, "claims no speed");
    cr_assert_float_eq(speed_ceiling(&(struct cell){.spec = &claim, .ideal = 2}), 3.5, 1e-9);
}

Test(speed, judge_alone_on_few_clean_pairs, .timeout = 5)
{
    struct spec_speed sp = spec2("eff>=0.75");
    struct cell c = {.spec = &sp, .ideal = 2, .clean = 2, .rounds = 10};
    struct item it = {0};
    bool retry;

    strcpy(c.dropped, "steal time 20%");
    cr_assert_eq(speed_judge(&c, &it, &retry), V_INCONCLUSIVE);
    cr_assert(strstr(it.output, "only 2 of 10 pairs"), "%s", it.output);
    cr_assert(strstr(it.output, "steal time"), "%s", it.output);
    free(it.output);
}

static bool disturbed(double busy, double steal, double psi, double wall, double own, double need,
                      char *why)
{
    struct sysload a = {0}, b = {.busy_s = busy, .steal_s = steal, .psi_s = psi};

    return sysload_disturbed(&a, &b, wall, own, 2, need, 2, why, 160);
}

Test(speed, disturbance_rules, .timeout = 5)
{
    char why[160];

    cr_assert_not(disturbed(0.42, 0, 0, 0.4, 0.4, 1, why), "our own work alone");
    cr_assert_not(disturbed(0.85, 0, 0, 0.4, 0.4, 1, why),
                  "a neighbour on the core a sequential run does not need");
    cr_assert(disturbed(0.85, 0, 0, 0.4, 0.4, 2, why), "a neighbour on a core we need");
    cr_assert(strstr(why, "other processes"), "%s", why);
    cr_assert(disturbed(0.8, 0, 0, 0.4, 0.6, 2, why), "a parallel run squeezed by others");
    cr_assert_not(disturbed(0.81, 0, 0, 0.4, 0.78, 2, why), "a parallel run alone");
    cr_assert(disturbed(0.45, 0.05, 0, 0.4, 0.4, 1, why), "steal");
    cr_assert(strstr(why, "steal"), "%s", why);
    cr_assert(disturbed(0.45, 0, 0.2, 0.4, 0.4, 1, why), "CPU pressure");
    cr_assert(strstr(why, "pressure"), "%s", why);
    cr_assert_not(disturbed(0.45, 0, 0.2, 0.4, 1.6, 2, why),
                  "pressure from our own threads beyond the cores (4 on 2) is ours");
    cr_assert_not(disturbed(0.45, 0, 0, 0, 0.4, 1, why), "no wall, no verdict");
}

Test(speed, own_spinning_threads_are_not_a_disturbance, .timeout = 5)
{
    struct sysload a = {0}, b = {.busy_s = 0.82, .psi_s = 0.3};
    char why[160] = "";

    /* 4 threads spinning for a GIL on 2 cores: pressure 75%, all of it ours */
    cr_assert_not(sysload_disturbed(&a, &b, 0.4, 0.79, 2, 2, 4, why, sizeof(why)),
                  "our own 4 threads on 2 cores were taken for a neighbour: %s", why);
    /* the same pressure with 2 threads of ours, while others used a tenth of a core, is
     * someone else's */
    b.busy_s = 0.87;
    cr_assert(sysload_disturbed(&a, &b, 0.4, 0.79, 2, 2, 2, why, sizeof(why)));
    cr_assert(strstr(why, "pressure"), "%s", why);
    /* and with nobody else on the machine, ours again: a parent spinning beside its 2
     * workers (an undeclared third task) is measured, and fails, not excused */
    b.busy_s = 0.82;
    cr_assert_not(sysload_disturbed(&a, &b, 0.4, 0.79, 2, 2, 2, why, sizeof(why)),
                  "the run's own extra task was taken for a neighbour: %s", why);
}

/* A run starved by a neighbour whose bursts stay under the machine-wide rule: its tasks
 * waited for a CPU while others ran (a correct one-thread cook read cpu/wall 0.81 beside
 * five busy graders, and failed cook.cpu_bound). Not excused: waits of its own making (more
 * threads than cores), waits with nobody else running, waits within SYSLOAD_WAITED. */
Test(speed, starved_by_others)
{
    char why[160] = "";

    cr_assert(sysload_starved(0.04, 0.2, 0.6, 1, 2, why, sizeof(why)), "20%% waiting");
    cr_assert(strstr(why, "waited for a CPU 20%") && strstr(why, "0.60 cores"), "%s", why);
    cr_assert_not(sysload_starved(0.009, 0.2, 0.6, 1, 2, why, sizeof(why)), "within 5%%");
    cr_assert_not(sysload_starved(0.04, 0.2, 0.02, 1, 2, why, sizeof(why)), "nobody else ran");
    cr_assert_not(sysload_starved(0.04, 0.2, 0.6, 4, 2, why, sizeof(why)),
                  "4 threads on 2 cores wait for each other");
    cr_assert_not(sysload_starved(-1, 0.2, 0.6, 1, 2, why, sizeof(why)), "no schedstat here");
    cr_assert_not(sysload_starved(0.04, 0, 0.6, 1, 2, why, sizeof(why)));
}

Test(speed, sysload_reads_this_machine, .timeout = 5)
{
    struct sysload s;

    cr_assert_eq(sysload_read(&s), 0);
    cr_assert_gt(s.busy_s, 0);
}

Test(speed, a_pass_every_pair_meets_is_settled_early, .timeout = 5)
{
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.205, .ver_cpu = 0.4};
    struct spec_speed sp = spec2("eff>=0.75 cpuwall>=1.5");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure_judged(&sc, &sp, &it, &c, &retry), V_PASS, "%s", it.output);
    cr_assert_eq(c.clean, SPEED_SETTLED, "more pairs could not change the verdict");
    cr_assert_eq(sc.calls, 2 + 2 * SPEED_SETTLED);
    cr_assert(strstr(it.measured, "1.95x"), "measured: %s", it.measured);
    free(it.output);
}

Test(speed, a_pair_that_misses_keeps_measuring, .timeout = 5)
{
    /* warm-up, then pairs: 1.95x, 1.0x (misses eff>=0.75), 1.95x, 1.95x: the verdict is
     * settled only once 3 pairs meet it, at the 4th */
    struct script sc = {.base_wall = 0.4,
                        .ver_wall = 0.205,
                        .ver_walls = {0.205, 0.205, 0.4, 0.205, 0.205, 0.205, 0.205}};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure_judged(&sc, &sp, &it, &c, &retry), V_PASS, "%s", it.output);
    cr_assert_eq(c.clean, SPEED_SETTLED + 1);
    free(it.output);
}

Test(speed, a_fail_near_its_threshold_gets_every_pair, .timeout = 5)
{
    /* 1.0x for eff>=0.75 of ideal 2 (1.5x): a fail, but within a factor 2 of it */
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.4};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure_judged(&sc, &sp, &it, &c, &retry), V_FAIL);
    cr_assert_eq(c.clean, SPEED_WANT_CLEAN, "its last pairs could still make it inconclusive");
    free(it.output);
}

Test(speed, a_far_fail_is_settled_early, .timeout = 5)
{
    /* 0.5x for speedup>=1.5 (a factor 3 off), and cpu/wall 1.0 for cpuwall<=0.3 */
    const char *checks[] = {"eff>=0.75", "speedup>=1.5 cpuwall<=0.3"};

    for (int i = 0; i < 2; i++) {
        struct script sc = {.base_wall = 0.4, .ver_wall = i ? 0.2 : 0.8};
        struct spec_speed sp = spec2(checks[i]);
        struct item it = {0};
        struct cell c;
        bool retry;

        cr_assert_eq(measure_judged(&sc, &sp, &it, &c, &retry), V_FAIL, "%s: %s", checks[i],
                     it.output);
        cr_assert_not(retry);
        cr_assert_eq(c.clean, SPEED_SETTLED, "%s: the pairs left could not make it pass",
                     checks[i]);
        cr_assert_eq(sc.calls, 2 + 2 * SPEED_SETTLED);
        free(it.output);
    }
}

Test(speed, a_far_fail_with_one_pair_nearer_gets_every_pair, .timeout = 5)
{
    /* warm-up, then 0.5x, 0.9x (not a factor 2 off 1.5x), 0.5x...: not settled */
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.8, .ver_walls = {0.8, 0.8, 0.44}};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure_judged(&sc, &sp, &it, &c, &retry), V_FAIL, "%s", it.output);
    cr_assert_eq(c.clean, SPEED_WANT_CLEAN);
    free(it.output);
}

/* The verdict on all five pairs (no early verdict: no judges) when the warm-up and the
 * first three pairs take `first` and the last two `ta` and `tb` (baseline 0.4 s). */
static enum verdict with_tail(double first, double ta, double tb, char *out, size_t len)
{
    struct script full = {
        .base_wall = 0.4, .ver_wall = first, .ver_walls = {first, first, first, first, ta, tb}};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;
    enum verdict v = measure(&full, &sp, &it, &c, &retry);

    snprintf(out, len, "%s", it.output ? it.output : "");
    free(it.output);
    return v;
}

Test(speed, settled_fail_is_the_verdict_all_pairs_give_or_inconclusive, .timeout = 5)
{
    /* three pairs at 0.5x, then every way the last two could go: the verdict on all five
     * is a fail, or inconclusive when a pair comes near the threshold (which the early
     * verdict gives up: an improvement of 1.8x a correct version does not make) */
    const double tail[] = {0.8, 0.5, 0.27};
    char out[2048];

    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            cr_assert_eq(with_tail(0.8, tail[a], tail[b], out, sizeof(out)),
                         a == 2 || b == 2 ? V_INCONCLUSIVE : V_FAIL, "tail %d %d: %s", a, b, out);
}

Test(speed, a_pass_above_the_ceiling_is_not_settled, .timeout = 5)
{
    /* 10x for an ideal of 2: over the ceiling (3.5x), a fail, measured in full */
    struct script sc = {.base_wall = 0.4, .ver_wall = 0.04};
    struct spec_speed sp = spec2("eff>=0.75");
    struct item it = {0};
    struct cell c;
    bool retry;

    cr_assert_eq(measure_judged(&sc, &sp, &it, &c, &retry), V_FAIL, "%s", it.output);
    cr_assert_eq(c.clean, SPEED_WANT_CLEAN);
    free(it.output);
}

Test(speed, settled_pass_is_the_verdict_all_pairs_give, .timeout = 5)
{
    /* every way the last two pairs could go (far below, at, far above the threshold):
     * the verdict on all five is the early one's */
    const double tail[] = {0.4, 0.27, 0.205};
    char out[2048];

    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            cr_assert_eq(with_tail(0.205, tail[a], tail[b], out, sizeof(out)), V_PASS,
                         "tail %d %d: %s", a, b, out);
}
