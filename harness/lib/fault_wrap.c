/* fault_wrap.c: the wrappers of fault.h for processes, pipes, threads, memory and locks (their
 * locking and unlocking, and the making, setting up and destroying of mutexes and condition
 * variables):
 * each fails as armed (fault.c) or passes the call on (descriptors: fault_io.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fault_int.h"

/* ---- FAULT_CREATE_NAP: the creator late after a pthread_create() or fork() ------------------ */

static _Atomic int nap_for_ms; /* fault_create_nap_ms(); 0: FAULT_WAIT_LATE_MS */

void fault_create_nap_ms(int ms)
{
    atomic_store(&nap_for_ms, ms > 0 ? ms : 0);
}

/* The creator's nap, whatever signals come, errno left as it was. */
static void create_nap(void)
{
    int ms = atomic_load(&nap_for_ms);

    fault_nap_ms(ms ? ms : FAULT_WAIT_LATE_MS);
}

/* ---- processes and pipes ------------------------------------------------------------------- */

pid_t __real_fork(void);
int __real_pipe(int fd[2]);
int __real_pipe2(int fd[2], int flags);

pid_t __wrap_fork(void)
{
    int e = fault_hit(FAULT_FORK);

    if (e == FAULT_CREATE_NAP) { /* made, then the parent late (the child is not) */
        pid_t pid = fault_note_forked(__real_fork());

        if (pid > 0)
            create_nap();
        return pid;
    }
    if (e && !FAULT_WRITE_ONLY(e)) {
        errno = e;
        return -1;
    }
    return fault_note_forked(__real_fork());
}

pid_t __wrap_vfork(void)
{
    /* vfork's borrowed stack cannot return through here: a fork */
    FAIL_OR(FAULT_FORK, fault_note_forked(__real_fork()));
}

int __wrap_pipe(int fd[2])
{
    FAIL_OR(FAULT_PIPE, __real_pipe(fd));
}

int __wrap_pipe2(int fd[2], int flags)
{
    FAIL_OR(FAULT_PIPE, __real_pipe2(fd, flags));
}

/* ---- threads and memory -------------------------------------------------------------------- */

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __real_pthread_tryjoin_np(pthread_t t, void **ret);
int __real_pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime);
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

/* fault_join_reap(): the threads a failed join reaped while it was on. */
static atomic_int join_reap;
enum { REAPED_MAX = 64 };
static pthread_t reaped[REAPED_MAX];
static atomic_uint nreaped;

void fault_join_reap(int on)
{
    atomic_store(&join_reap, on);
    if (!on)
        atomic_store(&nreaped, 0);
}

static bool was_reaped(pthread_t t)
{
    unsigned n = atomic_load(&nreaped);

    for (unsigned i = 0; i < n && i < REAPED_MAX; i++)
        if (pthread_equal(reaped[i], t))
            return true;
    return false;
}

static void forget_reaped(pthread_t t)
{
    unsigned n = atomic_load(&nreaped);

    for (unsigned i = 0; i < n && i < REAPED_MAX; i++)
        if (pthread_equal(reaped[i], t))
            reaped[i] = (pthread_t)0;
}

/* fault_joins_of_failed(): the handle an armed pthread_create() failure leaves in *t (POSIX:
 * undefined; glibc may leave a freed thread's there), one no thread ever has: an address in
 * the first page, which the real join would fault on. */
#define NO_THREAD ((pthread_t)0x10)
static atomic_uint joins_of_failed;

unsigned fault_joins_of_failed(void)
{
    return atomic_load(&joins_of_failed);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    int e = fault_hit(FAULT_THREAD);

    if (e == FAULT_CREATE_NAP) { /* made, then the creator late */
        e = __real_pthread_create(t, a, fn, arg);
        if (e == 0)
            forget_reaped(*t);
        create_nap();
        return e;
    }
    if (e) {
        errno = 0; /* the error is the return value: code that reads errno gets nothing */
        if (t)
            *t = NO_THREAD;
        return e;
    }
    e = __real_pthread_create(t, a, fn, arg);
    if (e == 0)
        forget_reaped(*t); /* a new thread may have the id of one reaped before */
    return e;
}

/* The joins (a test counts them against the threads started); an armed error is returned,
 * errno untouched, as pthread functions do. With fault_join_reap() on, the thread is joined
 * for real first (and remembered, so that a second join of it gets ESRCH, not a join of a
 * thread that is gone); off, it is left running and joinable. */
