/* correct.c: run a lab's Criterion tests one at a time, contained, and judge each. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "check_words.h"
#include "box.h"
#include "correct.h"
#include "correct_int.h"
#include "jail.h"
#include "kitchen.h"
#include "sandbox.h"
#include "speed.h"
#include "sys.h"
#include "workload.h"

static int file_index(const struct spec *s, const char *file)
{
    for (int i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i], file))
            return i;
    return -1;
}

/* A verdict from how the runner itself ended, when that says more than its TAP. */
static enum verdict runner_end(const struct jail_result *r, const struct spec_test *t,
                               struct item *it)
{
    char why[160];

    jail_describe(r, why, sizeof(why));
    switch (r->end) {
    case JAIL_TIMEOUT:
    case JAIL_CPU_LIMIT:
        item_printf(it, "timed out: the test runner %s while testing %s\n", why,
                    t->fn[0] ? t->fn : t->name);
        return V_TIMEOUT;
    case JAIL_FLOOD:
        item_printf(it, "the test %s: does the code %s in a loop?\n", why,
                    r->disk_limited ? "write files" : "print");
        return V_FAIL;
    case JAIL_SIGNALED:
        item_printf(it, "the test runner %s\n", why);
        return V_CRASH;
    case JAIL_START_FAILED:
        item_printf(it, "harness error, not your code: could not start the tests: %s\n", why);
        return V_ERROR;
    case JAIL_EXITED:
        break;
    }
    if (r->fork_limited || r->mem_limited) /* a worker was stopped, not the runner */
        item_printf(it, "note: the code %s\n", why);
    return V_PASS;
}

/* A run's open-file limit: the spec's nofile= (CORRECT_NOFILE when unset), but never above
 * the grader's own hard limit, which the jail could not set (an unprivileged setrlimit). */
static int run_nofile(const struct spec_test *t)
{
    struct rlimit rl;
    int want = t->nofile > 0 ? t->nofile : CORRECT_NOFILE;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
        rl.rlim_max < (rlim_t)want)
        want = rl.rlim_max < CORRECT_NOFILE ? CORRECT_NOFILE : (int)rl.rlim_max;
    return want;
}

/*
 * "CHECK_COOK_RATE=<rounds a second>": the rate of ref_cook() on this machine, measured once
 * by the grader on its own thread's CPU clock (ref_cook_rate(): the optimized loop, even in an
 * instrumented grader), handed to every run. A
 * test's cooking sized "about 50 ms" (check_rounds_for_ms) is then the same number of rounds
 * in the student's run and in the reference's, and its dishes are values the two can be
 * compared on (values=reference), where a rate each run measured for itself drew them anew.
 */
static const char *cook_rate(void)
{
    static char env[64];
    double rate;

    if (!env[0] && (rate = ref_cook_rate()) > 0)
        snprintf(env, sizeof(env), "CHECK_COOK_RATE=%.0f", rate);
    return env[0] ? env : "CHECK_COOK_RATE=0"; /* 0: each run measures its own */
}

void correct_warm(void)
{
    (void)cook_rate();
}

/* A test run's limits: its own time limit (spec_limits.c) and some slack, at most the
 * grading's; four times that in CPU. */
static struct jail_limits run_limits(const struct correct_conf *c, const struct spec_test *t)
{
    double wall = t->limit_s > 0 && t->limit_s + CORRECT_SLACK_S < c->timeout_s
                      ? t->limit_s + CORRECT_SLACK_S
                      : c->timeout_s;

    return (struct jail_limits){.wall_s = wall,
                                .cpu_s = 4 * wall,
                                .mem_bytes = 4ULL << 30,
                                .nproc = t->tasks > 0 ? t->tasks : CORRECT_TASKS,
                                .nofile = run_nofile(t),
                                .out_bytes = 1 << 20};
}

