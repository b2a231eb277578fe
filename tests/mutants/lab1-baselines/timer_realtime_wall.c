/* mutant: measures wall time on CLOCK_REALTIME, which jumps when the clock is set
 * replaces: timer.c
 * expect: timer::clock_set_meanwhile fail
 * expect: timer::sleep_wall pass
 */
/* timer.c: a stopwatch for wall-clock time and CPU time. */
#include <errno.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "lab1.h"

static int cpu_now(struct timespec *ts)
{
    struct rusage self, kids;
    if (getrusage(RUSAGE_SELF, &self) < 0 || getrusage(RUSAGE_CHILDREN, &kids) < 0)
        return -errno;
    long long us = 0;
    us += (long long)self.ru_utime.tv_sec * 1000000 + self.ru_utime.tv_usec;
    us += (long long)self.ru_stime.tv_sec * 1000000 + self.ru_stime.tv_usec;
    us += (long long)kids.ru_utime.tv_sec * 1000000 + kids.ru_utime.tv_usec;
    us += (long long)kids.ru_stime.tv_sec * 1000000 + kids.ru_stime.tv_usec;
    ts->tv_sec = (time_t)(us / 1000000);
    ts->tv_nsec = (long)(us % 1000000) * 1000;
    return 0;
}

int timer_start(struct stopwatch *sw)
{
    if (!sw)
        return -EINVAL;
    if (clock_gettime(CLOCK_REALTIME, &sw->wall) < 0)
        return -errno;
    return cpu_now(&sw->cpu);
}

static double diff(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int timer_stop(const struct stopwatch *sw, struct timing *t)
{
    if (!sw || !t)
        return -EINVAL;
    struct timespec w, c;
    if (clock_gettime(CLOCK_REALTIME, &w) < 0)
        return -errno;
    int rc = cpu_now(&c);
    if (rc < 0)
        return rc;
    t->wall = diff(&sw->wall, &w);
    t->cpu = diff(&sw->cpu, &c);
    return 0;
}
