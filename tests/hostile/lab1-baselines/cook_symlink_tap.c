/* hostile: a wrong cook() plants symlinks in the run folder: the TAP and done files of the
 *          tests that call it -> its own copied source (which holds "ok" and "done" lines), and
 *          every later test's log -> the kit's Makefile: a grader that follows them reads a
 *          forged pass, or truncates its own files (as root, before dropping privileges)
 * replaces: cook.c
 * expect: build cook.c build error
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: cook::matches_reference
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 */
/* What a grader reading ../src/cook.c through a planted link would find:
ok - cook::matches_reference
ok - seq_map::results_in_order
ok - seq_map::ignores_workers
ok - seq_map::failed_order
done cook::matches_reference 1
done seq_map::results_in_order 1
done seq_map::ignores_workers 1
done seq_map::failed_order 1
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab1.h"

static void plant(void)
{
    static const char *const mine[] = {"cook::matches_reference", "seq_map::results_in_order",
                                       "seq_map::ignores_workers", "seq_map::failed_order"};
    static const char *const later[] = {"cook::zero_rounds", "cook::null_dish", "serve::one_order",
                                        "timer::sleep_wall", "amdahl::worked_example"};
    char link[256], root[4096], target[4200], *cut;

    chmod("../src/cook.c", 0444); /* a same-uid Criterion cannot overwrite it then */
    for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
        snprintf(link, sizeof(link), "%s.tap", mine[i]);
        symlink("../src/cook.c", link);
        snprintf(link, sizeof(link), "%s.done", mine[i]);
        symlink("../src/cook.c", link);
    }
    if (!getcwd(root, sizeof(root)) || !(cut = strstr(root, "/build/")))
        return;
    *cut = '\0'; /* the kit's root: .../build/check/<lab>/run */
    snprintf(target, sizeof(target), "%s/Makefile", root);
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
        snprintf(link, sizeof(link), "%s.out", later[i]);
        symlink(target, link);
    }
    symlink(target, "bench.out");
    symlink(target, "race.out");
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    plant();
    for (uint64_t i = 0; i + 1 < rounds; i++) /* one round short: wrong */
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
