/* fault_clock.c: the wall clock as the code under test sees it (fault_clock_shift):
 * clock_gettime's CLOCK_REALTIME (and its kin), gettimeofday() and time(); and how long
 * the machine seems to have been up (fault_clock_uptime): CLOCK_MONOTONIC and its kin, which
 * fault_clock_hold() may also hold still; how long it seems to have slept (fault_clock_suspend):
 * CLOCK_BOOTTIME alone; and the CPU time getrusage() reads, which
 * fault_rusage_hold() holds a microsecond short of whole seconds, and fault_rusage_children()
 * raises by whole seconds for the reaped children. A reading of any clock may be made to fail
 * (FAULT_CLOCK), as getrusage() may (FAULT_GETRUSAGE). And how far ahead of CLOCK_MONOTONIC the
 * timed condition waits' deadlines lie (fault_wait_leads). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fault_int.h"

static _Atomic long long shift_ns;        /* CLOCK_REALTIME's offset as the code sees it */
static _Atomic long long uptime_ns;       /* CLOCK_MONOTONIC's */
static _Atomic long long slept_ns;        /* fault_clock_suspend(): CLOCK_BOOTTIME's alone */
static _Atomic int held;                  /* fault_clock_hold(): CLOCK_MONOTONIC stands still */
static _Atomic long long held_ns;         /* at this value (uptime included) */
static _Thread_local long long last_mono; /* this thread's last CLOCK_MONOTONIC, ns (0: none) */
static _Atomic int leads_by;              /* fault_wait_leads(): the thread that asked (0: off) */
static _Atomic long long lead_max;        /* the most noted (ns), -1: none */

void fault_clock_shift(double seconds)
{
    atomic_store(&shift_ns, (long long)(seconds * 1e9));
}

void fault_clock_uptime(double seconds)
{
    atomic_store(&uptime_ns, (long long)(seconds * 1e9));
}

void fault_clock_suspend(double seconds)
{
    atomic_store(&slept_ns, (long long)(seconds * 1e9));
}

void fault_clock_hold(int on)
{
    struct timespec ts;

    if (on && __real_clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
        atomic_store(&held_ns, fault_ts_ns(&ts) + atomic_load(&uptime_ns));
        atomic_store(&held, 1);
    } else
        atomic_store(&held, 0);
}

void fault_wait_leads(int on)
{
    atomic_store(&lead_max, -1);
    atomic_store(&leads_by, on ? (int)gettid() : 0);
}

long long fault_wait_lead_max(void)
{
    return atomic_load(&lead_max);
}

void fault_note_deadline(clockid_t clock, const struct timespec *abstime)
{
    int by = atomic_load(&leads_by);
    struct timespec now;

    if (!by || by == (int)gettid() || clock != CLOCK_MONOTONIC || !abstime ||
        __real_clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return;
    long long uptime = atomic_load(&uptime_ns);
    /* the code's view of the clock: the true one and the uptime it is made to read */
    long long sec = (long long)now.tv_sec + uptime / 1000000000LL;
    long long nsec = now.tv_nsec + uptime % 1000000000LL;
    if (abstime->tv_sec - sec >= 3600 || sec - abstime->tv_sec >= 3600)
        return;
    long long lead = (abstime->tv_sec - sec) * 1000000000LL + (abstime->tv_nsec - nsec);
    fault_raise_to(&lead_max, lead);
}

static void add_ns(struct timespec *ts, long long by)
{
    long long ns = fault_ts_ns(ts) + by;

    ts->tv_sec = (time_t)(ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

static void shift(struct timespec *ts)
{
    add_ns(ts, atomic_load(&shift_ns));
}

/* fault_clock_park_next(): this thread's next reading of a clock waits, parked, until
 * fault_clock_unpark() (or fault_disarm_all()) */
static _Thread_local int park_next;
static atomic_int parked, released;

void fault_clock_park_next(void)
{
    atomic_store(&released, 0);
    park_next = 1;
}

int fault_clock_parked(void)
{
    return atomic_load(&parked);
}

void fault_clock_unpark(void)
{
    atomic_store(&released, 1);
}

static void park_here(void)
{
    if (!park_next)
        return;
    park_next = 0;
    atomic_store(&parked, 1);
    while (!atomic_load(&released))
        nanosleep(&(struct timespec){.tv_nsec = 200000}, NULL);
    atomic_store(&parked, 0);
}

/* fault_hit(FAULT_CLOCK): a reading of a clock that fails, writing nothing; first, a
 * reading fault_clock_park_next() asked for waits */
static int clock_fails(void)
{
    park_here();
    int e = fault_hit(FAULT_CLOCK);

    if (e)
        errno = e;
    return e;
}

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
    int rc = clock_fails() ? -1 : __real_clock_gettime(id, ts);

    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI))
        shift(ts);
    else if (rc == 0 && (id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_RAW ||
                         id == CLOCK_MONOTONIC_COARSE || id == CLOCK_BOOTTIME)) {
        if (atomic_load(&held)) {
            ts->tv_sec = ts->tv_nsec = 0;
            add_ns(ts, atomic_load(&held_ns));
        } else
            add_ns(ts, atomic_load(&uptime_ns));
        if (id == CLOCK_BOOTTIME) /* it counts the time asleep too */
            add_ns(ts, atomic_load(&slept_ns));
        if (id == CLOCK_MONOTONIC)
            last_mono = fault_ts_ns(ts);
    }
    return rc;
}

