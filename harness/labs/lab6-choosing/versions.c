/* versions.c: what lab 6's speed cells time: every model of the course, on your code. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "lab2.h"
#include "lab3.h"
#include "lab5.h"
#include "lab6.h"
#include "pool.h"

/* ---- the yardsticks: each model on harness code alone ---------------------------------------
 * A cell's baseline that ran the student's code could be bent: slow only in the baseline's
 * configuration (threads under one GIL, callbacks that cook, 16 meals), a wrong version
 * passed (harness/DESIGN.md, "The yardsticks"). These run none of it. */

/* Threads under a GIL of ours: `workers` bytecode threads of one interpreter, with no GIL
 * of the student's (rt.gil is NULL) but one lock of ours that a thread holds for a whole
 * job: they take turns, one job each, as threads under a GIL take turns on CPU work. */
struct turns {
    struct pool p;
    pthread_mutex_t gil;
};

static void *turns_thread(void *arg)
{
    struct turns *tu = arg;
    struct interp_thread t;
    size_t i;
    int rc;

    interp_thread_init(&t, &tu->p.rt);
    while (!atomic_load(&tu->p.failed) && (i = atomic_fetch_add(&tu->p.next, 1)) < tu->p.n) {
        pthread_mutex_lock(&tu->gil);
        if ((rc = interp_enter(&t)) == 0) {
            interp_run_job(&t, &tu->p.jobs[i], COOK_CHUNK, &tu->p.out[i]);
            rc = interp_leave(&t);
        }
        pthread_mutex_unlock(&tu->gil);
        if (rc < 0)
            pool_fail(&tu->p.failed, rc);
    }
    return NULL;
}

static int turns(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct turns tu = {.p = {.jobs = jobs, .n = n, .out = out}};
    pthread_t tid[64];
    int k, rc = 0;

    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    workers = workers < 1 ? 1 : workers > 64 ? 64 : workers;
    interp_init(&tu.p.rt, NULL);
    atomic_init(&tu.p.next, 0);
    atomic_init(&tu.p.failed, 0);
    pthread_mutex_init(&tu.gil, NULL);
    for (k = 0; k < workers; k++)
        if ((rc = pthread_create(&tid[k], NULL, turns_thread, &tu)) != 0)
            break;
    for (int i = 0; i < k; i++)
        pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&tu.gil);
    if (rc != 0)
        return -rc;
    if (atomic_load(&tu.p.failed))
        return atomic_load(&tu.p.failed);
    return pool_post_mortem(&tu.p.rt, "turns");
}

/* P threads, lab 2's executor: each takes the next job and runs it (order, then cook). */
struct crew {
    const struct job *jobs;
    size_t n;
    struct result *out;
    atomic_size_t next;
};

static void *crew_thread(void *arg)
{
    struct crew *c = arg;
    size_t i;

    while ((i = atomic_fetch_add(&c->next, 1)) < c->n)
        ref_job_run(&c->jobs[i], &c->out[i]);
    return NULL;
}

static int threads_ref(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct crew c = {.jobs = jobs, .n = n, .out = out};
    pthread_t tid[64];
    int k, rc = 0;

    workers = workers < 1 ? 1 : workers > 64 ? 64 : workers;
    atomic_init(&c.next, 0);
    for (k = 0; k < workers && (size_t)k < n; k++)
        if ((rc = pthread_create(&tid[k], NULL, crew_thread, &c)) != 0)
            break;
    for (int i = 0; i < k; i++)
        pthread_join(tid[i], NULL);
    return -rc;
}

/* P processes, lab 3's executor: each worker takes the next job from a shared counter and
 * writes its result into a shared mapping; a job whose worker died reads -EIO. */
struct shared {
    atomic_size_t next;
    struct result out[];
};

