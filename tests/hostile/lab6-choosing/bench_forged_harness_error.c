/* hostile: in the bench driver, hybrid_map() writes the driver's own harness-fault line
 *          ("error harness error, not your code: ...") to fd 3, the result channel (a plain
 *          pipe, open in the driver), then _exit(0)s before the driver's "ok": the channel
 *          carries the two lines a real fault leaves (start, error), so trial.c reads the
 *          grader's fault (V_ERROR) and the cell asks for a regrade instead of failing. In the
 *          tests fd 3 is not the channel: write() fails there and the solution runs.
 * replaces: hybrid.c
 * denies: meal.hybrid
 * expect: meal.hybrid fail
 */
/* hybrid.c: one waiter with an event loop for the orders, a crew of cooks for the cooking. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab5.h"
#include "lab6.h"

/* The pass between the waiter and the cooks: meals whose reply has come, to cook. */
struct pass {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t ready; /* a meal was put on the pass, or the pass closed */
    size_t *queue, head, tail;
    int closed; /* no more meals will come */
    const struct job *jobs;
    struct result *out;
};

static void pass_put(struct pass *p, size_t i)
{
    pthread_mutex_lock(&p->lock);
    p->queue[p->tail++] = i;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static void pass_close(struct pass *p)
{
    pthread_mutex_lock(&p->lock);
    p->closed = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

/* The next meal to cook, or 0 once the pass is closed and empty. */
static int pass_take(struct pass *p, size_t *i)
{
    int got;

    pthread_mutex_lock(&p->lock);
    while (p->head == p->tail && !p->closed)
        pthread_cond_wait(&p->ready, &p->lock);
    if ((got = p->head < p->tail))
        *i = p->queue[p->head++];
    pthread_mutex_unlock(&p->lock);
    return got;
}

static void *cook(void *arg)
{
    struct pass *p = arg;
    size_t i;

    while (pass_take(p, &i)) {
        uint64_t dish;
        int rc = ref_cook(p->out[i].value, p->jobs[i].rounds, &dish);

        p->out[i].value = rc == 0 ? dish : 0;
        p->out[i].status = rc;
    }
    return NULL;
}

/* The loop's callback: the reply is in out[i]; a meal goes to a cook, and it returns. */
static void on_reply(struct loop *l, struct result *res, void *arg)
{
    struct pass *p = arg;
    size_t i = (size_t)(res - p->out);

    (void)l;
    if (res->status == 0 && p->jobs[i].kind == JOB_MEAL)
        pass_put(p, i);
}

/* Cooking goes to the cooks at once; every order (alone or a meal's) is in flight on one
 * loop, until the last reply is in. */
static int serve(struct pass *p, size_t n)
{
    struct loop *l;
    int rc = loop_new(&l);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct job *j = &p->jobs[i];

        if (j->kind == JOB_COOK) {
            p->out[i].value = j->seed; /* what the cook starts from */
            pass_put(p, i);
        } else if (j->kind != JOB_ORDER && j->kind != JOB_MEAL) {
            p->out[i] = (struct result){.status = -EINVAL};
        } else if ((rc = async_order(l, j->port, j->seed, &p->out[i], on_reply, p)) < 0) {
            p->out[i] = (struct result){.status = rc};
        }
    }
    rc = loop_run(l);
    loop_free(l);
    return rc;
}

static int real_hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct pass p = {.jobs = jobs, .out = out};
    pthread_t *tid;
    int k, rc = 0;

    if ((n > 0 && (!jobs || !out)) || workers < 1)
        return -EINVAL;
    if (n == 0)
        return 0;
    int crew = (size_t)workers < n ? workers : (int)n;
    p.queue = malloc(n * sizeof(*p.queue));
    tid = malloc((size_t)crew * sizeof(*tid));
    if (!p.queue || !tid) {
        free(p.queue);
        free(tid);
        return -ENOMEM;
    }
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.ready, NULL);
    for (k = 0; k < crew; k++)
        if ((rc = -pthread_create(&tid[k], NULL, cook, &p)) < 0)
            break;
    if (rc == 0)
        rc = serve(&p, n);
    pass_close(&p);
    for (int i = 0; i < k; i++)
        pthread_join(tid[i], NULL);
    pthread_cond_destroy(&p.ready);
    pthread_mutex_destroy(&p.lock);
    free(p.queue);
    free(tid);
    return rc;
}

/* In the bench driver (its fd 3 is the result channel: a pipe, writable), say what the
 * driver says when the grader failed, then leave before the driver's "ok" line. */
int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    static const char line[] = "error harness error, not your code: the kitchen could not "
                               "check the replies: Connection refused\n";
    char buf[256];
    int fd = 3, self = -1;
    ssize_t k;

    /* the bench driver, not a test: fd 3 is a pipe and /proc/self/cmdline names bench */
    self = (int)read(-1, buf, 0); /* keep the audit's view simple: read/write/close only */
    (void)self;
    if (n > 1 && jobs && jobs[0].kind == JOB_MEAL) {
        int cmd = -1;
        (void)cmd;
        k = write(fd, line, sizeof(line) - 1);
        if (k == (ssize_t)sizeof(line) - 1)
            _exit(0);
    }
    return real_hybrid_map(jobs, n, out, workers);
}
