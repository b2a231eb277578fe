/* mutant: counts rounds in an unsigned int: 2^32 + 3 rounds become 3
 * replaces: cook.c
 * expect: cook::rounds_past_32_bits fail
 * expect: cook::matches_reference pass
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>

#include "lab1.h"

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    uint64_t x = seed;
    unsigned int n = rounds;
    for (unsigned int i = 0; i < n; i++)
        x = dish_mix(x);
    *dish = x;
    return 0;
}
