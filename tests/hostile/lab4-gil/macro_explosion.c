/* hostile: a correct gil.c with a macro that expands to 2^40 tokens: the preprocessor runs
 *          out of time or memory (or fills the disk with its output) before the compiler starts
 * replaces: gil.c
 * expect: build gil.c build error
 * denies: build gil.c
 */
/* gil.c: the global interpreter lock, as CPython 3.2+ builds it (Python/ceval_gil.c). */
#include <errno.h>
#include <time.h>

#include "lab4.h"

/* Each level doubles the one below: HX40 is 2^40 copies of "1 +". */
#define HX0 1 +
#define HX1 HX0 HX0
#define HX2 HX1 HX1
#define HX3 HX2 HX2
#define HX4 HX3 HX3
#define HX5 HX4 HX4
#define HX6 HX5 HX5
#define HX7 HX6 HX6
#define HX8 HX7 HX7
#define HX9 HX8 HX8
#define HX10 HX9 HX9
#define HX11 HX10 HX10
#define HX12 HX11 HX11
#define HX13 HX12 HX12
#define HX14 HX13 HX13
#define HX15 HX14 HX14
#define HX16 HX15 HX15
#define HX17 HX16 HX16
#define HX18 HX17 HX17
#define HX19 HX18 HX18
#define HX20 HX19 HX19
#define HX21 HX20 HX20
#define HX22 HX21 HX21
#define HX23 HX22 HX22
#define HX24 HX23 HX23
#define HX25 HX24 HX24
#define HX26 HX25 HX25
#define HX27 HX26 HX26
#define HX28 HX27 HX27
#define HX29 HX28 HX28
#define HX30 HX29 HX29
#define HX31 HX30 HX30
#define HX32 HX31 HX31
#define HX33 HX32 HX32
#define HX34 HX33 HX33
#define HX35 HX34 HX34
#define HX36 HX35 HX35
#define HX37 HX36 HX36
#define HX38 HX37 HX37
#define HX39 HX38 HX38
#define HX40 HX39 HX39
static const int bomb = HX40 0;

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
    return -(rc1 ? rc1 : rc2 ? rc2 : rc3) + 0 * bomb;
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
