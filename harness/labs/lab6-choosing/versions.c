/* versions.c: what lab 6's speed cells time: every model of the course, on your code. */
#include <errno.h>
#include <stdlib.h>

#include "bench.h"
#include "lab2.h"
#include "lab3.h"
#include "lab5.h"
#include "lab6.h"
#include "pool.h"

/* One thread under the GIL (your lab 4 gil.c), for trying by hand. */
static int gil_one(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers;
    return pool_gil_map(jobs, n, out, 1);
}

/* One bytecode thread and no GIL: the baseline of the bytecode cells, as in lab 4. The same
 * interpreter overhead as the pools, and none of your code: a gil.c slow only in the
 * caller's own process (not in the pool's workers) made gil1 a slow yardstick. */
static int solo(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers;
    return pool_solo_map(jobs, n, out);
}

/* ---- asyncio alone: meals on one loop, cooked in the loop's callback ------------------------ */

struct alone {
    const struct job *jobs;
    struct result *out;
};

/* The reply is in out[i]: cook it right here, in the loop's thread, as a coroutine that
 * calls a CPU-bound function would; every other table waits meanwhile. */
static void cook_in_callback(struct loop *l, struct result *res, void *arg)
{
    struct alone *a = arg;
    size_t i = (size_t)(res - a->out);
    uint64_t dish;

    (void)l;
    if (res->status == 0) {
        res->status = ref_cook(res->value, a->jobs[i].rounds, &dish);
        res->value = res->status == 0 ? dish : 0;
    }
}

static int async_meals(const struct job *jobs, size_t n, struct result *out)
{
    struct alone a = {jobs, out};
    struct loop *l;
    int rc = loop_new(&l);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = async_order(l, jobs[i].port, jobs[i].seed, &out[i], cook_in_callback, &a)) < 0)
            out[i] = (struct result){.status = rc};
    rc = loop_run(l);
    loop_free(l);
    return rc;
}

/* Your lab 5 executor, or, for meals (which async_map() does not know), the same loop
 * with the cooking in its callbacks. */
static int async_any(const struct job *jobs, size_t n, struct result *out, int workers)
{
    if (n > 0 && jobs[0].kind == JOB_MEAL)
        return async_meals(jobs, n, out);
    return async_map(jobs, n, out, workers);
}

const struct bench_version bench_versions[] = {
    {"ref", ref_seq_map, NULL},
    {"threads", thread_map, "thread_map() (lab 2)"},
    {"procs", proc_map, "proc_map() (lab 3)"},
    {"gilthreads", pool_gil_map, "the GIL (lab 4's gil.c)"},
    {"gil1", gil_one, "the GIL (lab 4's gil.c)"},
    {"solo", solo, NULL},
    {"gilprocs", gil_pool_map, "gil_pool_map()"},
    {"async", async_any, "async_order() (lab 5)"},
    {"hybrid", hybrid_map, "hybrid_map()"},
    {NULL, NULL, NULL},
};
