/* bench.c: the speed driver: time one version over one workload, check its answers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench.h"
#include "done.h"
#include "kitchen.h"

/*
 * Usage: bench calibrate
 *        bench VERSION cpu|io|mixed JOBS WORKERS ROUNDS PORT SEED even|skewed
 * Prints "rate R" (cooking rounds a second); or "start cpu=C" right before the version
 * runs, then "ok wall=W cpu=C hash=H [x=X]", "notimpl FN", "wrong ..." or "error ...".
 * ROUNDS is the total over all jobs. The lines go to fd 3 when it is open (else stdout):
 * the grader passes a pipe there, so that what the student's code prints cannot garble
 * them, and times the version itself from when the "start" and "ok" lines arrive (the
 * figures in "ok" are for a person running this by hand). Student code is linked in but
 * runs only inside the version (the audit refuses constructors), so "start" and its
 * CPU figure are ours. The driver seals itself first (done.h, without a done file): the
 * version can open no file for writing, so an untimed warm-up leaves nothing behind that
 * a timed trial could read back (a cache of the answers).
 */

static FILE *res;

/* res's writes, when it is the result pipe: by the pinned write (done.h), the only one the
 * seal lets reach the pipe, so that code under test can write no line there, not even one
 * with the trial's tag (red team, bench_tagged_harness_error). */
static ssize_t res_write(void *cookie, const char *buf, size_t len)
{
    long n = check_write_pinned(*(int *)cookie, buf, len);

    return n < 0 ? -1 : n;
}

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* CPU of this process and of the children it has waited for, in seconds. */
static double cpu_used(void)
{
    struct rusage s, c;

    getrusage(RUSAGE_SELF, &s);
    getrusage(RUSAGE_CHILDREN, &c);
    return s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec + c.ru_stime.tv_sec +
           (s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec + c.ru_stime.tv_usec) /
               1e6;
}

static int calibrate(void)
{
    uint64_t rounds = 0, dish;
    double t0 = now();

    while (now() - t0 < 0.05) {
        ref_cook(rounds, 1000000, &dish);
        rounds += 1000000;
    }
    fprintf(res, "rate %.0f\n", rounds / (now() - t0));
    return 0;
}

/* "error harness error, not your code: <why> tag=<tag>": the grader believes a fault of
 * its own only with the run's tag (done.h), which the code under test cannot make: the
 * same words written by it read as its own failure (red team, bench_forged_harness_error). */
static void harness_error(const char *why)
{
    char line[400];
    int n = snprintf(line, sizeof(line), "error harness error, not your code: %s", why);

    if (n > 0 && n < (int)sizeof(line))
        fprintf(res, "%s tag=%016llx\n", line, (unsigned long long)check_tag(line, (size_t)n));
}

/* The orders' replies, asked of the kitchen on one connection (a few ms for 10,000 orders,
 * the only part of the check inside the timing). A meals run is checked by the grader,
 * against its own hash, as a cooking run is: nothing here knows a meal's answer. */
static int check_orders(const struct job *jobs, const struct result *out, int n)
{
    uint64_t *items = calloc((size_t)n, sizeof(*items)), *got = calloc((size_t)n, sizeof(*got));
    unsigned char *ok = calloc((size_t)n, 1);
    int rc = items && got && ok ? 0 : -ENOMEM, bad = 0;
    char why[200];

    for (int i = 0; rc == 0 && i < n; i++) {
        items[i] = jobs[i].seed;
        got[i] = out[i].value;
    }
    if (rc == 0)
        rc = kitchen_check(jobs[0].port, (size_t)n, items, got, ok);
    for (int i = 0; rc == 0 && !bad && i < n; i++)
        if ((bad = out[i].status || !ok[i]))
            fprintf(res,
                    "wrong order %d of %d: status %d, reply %" PRIu64 ": not the kitchen's "
                    "reply to item %" PRIu64 " (the kitchen checked it)\n",
                    i, n, out[i].status, out[i].value, jobs[i].seed);
    if (rc == -EMFILE || rc == -ENFILE) {
        fprintf(res, "no descriptor was left to check the replies with: does the code under "
                     "test leave its sockets open?\n");
    } else if (rc < 0) { /* the grader's fault (trial.c): not the student's */
        snprintf(why, sizeof(why), "the kitchen could not check the replies: %s", strerror(-rc));
        harness_error(why);
    }
    free(items);
    free(got);
    free(ok);
    return rc < 0 || bad;
}