/* The verdict `v` the TAP gave, judged against the test's done file: a line the harness
 * did not write fails the test whatever the TAP said, and a pass needs the test's own
 * "done" line (it ran to its end). Keeps the test's observed values for values.c. */
static enum verdict judge_done(const struct correct_conf *c, const struct spec_test *t,
                               struct item *it, const char *done, const uint64_t key[2],
                               enum verdict v)
{
    char forged[120], *said = NULL;
    int seen = audit_done_seen(done, jail_uid(), key, t->name, forged, sizeof(forged), &said);

    if (c->values && seen >= 0) /* emptied before the run */
        c->values->last = values_parse(said);
    free(said);
    if (seen < 0) { /* whatever the TAP said */
        item_printf(it,
                    "the test's done file holds a line the harness did not write (%s): "
                    "something in the code under test wrote to it, a forgery or a guess at "
                    "the run's key; the test fails\n",
                    forged);
        return V_FAIL;
    }
    if (v == V_PASS && !seen) {
        item_printf(it,
                    CORRECT_ENDED_EARLY
                    ": did %s call exit(), "
                    "_exit() or pthread_exit() in the caller's process, or return in a "
                    "forked child? (a test passes only when it runs to its end)\n",
                    t->fn[0] ? t->fn : "the code under test");
        return V_FAIL;
    }
    return v;
}

static enum verdict run_in(const struct correct_conf *c, const struct spec_test *t, struct item *it,
                           struct jail_result *res, const char *dir)
{
    char filter[128], tapopt[1300], tap[1200], out[1100], seed[64], port[64], kbin[1100];
    char done[1200], donev[1300], keyv[64];
    char *tail;
    char *argv[] = {(char *)c->tests, "--jobs", "1", filter, tapopt, NULL};
    /* CHECK_VALUES: a test marked values=reference writes what it observes (check_observe),
     * others write nothing of it */
    char *env[] = {seed,
                   port,
                   kbin,
                   donev,
                   keyv,
                   "MALLOC_ARENA_MAX=2",
                   (char *)cook_rate(), /* never NULL, which would end env[] here */
                   t->values && c->values ? "CHECK_VALUES=1" : NULL,
                   NULL};
    uint64_t key[2];
    struct sandbox sb;
    struct jail_result r;
    enum verdict v;

    if (c->values) { /* what this run reports, nothing of an earlier one */
        free(c->values->last);
        c->values->last = NULL;
    }
    /* suite::name -> --filter=suite/name */
    snprintf(filter, sizeof(filter), "--filter=%s", t->name);
    if ((tail = strstr(filter, "::")))
        memmove(tail + 1, tail + 2, strlen(tail + 2) + 1), *tail = '/';
    snprintf(tap, sizeof(tap), "%s/t.tap", dir);
    snprintf(done, sizeof(done), "%s/t.done", dir);
    snprintf(out, sizeof(out), "%s/%s.out", c->logs, t->name);
    snprintf(tapopt, sizeof(tapopt), "--tap=%s", tap);
    snprintf(donev, sizeof(donev), "CHECK_DONE=%s", done);
    if (audit_done_key(key, keyv, sizeof(keyv)) < 0) {
        item_printf(it, "harness error, not your code: no random key for the run\n");
        return V_ERROR;
    }
    snprintf(seed, sizeof(seed), "SEED=%llu", (unsigned long long)c->seed);
    snprintf(port, sizeof(port), "KITCHEN_PORT=%u", c->port);
    snprintf(kbin, sizeof(kbin), "KITCHEN_BIN=%s", c->kitchen ? c->kitchen : "");
    struct jail_opts *jo = sandbox_opts(&sb, c->box, dir, run_limits(c, t), out, env);

