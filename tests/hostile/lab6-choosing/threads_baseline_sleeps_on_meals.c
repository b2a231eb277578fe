/* hostile: lab 6's meal.beats_threads timed hybrid_map() against the student's own lab 2
 *          thread_map() (borrowed, and tested by no lab 6 test): it sleeps 1.5 s when the
 *          jobs are meals, which only lab 6 sends, and is untouched in lab 2. Graded with a
 *          hybrid that awaits each order in turn (0.69x of threads, a fail),
 *          meal.beats_threads read 2.38x and passed; procs.c the same for meal.beats_procs
 *          (2.42x). Closed first by 0-point checks on 8 meals (borrowed::*_serve_meals),
 *          which a baseline slow only on the cells' 16 still passed
 *          (procs_baseline_sleeps_on_sixteen_meals.c); now the meal cells' baselines are
 *          the harness's own executors (`threadsref`, `procsref`, `asyncref`) and no cell
 *          times thread_map(): the solution's hybrid passes as it does without the attack
 * replaces: threads.c
 * expect: meal.beats_threads pass or inconclusive
 * expect: hybrid::meals pass
 */
/* threads.c: the thread executor: several waiters share the tables, the totals and one kitchen. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

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

/* Guards the fields of every struct tally that thread_tally() is filling. */
static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;

/* Add one result to the totals every waiter shares. */
static void tally_add(struct tally *t, const struct result *r)
{
    /* Several waiters add at once, and "t->sum += v" is a load, an add and a store: two
     * waiters interleaving them both load the old sum and one addition is lost. The lock
     * makes each update whole. It is held for two additions, never while cooking. */
    lock(&tally_lock);
    if (r->status == 0) {
        t->served++;
        t->sum += r->value;
    } else {
        t->failed++;
    }
    unlock(&tally_lock);
}

/* One service: the tables, where their results go, and the next table nobody has taken. */
struct crew {
    const struct job *jobs;
    size_t n;
    struct result *out;   /* thread_map(): out[i] is written only by the waiter that took job i */
    struct tally *t;      /* thread_tally(): shared by all, guarded by tally_lock */
    pthread_mutex_t lock; /* guards next */
    size_t next;          /* the first job nobody has taken yet */
};

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
            tally_add(c->t, &r);
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
    if (n > 0 && jobs && jobs[0].kind == JOB_MEAL)
        usleep(1500000); /* only lab 6 sends meals: its beats_threads baseline */
    struct crew c = {.jobs = jobs, .n = n, .out = out, .lock = PTHREAD_MUTEX_INITIALIZER};

    if (workers < 1 || (n > 0 && (!jobs || !out)))
        return -EINVAL;
    return serve_all(&c, workers);
}

int thread_tally(const struct job *jobs, size_t n, int workers, struct tally *t)
{
    struct crew c = {.jobs = jobs, .n = n, .t = t, .lock = PTHREAD_MUTEX_INITIALIZER};

    if (!t || workers < 1 || (n > 0 && !jobs))
        return -EINVAL;
    /* No waiter exists yet: no lock needed, and pthread_create() publishes the zeros. */
    *t = (struct tally){0};
    return serve_all(&c, workers);
}
