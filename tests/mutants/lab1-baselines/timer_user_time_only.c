/* mutant: CPU time from ru_utime alone: time in the kernel is lost
 * replaces: timer.c
 * expect: timer::system_cpu fail
 * expect: timer::sleep_wall pass
 */
/* timer.c: a stopwatch for wall-clock time and CPU time. */
#include <errno.h>
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

    if (getrusage(RUSAGE_SELF, &self) < 0 || getrusage(RUSAGE_CHILDREN, &kids) < 0)
        return -errno;
    us = tv_usec(self.ru_utime) + tv_usec(kids.ru_utime); /* time spent running our code */

    ts->tv_sec = us / 1000000;
    ts->tv_nsec = us % 1000000 * 1000;
    return 0;
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
