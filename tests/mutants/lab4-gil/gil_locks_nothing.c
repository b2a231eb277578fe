/* mutant: a GIL that locks nothing: take and drop only keep the books, every thread runs bytecode
 * replaces: gil.c
 * expect: gil::init pass
 * expect: gil::take_drop pass
 * expect: gil::mutual_exclusion fail
 * expect: gil::drop_request fail
 * expect: interp::one_thread_in_bytecode fail
 * expect: interp::refcounts_intact fail
 * expect: gil_race fail
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
    /* "threads in C run in parallel anyway": note that we hold it, and go */
    g->locked = 1;
    g->switch_number++;
    return 0;
}

int gil_drop(struct gil *g)
{
    g->locked = 0;
    return 0;
}

int gil_yield(struct gil *g)
{
    (void)g; /* nobody ever waits, so nobody ever asks */
    return 0;
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
