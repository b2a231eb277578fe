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

/* @SHARED libc_fn@: a C library function by name, from libc's dynamic symbols */

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
