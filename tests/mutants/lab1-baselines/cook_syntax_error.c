/* mutant: a missing semicolon: cook.c does not compile, the rest is still graded
 * replaces: cook.c
 * expect: build cook.c build error
 * expect: cook::matches_reference build error
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>

#include "lab1.h"

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed)
    *dish = seed;
    return 0;
}
