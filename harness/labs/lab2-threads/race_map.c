/* race_map.c: thread_map() under ThreadSanitizer: several waiters sharing one queue of jobs. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "done.h"
#include "lab2.h"

/*
 * A plain main(): Criterion cannot run under TSan. Any data race ends the run with
 * TSan's report (exit 66, which the harness quotes); a wrong result exits 1.
 * Env: SEED (the run's inputs), KITCHEN_PORT (the kitchen, for a few orders).
 */
enum { N = 48, ORDERS = 4 };

static int run(const struct job *jobs, int workers)
{
    struct result out[N];

    return bench_check_call("thread_map", thread_map(jobs, N, out, workers), jobs, out, N, workers);
}

int main(void)
{
    const char *s = check_env("SEED"), *p = check_env("KITCHEN_PORT");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 1;
    struct job jobs[N];

    check_seal(); /* before any student code: see done.h */

    /* cooking of a few hundred microseconds each, so every waiter gets tables; a few
     * orders in between, so waiters also wait at the same time */
    for (int i = 0; i < N; i++) {
        int order = p && i % (N / ORDERS) == 1;

        jobs[i] = (struct job){.kind = order ? JOB_ORDER : JOB_COOK,
                               .seed = workload_rand(&seed),
                               .rounds = order ? 0 : 100000 + workload_rand(&seed) % 400000,
                               .port = order ? (uint16_t)atoi(p) : 0};
    }
    if (run(jobs, 4) || run(jobs, 2))
        return 1;
    printf("thread_map: %d jobs right with 4 and 2 waiters, no data race seen\n", N);
    check_finished("race driver");
    return 0;
}
