/* mutant: takes the next job with an atomic load, then an atomic store: two waiters can take the same job
 * replaces: threads.c
 * expect: thread_map::many_jobs fail or pass
 * expect: thread_tally::many_jobs fail or pass
 * expect: thread_map::results_in_order pass
 */
/* threads.c: the thread executor: several waiters share the tables, the totals and one kitchen. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "lab2.h"

static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;

/* Add one result to the totals every waiter shares. */
static void tally_add(struct tally *t, const struct result *r)
{
    pthread_mutex_lock(&tally_lock);
    if (r->status == 0) {
        t->served++;
        t->sum += r->value;
    } else {
        t->failed++;
    }
    pthread_mutex_unlock(&tally_lock);
}

struct crew {
    const struct job *jobs;
    size_t n;
    struct result *out;  /* NULL: tally mode */
    struct tally *tally;
    pthread_mutex_t lock; /* guards next */
    size_t next;
};

static void *waiter(void *arg)
{
    struct crew *c = arg;
    for (;;) {
        size_t i = __atomic_load_n(&c->next, __ATOMIC_SEQ_CST);
        if (i < c->n)
            __atomic_store_n(&c->next, i + 1, __ATOMIC_SEQ_CST);
        if (i >= c->n)
            break;
        if (c->out) {
            ref_job_run(&c->jobs[i], &c->out[i]);
        } else {
            struct result r = {0, 0};
            ref_job_run(&c->jobs[i], &r);
            tally_add(c->tally, &r);
        }
    }
    return NULL;
}

static int run_crew(struct crew *c, int workers)
{
    size_t nt = (size_t)workers < c->n ? (size_t)workers : c->n;
    if (nt == 0)
        return 0;
    int rc = pthread_mutex_init(&c->lock, NULL);
    if (rc)
        return -rc;
    pthread_t *tids = malloc(nt * sizeof *tids);
    if (!tids) {
        pthread_mutex_destroy(&c->lock);
        return -ENOMEM;
    }
    size_t started = 0;
    int ret = 0;
    for (; started < nt; started++) {
        rc = pthread_create(&tids[started], NULL, waiter, c);
        if (rc) {
            ret = -rc;
            /* stop the others taking more work */
            pthread_mutex_lock(&c->lock);
            c->next = c->n;
            pthread_mutex_unlock(&c->lock);
            break;
        }
    }
    for (size_t k = 0; k < started; k++)
        pthread_join(tids[k], NULL);
    free(tids);
    pthread_mutex_destroy(&c->lock);
    return ret;
}

int thread_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    if (workers < 1 || (n > 0 && (!jobs || !out)))
        return -EINVAL;
    struct crew c = {.jobs = jobs, .n = n, .out = out, .tally = NULL, .next = 0};
    return run_crew(&c, workers);
}

int thread_tally(const struct job *jobs, size_t n, int workers, struct tally *t)
{
    if (!t || workers < 1 || (n > 0 && !jobs))
        return -EINVAL;
    t->served = t->failed = t->sum = 0;
    struct crew c = {.jobs = jobs, .n = n, .out = NULL, .tally = t, .next = 0};
    return run_crew(&c, workers);
}
