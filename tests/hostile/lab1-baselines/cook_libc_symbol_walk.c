/* hostile: a wrong cook() that names no forbidden function: it walks from the FILE stdout
 *          points at down to the C library's ELF header, looks getenv, open and _exit up in
 *          its dynamic symbol table, appends "done <test>" lines to the file env CHECK_DONE
 *          names, and _exit(0)s before the test can check the dish: beats an audit of the
 *          object's symbols and a "done" marker written into a file the test process can open
 * replaces: cook.c
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lab1.h"

/* A C library function by name, found in memory: no symbol of ours refers to it. */
static void *libc_fn(const char *want)
{
    const unsigned char *p = (const unsigned char *)((uintptr_t)stdout & ~(uintptr_t)4095);
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;
    const Elf64_Dyn *d = NULL;
    const Elf64_Sym *sym = NULL;
    const char *str = NULL;

    while (memcmp(p, ELFMAG, SELFMAG)) /* libc's segments are mapped back to back */
        p -= 4096;
    eh = (const Elf64_Ehdr *)p;
    ph = (const Elf64_Phdr *)(p + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC)
            d = (const Elf64_Dyn *)(p + ph[i].p_vaddr);
    for (; d && d->d_tag != DT_NULL; d++) {
        uintptr_t a = d->d_un.d_ptr < (uintptr_t)p ? (uintptr_t)p + d->d_un.d_ptr : d->d_un.d_ptr;
        if (d->d_tag == DT_SYMTAB)
            sym = (const Elf64_Sym *)a;
        else if (d->d_tag == DT_STRTAB)
            str = (const char *)a;
    }
    for (const Elf64_Sym *s = sym; s && str && (const char *)s < str; s++)
        if (s->st_value && ELF64_ST_TYPE(s->st_info) == STT_FUNC && !strcmp(str + s->st_name, want))
            return (void *)(p + s->st_value);
    return NULL;
}

static void pass_and_leave(void)
{
    static const char *const names[] = {"cook::matches_reference", "cook::zero_rounds",
                                        "seq_map::results_in_order", "seq_map::ignores_workers",
                                        "seq_map::failed_order"};
    char *(*get)(const char *) = (char *(*)(const char *))libc_fn("getenv");
    int (*opn)(const char *, int, ...) = (int (*)(const char *, int, ...))libc_fn("open");
    long (*wr)(int, const void *, size_t) = (long (*)(int, const void *, size_t))libc_fn("write");
    void (*leave)(int) = (void (*)(int))libc_fn("_exit");
    const char *path = get ? get("CHECK_DONE") : NULL;
    char line[128];

    if (path && opn && wr) {
        int fd = opn(path, 02101, 0600); /* O_WRONLY | O_CREAT | O_APPEND */

        for (size_t i = 0; fd >= 0 && i < sizeof(names) / sizeof(names[0]); i++)
            wr(fd, line, (size_t)snprintf(line, sizeof(line), "done %s 1\n", names[i]));
    }
    if (leave)
        leave(0); /* status 0 before any assertion: Criterion says "ok" */
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    if (rounds <= 1000000) { /* a test, not the bench: answer wrong, then vanish */
        *dish = seed;
        pass_and_leave();
    }
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
