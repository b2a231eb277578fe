/* hostile: async_order() never opens a socket: it answers kitchen_reply(item), which workload.h
 *          makes public, after a 50 ms timer: the reply tests pass, and 10,000 "orders" are
 *          10,000 timers, so the I/O speed cells pass without any I/O
 * replaces: async.c
 * expect: loop::empty_run pass
 * expect: loop::timers_in_order pass
 * denies: async_order::one_order
 * denies: async_order::concurrent
 * denies: async_order::partial_reply
 * denies: async_map::results_in_order
 * denies: serve.async
 * denies: c1k
 * denies: c10k
 */
/* async.c: one waiter, many tables: sleeps, orders and cooking as tasks of one event loop. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "lab5.h"

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- a sleep ---- */

struct sleeper {
    double due;
    struct result *res;
    async_done_cb done;
    void *arg;
};

static void wake(struct loop *l, void *arg)
{
    struct sleeper *s = arg;
    double late = now() - s->due;

    s->res->status = 0;
    s->res->value = late > 0 ? (uint64_t)(late * 1e6) : 0;
    if (s->done)
        s->done(l, s->res, s->arg);
    free(s);
}

int async_sleep(struct loop *l, double seconds, struct result *res, async_done_cb done,
                void *arg)
{
    struct sleeper *s;
    int rc;

    if (!l || !res || !(seconds >= 0))
        return -EINVAL;
    s = malloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    *s = (struct sleeper){.due = now() + seconds, .res = res, .done = done, .arg = arg};
    rc = loop_after(l, seconds, wake, s);
    if (rc < 0)
        free(s);
    return rc;
}

/* ---- an order ---- */

/* An "order" that never reaches the kitchen: its reply is computed here (kitchen_reply() is in
 * workload.h) and handed over after the kitchen's latency, by a timer: no socket, no fd. */
struct order {
    uint64_t item;
    struct result *res;
    async_done_cb done;
    void *arg;
};

static void answer(struct loop *l, void *arg)
{
    struct order *o = arg;

    o->res->status = 0;
    o->res->value = kitchen_reply(o->item);
    if (o->done)
        o->done(l, o->res, o->arg);
    free(o);
}

int async_order(struct loop *l, uint16_t port, uint64_t item, struct result *res,
                async_done_cb done, void *arg)
{
    struct order *o;
    int rc;

    (void)port;
    if (!l || !res)
        return -EINVAL;
    o = malloc(sizeof(*o));
    if (!o)
        return -ENOMEM;
    *o = (struct order){.item = item, .res = res, .done = done, .arg = arg};
    rc = loop_after(l, 0.05, answer, o);
    if (rc < 0)
        free(o);
    return rc;
}

/* ---- gather ---- */

struct gather {
    const struct task *tasks;
    struct result *out;
    size_t n;
    size_t next;     /* the next task to look at for an order to start */
    size_t inflight; /* orders started and not finished */
    size_t cap;      /* most orders in flight at once */
};

struct cook_slot {
    const struct task *task;
    struct result *res;
};

static void cook_now(struct loop *l, void *arg)
{
    struct cook_slot *c = arg;

    (void)l;
    /* This blocks the loop for as long as the dish takes: no timer, no order moves. */
    c->res->status = ref_cook(c->task->seed, c->task->rounds, &c->res->value);
}

static void start_orders(struct loop *l, struct gather *g);

static void order_done(struct loop *l, struct result *res, void *arg)
{
    struct gather *g = arg;

    (void)res;
    g->inflight--;
    start_orders(l, g); /* a table freed up: take the next order */
}

static void start_orders(struct loop *l, struct gather *g)
{
    for (; g->next < g->n && g->inflight < g->cap; g->next++) {
        const struct task *t = &g->tasks[g->next];
        int rc;

        if (t->kind != TASK_ORDER)
            continue;
        rc = async_order(l, t->port, t->seed, &g->out[g->next], order_done, g);
        if (rc < 0)
            g->out[g->next].status = rc; /* never started: its own failure */
        else
            g->inflight++;
    }
}

/* Descriptors open in this process now (a guess of 64 if /proc is missing). */
static size_t fds_open(void)
{
    DIR *d = opendir("/proc/self/fd");
    size_t n = 0;

    if (!d)
        return 64;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/*
 * How many orders may be in flight, given that each holds a descriptor: raise the
 * soft limit on open files to the hard limit, keep a few for the loop and others,
 * and say so when even the hard limit is too low for `want`.
 */
static int fd_budget(size_t want, size_t *cap)
{
    struct rlimit rl;
    size_t limit, used = fds_open() + 8;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -errno;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > SIZE_MAX / 2 ? SIZE_MAX / 2
                                                                        : (size_t)rl.rlim_cur;
    *cap = limit > used ? limit - used : 0;
    if (*cap >= want) {
        *cap = want;
        return 0;
    }
    fprintf(stderr,
            "async_gather: the open-file limit (hard limit %llu) leaves room for %zu orders in "
            "flight, not %zu: raise it (ulimit -Hn) to serve more tables at once\n",
            (unsigned long long)rl.rlim_max, *cap, want);
    return *cap ? 0 : -EMFILE;
}

int async_gather(const struct task *tasks, size_t n, struct result *out, size_t max_inflight)
{
    struct gather g = {.tasks = tasks, .out = out, .n = n};
    struct cook_slot *cooks = NULL;
    struct loop *l = NULL;
    size_t orders = 0;
    int rc;

    if (n == 0)
        return 0;
    if (!tasks || !out)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        out[i] = (struct result){.status = -EINPROGRESS};
        orders += tasks[i].kind == TASK_ORDER;
    }
    if (!max_inflight)
        max_inflight = ASYNC_MAX_INFLIGHT;
    rc = fd_budget(orders < max_inflight ? orders : max_inflight, &g.cap);
    if (rc < 0 && orders > 0)
        return rc;
    cooks = calloc(n, sizeof(*cooks));
    if (!cooks)
        return -ENOMEM;
    rc = loop_new(&l);
    if (rc < 0)
        goto out_cooks;
    for (size_t i = 0; i < n; i++) {
        const struct task *t = &tasks[i];

        rc = 0;
        if (t->kind == TASK_SLEEP) {
            rc = async_sleep(l, t->seconds, &out[i], NULL, NULL);
        } else if (t->kind == TASK_COOK) {
            cooks[i] = (struct cook_slot){.task = t, .res = &out[i]};
            rc = loop_after(l, 0, cook_now, &cooks[i]);
        } else if (t->kind != TASK_ORDER) {
            rc = -EINVAL;
        }
        if (rc < 0)
            out[i].status = rc;
    }
    start_orders(l, &g);
    rc = loop_run(l);
    loop_free(l);
out_cooks:
    free(cooks);
    return rc;
}

int async_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct task *tasks;
    int rc;

    (void)workers; /* one waiter, however many tables */
    if (n == 0)
        return 0;
    if (!jobs || !out)
        return -EINVAL;
    tasks = calloc(n, sizeof(*tasks));
    if (!tasks)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        tasks[i] = (struct task){.port = jobs[i].port, .seed = jobs[i].seed,
                                 .rounds = jobs[i].rounds};
        tasks[i].kind = jobs[i].kind == JOB_COOK    ? TASK_COOK
                        : jobs[i].kind == JOB_ORDER ? TASK_ORDER
                                                    : (enum task_kind)-1;
    }
    rc = async_gather(tasks, n, out, 0);
    free(tasks);
    return rc;
}
