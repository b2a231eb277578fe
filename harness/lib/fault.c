/* fault.c: the state behind fault.h: what is armed for each kind of call, and the
 * counts. The wrappers that consult it: fault_wrap.c (processes, threads, memory,
 * descriptors), fault_wait.c (waits, and the order they reap in), fault_clock.c (the
 * wall clock). The test runner is linked with --wrap for each name in FAULT_WRAP
 * (build_cc.c), so the wrappers stand in for the real calls; unarmed, each one only
 * counts and passes the call on. */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "fault_int.h"

struct fault {
    atomic_uint calls, failed;
    atomic_uint from, until; /* calls numbered from..until fail (until 0: no end) */
    atomic_int err;          /* 0: not armed */
    atomic_int later;        /* the error of each failing call after the first (0: err) */
    atomic_int pid;          /* the process that armed it */
    _Atomic pthread_t only;  /* fault_arm_this_thread(): the thread whose calls count (0: any) */
};

static struct fault faults[FAULT_NCALLS];
/* fault_calls_after_failure(): whether an armed call failed since the last fault_disarm_all(),
 * and the calls of each kind made after it */
static atomic_int any_failed;
static atomic_uint after_failure[FAULT_NCALLS];
static atomic_int reopened = -1;           /* FAULT_REOPEN: the descriptor last reopened */
static atomic_int longest_wait = -1;       /* FAULT_POLL: the longest timeout asked for, in ms */
static atomic_size_t largest_alloc;        /* FAULT_ALLOC: the largest block asked for, bytes */
static _Atomic long long latest_wake = -1; /* FAULT_POLL: the latest a wait could end, ns */

void fault_note_wait(int ms)
{
    int old = atomic_load(&longest_wait);

    if (ms < 0)
        ms = INT_MAX; /* no timeout: waits for ever */
    while (ms > old && !atomic_compare_exchange_weak(&longest_wait, &old, ms))
        ;
    /* from the thread's last reading of the clock: the moment its timeout was counted from */
    struct timespec now;
    long long until = LLONG_MAX, from = fault_last_monotonic();

    if (ms != INT_MAX && !from && __real_clock_gettime(CLOCK_MONOTONIC, &now) == 0)
        from = fault_ts_ns(&now);
    if (ms != INT_MAX && from)
        until = from + (long long)ms * 1000000LL;
    fault_raise_to(&latest_wake, until);
}

long long fault_latest_wake(void)
{
    return atomic_load(&latest_wake);
}

int fault_longest_wait(void)
{
    return atomic_load(&longest_wait);
}

void fault_note_alloc(size_t n)
{
    size_t old = atomic_load(&largest_alloc);

    while (n > old && !atomic_compare_exchange_weak(&largest_alloc, &old, n))
        ;
}

size_t fault_largest_alloc(void)
{
    return atomic_load(&largest_alloc);
}

void fault_set_reopened(int fd)
{
    atomic_store(&reopened, fd);
}

int fault_reopened(void)
{
    return atomic_load(&reopened);
}

void fault_arm(enum fault_call c, unsigned k, unsigned times, int err)
{
    struct fault *f = &faults[c];

    atomic_store(&f->err, 0);
    if (c == FAULT_CLOSE)
        atomic_store(&reopened, -1);
    if (c == FAULT_ALLOC)
        atomic_store(&largest_alloc, 0);
    if (c == FAULT_POLL) {
        atomic_store(&longest_wait, -1);
        atomic_store(&latest_wake, -1);
    }
    atomic_store(&f->calls, 0);
    atomic_store(&f->failed, 0);
    atomic_store(&f->from, k ? k : 1);
    atomic_store(&f->until, times ? (k ? k : 1) + times - 1 : 0);
    atomic_store(&f->pid, (int)getpid());
    atomic_store(&f->later, 0);
    atomic_store(&f->only, (pthread_t)0);
    atomic_store(&f->err, err);
}

void fault_arm_this_thread(enum fault_call c)
{
    atomic_store(&faults[c].only, pthread_self());
    atomic_store(&faults[c].calls, 0); /* other threads' calls since fault_arm(): not counted */
    atomic_store(&faults[c].failed, 0);
}

void fault_arm_later(enum fault_call c, int err)
{
    atomic_store(&faults[c].later, err);
}

int fault_armed_by(enum fault_call c)
{
    return atomic_load(&faults[c].pid);
}

unsigned fault_calls(enum fault_call c)
{
    return atomic_load(&faults[c].calls);
}

unsigned fault_failed(enum fault_call c)
{
    return atomic_load(&faults[c].failed);
}

unsigned fault_calls_after_failure(enum fault_call c)
{
    return atomic_load(&after_failure[c]);
}

void fault_disarm_all(void)
{
    for (int c = 0; c < FAULT_NCALLS; c++) {
        atomic_store(&faults[c].err, 0);
        atomic_store(&after_failure[c], 0);
    }
    atomic_store(&any_failed, 0);
    fault_wait_any_pick(0);
    fault_join_reap(0);
    fault_realloc_moves(0);
    fault_count_static_locks(0);
    fault_clock_shift(0);
    fault_clock_uptime(0);
    fault_clock_suspend(0);
    fault_clock_hold(0);
    fault_clock_unpark();
    fault_rusage_hold(0);
    fault_rusage_children(0);
    fault_rusage_children_system(0);
    fault_linger_ms(0);
    fault_midway_bytes(0);
    fault_wait_made(0);
    fault_create_nap_ms(0);
    fault_after_unlock(NULL, NULL, NULL);
    fault_nap_after_unlock(0);
    fault_count_sigpipe(0);
}

int fault_hit(enum fault_call c)
{
    struct fault *f = &faults[c];
    pthread_t only = atomic_load(&f->only);

    if (only && !pthread_equal(only, pthread_self()))
        return 0; /* another thread's call: not counted, made as it is */
    int err = atomic_load(&f->err);
    unsigned n = atomic_fetch_add(&f->calls, 1) + 1, until;

    if (atomic_load_explicit(&any_failed, memory_order_relaxed))
        atomic_fetch_add(&after_failure[c], 1);
    if (!err || n < atomic_load(&f->from))
        return 0;
    until = atomic_load(&f->until);
    if (until && n > until)
        return 0;
    unsigned nth = atomic_fetch_add(&f->failed, 1);
    int later = atomic_load(&f->later);

    if (err == FAULT_CUT) /* one byte, then a broken stream */
        err = nth == 0 ? FAULT_SHORT : EIO;
    else if (err == FAULT_SHORT_EINTR) /* one byte, EINTR, one byte, ... */
        err = nth % 2 == 0 ? FAULT_SHORT : EINTR;
    else if (nth > 0 && later)
        err = later;
    if (err > 0) /* a failure (FAULT_SHORT and the other modes below 0 are none) */
        atomic_store(&any_failed, 1);
    return err;
}

void fault_nap_ms(long ms)
{
    int saved = errno;
    struct timespec nap = {ms / 1000, ms % 1000 * 1000000L};

    while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
        ;
    errno = saved;
}
