/* threads.c: the thread executor: several waiters share the tables, the totals and one kitchen. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "lab2.h"

/* A default mutex fails only when it is misused (never initialised, not ours): a bug, so stop. */
static void lock(pthread_mutex_t *m)
{
    if (pthread_mutex_lock(m) != 0)
        abort();
}

static void unlock(pthread_mutex_t *m)
{
    if (pthread_mutex_unlock(m) != 0)
        abort();
}

/* One service: the tables, where their results go, and the next table nobody has taken.
 * Everything the waiters share lives here, in the call (on its stack): no file-static
 * lock or index, so two calls at once never touch each other's (lab2.h). */
struct crew {
    const struct job *jobs;
    size_t n;
    struct result *out; /* thread_map(): out[i] is written only by the waiter that took job i */
    struct tally *t;    /* thread_tally(): shared by all, guarded by tally_lock */
    pthread_mutex_t tally_lock; /* guards *t */
    pthread_mutex_t lock;       /* guards next */
    size_t next;                /* the first job nobody has taken yet */
};

/* Add one result to the totals every waiter shares. */
static void tally_add(struct crew *c, const struct result *r)
{
    /* Several waiters add at once, and "t->sum += v" is a load, an add and a store: two
     * waiters interleaving them both load the old sum and one addition is lost. The lock
     * makes each update whole. It is held for two additions, never while cooking. */
    lock(&c->tally_lock);
    if (r->status == 0) {
        c->t->served++;
        c->t->sum += r->value;
    } else {
        c->t->failed++;
    }
    unlock(&c->tally_lock);
}

/* Take the next table nobody has taken yet; c->n once there are none left. */
static size_t take(struct crew *c)
{
    size_t i;

    /* Reading next and moving it on must be one step: two waiters that both read 5
     * would both cook table 5. Held for a few instructions, never during a job. */
    lock(&c->lock);
    i = c->next;
    if (i < c->n)
        c->next++;
    unlock(&c->lock);
    return i;
}

/* A waiter: takes tables one at a time until none are left (dynamic scheduling). */
static void *waiter(void *arg)
{
    struct crew *c = arg;
    struct result r;

    for (size_t i = take(c); i < c->n; i = take(c)) {
        if (c->t) {
            ref_job_run(&c->jobs[i], &r);
            tally_add(c, &r);
        } else {
            ref_job_run(&c->jobs[i], &c->out[i]); /* no lock: nobody else writes out[i] */
        }
    }
    return NULL;
}

/* Start min(workers, n) waiters on c, and wait for every one of them to finish. */
static int serve_all(struct crew *c, int workers)
{
    size_t want = (size_t)workers < c->n ? (size_t)workers : c->n, started;
    pthread_t *tid;
    int rc = 0, err;

    if (want == 0)
        return 0;
    tid = malloc(want * sizeof(*tid));
    if (!tid)
        return -ENOMEM;
    for (started = 0; started < want; started++) {
        err = pthread_create(&tid[started], NULL, waiter, c);
        if (err) {
            rc = -err; /* the waiters already started still serve every table */
            break;
        }
    }
    for (size_t i = 0; i < started; i++) {
        /* The waiters use *c, which lives on our caller's stack, and write out[]: none
         * may outlive this call. Joining also makes everything they wrote visible here. */
        err = pthread_join(tid[i], NULL);
        if (err && rc == 0)
            rc = -err;
    }
    free(tid);
    return rc;
}

int thread_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct crew c = {.jobs = jobs, .n = n, .out = out, .lock = PTHREAD_MUTEX_INITIALIZER};

    if (workers < 1 || (n > 0 && (!jobs || !out)))
        return -EINVAL;
    return serve_all(&c, workers);
}

int thread_tally(const struct job *jobs, size_t n, int workers, struct tally *t)
{
    struct crew c = {.jobs = jobs,
                     .n = n,
                     .t = t,
                     .tally_lock = PTHREAD_MUTEX_INITIALIZER,
                     .lock = PTHREAD_MUTEX_INITIALIZER};

    if (!t || workers < 1 || (n > 0 && !jobs))
        return -EINVAL;
    /* No waiter exists yet: no lock needed, and pthread_create() publishes the zeros. */
    *t = (struct tally){0};
    return serve_all(&c, workers);
}