long long fault_last_monotonic(void)
{
    return last_mono;
}

int __wrap_gettimeofday(struct timeval *tv, void *tz)
{
    struct timespec ts;
    int rc = clock_fails() ? -1 : __real_clock_gettime(CLOCK_REALTIME, &ts);

    (void)tz;
    if (rc == 0 && tv) {
        shift(&ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return rc;
}

time_t __wrap_time(time_t *t)
{
    struct timespec ts;

    if (clock_fails() || __real_clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return (time_t)-1;
    shift(&ts);
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

static _Atomic int rusage_held; /* fault_rusage_hold(): getrusage() stands still */
static struct rusage held_self, held_kids, held_thread;
static _Atomic long kids_extra_s;     /* fault_rusage_children() */
static _Atomic long kids_extra_sys_s; /* fault_rusage_children_system() */

int __real_getrusage(int who, struct rusage *r);

static void just_short(struct rusage *r)
{
    r->ru_utime.tv_usec = 999999;
    r->ru_stime.tv_usec = 999999;
}

void fault_rusage_hold(int on)
{
    atomic_store(&rusage_held, 0);
    if (!on || __real_getrusage(RUSAGE_SELF, &held_self) < 0 ||
        __real_getrusage(RUSAGE_CHILDREN, &held_kids) < 0 ||
        __real_getrusage(RUSAGE_THREAD, &held_thread) < 0)
        return;
    just_short(&held_self);
    just_short(&held_kids);
    just_short(&held_thread);
    atomic_store(&rusage_held, 1);
}

void fault_rusage_children(long seconds)
{
    atomic_store(&kids_extra_s, seconds);
}

void fault_rusage_children_system(long seconds)
{
    atomic_store(&kids_extra_sys_s, seconds);
}

static int read_rusage(int who, struct rusage *r)
{
    int rc = __real_getrusage(who, r);

    if (rc == 0 && r && who == RUSAGE_CHILDREN) {
        r->ru_utime.tv_sec += atomic_load(&kids_extra_s);
        r->ru_stime.tv_sec += atomic_load(&kids_extra_sys_s);
    }
    return rc;
}

int __wrap_getrusage(int who, struct rusage *r)
{
    int e = fault_hit(FAULT_GETRUSAGE);

    if (e) {
        errno = e;
        return -1;
    }
    if (!atomic_load(&rusage_held) || !r)
        return read_rusage(who, r);
    if (who == RUSAGE_SELF)
        *r = held_self;
    else if (who == RUSAGE_CHILDREN)
        *r = held_kids;
    else if (who == RUSAGE_THREAD)
        *r = held_thread;
    else
        return read_rusage(who, r);
    return 0;
}
