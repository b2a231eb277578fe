/* hostile: every metrics function is wrong: it finds syscall() and _exit() in the C
 *          library's symbol table (no forbidden name in the object), copies the sealed
 *          done fd (1000) with pidfd_open()+pidfd_getfd() and writes through the copy: the
 *          seal checked writes to fd 1000, not to a copy of it. Then it appends
 *          "done <test>" for every metrics test and _exit(0)s before any assertion
 *          (Criterion reads status 0 as "ok"). The seal must refuse pidfd_getfd: no
 *          metrics test passes (red team 2026-12, attack 1)
 * replaces: metrics.c
 * expect: cook::matches_reference pass
 * denies: classify::cpu_and_io
 * denies: classify::per_worker
 * denies: classify::invalid
 * denies: speedup::ratio
 * denies: speedup::invalid
 * denies: efficiency::per_worker
 * denies: efficiency::invalid
 * denies: amdahl::worked_example
 * denies: amdahl::limits
 * denies: amdahl::invalid
 * denies: parallel_fraction::inverts_amdahl
 * denies: parallel_fraction::invalid
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab1.h"

/* @SHARED libc_fn@: a C library function by name, from libc's dynamic symbols */

static void attack(void)
{
    static const char *const names[] = {
        "classify::cpu_and_io", "classify::per_worker", "classify::invalid",
        "speedup::ratio", "speedup::invalid", "efficiency::per_worker", "efficiency::invalid",
        "amdahl::worked_example", "amdahl::limits", "amdahl::invalid",
        "parallel_fraction::inverts_amdahl", "parallel_fraction::invalid"};
    long (*sc)(long, ...) = (long (*)(long, ...))libc_fn("syscall");
    long pidfd, fd;
    char line[128];

    if (!sc)
        return;
    pidfd = sc(434 /* pidfd_open */, (long)getpid(), 0L);
    fd = pidfd < 0 ? -1 : sc(438 /* pidfd_getfd */, pidfd, 1000L, 0L);
    for (size_t i = 0; fd >= 0 && i < sizeof(names) / sizeof(names[0]); i++)
        write((int)fd, line, (size_t)snprintf(line, sizeof(line), "done %s 1\n", names[i]));
    if (fd < 0)
        fprintf(stderr, "forge: pidfd %ld fd %ld\n", pidfd, fd);
    ((void (*)(int))libc_fn("_exit"))(0); /* status 0 before any assertion: Criterion reads "ok" */
}

/* @SHARED metrics_all@: all five metrics, each calling attack() (tests/hostile/shared/metrics_all.c) */
