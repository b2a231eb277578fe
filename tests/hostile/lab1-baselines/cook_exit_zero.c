/* hostile: a wrong cook() that calls exit(0) right after writing its wrong dish, so the test
 *          process ends with status 0 before any assertion runs (Criterion reads that as "ok")
 * replaces: cook.c
 * expect: build cook.c build error
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

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    *dish = seed ^ rounds ^ 1; /* wrong, and never checked: */
    exit(0);
}
