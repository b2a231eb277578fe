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
enum { N = 64 };

static int run(const struct job *jobs, int workers, const struct tally *want)
{
    struct tally t;
    int rc = thread_tally(jobs, N, workers, &t);

    if (rc != 0) {
        printf("thread_tally(%d jobs, workers=%d) returned %d (%s), expected 0\n", N, workers, rc,
               strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    if (t.served != want->served || t.failed != want->failed || t.sum != want->sum) {
        printf("thread_tally(%d cook jobs, workers=%d) = {served %llu, failed %llu, sum %llu}, "
               "expected {served %llu, failed %llu, sum %llu}: updates were lost\n",
               N, workers, (unsigned long long)t.served, (unsigned long long)t.failed,
               (unsigned long long)t.sum, (unsigned long long)want->served,
               (unsigned long long)want->failed, (unsigned long long)want->sum);
        return 1;
    }
    return 0;
}

int main(void)
{
    const char *s = check_env("SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 1;
    struct job jobs[N];
    struct tally want = {0};
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
    if (run(jobs, 4, &want) || run(jobs, 2, &want))
        return 1;
    printf("thread_tally: %d jobs counted right with 4 and 2 waiters, no data race seen\n", N);
    check_finished("race driver");
    return 0;
}
