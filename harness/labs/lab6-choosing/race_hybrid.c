/* race_hybrid.c: hybrid_map() under a sanitizer: the loop and the crew sharing one queue. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "done.h"
#include "lab6.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with ThreadSanitizer,
 * any data race ends the run with its report (exit 66, which the harness quotes); built
 * with AddressSanitizer, so does any access out of bounds. A wrong result exits 1.
 * Env: SEED (the run's inputs), KITCHEN_PORT (the kitchen, for the orders and meals).
 *
 * Each call mixes many cooking jobs, put on the queue by the caller, with meals, put on
 * it by the loop's callback as their replies come, while the cooks take from it: the
 * queue is written from two sides at once. Cooking jobs outnumber meals, so a queue
 * sized for the meals alone overflows.
 */
enum { N = 40, CALLS = 6 };

int main(void)
{
    uint64_t seed = check_env_seed();
    uint16_t port = check_env_port();
    struct job jobs[N];

    check_seal(); /* before any student code: see done.h */
    for (int c = 0; c < CALLS; c++) {
        /* one meal and one order in every five jobs (none without a kitchen), the rest
         * cooking of up to a few hundred microseconds */
        for (int i = 0; i < N; i++) {
            enum job_kind k = !port || i % 5 > 1 ? JOB_COOK : i % 5 ? JOB_ORDER : JOB_MEAL;

            jobs[i] = (struct job){.kind = k,
                                   .seed = workload_rand(&seed),
                                   .rounds = k == JOB_ORDER ? 0 : 1 + workload_rand(&seed) % 50000,
                                   .port = k == JOB_COOK ? 0 : port};
        }
        if (bench_check_map("hybrid_map", hybrid_map, jobs, N, 2 + c % 3))
            return 1;
    }
    printf(
        "hybrid_map: %d calls of %d jobs right with 2 to 4 cooks, nothing seen by the sanitizer\n",
        CALLS, N);
    check_finished("race driver");
    return 0;
}
