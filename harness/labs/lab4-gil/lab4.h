/* lab4.h: what you write in lab 4 (a GIL, as CPython's). Read it; do not edit it. */
#ifndef LAB4_H
#define LAB4_H

#include <pthread.h>
#include <stdatomic.h>

/* CPython's default switch interval (sys.getswitchinterval() = 0.005 s). */
#define GIL_DEFAULT_INTERVAL_US 5000L

/*
 * The global interpreter lock, in the design of CPython 3.2+ (Python/ceval_gil.h up to 3.11,
 * ceval_gil.c from 3.12),
 * built from one mutex and two condition variables. The interpreter in interp.c
 * calls gil_take() when a thread starts running bytecode and gil_drop() when it
 * stops; every few instructions it reads drop_request (its "eval breaker") and,
 * when it is set, calls gil_yield(); around a blocking call it uses gil_blocking().
 *
 * You may use the fields as you see fit, as long as the comments stay true.
 */
struct gil {
    pthread_mutex_t mutex;       /* guards locked, switch_number and interval_us */
    pthread_cond_t cond;         /* signalled when the GIL is dropped: wakes a waiter */
    pthread_cond_t switch_cond;  /* broadcast when a thread takes the GIL (forced switching) */
    int locked;                  /* 1 while some thread holds the GIL */
    unsigned long switch_number; /* how many times the GIL has been taken so far */
    long interval_us;            /* the switch interval, in microseconds */
    atomic_int drop_request;     /* the eval breaker: 1 asks the holder to drop the GIL; set by
                                    a waiter under the mutex, read by the holder without it */
};

/*
 * Every function returns 0 on success, a negative errno on failure, and -ENOSYS while
 * it still holds its TODO(student) stub. The errno is that of the call that failed, negated:
 * a pthread function returns its error (errno stays as it was), so return minus that.
 */

/* An unlocked GIL with the given switch interval (> 0, in microseconds; CPython's
 * default is GIL_DEFAULT_INTERVAL_US), no drop request, no switch yet. The condition
 * variables wait on CLOCK_MONOTONIC. -EINVAL for a NULL gil or interval_us <= 0, checked
 * before anything is made; when a pthread_*_init() fails, what was made is destroyed. */
int gil_init(struct gil *g, long interval_us);

/* Frees what gil_init() made, all of it: a destroy that fails does not stop the others, and
 * the first error is returned, negated. -EINVAL for a NULL gil. The GIL must be unlocked, with
 * nobody waiting. */
int gil_destroy(struct gil *g);

/*
 * Blocks until the calling thread holds the GIL. A thread that waited a whole switch
 * interval without the GIL changing hands meanwhile sets drop_request, and waits on (the
 * interval may start afresh at a wake-up that brought no switch, as in CPython's
 * take_gil(), where each timed wait is one interval). An interval starts at a reading of
 * the clock taken with the mutex held: time spent blocked on the mutex, and any switch made
 * meanwhile, is not part of it.
 * Taking the GIL counts a switch, clears drop_request and wakes a thread waiting in
 * gil_drop() for the switch. Never spins: a waiting thread sleeps in a condition wait.
 * A take that fails after it asked (a condition wait that fails, other than by ETIMEDOUT)
 * withdraws its request: drop_request is 0 when it returns. Left standing, with nobody left
 * to take the GIL, it would make the holder's next gil_drop() wait for ever (CPython's
 * take_gil() withdraws it, gh-96387). A take that fails before it asked may clear
 * drop_request or leave it: another waiter's request withdrawn is made again after that
 * waiter's next interval. A take whose lock of the mutex fails changes nothing.
 */
int gil_take(struct gil *g);

/*
 * Releases the GIL, which the caller holds, and wakes a waiting thread. Forced
 * switching: if drop_request was set, gil_drop() returns only once another thread has
 * taken the GIL, so that the dropping thread cannot take it straight back; meanwhile it
 * sleeps in a condition wait (on switch_cond), never spins.
 * A call by a thread that does not hold the GIL is the caller's bug: gil_drop() may
 * report it (a negative errno, -EPERM say), and then changes nothing (the GIL as it was,
 * its mutex unlocked); a call it lets pass leaves that GIL in no defined state.
 */
int gil_drop(struct gil *g);

/*
 * Called by the holder when it sees drop_request set (its eval breaker): drops the GIL
 * (with forced switching) and takes it again. With no drop request it returns at once,
 * still holding the GIL. Returns 0, or the negative errno of the drop or the take that
 * failed; a drop that failed (a caller that did not hold the GIL, say) is not followed by
 * a take.
 */
int gil_yield(struct gil *g);

/*
 * Runs call(arg) with the GIL released, like CPython's Py_BEGIN_ALLOW_THREADS /
 * Py_END_ALLOW_THREADS around a blocking system call, and returns holding the GIL
 * again. The GIL is released as gil_drop() releases it: a waiting thread is woken.
 * Returns what call(arg) returned, or a negative errno if the GIL could not be dropped
 * or taken again. errno is as call(arg) left it (Py_END_ALLOW_THREADS keeps it too): a
 * caller reads why its call failed there, so taking the GIL back must not change it.
 */
int gil_blocking(struct gil *g, int (*call)(void *arg), void *arg);

#endif
