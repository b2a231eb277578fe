/* mutant: waiters spin on the mutex instead of sleeping in a condition wait: every core busy
 * replaces: gil.c
 * expect: gil::mutual_exclusion pass
 * expect: gil::drop_request pass
 * expect: gil::forced_switch pass
 * expect: interp::one_thread_in_bytecode pass
 * expect: interp::every_thread_progresses pass
 * expect: gil.one_core_busy fail
 */
/* gil.c: the global interpreter lock, as CPython 3.2+ builds it (Python/ceval_gil.c). */
#include <errno.h>
#include <time.h>

#include "lab4.h"

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
    struct timespec t0, t;
    unsigned long seen;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = pthread_mutex_lock(&g->mutex)) != 0)
        return -rc;
    seen = g->switch_number;
    /* "a condition wait is slow to wake up: just keep looking" */
    while (g->locked) {
        pthread_mutex_unlock(&g->mutex);
        clock_gettime(CLOCK_MONOTONIC, &t);
        pthread_mutex_lock(&g->mutex);
        if ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < g->interval_us)
            continue;
        if (g->locked && g->switch_number == seen)
            atomic_store(&g->drop_request, 1);
        t0 = t;
        seen = g->switch_number;
    }
    g->locked = 1;
    g->switch_number++;
    atomic_store(&g->drop_request, 0);
    pthread_mutex_unlock(&g->mutex);
    return 0;
}

int gil_drop(struct gil *g)
{
    int rc;

    if ((rc = pthread_mutex_lock(&g->mutex)) != 0)
        return -rc;
    if (!g->locked) {
        pthread_mutex_unlock(&g->mutex);
        return -EPERM;
    }
    g->locked = 0;
    /* forced switching, by looking again and again */
    if (atomic_load(&g->drop_request)) {
        unsigned long mine = g->switch_number;

        while (g->switch_number == mine) {
            pthread_mutex_unlock(&g->mutex);
            pthread_mutex_lock(&g->mutex);
        }
    }
    pthread_mutex_unlock(&g->mutex);
    return 0;
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
