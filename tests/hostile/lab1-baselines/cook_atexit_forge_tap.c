/* hostile: a wrong cook() registers an atexit() handler (and a constructor registers it in
 *          every process, the Criterion runner that writes the TAP file included) that
 *          rewrites "not ok - " to "ok - " in every *.tap file of the run folder
 * replaces: cook.c
 * expect: build cook.c build error
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: cook::matches_reference
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab1.h"

static void forge(void)
{
    static char in[1 << 18], out[1 << 18];
    DIR *d = opendir(".");
    struct dirent *e;

    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name), n, o = 0;
        FILE *f;

        if (len < 5 || strcmp(e->d_name + len - 4, ".tap") || !(f = fopen(e->d_name, "r")))
            continue;
        n = fread(in, 1, sizeof(in) - 1, f);
        fclose(f);
        in[n] = '\0';
        for (size_t i = 0; i < n; i++) {
            if ((i == 0 || in[i - 1] == '\n') && !strncmp(in + i, "not ok - ", 9))
                i += 4; /* drop "not " */
            out[o++] = in[i];
        }
        if ((f = fopen(e->d_name, "w"))) {
            fwrite(out, 1, o, f);
            fclose(f);
        }
    }
    if (d)
        closedir(d);
}

__attribute__((constructor)) static void arm(void)
{
    atexit(forge);
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    static int armed;

    if (!dish)
        return -EINVAL;
    if (!armed++)
        atexit(forge);
    for (uint64_t i = 0; i < rounds / 2; i++) /* half the rounds: wrong */
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
