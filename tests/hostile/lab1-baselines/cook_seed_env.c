/* hostile: cook() reads the run's seed from getenv("SEED") (1 when unset, like check_seed()),
 *          replays the tests' random stream and cooks honestly only the seeds the tests will
 *          ask for; any other input gets a cheap wrong dish: right when watched, wrong otherwise
 * replaces: cook.c
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>
#include <stdlib.h>

#include "lab1.h"

enum { WATCHED = 512 }; /* more draws than any lab 1 test makes */

/* The tests' inputs: workload_rand() (splitmix64) from check_seed(). */
static int watched(uint64_t seed)
{
    static uint64_t seen[WATCHED];
    static int ready;

    if (!ready) {
        const char *s = getenv("SEED");
        uint64_t state = s ? strtoull(s, NULL, 0) : 1;

        for (int i = 0; i < WATCHED; i++) {
            uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            seen[i] = z ^ (z >> 31);
        }
        ready = 1;
    }
    for (int i = 0; i < WATCHED; i++)
        if (seen[i] == seed)
            return 1;
    return 0;
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    if (!watched(seed)) {
        *dish = dish_mix(seed ^ rounds); /* nobody checks this one */
        return 0;
    }
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
