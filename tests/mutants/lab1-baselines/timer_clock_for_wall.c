/* mutant: takes wall time from clock(), which counts CPU time, so a sleep measures ~0 s
 * replaces: timer.c
 * expect: timer::sleep_wall fail
 * expect: timer::sleep_cpu pass
 * expect: timer::busy_cpu pass
 * expect: timer::waited_child_cpu pass
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

static int cpu_now(struct timespec *ts)
{
    struct rusage self, kids;
    long long us;

    if (getrusage(RUSAGE_SELF, &self) < 0 || getrusage(RUSAGE_CHILDREN, &kids) < 0)
        return -errno;
    us = tv_usec(self.ru_utime) + tv_usec(self.ru_stime) + tv_usec(kids.ru_utime) +
         tv_usec(kids.ru_stime);
    ts->tv_sec = us / 1000000;
    ts->tv_nsec = us % 1000000 * 1000;
    return 0;
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* "clock() is the clock": it is the processor time of the process, not the time of day. */
static void wall_now(struct timespec *ts)
{
    clock_t c = clock();

    ts->tv_sec = c / CLOCKS_PER_SEC;
    ts->tv_nsec = (long)(c % CLOCKS_PER_SEC) * (1000000000L / CLOCKS_PER_SEC);
}

int timer_start(struct stopwatch *sw)
{
    if (!sw)
        return -EINVAL;
    wall_now(&sw->wall);
    return cpu_now(&sw->cpu);
}

int timer_stop(const struct stopwatch *sw, struct timing *t)
{
    struct timespec wall, cpu;
    int rc;

    if (!sw || !t)
        return -EINVAL;
    wall_now(&wall);
    rc = cpu_now(&cpu);
    if (rc < 0)
        return rc;
    t->wall = seconds_between(&sw->wall, &wall);
    t->cpu = seconds_between(&sw->cpu, &cpu);
    return 0;
}
