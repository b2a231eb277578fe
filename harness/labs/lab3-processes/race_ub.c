/* race_ub.c: crash_name() and proc_map() under UndefinedBehaviorSanitizer, at their edges. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "done.h"
#include "lab3.h"
#include "race_jobs.h"

/*
 * A plain main(), built with UndefinedBehaviorSanitizer (and float-cast-overflow): the first
 * signed overflow, shift too far, conversion out of range or misaligned access in the code
 * ends the run with the sanitizer's report (exit 66, which the harness quotes: the line and
 * what overflowed); a wrong answer exits 1. Env: SEED (the jobs).
 *
 * Without the sanitizer such code answers right: -INT_MIN wraps to INT_MIN on this machine,
 * and -INT_MAX - 1000 to a large positive number, both then refused as "not a crash". But
 * the C standard leaves a signed overflow undefined, and the compiler may assume it never
 * happens (a range check done after the overflow can be dropped as always true). So
 * crash_name() compares the status with JOB_CRASHED(1) and JOB_CRASHED(64) before any
 * arithmetic on it; proc_map() with workers = INT_MAX computes nothing like workers + 1.
 */
static int names(void)
{
    static const int bad[] = {
        INT_MIN, INT_MIN + 1, INT_MIN + 1000, JOB_CRASHED(65), JOB_CRASHED(0), -1,
        0,       1,           1000 + SIGSEGV, INT_MAX - 1,     INT_MAX};
    const char *name;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        name = "(untouched)";
        int rc = crash_name(bad[i], &name);
        if (rc != -EINVAL) {
            printf("crash_name(%d) returned %d, expected -EINVAL (%d): not a crash\n", bad[i], rc,
                   -EINVAL);
            return 1;
        }
    }
    for (int sig = 1; sig <= 64; sig++) {
        name = NULL;
        int rc = crash_name(JOB_CRASHED(sig), &name);
        if (rc != 0 || !name || strncmp(name, "SIG", 3) != 0) {
            printf("crash_name(JOB_CRASHED(%d)) returned %d and \"%s\", expected 0 and a name "
                   "that starts with SIG\n",
                   sig, rc, name ? name : "(NULL)");
            return 1;
        }
    }
    return 0;
}

/* proc_map() with workers far above n (INT_MAX too), one worker, and n = 0. */
static int maps(uint64_t *seed)
{
    enum { N = 6 };
    static const int workers[] = {INT_MAX, INT_MAX - 1, 1, 4};
    struct job jobs[N];
    struct result out[N];

    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        for (int i = 0; i < N; i++)
            jobs[i] = race_job(seed, 1 + workload_rand(seed) % 2000);
        if (race_map_checked(jobs, N, out, workers[w], ""))
            return 1;
        int rc = proc_map(jobs, 0, out, workers[w]);
        if (rc != 0) {
            printf("proc_map(0 jobs, workers=%d) returned %d, expected 0\n", workers[w], rc);
            return 1;
        }
    }
    return 0;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    struct sigaction sa;

    check_seal(); /* before any student code: see done.h */
    if (sigaction(SIGABRT, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL ||
        sigaction(SIGCHLD, NULL, &sa) != 0 || sa.sa_handler == SIG_IGN)
        return check_harness_error("race_ub: SIGABRT not at its default, or SIGCHLD ignored");
    if (names() || maps(&seed))
        return 1;
    printf("crash_name() from INT_MIN to INT_MAX and proc_map() with workers up to INT_MAX: "
           "right answers, nothing seen by the sanitizer\n");
    check_finished("race driver");
    return 0;
}
