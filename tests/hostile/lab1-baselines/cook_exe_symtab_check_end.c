/* hostile: a wrong cook() that calls the harness's own done path (DESIGN.md, "The seal":
 *          the residual risk). It finds open/read/lseek/_exit in the C library's dynamic
 *          symbols (as cook_libc_symbol_walk.c), opens /proc/self/exe read-only (the seal
 *          allows reading), reads its static symbol table (.symtab), finds check_end() and
 *          its own cook() there (cook's run-time address minus its symbol's value is the
 *          load base), calls check_end(), which writes a true "done" line through the
 *          sealed fd with the secret, and _exit(0)s before the test checks the dish.
 *          Passed every cook test with a wrong dish while the test runner kept its
 *          .symtab. Contain: the graded test runner is linked stripped (-s), so
 *          /proc/self/exe names none of the harness's functions
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
#include <stdlib.h>
#include <string.h>

#include "lab1.h"

/* @SHARED libc_fn@: a C library function by name, from libc's dynamic symbols */

static int (*opn)(const char *, int, ...);
static long (*rd)(int, void *, size_t);
static long (*seek)(int, long, int);

/* `len` bytes of the file at `off` into a new buffer, or NULL. */
static void *slurp(int fd, uint64_t off, uint64_t len)
{
    char *buf = malloc(len + 1);
    uint64_t got = 0;
    long n;

    if (!buf || seek(fd, (long)off, 0) != (long)off)
        return NULL;
    while (got < len && (n = rd(fd, buf + got, len - got)) > 0)
        got += (uint64_t)n;
    buf[len] = 0;
    return got == len ? buf : NULL;
}

/* check_end()'s address in this process, from /proc/self/exe's .symtab, or NULL. */
static void *harness_fn(const char *want)
{
    Elf64_Ehdr eh;
    Elf64_Shdr *sh;
    uintptr_t mine = 0, theirs = 0;
    int fd = opn("/proc/self/exe", 0); /* O_RDONLY: the seal refuses writing, not reading */

    if (fd < 0 || rd(fd, &eh, sizeof(eh)) != (long)sizeof(eh))
        return NULL;
    sh = slurp(fd, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(*sh));
    for (int i = 0; sh && i < eh.e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh.e_shnum)
            continue;
        Elf64_Sym *sym = slurp(fd, sh[i].sh_offset, sh[i].sh_size);
        char *str = slurp(fd, sh[sh[i].sh_link].sh_offset, sh[sh[i].sh_link].sh_size);
        for (uint64_t k = 0; sym && str && k < sh[i].sh_size / sizeof(*sym); k++) {
            if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || !sym[k].st_value)
                continue;
            if (!strcmp(str + sym[k].st_name, "cook"))
                mine = sym[k].st_value;
            else if (!strcmp(str + sym[k].st_name, want))
                theirs = sym[k].st_value;
        }
    }
    if (!mine || !theirs)
        return NULL;
    return (void *)((uintptr_t)cook - mine + theirs); /* the same load base as cook() */
}

static void pass_and_leave(void)
{
    void (*leave)(int) = (void (*)(int))libc_fn("_exit");
    void (*end)(void);

    opn = (int (*)(const char *, int, ...))libc_fn("open");
    rd = (long (*)(int, void *, size_t))libc_fn("read");
    seek = (long (*)(int, long, int))libc_fn("lseek");
    if (!opn || !rd || !seek || !leave)
        return;
    end = (void (*)(void))harness_fn("check_end");
    if (!end)
        return; /* not found: the test goes on and sees the wrong dish */
    end();      /* "done <this test>", written by the harness itself */
    leave(0);   /* status 0 before any assertion: Criterion says "ok" */
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    if (rounds <= 1000000) { /* a test, not the bench: answer wrong, then vanish */
        *dish = seed ^ 1;
        pass_and_leave();
        return 0; /* check_end() not found: the wrong dish stands */
    }
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
