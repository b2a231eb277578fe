/* race_waiters.c: thread_map() and thread_tally() with more waiters than a test may start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "done.h"
#include "lab2.h"

/*
 * A plain main(), built with AddressSanitizer: any access out of bounds ends the run with
 * its report (which the harness quotes); a wrong result exits 1. Env: SEED (the inputs).
 *
 * lab2.h sets no upper bound on workers: 100 waiters on 100 jobs is as good a call as 4
 * on 12. The Criterion tests run with at most 64 tasks alive at once, so they cannot start
 * that many threads; a driver may (the harness gives it 256). A table of thread ids with a
 * fixed size ("no restaurant has more than 64 waiters") is written and read past its end.
 */
enum { N = 100 };

int main(void)
{
    uint64_t seed = check_env_seed();
    static const int workers[] = {N, 2 * N};
    struct job jobs[N];
    struct result out[N], r;
    struct tally want = {0}, t;

    check_seal(); /* before any student code: see done.h */

    /* short cooking, a few thousand rounds each: the waiters all start while jobs are left */
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct job){.kind = JOB_COOK,
                               .seed = workload_rand(&seed),
                               .rounds = 1000 + workload_rand(&seed) % 4000};
        ref_job_run(&jobs[i], &r);
        want.served++;
        want.sum += r.value;
    }
    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        int rc;

        if (bench_check_call("thread_map", thread_map(jobs, N, out, workers[w]), jobs, out, N,
                             workers[w]))
            return 1;
        rc = thread_tally(jobs, N, workers[w], &t);
        if (rc != 0) {
            printf("thread_tally(%d jobs, workers=%d) returned %d (%s), expected 0\n", N,
                   workers[w], rc, strerror(rc < 0 ? -rc : rc));
            return 1;
        }
        if (t.served != want.served || t.failed != want.failed || t.sum != want.sum) {
            printf("thread_tally(%d cook jobs, workers=%d) = {served %llu, failed %llu, sum "
                   "%llu}, expected {served %llu, failed %llu, sum %llu}\n",
                   N, workers[w], (unsigned long long)t.served, (unsigned long long)t.failed,
                   (unsigned long long)t.sum, (unsigned long long)want.served,
                   (unsigned long long)want.failed, (unsigned long long)want.sum);
            return 1;
        }
    }
    printf("thread_map and thread_tally: %d jobs right with %d and %d waiters, nothing seen by "
           "the sanitizer\n",
           N, workers[0], workers[1]);
    check_finished("race driver");
    return 0;
}
