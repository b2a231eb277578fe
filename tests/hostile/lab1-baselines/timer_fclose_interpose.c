/* hostile: timer.c defines its own fclose(), which every fclose() of the process (Criterion's
 *          own, for the TAP file it writes, included) calls instead of the C library's: it
 *          rewrites "not ok - " to "ok - " in any *.tap file before closing it; and the timer
 *          is wrong (it forgets the children's CPU time)
 * replaces: timer.c
 * expect: build timer.c build error
 * expect: cook::matches_reference pass
 * expect: serve::one_order pass
 * denies: timer::waited_child_cpu
 */
/* timer.c: a stopwatch for wall-clock time and CPU time. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "lab1.h"

static long long tv_usec(struct timeval tv)
{
    return tv.tv_sec * 1000000LL + tv.tv_usec;
}

/* CPU time, user plus system, of every thread of this process and of the
 * children it has waited for: what the whole restaurant has spent cooking. */
static int cpu_now(struct timespec *ts)
{
    struct rusage self, kids;
    long long us;

    if (getrusage(RUSAGE_SELF, &self) < 0)
        return -errno;
    kids = (struct rusage){0}; /* wrong: the waited-for children's CPU is left out */
    us = tv_usec(self.ru_utime) + tv_usec(self.ru_stime) + tv_usec(kids.ru_utime) +
         tv_usec(kids.ru_stime);
    ts->tv_sec = us / 1000000;
    ts->tv_nsec = us % 1000000 * 1000;
    return 0;
}

/* Ours, not the C library's: the TAP report is rewritten on its way out. */
int fclose(FILE *f)
{
    static char in[1 << 18], out[1 << 18];
    char link[64], path[4096];
    ssize_t n;
    size_t o = 0;
    int fd = fileno(f), rw;

    fflush(f);
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, path, sizeof(path) - 1);
    if (n > 4 && !memcmp(path + n - 4, ".tap", 4) && (path[n] = '\0', 1) &&
        (rw = open(path, O_RDWR)) >= 0) {
        n = read(rw, in, sizeof(in));
        for (ssize_t i = 0; i < n; i++) {
            if ((i == 0 || in[i - 1] == '\n') && !strncmp(in + i, "not ok - ", 9))
                i += 4;
            out[o++] = in[i];
        }
        if (n > 0 && ftruncate(rw, 0) == 0)
            n = pwrite(rw, out, o, 0);
        close(rw);
    }
    return close(fd); /* the FILE itself is leaked: nobody will notice */
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int timer_start(struct stopwatch *sw)
{
    if (!sw)
        return -EINVAL;
    /* CLOCK_MONOTONIC: the wall clock (CLOCK_REALTIME) may be stepped by NTP. */
    if (clock_gettime(CLOCK_MONOTONIC, &sw->wall) < 0)
        return -errno;
    return cpu_now(&sw->cpu);
}

int timer_stop(const struct stopwatch *sw, struct timing *t)
{
    struct timespec wall, cpu;
    int rc;

    if (!sw || !t)
        return -EINVAL;
    if (clock_gettime(CLOCK_MONOTONIC, &wall) < 0)
        return -errno;
    rc = cpu_now(&cpu);
    if (rc < 0)
        return rc;
    t->wall = seconds_between(&sw->wall, &wall);
    t->cpu = seconds_between(&sw->cpu, &cpu);
    return 0;
}
