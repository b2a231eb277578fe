/* pool.c: interpreter threads under one GIL (pool.h): what lab 4 times, and lab 6 beside
 * its processes. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "pool.h"

void pool_fail(atomic_int *failed, int rc)
{
    int zero = 0;

    atomic_compare_exchange_strong(failed, &zero, rc);
}

void pool_serve(struct pool *p, struct interp_thread *t)
{
    size_t i;

    /* the index is ours, not the bytecode's: an atomic, so a broken GIL loses no job */
    while (!atomic_load(&p->failed) && (i = atomic_fetch_add(&p->next, 1)) < p->n) {
        interp_run_job(t, &p->jobs[i], p->chunk ? p->chunk : COOK_CHUNK, &p->out[i]);
        if (p->out[i].status == -ENOSYS || p->out[i].status == -EPERM)
            pool_fail(&p->failed, p->out[i].status);
    }
}

static void *pool_worker(void *arg)
{
    struct pool *p = arg;
    struct interp_thread t;
    int rc;

    interp_thread_init(&t, &p->rt);
    if ((rc = interp_enter(&t)) < 0) {
        pool_fail(&p->failed, rc);
        return NULL;
    }
    pool_serve(p, &t);
    if ((rc = interp_leave(&t)) < 0)
        pool_fail(&p->failed, rc);
    return NULL;
}

int pool_post_mortem(struct interp *rt, const char *who)
{
    char why[256];

    if (interp_check(rt, NULL, 0, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr, "%s: %s\n", who, why);
    return -EPROTO;
}

/* What running without a GIL did, all of it, for the experiment by hand; the summary
 * last, where `make run` shows the end of a failed run's output. */
static void autopsy(struct interp *rt, double wall)
{
    for (int i = 0; i < INTERP_SMALL; i++)
        fprintf(stderr, "nogil: small int %d: refcount %ld, expected 1\n", i, rt->small[i].refcnt);
    fprintf(stderr,
            "nogil: %.3f s; at most %d threads ran bytecode at once; %ld times a shared "
            "object's refcount fell to 0 in use\n",
            wall, atomic_load(&rt->max_in_bytecode), atomic_load(&rt->freed_in_use));
}

/* pool_map(), and with `autopsy_too` what running without a GIL did, on stderr. */
static int pool_run(const struct job *jobs, size_t n, struct result *out, int workers,
                    struct gil *g, uint32_t chunk, int autopsy_too)
{
    struct pool p = {.jobs = jobs, .n = n, .out = out, .chunk = chunk};
    double t0 = interp_now();
    pthread_t tid[64];
    int k, rc = 0;

    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    if (workers < 1)
        workers = 1;
    if (workers > 64)
        workers = 64;
    interp_init(&p.rt, g);
    atomic_init(&p.next, 0);
    atomic_init(&p.failed, 0);
    for (k = 0; k < workers; k++)
        if ((rc = pthread_create(&tid[k], NULL, pool_worker, &p)) != 0)
            break;
    for (int i = 0; i < k; i++)
        pthread_join(tid[i], NULL);
    if (rc != 0)
        return -rc;
    if (atomic_load(&p.failed))
        return atomic_load(&p.failed);
    if (autopsy_too)
        autopsy(&p.rt, interp_now() - t0);
    return pool_post_mortem(&p.rt, g ? "gil" : autopsy_too ? "nogil" : "solo");
}

int pool_map(const struct job *jobs, size_t n, struct result *out, int workers, struct gil *g,
             uint32_t chunk)
{
    return pool_run(jobs, n, out, workers, g, chunk, !g);
}

int pool_solo_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers;
    return pool_run(jobs, n, out, 1, NULL, COOK_CHUNK, 0);
}

int pool_gil_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct gil g;
    int rc = gil_init(&g, GIL_DEFAULT_INTERVAL_US);

    if (rc < 0)
        return rc;
    rc = pool_run(jobs, n, out, workers, &g, COOK_CHUNK, 0);
    gil_destroy(&g);
    return rc;
}

int pool_gil1_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers;
    return pool_gil_map(jobs, n, out, 1);
}