    jo->runq = true; /* was a timeout the machine's doing? (noise_can) */
    if (jail_run(argv, jo, &r) < 0) {
        item_printf(it, "harness error, not your code: could not run the test runner\n");
        return V_ERROR;
    }
    *res = r;
    if ((v = runner_end(&r, t, it)) != V_PASS)
        return v;
    char *text = audit_read_untrusted(tap, jail_uid(), TAP_MAX, NULL);
    v = correct_judge_tap(text, t, it);
    free(text);
    if (v == V_CRASH || v == V_TIMEOUT)
        correct_earlier_failures(out, it);
    return judge_done(c, t, it, done, key, v);
}

/* One test in a folder of its own (box_run_folder), removed after it: nothing one test
 * leaves there (a file, a socket bound by name, its modes) reaches the next (red team,
 * bind_socket_files, fchmodat2_run_folder). */
static enum verdict run_one(const struct correct_conf *c, const struct spec_test *t,
                            struct item *it, struct jail_result *res)
{
    char dir[1100];
    enum verdict v;

    if (box_run_folder(c->box, dir, sizeof(dir)) < 0) {
        item_printf(it, "harness error, not your code: could not make the test's folder\n");
        return V_ERROR;
    }
    v = run_in(c, t, it, res, dir);
    box_remove(dir);
    return v;
}

/* The run's own CPU: its children nobody waited for too (sampled by the jail). */
static double own_cpu(const struct jail_result *r)
{
    return r->tree_cpu_s > r->cpu_s ? r->tree_cpu_s : r->cpu_s;
}

/* What noise can cause: a timeout of a starved test (correct.h), anything a
 * timing-sensitive test says, a skip (a test that could not judge says why: "a busy
 * machine", lab 6's hybrid::idle_crew_sleeps). Where the kernel keeps no run-queue delays
 * (runq_s < 0), any timeout may be noise's. */
static bool noise_can(enum verdict v, const struct spec_test *t, const struct jail_result *r,
                      const struct item *it)
{
    double cpu = own_cpu(r);

    if (v == V_SKIPPED) /* the test said it could not judge: a busy machine, often */
        return true;
    if (v == V_TIMEOUT)
        return r->runq_s < 0 || r->wall_s <= 0 ||
               (r->runq_s >= CORRECT_STARVED * r->wall_s && cpu < CORRECT_FED * r->wall_s);
    /* a failure the test itself says no timing can cause (CHECK_NOT_TIMING, CHECK_OWN_CPU) is
     * certain */
    if (v == V_FAIL && it->output &&
        (strstr(it->output, CHECK_NOT_TIMING) || strstr(it->output, CHECK_OWN_CPU)))
        return false;
    return t->timing && (v == V_FAIL || v == V_CRASH);
}

/* One test, run again while noise may explain its verdict (see correct_run). */
enum verdict correct_run_judged(const struct correct_conf *c, const struct spec_test *t,
                                struct item *it)
{
    int online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    char why[160] = "";
    enum verdict v = V_PASS;

    for (int attempt = 1; attempt <= CORRECT_ATTEMPTS; attempt++) {
        struct sysload before, after;
        struct jail_result r = {0};

        free(it->output);
        it->output = NULL;
        sysload_read(&before);
        v = (c->run_test ? c->run_test : run_one)(c, t, it, &r);
        sysload_read(&after);
        /* The test may use every core: any other process's CPU took some of it. Its own
         * CPU counts its children nobody waited for (sampled), and the machine's CPU
         * pressure is not asked (more threads than cores: online + 1): the test's own
         * spinning threads raise it as much as a neighbour's. */
        /* a skipped test looks again whatever the machine; skipped each time, it stays so
         * on a quiet machine (its own reason) */
        if (attempt < CORRECT_ATTEMPTS && v == V_SKIPPED)
            continue;
        if (!noise_can(v, t, &r, it) ||
            !sysload_disturbed(&before, &after, r.wall_s, own_cpu(&r), online, online, online + 1,
                               why, sizeof(why)))
            return v;
        if (attempt < CORRECT_ATTEMPTS)
            continue;
        char *last = it->output; /* the reason first, then what the last run said */
        it->output = NULL;
        item_printf(it,
                    "INCONCLUSIVE: this test %s %d times while the machine was busy (%s): "
                    "rerun on a quiet machine. It is not a fail.\n%s",
                    v == V_TIMEOUT   ? "timed out"
                    : v == V_SKIPPED ? "was skipped"
                                     : "failed",
                    CORRECT_ATTEMPTS, why, last ? last : "");
        free(last);
    }
    return V_INCONCLUSIVE;
}

