/* hostile: lab 6's gil.procs_vs_threads timed gilprocs against gilthreads: the student's
 *          lab 4 GIL on both sides, so a GIL slow only where threads share it bent the
 *          ratio. While nobody waits for this GIL (each worker process of the pool), a
 *          ticker thread asks the holder to let go every 2 ms, and the holder naps 0.7 ms and
 *          keeps it, so the processes are no faster than one thread (gil.procs_cpu fails); each
 *          time a thread gets the GIL after waiting for it (a hand-over, which only threads
 *          under one GIL have), it sleeps 3 ms holding it, so the threads are far slower
 *          than one (gil.threads_cpu fails). Processes over threads read as the note's
 *          claim. Now the cell's baseline is `turns`: P bytecode threads taking turns under
 *          a lock of ours, no student code
 * replaces: gil.c
 * expect: gil_pool::bytecode_in_workers pass
 * denies: gil.procs_vs_threads
 */
/* gil.c: the global interpreter lock, as CPython 3.2+ builds it (Python/ceval_gil.h). */
#include <errno.h>
#include <time.h>

#include "lab4.h"

/* hostile: a nap, holding whatever the caller holds */
static void nap(long us)
{
    struct timespec d = {.tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000};

    while (nanosleep(&d, &d) != 0 && errno == EINTR)
        ;
}

/* hostile: while nobody waits for the GIL (a process with one bytecode thread: each worker
 * of the pool), a ticker thread asks the holder to let go every 2 ms, and gil_yield() naps
 * 0.7 ms and keeps the GIL: a lone thread cooks at about half speed */
static atomic_int users, stop, waiters;
static struct gil *ticked;
static pthread_t ticker;

static void *tick(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        nap(2000);
        pthread_mutex_lock(&ticked->mutex); /* not between gil_drop()'s clear and its check */
        if (atomic_load(&waiters) == 0)
            atomic_store(&ticked->drop_request, 1);
        pthread_mutex_unlock(&ticked->mutex);
    }
    return NULL;
}

/* The moment `us` microseconds from now, on the clock the condition variables use. */
static struct timespec deadline(long us)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += us / 1000000;
    t.tv_nsec += us % 1000000 * 1000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

int gil_init(struct gil *g, long interval_us)
{
    pthread_condattr_t attr;
    int rc;

    if (!g || interval_us <= 0)
        return -EINVAL;
    if ((rc = pthread_condattr_init(&attr)) != 0)
        return -rc;
    /* timed waits measure the interval on a clock that NTP cannot step */
    if ((rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)) != 0)
        goto out_attr;
    if ((rc = pthread_mutex_init(&g->mutex, NULL)) != 0)
        goto out_attr;
    if ((rc = pthread_cond_init(&g->cond, &attr)) != 0)
        goto out_mutex;
    if ((rc = pthread_cond_init(&g->switch_cond, &attr)) != 0)
        goto out_cond;
    g->locked = 0;
    g->switch_number = 0;
    g->interval_us = interval_us;
    atomic_init(&g->drop_request, 0);
    pthread_condattr_destroy(&attr);
    if (atomic_fetch_add(&users, 1) == 0) { /* hostile */
        ticked = g;
        atomic_store(&stop, 0);
        pthread_create(&ticker, NULL, tick, NULL);
    }
    return 0;
out_cond:
    pthread_cond_destroy(&g->cond);
out_mutex:
    pthread_mutex_destroy(&g->mutex);
out_attr:
    pthread_condattr_destroy(&attr);
    return -rc;
}

int gil_destroy(struct gil *g)
{
    int rc1, rc2, rc3;

    if (!g)
        return -EINVAL;
    if (atomic_fetch_sub(&users, 1) == 1) { /* hostile */
        atomic_store(&stop, 1);
        pthread_join(ticker, NULL);
    }
    rc1 = pthread_cond_destroy(&g->switch_cond);
    rc2 = pthread_cond_destroy(&g->cond);
    rc3 = pthread_mutex_destroy(&g->mutex);
    return -(rc1 ? rc1 : rc2 ? rc2 : rc3);
}

int gil_take(struct gil *g)
{
    int rc, waited = 0;

    if ((rc = pthread_mutex_lock(&g->mutex)) != 0)
        return -rc;
    /* a while, not an if: a wakeup only means the GIL was free a moment ago */
    while (g->locked) {
        unsigned long seen = g->switch_number;
        if (!waited)
            atomic_fetch_add(&waiters, 1);
        waited = 1;
        struct timespec until = deadline(g->interval_us);

        rc = pthread_cond_timedwait(&g->cond, &g->mutex, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            goto out_unlock;
        /* A whole interval and still the same holder: ask it to let go at its next
         * eval-breaker check. A switch meanwhile means others got their turn: wait on. */
        if (rc == ETIMEDOUT && g->locked && g->switch_number == seen)
            atomic_store(&g->drop_request, 1);
    }
    if (waited)
        atomic_fetch_sub(&waiters, 1);
    g->locked = 1;
    g->switch_number++;
    /* the request, whoever made it, is served: a waiter still waiting will ask again */
    atomic_store(&g->drop_request, 0);
    /* the thread that dropped on request waits in gil_drop() for exactly this */
    rc = pthread_cond_broadcast(&g->switch_cond);
out_unlock:
    pthread_mutex_unlock(&g->mutex);
    if (waited && rc == 0)
        nap(3000); /* hostile: a hand-over between threads, which one thread alone never has */
    return -rc;
}

int gil_drop(struct gil *g)
{
    int rc;

    if ((rc = pthread_mutex_lock(&g->mutex)) != 0)
        return -rc;
    if (!g->locked) {
        rc = EPERM; /* dropping a GIL nobody holds: the caller's bug */
        goto out_unlock;
    }
    if (atomic_load(&waiters) == 0) /* hostile: the ticker asked, nobody waits */
        atomic_store(&g->drop_request, 0);
    g->locked = 0;
    /* one waiter is enough: it takes the GIL once we release the mutex */
    if ((rc = pthread_cond_signal(&g->cond)) != 0)
        goto out_unlock;
    /*
     * Forced switching: a waiter asked for the GIL, so do not race it for the mutex
     * (we would win, being awake): wait until some thread has taken the GIL. The one
     * who asked waits in gil_take() until it gets the GIL, so somebody will.
     */
    if (atomic_load(&g->drop_request)) {
        unsigned long mine = g->switch_number;

        while (g->switch_number == mine && rc == 0)
            rc = pthread_cond_wait(&g->switch_cond, &g->mutex);
    }
out_unlock:
    pthread_mutex_unlock(&g->mutex);
    return -rc;
}

int gil_yield(struct gil *g)
{
    int rc;

    /* the eval breaker's check is one relaxed load: no lock unless someone asked */
    if (!atomic_load_explicit(&g->drop_request, memory_order_relaxed))
        return 0;
    if (atomic_load(&waiters) == 0) { /* hostile: the ticker asked, nobody waits */
        nap(700);
        atomic_store(&g->drop_request, 0); /* after the nap: a tick meanwhile is spent */
        return 0;
    }
    if ((rc = gil_drop(g)) < 0)
        return rc;
    return gil_take(g);
}

int gil_blocking(struct gil *g, int (*call)(void *arg), void *arg)
{
    int rc, ret;

    /* Py_BEGIN_ALLOW_THREADS: others run bytecode while this thread waits */
    if ((rc = gil_drop(g)) < 0)
        return rc;
    ret = call(arg);
    /* Py_END_ALLOW_THREADS: back to bytecode, which needs the GIL */
    if ((rc = gil_take(g)) < 0)
        return rc;
    return ret;
}
