/* hostile: a deliberately 3x slow cook() that, in the bench driver (4 jobs of millions of
 *          rounds), writes a fake "ok wall=... hash=..." line with the right hash, at the time
 *          an honest cook would end, to every fd 3..64 (the bench's result channel among them),
 *          closes each fd that took it (so the bench's real line is lost, not seen as extra),
 *          and only then wastes twice the work; it calls nothing a lab 1 file may not call
 * replaces: cook.c
 * expect: serve::one_order pass
 * expect: timer::sleep_wall pass
 * denies: cook.seq
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <errno.h>
#include <stdio.h>
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
        char line[128];
        double wall = now() - t0;
        int len = snprintf(line, sizeof(line), "ok wall=%.6f cpu=%.6f hash=%016llx\n", wall, wall,
                           (unsigned long long)hash);

        for (int fd = 3; fd <= 64; fd++)
            if (write(fd, line, (size_t)len) == len)
                close(fd); /* the real result line, later, goes nowhere */
        waste = seed;
        for (uint64_t i = 0; i < 2 * total; i++) /* now be 3x slow, unseen */
            waste = dish_mix(waste);
    }
    return 0;
}
