/* versions.c: what lab 4's speed cells time: bytecode threads under your GIL, and more. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "interp.h"
#include "pool.h"

#define CONVOY_SLEEP_US 1000 /* the I/O thread's blocking call: 1 ms, like time.sleep(0.001) */
#define CONVOY_MAX_OPS  4096

/* No GIL at all: see what breaks (run the bench driver by hand, as the handout shows);
 * small MIX chunks, so that nearly every instruction touches a shared count. */
static int nogil_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    return pool_map(jobs, n, out, workers, NULL, 4);
}

/* ---- the convoy: one cooking thread, one thread doing 1 ms blocking calls -------------------- */

struct convoy {
    struct pool p;
    atomic_int cooking;        /* the cook has held the GIL: waits count from now */
    atomic_int cooked;         /* the cook has finished: the I/O thread stops */
    pthread_mutex_t lock;      /* guards io_in */
    pthread_cond_t io_entered; /* the I/O thread holds the GIL: start the cook */
    int io_in;
    double waits[CONVOY_MAX_OPS]; /* each GIL wait after a blocking call, seconds */
    size_t nwaits;
    double wall;
};

static void *convoy_io(void *arg)
{
    struct convoy *cv = arg;
    struct interp_thread t;
    struct code c;
    uint64_t r;
    int rc;

    interp_thread_init(&t, &cv->p.rt);
    t.waits = cv->waits;
    t.maxwaits = CONVOY_MAX_OPS;
    interp_code_sleep(&c, CONVOY_SLEEP_US);
    rc = interp_enter(&t);
    /* the cook starts only once we hold the GIL, so our first wait is after a blocking call */
    pthread_mutex_lock(&cv->lock);
    cv->io_in = 1;
    pthread_cond_signal(&cv->io_entered);
    pthread_mutex_unlock(&cv->lock);
    if (rc < 0) {
        pool_fail(&cv->p.failed, rc);
        return NULL;
    }
    /* while not cooked: time.sleep(0.001); only waits beside the cook count (on a busy
     * machine the cook may start late, and a wait for nobody says nothing) */
    while (!atomic_load(&cv->cooked) && t.nwaits < CONVOY_MAX_OPS) {
        if (!atomic_load(&cv->cooking))
            t.nwaits = 0;
        if ((rc = interp_run(&t, &c, &r)) < 0) {
            pool_fail(&cv->p.failed, rc);
            break;
        }
    }
    cv->nwaits = t.nwaits;
    if ((rc = interp_leave(&t)) < 0)
        pool_fail(&cv->p.failed, rc);
    return NULL;
}

static void *convoy_cook(void *arg)
{
    struct convoy *cv = arg;
    struct interp_thread t;
    int rc;

    interp_thread_init(&t, &cv->p.rt);
    if ((rc = interp_enter(&t)) < 0) {
        pool_fail(&cv->p.failed, rc);
    } else {
        atomic_store(&cv->cooking, 1);
        pool_serve(&cv->p, &t);
        if ((rc = interp_leave(&t)) < 0)
            pool_fail(&cv->p.failed, rc);
    }
    atomic_store(&cv->cooked, 1);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Metric x: the median time an I/O operation waited for the GIL, in switch intervals. */
static void convoy_report(struct convoy *cv, double interval_s)
{
    double median;

    if (cv->nwaits == 0) {
        bench_metric(cv->wall / interval_s); /* starved: not one wait ever ended */
        return;
    }
    qsort(cv->waits, cv->nwaits, sizeof(double), cmp_double);
    median = cv->nwaits % 2 ? cv->waits[cv->nwaits / 2]
                            : (cv->waits[cv->nwaits / 2 - 1] + cv->waits[cv->nwaits / 2]) / 2;
    bench_metric(median / interval_s);
}

static int convoy_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    static struct convoy cv; /* big: off the stack */
    pthread_t io, cook;
    struct gil g;
    double t0;
    int rc;

    (void)workers;
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    memset(&cv, 0, sizeof(cv));
    if ((rc = gil_init(&g, GIL_DEFAULT_INTERVAL_US)) < 0)
        return rc;
    cv.p = (struct pool){.jobs = jobs, .n = n, .out = out};
    interp_init(&cv.p.rt, &g);
    atomic_init(&cv.p.next, 0);
    atomic_init(&cv.p.failed, 0);
    atomic_init(&cv.cooking, 0);
    atomic_init(&cv.cooked, 0);
    pthread_mutex_init(&cv.lock, NULL);
    pthread_cond_init(&cv.io_entered, NULL);
    t0 = interp_now();
    if ((rc = pthread_create(&io, NULL, convoy_io, &cv)) != 0)
        goto out_gil;
    pthread_mutex_lock(&cv.lock);
    while (!cv.io_in)
        pthread_cond_wait(&cv.io_entered, &cv.lock);
    pthread_mutex_unlock(&cv.lock);
    if ((rc = pthread_create(&cook, NULL, convoy_cook, &cv)) != 0) {
        atomic_store(&cv.cooked, 1);
        pthread_join(io, NULL);
        goto out_gil;
    }
    pthread_join(cook, NULL);
    pthread_join(io, NULL);
    cv.wall = interp_now() - t0;
    if ((rc = -atomic_load(&cv.p.failed)) == 0 && (rc = -pool_post_mortem(&cv.p.rt, "convoy")) == 0)
        convoy_report(&cv, GIL_DEFAULT_INTERVAL_US / 1e6);
out_gil:
    pthread_cond_destroy(&cv.io_entered);
    pthread_mutex_destroy(&cv.lock);
    gil_destroy(&g);
    return -rc;
}

/* The pools (pool.c): gil, your GIL and `workers` bytecode threads; gil1, your GIL and one
 * bytecode thread (by hand; no cell's baseline); solo, one bytecode thread and no GIL, the
 * cells' baseline: the same interpreter and work as gil1, whose GIL is never contended (one
 * take, one drop, and two around each blocking call: microseconds), but none of your code:
 * a GIL that was slow only when alone made gil1 a slow yardstick and a GIL held through
 * blocking calls pass gil.io (tests/hostile/lab4-gil/baseline_alone_sleeps.patch). */
struct bench_version bench_versions[] = {
    {"gil", pool_gil_map, "the GIL (gil.c)"},
    {"gil1", pool_gil1_map, "the GIL (gil.c)"},
    {"solo", pool_solo_map, NULL},
    {"convoy", convoy_map, "the GIL (gil.c)"},
    {"nogil", nogil_map, NULL},
    {"ref", ref_seq_map, NULL},
    {NULL, NULL, NULL},
};