static int run(const struct bench_version *v, char **argv)
{
    int cpu = !strcmp(argv[1], "cpu"), n = atoi(argv[2]), workers = atoi(argv[3]);
    enum job_kind kind = cpu ? JOB_COOK : !strcmp(argv[1], "mixed") ? JOB_MEAL : JOB_ORDER;
    struct job *jobs = calloc(n > 0 ? n : 1, sizeof(*jobs));
    struct result *out = calloc(n > 0 ? n : 1, sizeof(*out));

    if (!jobs || !out || n < 1) {
        fprintf(res, "error bad arguments\n");
        return 2;
    }
    bench_make_jobs(jobs, n, kind, strtoull(argv[4], NULL, 0), (uint16_t)atoi(argv[5]),
                    strtoull(argv[6], NULL, 0), !strcmp(argv[7], "skewed"));
    double c0 = cpu_used(), t0 = now();
    fprintf(res, "start cpu=%.6f\n", c0);
    int rc = v->map(jobs, n, out, workers);
    double t1 = now(), c1 = cpu_used();
    if (rc == -ENOSYS) {
        fprintf(res, "notimpl %s\n", v->fn ? v->fn : v->name);
        return 0;
    }
    if (rc < 0) {
        fprintf(res, "error %s returned %d (%s)\n", v->fn ? v->fn : v->name, rc, strerror(-rc));
        return 0;
    }
    if (kind == JOB_ORDER && check_orders(jobs, out, n))
        return 0;
    fprintf(res, "ok wall=%.6f cpu=%.6f hash=%016" PRIx64, t1 - t0, c1 - c0, bench_hash(out, n));
    if (bench_metric_get() >= 0)
        fprintf(res, " x=%.6f", bench_metric_get());
    fprintf(res, "\n");
    free(jobs);
    free(out);
    return 0;
}

int main(int argc, char **argv)
{
    static int result_fd = 3;
    bool pipe = fcntl(result_fd, F_GETFD) >= 0;

    res = pipe ? fopencookie(&result_fd, "w", (cookie_io_functions_t){.write = res_write}) : stdout;
    if (!res) {
        perror("bench: fd 3");
        return 2;
    }
    setvbuf(res, NULL, _IOLBF, 0);
    /* without seccomp, each trial still has a fresh folder (trial.c) */
    check_seal_nodone(pipe ? result_fd : -1);
    if (argc == 2 && !strcmp(argv[1], "calibrate"))
        return calibrate();
    if (argc != 9) {
        fprintf(stderr,
                "usage: bench calibrate\n"
                "       bench VERSION cpu|io|mixed JOBS WORKERS ROUNDS PORT SEED even|skewed\n");
        return 2;
    }
    size_t n = 0, i = 0;

    while (bench_versions[n].name)
        n++;
    while (i < n && strcmp(bench_versions[i].name, argv[1]))
        i++;
    if (i == n) {
        fprintf(res, "error no version '%s' in this lab\n", argv[1]);
        return 2;
    }
    /* The version to run, and nothing else: with the table wiped, code that scans memory
     * for the pointer to itself finds no neighbour to call in its place (the reference's
     * executor, timed as the student's); the driver is linked without PIE, so no
     * relocation record keeps the table's pointers either (build.c). */
    struct bench_version v = bench_versions[i];
    memset(bench_versions, 0, (n + 1) * sizeof(bench_versions[0]));
    return run(&v, argv + 1);
}
