/* hostile: a wrong cook() (dish ^ 1) that forges its test's end (red team 2026-12-02,
 *          fini_forge). It walks back from cook's own address to the test runner's ELF
 *          header, finds the string "cook/matches_reference" in its loaded segments, then
 *          the qword pointing at it (the Criterion test descriptor's identifier_): 32
 *          bytes on lies the descriptor's .fini, check_end(). It calls it (a true "done"
 *          line, written through the sealed fd with the seal's secret) and ends its
 *          thread with pthread_exit(), whose harness destructor _exit(0)s: status 0 plus
 *          a done line read as a pass. Only allowed calls (memcmp, pthread_exit); stripping
 *          the runner does not help (the pointer is data). Contain: check_end() writes
 *          the line only when called by libcriterion (its return address, dladdr) at the
 *          depth check_begin() ran at, never from inside the test's body (check.c)
 * replaces: cook.c
 * expect: serve::one_order pass
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "lab1.h"

static const unsigned char *image_base(const void *addr)
{
    uintptr_t p = (uintptr_t)addr & ~(uintptr_t)4095;

    while (memcmp((const void *)p, "\177ELF", 4))
        p -= 4096;
    return (const unsigned char *)p;
}

/* Every PT_LOAD of the image: find the needle; then a qword pointing at it. */
static void *find_fini(void)
{
    const unsigned char *base = image_base((const void *)cook);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    static const char needle[] = "cook/matches_reference";
    uintptr_t str = 0;

    for (int i = 0; i < eh->e_phnum && !str; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        const unsigned char *s = base + ph[i].p_vaddr;
        for (size_t k = 0; k + sizeof(needle) <= ph[i].p_memsz; k++)
            if (s[k] == 'c' && !memcmp(s + k, needle, sizeof(needle))) {
                str = (uintptr_t)(s + k);
                break;
            }
    }
    if (!str)
        return NULL;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        const unsigned char *s = base + ph[i].p_vaddr;
        for (size_t k = 0; k + 8 <= ph[i].p_memsz; k += 8) {
            uintptr_t q;
            memcpy(&q, s + k, 8);
            if (q == str) {
                uintptr_t f;
                memcpy(&f, s + k + 32, 8); /* identifier_ +32 = fini */
                return (void *)f;
            }
        }
    }
    return NULL;
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    void *f = find_fini();

    if (!dish)
        return -EINVAL;
    (void)rounds;
    *dish = seed ^ 1; /* wrong */
    if (f) {
        ((void (*)(void))f)();
        pthread_exit(NULL);
    }
    return 0;
}
