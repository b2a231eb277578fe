/* fault_int.h: what the fault wrappers' files share (fault*.c); tests use fault.h. */
#ifndef FAULT_INT_H
#define FAULT_INT_H

#include <errno.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>

#include "fault.h"

/* Does this call fail? Returns the error to fail with, or 0 to make the real call.
 * Counts the call either way. */
int fault_hit(enum fault_call c);
/* The process that last armed that kind of call (fault_arm()'s caller). */
int fault_armed_by(enum fault_call c);
/* FAULT_REOPEN: record the descriptor a close() wrapper reopened (fault_reopened()). */
void fault_set_reopened(int fd);
/* FAULT_POLL: record a wait's timeout in ms (< 0: none) for fault_longest_wait(). */
void fault_note_wait(int ms);
void fault_note_alloc(size_t n); /* a block of n bytes asked for: fault_largest_alloc() */
long fault_live_loops(void);     /* loops made (loop_new() returned 0) less loop_free()s */
/* The clock itself (clock_gettime() is wrapped: fault_clock.c). */
int __real_clock_gettime(clockid_t id, struct timespec *ts);
/* The calling thread's last reading of CLOCK_MONOTONIC as it was given (ns), 0 for none. */
long long fault_last_monotonic(void);
/* A timed condition wait's deadline on `clock` (fault_wait_leads()). */
void fault_note_deadline(clockid_t clock, const struct timespec *abstime);
/* fork() gave the parent this pid: a wait for it is no stale wait (fault_stale_waits()). */
pid_t fault_note_forked(pid_t pid);
/* The calling thread sleeps ms milliseconds, whatever signals come, errno left as it was
 * (a fault's pause: FAULT_LINGER, FAULT_CREATE_NAP, FAULT_WAIT_LATE, a nap after an unlock). */
void fault_nap_ms(long ms);

/* A moment of a clock in ns. */
static inline long long fault_ts_ns(const struct timespec *ts)
{
    return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* *most = the larger of *most and v, atomically (the wrappers' "the most so far" records). */
static inline void fault_raise_to(_Atomic long long *most, long long v)
{
    long long was = atomic_load(most);

    while (v > was && !atomic_compare_exchange_weak(most, &was, v))
        ;
}

/* The modes of FAULT_WRITE that only write() has (fault.h): the other calls of its kind,
 * send() and the rest, are made as if nothing were armed. */
#define FAULT_WRITE_ONLY(e)                                                                        \
    ((e) == FAULT_DIE_AFTER || (e) == FAULT_DIE_MIDWAY || (e) == FAULT_LINGER || (e) == FAULT_SPLIT)

/* The body of a wrapper: fail with the armed error (errno set, -1), or make the call. */
#define FAIL_OR(c, call)                                                                           \
    do {                                                                                           \
        int e_ = fault_hit(c);                                                                     \
        if (e_ && !FAULT_WRITE_ONLY(e_)) {                                                         \
            errno = e_;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
        return call;                                                                               \
    } while (0)

#endif
