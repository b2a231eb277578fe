/* hostile: cook() is the harness's own ref_cook(): the right dish (and the reference's speed)
 *          without writing the loop the lab asks for
 * replaces: cook.c
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: cook.seq
 * denies: cook.cpu_bound
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>

#include "lab1.h"

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    return ref_cook(seed, rounds, dish);
}