int correct_run(const struct correct_conf *c, const struct spec *s, const struct build_out *b,
                struct report *r)
{
    for (int i = 0; i < s->ntests; i++) {
        const struct spec_test *t = &s->tests[i];
        struct item it = {.kind = ITEM_TEST, .max_score = t->points};
        int f = t->file[0] ? file_index(s, t->file) : -1;

        snprintf(it.name, sizeof(it.name), "%s", t->name);
        snprintf(it.hint, sizeof(it.hint), "%s", t->hint);
        if (f >= 0 && !b->file_ok[f]) {
            it.verdict = V_BUILD_ERROR;
            item_printf(&it, "%s did not compile (see its build item)\n", t->file);
        } else if (!b->tests_ok) {
            it.verdict = V_BUILD_ERROR;
            item_printf(&it, "the tests could not be linked with your code (see build)\n");
        } else {
            it.verdict = correct_run_judged(c, t, &it);
            if (it.verdict == V_PASS && t->values && c->values)
                it.verdict = correct_judge_values(c, s, i, &it);
        }
        it.score = it.verdict == V_PASS ? t->points : 0;
        report_add(r, &it);
    }
    return 0;
}

/* Did a test of the report read as ended early (CORRECT_ENDED_EARLY): what a broken
 * check_end guard makes of every passing test? */
static bool ended_early(const struct report *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kind == ITEM_TEST && r->items[i].verdict == V_FAIL && r->items[i].output &&
            strstr(r->items[i].output, CORRECT_ENDED_EARLY))
            return true;
    return false;
}

int correct_canary(const struct correct_conf *c, const struct build_out *b, struct report *r)
{
    struct spec_test t = {.limit_s = 0};
    struct item it = {0}, err = {.kind = ITEM_BUILD, .verdict = V_ERROR};
    enum verdict v = V_PASS;

    if (!b->tests_ok || !ended_early(r))
        return 0;
    snprintf(t.name, sizeof(t.name), "%s", CORRECT_CANARY);
    for (int attempt = 1; attempt <= CORRECT_ATTEMPTS; attempt++) {
        struct jail_result res = {0};

        free(it.output);
        it.output = NULL;
        v = (c->run_test ? c->run_test : run_one)(c, &t, &it, &res);
        if (v != V_TIMEOUT)
            break;
    }
    if (v == V_PASS) {
        free(it.output);
        return 0;
    }
    snprintf(err.name, sizeof(err.name), "harness canary");
    snprintf(err.hint, sizeof(err.hint),
             "regrade once the grader is fixed; your code was not judged");
    item_printf(&err,
                "harness error, not your code: a test ended early, and the grader's own test %s "
                "(no student code in it) did not pass either in this test runner (%s), so no "
                "test's verdict could be trusted. Most likely this Criterion does not call a "
                "test's end (.fini) the way the harness checks (check_end in "
                "harness/lib/check.c: from libcriterion's code, at check_begin's depth). It "
                "said:\n%s",
                CORRECT_CANARY, verdict_name(v), it.output ? it.output : "(nothing)\n");
    free(it.output);
    for (size_t i = 0; i < r->n; i++) {
        struct item *n = &r->items[i];

        if (n->kind != ITEM_TEST)
            continue;
        n->verdict = V_ERROR;
        n->score = 0;
        free(n->output);
        n->output = NULL;
        item_printf(n, "not judged: the grader's canary test failed (see the harness canary "
                       "item); regrade once the grader is fixed\n");
    }
    report_add(r, &err);
    return -1;
}
