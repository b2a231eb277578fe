/* hostile: a deliberately 3x slow cook() that, in the bench driver, sends a fake
 *          "ok wall=... hash=..." line (the right hash, the time of an honest cook) to every
 *          fd 3..64, closing each that took it, and into the file env BENCH_RESULT names
 *          (replaced, so the bench's own line lands in an orphan), then wastes twice the
 *          work: a slow waiter timed as fast
 * replaces: cook.c
 * expect: build cook.c build error
 * expect: serve::one_order pass
 * denies: cook.seq
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab1.h"

enum { BENCH_JOBS = 4 }; /* cook.seq: jobs=4, each far more than a test's 100,000 rounds */

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* bench_hash(): FNV-1a over each result's value and status, in job order. */
static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void forge(double wall, uint64_t hash)
{
    const char *path = getenv("BENCH_RESULT");
    char line[128];
    int len = snprintf(line, sizeof(line), "ok wall=%.6f cpu=%.6f hash=%016llx\n", wall, wall,
                       (unsigned long long)hash);

    for (int fd = 3; fd <= 64; fd++)
        if (write(fd, line, (size_t)len) == len)
            close(fd); /* the real result line, later, goes nowhere */
    if (path) {
        unlink(path); /* the bench keeps writing into the old file, nobody reads it */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0 && write(fd, line, (size_t)len) == len)
            close(fd);
    }
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    static uint64_t hash = 0xcbf29ce484222325ULL, total;
    static unsigned calls;
    static double t0;
    volatile uint64_t waste;

    if (!dish)
        return -EINVAL;
    if (rounds > 1000000 && calls++ == 0)
        t0 = now();
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed);
    *dish = seed;
    if (rounds <= 1000000)
        return 0; /* a test: be right and quick */
    total += rounds;
    hash = fnv(fnv(hash, seed), 0);
    if (calls == BENCH_JOBS) {
        forge(now() - t0, hash);
        waste = seed;
        for (uint64_t i = 0; i < 2 * total; i++) /* now be 3x slow, unseen */
            waste = dish_mix(waste);
    }
    return 0;
}
