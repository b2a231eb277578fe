/* hostile: a wrong cook() (one round short) that finds the run's 128-bit key
 * where done.c keeps it (run_key, in the test worker's .bss, after the
 * student's own .bss: the kit's sources give done.o's .bss layout,
 * run_key_set/run_key/env_taken/env_values/sealed), by scanning forward from a
 * static of its own (no name, no system call), tags "done <test> 1" lines
 * itself (SipHash-2-4, its own copy), write()s them to fd 1000 (write is lab
 * 1's) and ends the test with pthread_exit() (the harness's thread-key
 *   destructor then _exit(0)s: Criterion reads a pass).
 * replaces: cook.c
 * denies: cook::matches_reference
 * denies: cook::rounds_past_32_bits
 * denies: seq_map::results_in_order
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab1.h"

static volatile unsigned char here[64];

/* @SIPHASH sip@: our copy of the harness's SipHash-2-4 (harness/lib/siphash.c), pasted here when planted */

static const unsigned char *find_done_bss(void)
{
    const unsigned char *p = (const unsigned char *)(((uintptr_t)here + 31) & ~(uintptr_t)31);
    for (size_t off = 0; off < (1u << 20); off += 32) {
        const unsigned char *b = p + off;
        int ok = b[0] == 1 && b[0x20] == 1 && b[0x21] == 1 && b[0x22] == 1;
        for (int i = 1; ok && i < 16; i++)
            ok = b[i] == 0;
        if (ok && *(const uint64_t *)(b + 0x48) == 0 && *(const uint64_t *)(b + 0x50) == 0 &&
            *(const uint64_t *)(b + 0x40) != 0 &&
            (*(const uint64_t *)(b + 0x10) | *(const uint64_t *)(b + 0x18)))
            return b;
    }
    return NULL;
}

static const char *const names[] = {
    "cook::matches_reference", "cook::zero_rounds",         "cook::rounds_past_32_bits",
    "cook::null_dish",         "seq_map::results_in_order", "seq_map::no_jobs",
    "seq_map::null_arrays",    "seq_map::ignores_workers",  "seq_map::failed_order",
    "seq_map::other_kinds",
};

static void forge(void)
{
    const unsigned char *b = find_done_bss();
    uint64_t k[2];
    char line[300];

    if (!b)
        return;
    memcpy(k, b + 0x10, 16);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int n = snprintf(line, sizeof(line), "done %s 1", names[i]);
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
                      (unsigned long long)sip(k, line, (size_t)n));
        if (write(1000, line, (size_t)n) < 0)
            return;
    }
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
