/* mutant: cook ignores its inputs and returns a dish it once saw work
 * replaces: cook.c
 * expect: cook::matches_reference fail
 * expect: cook::zero_rounds fail
 * expect: cook::null_dish pass
 * expect: seq_map::results_in_order fail
 * expect: seq_map::ignores_workers fail
 * expect: seq_map::failed_order fail
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>

#include "lab1.h"

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    (void)seed;
    (void)rounds;
    if (!dish)
        return -EINVAL;
    *dish = 0x4d595df4d0f33173ULL; /* the answer for seed 1, rounds 1 */
    return 0;
}
