/* race_tally.c: thread_tally() under ThreadSanitizer: several waiters adding into one total. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "done.h"
#include "lab2.h"

/*
 * A plain main(): Criterion cannot run under TSan. Any data race ends the run with
 * TSan's report (exit 66, which the harness quotes); wrong totals exit 1.
 * Env: SEED (the run's inputs).
 */
enum { N = 64, NF = 4096, CALLS = 16 };

static int run(const struct job *jobs, size_t n, int workers, const struct tally *want,
               const char *kinds)
{
    struct tally t;
    int rc = thread_tally(jobs, n, workers, &t);

    if (rc != 0) {
        printf("thread_tally(%zu %s, workers=%d) returned %d (%s), expected 0\n", n, kinds, workers,
               rc, strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    if (t.served != want->served || t.failed != want->failed || t.sum != want->sum) {
        printf("thread_tally(%zu %s, workers=%d) = {served %llu, failed %llu, sum %llu}, "
               "expected {served %llu, failed %llu, sum %llu}: updates were lost\n",
               n, kinds, workers, (unsigned long long)t.served, (unsigned long long)t.failed,
               (unsigned long long)t.sum, (unsigned long long)want->served,
               (unsigned long long)want->failed, (unsigned long long)want->sum);
        return 1;
    }
    return 0;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    static struct job jobs[N], fails[NF];
    struct tally want = {0}, want_fails = {0};
    struct result r;

    check_seal(); /* before any student code: see done.h */

    /* cooking of a few hundred microseconds each, so that every waiter gets tables and
     * adds to the totals while the others do */
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct job){.kind = JOB_COOK,
                               .seed = workload_rand(&seed),
                               .rounds = 100000 + workload_rand(&seed) % 400000};
        ref_job_run(&jobs[i], &r);
        want.served++;
        want.sum += r.value;
    }
    /* Failures count in the same shared totals (t->failed++ under the lock too). Three jobs
     * in four fail at once: ref_job_run() gives a job of no known kind -EINVAL, as a failed
     * order would, with no socket (TSan orders every socket call after the ones before it,
     * and that would hide a race); the fourth cooks a little. Tiny jobs, so two waiters add
     * a failure at nearly the same moment many times in a call. */
    for (int i = 0; i < NF; i++) {
        fails[i] = (struct job){.kind = i % 4 == 3 ? JOB_COOK : (enum job_kind)99,
                                .seed = workload_rand(&seed),
                                .rounds = 1 + workload_rand(&seed) % 2000};
        if (ref_job_run(&fails[i], &r) == 0) {
            want_fails.served++;
            want_fails.sum += r.value;
        } else {
            want_fails.failed++;
        }
    }
    if (run(jobs, N, 4, &want, "cook jobs") || run(jobs, N, 2, &want, "cook jobs"))
        return 1;
    for (int c = 0; c < CALLS; c++)
        if (run(fails, NF, c % 2 ? 8 : 4, &want_fails, "jobs, 3 in 4 failing"))
            return 1;
    printf("thread_tally: %d cook jobs counted right with 4 and 2 waiters, %d jobs (3 in 4 "
           "failing) %d times with 4 and 8, no data race seen\n",
           N, NF, CALLS);
    check_finished("race driver");
    return 0;
}