static int procs_ref(const struct job *jobs, size_t n, struct result *out, int workers)
{
    size_t size = sizeof(struct shared) + n * sizeof(struct result);
    struct shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t pid[64];
    int k, rc = 0;

    if (sh == MAP_FAILED)
        return -errno;
    workers = workers < 1 ? 1 : workers > 64 ? 64 : workers;
    atomic_init(&sh->next, 0);
    for (size_t i = 0; i < n; i++)
        sh->out[i] = (struct result){.status = -EIO};
    for (k = 0; k < workers && (size_t)k < n; k++) {
        if ((pid[k] = fork()) < 0) {
            rc = -errno;
            break;
        }
        if (pid[k] == 0) {
            struct result r;

            for (size_t i; (i = atomic_fetch_add(&sh->next, 1)) < n;) {
                ref_job_run(&jobs[i], &r);
                sh->out[i] = r;
            }
            _exit(0);
        }
    }
    for (int i = 0; i < k; i++)
        while (waitpid(pid[i], NULL, 0) < 0 && errno == EINTR)
            ;
    for (size_t i = 0; i < n; i++)
        out[i] = sh->out[i];
    munmap(sh, size);
    return rc;
}

/* asyncio alone at its best: every order in flight at once (the harness's own orders on
 * one connection, about one latency), then each reply cooked in turn on the one thread,
 * as a loop that cooks in its callbacks must. For meals only (all from one kitchen), what
 * the meal cells time; anything else as the sequential reference. */
static int async_ref(const struct job *jobs, size_t n, struct result *out, int workers)
{
    uint64_t *items, *replies;
    int rc = 0;

    (void)workers;
    for (size_t i = 0; i < n; i++)
        if (jobs[i].kind != JOB_MEAL || jobs[i].port != jobs[0].port)
            return ref_seq_map(jobs, n, out, workers);
    if (n == 0)
        return 0;
    items = calloc(n, sizeof(*items));
    replies = calloc(n, sizeof(*replies));
    if (!items || !replies) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = jobs[i].seed;
    if ((rc = ref_order_many(jobs[0].port, n, items, replies)) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        out[i].status = ref_cook(replies[i], jobs[i].rounds, &out[i].value);
        if (out[i].status < 0)
            out[i].value = 0;
    }
    rc = 0;
out:
    free(items);
    free(replies);
    return rc;
}

/* ---- asyncio alone on your lab 5 loop: meals cooked in the loop's callback (by hand) -------- */

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
 * with the cooking in its callbacks: for trying by hand (no cell's baseline, see async_ref). */
static int async_any(const struct job *jobs, size_t n, struct result *out, int workers)
{
    if (n > 0 && jobs[0].kind == JOB_MEAL)
        return async_meals(jobs, n, out);
    return async_map(jobs, n, out, workers);
}

/* gil1 (one thread under your lab 4 GIL, for trying by hand) and solo (one bytecode thread
 * and no GIL, the baseline of the bytecode cells) are lab 4's pools (pool.h): the same
 * interpreter overhead as the pools, and none of your code in solo: a gil.c slow only in the
 * caller's own process (not in the pool's workers) made gil1 a slow yardstick. */
struct bench_version bench_versions[] = {
    {"ref", ref_seq_map, NULL},
    {"threadsref", threads_ref, NULL},
    {"procsref", procs_ref, NULL},
    {"asyncref", async_ref, NULL},
    {"turns", turns, NULL},
    {"threads", thread_map, "thread_map() (lab 2)"},
    {"procs", proc_map, "proc_map() (lab 3)"},
    {"gilthreads", pool_gil_map, "the GIL (lab 4's gil.c)"},
    {"gil1", pool_gil1_map, "the GIL (lab 4's gil.c)"},
    {"solo", pool_solo_map, NULL},
    {"gilprocs", gil_pool_map, "gil_pool_map()"},
    {"async", async_any, "async_order() (lab 5)"},
    {"hybrid", hybrid_map, "hybrid_map()"},
    {NULL, NULL, NULL},
};
