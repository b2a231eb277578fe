/* mutant: counts the rounds down with an unsigned counter, i >= 0 is always true
 * replaces: cook.c
 * expect: cook::matches_reference timeout
 * expect: cook::zero_rounds timeout
 * expect: cook::null_dish pass
 * expect: seq_map::results_in_order timeout
 * expect: seq_map::ignores_workers timeout
 * expect: seq_map::failed_order timeout
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>

#include "lab1.h"

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    for (uint64_t i = rounds; i >= 0; i--) { /* -Wextra warns: always true */
        if (i == 0)
            continue; /* "skip the last one" */
        seed = dish_mix(seed);
    }
    *dish = seed;
    return 0;
}
