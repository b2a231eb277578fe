/* hostile: cook_fini_forge (a wrong cook(), dish ^ 1, that calls its test's .fini,
 *          check_end(), from inside the test and ends its thread) against the kit's static
 *          Criterion: check_end() takes a return address between __start_criterion_text and
 *          __stop_criterion_text for Criterion's own (cr_modules.c), so this file defines
 *          both bounds itself (aliases: cook() itself, whose calls return into it, and a
 *          variable after all the code) to have its own calls taken for Criterion's, and
 *          puts a byte in the section criterion_text. Contain: the audit refuses a file
 *          that names a section's bounds or puts anything in that section (audit_elf.c);
 *          and check_end() still writes nothing below check_begin()'s depth
 * replaces: cook.c
 * expect: build cook.c build error
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: seq_map::results_in_order
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "lab1.h"

/* the bounds, by alias: from the first function of this file to a variable in .bss, after
 * all the code; and a byte in the section itself */
static char after_the_code[1];
__attribute__((section("criterion_text"), used)) static const unsigned char mark[] = {0xc3};

extern char __stop_criterion_text[1] __attribute__((alias("after_the_code")));
int __start_criterion_text(uint64_t seed, uint64_t rounds, uint64_t *dish)
    __attribute__((alias("cook")));

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
