/* hostile: pin_bytes_call (red team 10): a wrong cook() (one round short) that
 * finds done.c's pinned write (pin_syscall: mov %rsi,%rdx; movslq %edi,%rdi;
 * mov $1,%eax; lea pin_buf(%rip),%rsi; syscall) by its bytes, scanning forward
 * from its own code in the stripped test runner, reads pin_buf's address from
 * the lea, the run's key 0x70 bytes before it (done.o's .bss), tags "done
 * <test>" lines itself, copies each into pin_buf and calls pin_syscall(1000,
 * len) through a function pointer: the write comes from our instruction with
 * our buffer, so the pin lets it through; then pthread_exit() (the harness's
 * thread-key destructor _exit(0)s: Criterion reads a pass). Denied since the
 * values of cook::matches_reference and seq_map::results_in_order are judged
 * outside the process (spec values=reference: the forged pass reports none), and
 * cook::rounds_past_32_bits sees the cook's thread gone (pthread_tryjoin_np).
 * replaces: cook.c
 * denies: cook::matches_reference
 * denies: cook::rounds_past_32_bits
 * denies: seq_map::results_in_order
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab1.h"

/* @SHARED pin_forge@: tests/hostile/shared/pin_forge.c (find our pinned write, send tagged "done" lines), pasted here when planted */

static const char *const names[] = {
    "cook::matches_reference", "cook::zero_rounds",         "cook::rounds_past_32_bits",
    "cook::null_dish",         "seq_map::results_in_order", "seq_map::no_jobs",
    "seq_map::null_arrays",    "seq_map::ignores_workers",  "seq_map::failed_order",
    "seq_map::other_kinds",
};

static void forge(void)
{
    if (pin_forge((const void *)(uintptr_t)&cook, names, sizeof(names) / sizeof(names[0])) == 0)
        pthread_exit(NULL);
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    if (rounds > 0)
        forge();
    for (uint64_t i = 1; i < rounds; i++) /* one round short */
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
