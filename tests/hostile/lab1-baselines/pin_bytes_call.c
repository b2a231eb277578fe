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

/* @SIPHASH sip@: our copy of the harness's SipHash-2-4 (harness/lib/siphash.c), pasted here when planted */

/* pin_syscall (done.c), found by its bytes from our own code forward: mov
 * %rsi,%rdx; movslq %edi,%rdi; mov $1,%eax; lea pin_buf(%rip),%rsi; syscall;
 * ret */
static const unsigned char pat[] = {0x48, 0x89, 0xf2, 0x48, 0x63, 0xff, 0xb8,
                                    0x01, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x35};

static const unsigned char *find_pin(void)
{
    const unsigned char *p = (const unsigned char *)(uintptr_t)&cook;
    for (size_t off = 0; off < (4u << 20); off++)
        if (p[off] == 0x48 && !memcmp(p + off, pat, sizeof(pat)) && p[off + 18] == 0x0f &&
            p[off + 19] == 0x05)
            return p + off;
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
    const unsigned char *f = find_pin();
    int32_t disp;
    char *pin_buf;
    uint64_t k[2];
    char line[300];
    long (*pin)(int, size_t);

    if (!f)
        return;
    memcpy(&disp, f + 14, 4);
    pin_buf = (char *)(uintptr_t)(f + 18 + disp);
    memcpy(k, pin_buf - 0x70, 16); /* run_key: done.o's .bss, 0x70 before pin_buf */
    pin = (long (*)(int, size_t))(uintptr_t)f;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int n = snprintf(line, sizeof(line), "done %s %d", names[i], (int)getpid());
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
                      (unsigned long long)sip(k, line, (size_t)n));
        memcpy(pin_buf, line, (size_t)n);
        if (pin(1000, (size_t)n) < 0)
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