static int join_or(pthread_t t, int e, int (*real)(pthread_t, void **, const struct timespec *),
                   void **ret, const struct timespec *abstime)
{
    if (pthread_equal(t, NO_THREAD)) { /* the failed create's: no thread to join */
        atomic_fetch_add(&joins_of_failed, 1);
        return ESRCH;
    }
    if (atomic_load(&join_reap) && was_reaped(t))
        return ESRCH;
    if (!e)
        return real(t, ret, abstime);
    if (atomic_load(&join_reap) && __real_pthread_join(t, NULL) == 0) {
        unsigned i = atomic_fetch_add(&nreaped, 1);

        if (i < REAPED_MAX)
            reaped[i] = t;
    }
    return e;
}

static int real_join(pthread_t t, void **ret, const struct timespec *abstime)
{
    (void)abstime;
    return __real_pthread_join(t, ret);
}

static int real_tryjoin(pthread_t t, void **ret, const struct timespec *abstime)
{
    (void)abstime;
    return __real_pthread_tryjoin_np(t, ret);
}

static int real_timedjoin(pthread_t t, void **ret, const struct timespec *abstime)
{
    return __real_pthread_timedjoin_np(t, ret, abstime);
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    return join_or(t, fault_hit(FAULT_JOIN), real_join, ret, NULL);
}

int __wrap_pthread_tryjoin_np(pthread_t t, void **ret)
{
    return join_or(t, fault_hit(FAULT_JOIN), real_tryjoin, ret, NULL);
}

int __wrap_pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
    return join_or(t, fault_hit(FAULT_JOIN), real_timedjoin, ret, abstime);
}

void *__wrap_malloc(size_t n)
{
    int e = fault_hit(FAULT_ALLOC);

    fault_note_alloc(n);
    if (e) {
        errno = e;
        return NULL;
    }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    int e = fault_hit(FAULT_ALLOC);

    fault_note_alloc(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
    if (e) {
        errno = e;
        return NULL;
    }
    return __real_calloc(n, size);
}

/* fault_realloc_moves(): every realloc() of a block moves it. The old blocks are kept,
 * zeroed, while it is on (up to MOVED_KEPT of them; later ones are freed at once), so a stale
 * pointer reads zeros, not what free() writes into a freed block (the allocator's list
 * pointer and key, which a check of the stale block could read as "nothing due"). */
enum { MOVED_KEPT = 256 };
static atomic_int realloc_moves;
static void *_Atomic moved[MOVED_KEPT];
static atomic_uint nmoved;

void fault_realloc_moves(int on)
{
    atomic_store(&realloc_moves, on);
    if (on)
        return;
    unsigned n = atomic_exchange(&nmoved, 0);

    for (unsigned i = 0; i < n && i < MOVED_KEPT; i++)
        free(atomic_exchange(&moved[i], NULL));
}

void *__wrap_realloc(void *p, size_t n)
{
    int e = fault_hit(FAULT_ALLOC);
    size_t had;
    void *q;

    fault_note_alloc(n);
    if (e) {
        errno = e;
        return NULL;
    }
    if (!p || !n || !atomic_load(&realloc_moves))
        return __real_realloc(p, n);
    q = __real_malloc(n); /* a new block, never p's own: the caller's old pointer goes stale */
    if (!q)
        return NULL;
    had = malloc_usable_size(p);
    memcpy(q, p, had < n ? had : n);
    memset(p, 0, had); /* what a stale pointer reads */
    unsigned i = atomic_fetch_add(&nmoved, 1);
    if (i < MOVED_KEPT)
        atomic_store(&moved[i], p); /* freed when fault_realloc_moves(0) */
    else
        free(p);
    return q;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    int e = fault_hit(FAULT_MMAP);

    if (e) {
        errno = e;
        return MAP_FAILED;
    }
    return __real_mmap(addr, len, prot, flags, fd, off);
}

/* ---- locks ---------------------------------------------------------------------------------- */

/* The program's static storage, from the start of its data to the end of its bss (the
 * linker's and the C start-up's symbols): every global and static variable lies there. */
extern char __data_start[], _end[];
static atomic_int count_static;
static atomic_uint static_locks, static_inits;

void fault_count_static_locks(int on)
{
    if (on) {
        atomic_store(&static_locks, 0);
        atomic_store(&static_inits, 0);
    }
    atomic_store(&count_static, on);
}

unsigned fault_static_locks(void)
{
    return atomic_load(&static_locks);
}

unsigned fault_static_inits(void)
{
    return atomic_load(&static_inits);
}

/* An object at p in static storage, while fault_count_static_locks() counts: one more in *n. */
static void note_static(const void *p, atomic_uint *n)
{
    const char *c = p;

    if (atomic_load_explicit(&count_static, memory_order_relaxed) && c >= __data_start && c < _end)
        atomic_fetch_add(n, 1);
}

static void note_lock(const pthread_mutex_t *m)
{
    note_static(m, &static_locks);
}

/* An armed failure of a lock, a make, a setting or a destroy: its error, with errno 0 (pthread
 * functions return the error and leave errno alone: code that returns -errno returns 0) */
static int sync_fault(enum fault_call c)
{
    int e = fault_hit(c);

    if (e)
        errno = 0;
    return e;
}

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime);

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    /* counted only once armed: every lock of every test goes through here */
    int e = fault_armed_by(FAULT_LOCK) ? sync_fault(FAULT_LOCK) : 0;

    note_lock(m);
    return e ? e : __real_pthread_mutex_lock(m);
}

