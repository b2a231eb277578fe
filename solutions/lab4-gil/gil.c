/* gil.c: the global interpreter lock, as CPython 3.2+ builds it (Python/ceval_gil.h). */
#include <errno.h>
#include <time.h>

#include "lab4.h"

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
    rc1 = pthread_cond_destroy(&g->switch_cond);
    rc2 = pthread_cond_destroy(&g->cond);
    rc3 = pthread_mutex_destroy(&g->mutex);
    return -(rc1 ? rc1 : rc2 ? rc2 : rc3);
}

int gil_take(struct gil *g)
{
    int rc;

    if ((rc = pthread_mutex_lock(&g->mutex)) != 0)
        return -rc;
    /* a while, not an if: a wakeup only means the GIL was free a moment ago */
    while (g->locked) {
        unsigned long seen = g->switch_number;
        struct timespec until = deadline(g->interval_us);

        rc = pthread_cond_timedwait(&g->cond, &g->mutex, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            goto out_unlock;
        /* A whole interval and still the same holder: ask it to let go at its next
         * eval-breaker check. A switch meanwhile means others got their turn: wait on. */
        if (rc == ETIMEDOUT && g->locked && g->switch_number == seen)
            atomic_store(&g->drop_request, 1);
    }
    g->locked = 1;
    g->switch_number++;
    /* the request, whoever made it, is served: a waiter still waiting will ask again */
    atomic_store(&g->drop_request, 0);
    /* the thread that dropped on request waits in gil_drop() for exactly this */
    rc = pthread_cond_broadcast(&g->switch_cond);
out_unlock:
    /* A take that gives up withdraws the request that stands (CPython's take_gil() does the
     * same for a thread that must exit, gh-96387): the holder's next drop would wait for a
     * switch that nobody is left to make. Another waiter that asked asks again. */
    if (rc != 0)
        atomic_store(&g->drop_request, 0);
    pthread_mutex_unlock(&g->mutex);
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
