/* mutant: clears locked before taking the mutex: a data race ThreadSanitizer sees
 * replaces: gil.c
 * expect: gil_race fail
 * expect: gil::mutual_exclusion pass
 */
/* gil.c: the global interpreter lock, as CPython 3.2+ builds it (Python/ceval_gil.c). */
#include <errno.h>
#include <time.h>

#include "lab4.h"

int gil_init(struct gil *g, long interval_us)
{
    if (!g || interval_us <= 0)
        return -EINVAL;
    int rc;
    pthread_condattr_t ca;
    rc = pthread_mutex_init(&g->mutex, NULL);
    if (rc)
        return -rc;
    rc = pthread_condattr_init(&ca);
    if (rc)
        goto out_mutex;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc)
        goto out_attr;
    rc = pthread_cond_init(&g->cond, &ca);
    if (rc)
        goto out_attr;
    rc = pthread_cond_init(&g->switch_cond, &ca);
    if (rc)
        goto out_cond;
    pthread_condattr_destroy(&ca);
    g->locked = 0;
    g->switch_number = 0;
    g->interval_us = interval_us;
    atomic_store(&g->drop_request, 0);
    return 0;
out_cond:
    pthread_cond_destroy(&g->cond);
out_attr:
    pthread_condattr_destroy(&ca);
out_mutex:
    pthread_mutex_destroy(&g->mutex);
    return -rc;
}

int gil_destroy(struct gil *g)
{
    if (!g)
        return -EINVAL;
    pthread_cond_destroy(&g->switch_cond);
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->mutex);
    return 0;
}

static void deadline(struct timespec *ts, long us)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += us / 1000000;
    ts->tv_nsec += (us % 1000000) * 1000;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int gil_take(struct gil *g)
{
    if (!g)
        return -EINVAL;
    int rc = pthread_mutex_lock(&g->mutex);
    if (rc)
        return -rc;
    while (g->locked) {
        unsigned long saved = g->switch_number;
        struct timespec ts;
        deadline(&ts, g->interval_us);
        int w = pthread_cond_timedwait(&g->cond, &g->mutex, &ts);
        if (w == ETIMEDOUT && g->locked && g->switch_number == saved)
            atomic_store(&g->drop_request, 1);
    }
    g->locked = 1;
    g->switch_number++;
    atomic_store(&g->drop_request, 0);
    pthread_cond_broadcast(&g->switch_cond);
    pthread_mutex_unlock(&g->mutex);
    return 0;
}

int gil_drop(struct gil *g)
{
    if (!g)
        return -EINVAL;
    g->locked = 0; /* a plain store: the waiter re-checks under the mutex anyway */
    int rc = pthread_mutex_lock(&g->mutex);
    if (rc)
        return -rc;
    pthread_cond_signal(&g->cond);
    if (atomic_load(&g->drop_request)) {
        unsigned long mine = g->switch_number;
        while (g->switch_number == mine)
            pthread_cond_wait(&g->switch_cond, &g->mutex);
    }
    pthread_mutex_unlock(&g->mutex);
    return 0;
}

int gil_yield(struct gil *g)
{
    if (!g)
        return -EINVAL;
    if (!atomic_load(&g->drop_request))
        return 0;
    int rc = gil_drop(g);
    if (rc)
        return rc;
    return gil_take(g);
}

int gil_blocking(struct gil *g, int (*call)(void *arg), void *arg)
{
    if (!g || !call)
        return -EINVAL;
    int rc = gil_drop(g);
    if (rc)
        return rc;
    int r = call(arg);
    rc = gil_take(g);
    if (rc)
        return rc;
    return r;
}