/* The condition waits: an armed one returns its error at once, the mutex held as it was */
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *abstime);
int __real_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                  const struct timespec *abstime);

static int wait_fault(void)
{
    int e = fault_armed_by(FAULT_COND_WAIT) ? sync_fault(FAULT_COND_WAIT) : 0;

    if (e == FAULT_WAIT_LATE || e == FAULT_LATE_EINVAL) { /* late, the mutex held, then the
                                                           * wait as asked, or EINVAL */
        fault_nap_ms(FAULT_WAIT_LATE_MS);
        e = e == FAULT_LATE_EINVAL ? EINVAL : 0;
    }
    return e;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    int e = wait_fault();

    return e == FAULT_SPURIOUS ? 0 : e ? e : __real_pthread_cond_wait(c, m);
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *abstime)
{
    int e = wait_fault();

    fault_note_deadline(CLOCK_MONOTONIC, abstime); /* the clock lab code must give a cond */
    return e == FAULT_SPURIOUS ? 0 : e ? e : __real_pthread_cond_timedwait(c, m, abstime);
}

int __wrap_pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                  const struct timespec *abstime)
{
    int e = wait_fault();

    fault_note_deadline(clock, abstime);
    return e == FAULT_SPURIOUS ? 0 : e ? e : __real_pthread_cond_clockwait(c, m, clock, abstime);
}

int __real_pthread_cond_signal(pthread_cond_t *c);
int __real_pthread_cond_broadcast(pthread_cond_t *c);

static int signal_fault(void)
{
    return fault_armed_by(FAULT_COND_SIGNAL) ? sync_fault(FAULT_COND_SIGNAL) : 0;
}

int __wrap_pthread_cond_signal(pthread_cond_t *c)
{
    int e = signal_fault();

    return e ? e : __real_pthread_cond_signal(c);
}

int __wrap_pthread_cond_broadcast(pthread_cond_t *c)
{
    int e = signal_fault();

    return e ? e : __real_pthread_cond_broadcast(c);
}

/* fault_after_unlock(): the mutex watched, and what to call after each unlock of it. */
static pthread_mutex_t *_Atomic hook_mutex;
static void (*_Atomic hook_fn)(void *);
static void *_Atomic hook_arg;
static _Thread_local int in_hook; /* the hook's own unlocks call nothing */

void fault_after_unlock(pthread_mutex_t *m, void (*fn)(void *), void *arg)
{
    atomic_store(&hook_mutex, NULL);
    atomic_store(&hook_fn, fn);
    atomic_store(&hook_arg, arg);
    atomic_store(&hook_mutex, fn ? m : NULL);
}

/* fault_nap_after_unlock(): ms after each unlock, 0 for none. */
static atomic_int unlock_nap_ms;

void fault_nap_after_unlock(int ms)
{
    atomic_store(&unlock_nap_ms, ms > 0 ? ms : 0);
}

int __real_pthread_mutex_unlock(pthread_mutex_t *m);

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    int e = __real_pthread_mutex_unlock(m);

    if (e == 0 && !in_hook && atomic_load_explicit(&hook_mutex, memory_order_acquire) == m) {
        void (*fn)(void *) = atomic_load(&hook_fn);

        in_hook = 1;
        if (fn)
            fn(atomic_load(&hook_arg));
        in_hook = 0;
    }
    int nap = atomic_load_explicit(&unlock_nap_ms, memory_order_relaxed);

    if (e == 0 && nap > 0)
        fault_nap_ms(nap); /* errno as it found it, as an unlock leaves it */
    return e;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
    int e = fault_hit(FAULT_BUSY);

    note_lock(m);
    return e ? e : __real_pthread_mutex_trylock(m);
}

int __wrap_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    int e = fault_hit(FAULT_BUSY);

    note_lock(m);
    return e ? e : __real_pthread_mutex_timedlock(m, abstime);
}

/* The making and destroying of mutexes and condition variables: an armed init fails with its
 * error and makes nothing; the live count (fault_live()) follows the calls that succeeded. */
static atomic_long live_mutexes, live_conds, live_attrs;

long fault_live(enum fault_call c)
{
    if (c == FAULT_MUTEX_INIT)
        return atomic_load(&live_mutexes);
    if (c == FAULT_COND_INIT)
        return atomic_load(&live_conds);
    if (c == FAULT_ATTR_INIT)
        return atomic_load(&live_attrs);
    if (c == FAULT_LOOP_NEW)
        return fault_live_loops();
    return 0;
}

