/* mutant: cooks a tasting portion first, then the dish: right answer, twice the CPU
 * replaces: cook.c
 * expect: cook::matches_reference pass
 * expect: cook::zero_rounds pass
 * expect: cook::null_dish pass
 * expect: cook.seq fail
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>

#include "lab1.h"

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    volatile uint64_t taste = seed; /* volatile: the compiler may not skip the tasting */

    if (!dish)
        return -EINVAL;
    for (uint64_t i = 0; i < rounds; i++)
        taste = dish_mix(taste);
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