int __real_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __real_pthread_mutex_destroy(pthread_mutex_t *m);
int __real_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int __real_pthread_cond_destroy(pthread_cond_t *c);

/* e: what a real make (delta 1) or destroy (-1) returned; counted in `live` when it is 0 */
static int counted(atomic_long *live, long delta, int e)
{
    if (e == 0)
        atomic_fetch_add(live, delta);
    return e;
}

/* The addresses of attributes objects destroyed and not made again since: an init given
 * one reads a dead object (POSIX: undefined; glibc's destroy wipes nothing, so it seems to
 * work) and fails here with EINVAL, as a library that checks would. An examiner's gil_init()
 * made switch_cond from a condattr it had destroyed (round 68). Up to DEAD_ATTRS at once. */
enum { DEAD_ATTRS = 64 };
static _Atomic(const void *) dead_attrs[DEAD_ATTRS];

static void attr_dead(const void *a, bool dead)
{
    for (int i = 0; i < DEAD_ATTRS; i++) {
        const void *want = dead ? NULL : a;

        if (atomic_compare_exchange_strong(&dead_attrs[i], &want, dead ? a : NULL) && dead)
            return;
    }
}

static bool attr_is_dead(const void *a)
{
    for (int i = 0; a && i < DEAD_ATTRS; i++)
        if (atomic_load(&dead_attrs[i]) == a)
            return true;
    return false;
}

int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    note_static(m, &static_inits);
    int e = sync_fault(FAULT_MUTEX_INIT);

    if (!e && attr_is_dead(a))
        e = EINVAL;
    return e ? e : counted(&live_mutexes, 1, __real_pthread_mutex_init(m, a));
}

int __wrap_pthread_mutex_destroy(pthread_mutex_t *m)
{
    int e = sync_fault(FAULT_DESTROY);

    return e ? e : counted(&live_mutexes, -1, __real_pthread_mutex_destroy(m));
}

int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
    note_static(c, &static_inits);
    int e = sync_fault(FAULT_COND_INIT);

    if (!e && attr_is_dead(a))
        e = EINVAL;
    return e ? e : counted(&live_conds, 1, __real_pthread_cond_init(c, a));
}

int __wrap_pthread_cond_destroy(pthread_cond_t *c)
{
    int e = sync_fault(FAULT_DESTROY);

    return e ? e : counted(&live_conds, -1, __real_pthread_cond_destroy(c));
}

/* Attributes objects, of mutexes and condition variables, counted together */
int __real_pthread_mutexattr_init(pthread_mutexattr_t *a);
int __real_pthread_mutexattr_destroy(pthread_mutexattr_t *a);
int __real_pthread_condattr_init(pthread_condattr_t *a);
int __real_pthread_condattr_destroy(pthread_condattr_t *a);

/* an attributes object made (rc 0) is alive again; one destroyed (rc 0) is dead */
static int attr_made(const void *a, int rc, bool dead)
{
    if (rc == 0)
        attr_dead(a, dead);
    return rc;
}

int __wrap_pthread_mutexattr_init(pthread_mutexattr_t *a)
{
    note_static(a, &static_inits);
    int e = sync_fault(FAULT_ATTR_INIT);

    return e ? e : counted(&live_attrs, 1, attr_made(a, __real_pthread_mutexattr_init(a), false));
}

int __wrap_pthread_mutexattr_destroy(pthread_mutexattr_t *a)
{
    return counted(&live_attrs, -1, attr_made(a, __real_pthread_mutexattr_destroy(a), true));
}

int __wrap_pthread_condattr_init(pthread_condattr_t *a)
{
    note_static(a, &static_inits);
    int e = sync_fault(FAULT_ATTR_INIT);

    return e ? e : counted(&live_attrs, 1, attr_made(a, __real_pthread_condattr_init(a), false));
}

int __wrap_pthread_condattr_destroy(pthread_condattr_t *a)
{
    return counted(&live_attrs, -1, attr_made(a, __real_pthread_condattr_destroy(a), true));
}

/* What is set in an attributes object: an armed call fails with its error and sets nothing */
int __real_pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock);
int __real_pthread_mutexattr_settype(pthread_mutexattr_t *a, int type);

int __wrap_pthread_condattr_setclock(pthread_condattr_t *a, clockid_t clock)
{
    int e = sync_fault(FAULT_ATTR_SET);

    return e ? e : __real_pthread_condattr_setclock(a, clock);
}

int __wrap_pthread_mutexattr_settype(pthread_mutexattr_t *a, int type)
{
    int e = sync_fault(FAULT_ATTR_SET);

    return e ? e : __real_pthread_mutexattr_settype(a, type);
}
