/* async.c: one waiter, many tables: sleeps, orders and cooking as tasks of one event loop. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
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
    bool own; /* async_sleep()'s, freed once it woke; a gather's lives in its own slot */
};

static void wake(struct loop *l, void *arg)
{
    struct sleeper *s = arg;
    double late = now() - s->due;

    s->res->status = 0;
    s->res->value = late > 0 ? (uint64_t)(late * 1e6) : 0;
    if (s->done)
        s->done(l, s->res, s->arg);
    if (s->own)
        free(s);
}

/* Sleep s (its res, done, arg and own set): async_sleep()'s, or a gather's in its own slot,
 * so that a loop that fails, and drops the timer without calling it, leaves nothing to free. */
static int sleep_in(struct loop *l, double seconds, struct sleeper *s)
{
    if (!(seconds >= 0))
        return -EINVAL;
    s->due = now() + seconds;
    return loop_after(l, seconds, wake, s);
}

int async_sleep(struct loop *l, double seconds, struct result *res, async_done_cb done, void *arg)
{
    struct sleeper *s;
    int rc;

    if (!l || !res || !(seconds >= 0))
        return -EINVAL;
    s = malloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    *s = (struct sleeper){.res = res, .done = done, .arg = arg, .own = true};
    rc = sleep_in(l, seconds, s);
    if (rc < 0)
        free(s);
    return rc;
}

/* ---- an order ---- */

struct order {
    int fd;
    int status;          /* the outcome, once known */
    size_t sent, outlen; /* bytes of out[] sent so far, and in all */
    size_t len;          /* bytes of in[] received so far */
    struct result *res;
    async_done_cb done;
    void *arg;
    struct order *next, **link; /* in a gather's list of orders in flight (link NULL: none) */
    char out[KITCHEN_LINE_MAX];
    char in[KITCHEN_LINE_MAX]; /* last: a read past it is past the allocation (AddressSanitizer) */
};

/* Into a gather's list of orders in flight (live NULL: an order of async_order()'s caller). */
static void order_link(struct order *o, struct order **live)
{
    if (!live)
        return;
    o->next = *live;
    if (o->next)
        o->next->link = &o->next;
    o->link = live;
    *live = o;
}

static void order_unlink(struct order *o)
{
    if (!o->link)
        return;
    *o->link = o->next;
    if (o->next)
        o->next->link = o->link;
    o->link = NULL;
}

/* The reply line, whole: digits, then '\n', then nothing (the kitchen hung up). */
static int parse_reply(struct order *o, uint64_t *value)
{
    char *end;

    o->in[o->len] = '\0';
    if (o->len < 2 || o->in[o->len - 1] != '\n' || o->in[0] < '0' || o->in[0] > '9')
        return -EPROTO; /* strtoull would take " 7" and "-7" */
    errno = 0;
    *value = strtoull(o->in, &end, 10);
    return errno || end != o->in + o->len - 1 ? -EPROTO : 0;
}

/* The order's end: its result written, its socket closed, its waiter told. */
static void finish(struct loop *l, struct order *o, int status)
{
    uint64_t value = 0;

    order_unlink(o);
    if (o->fd >= 0) {
        loop_unwatch(l, o->fd); /* before close: the number is reused at once */
        close(o->fd);
    }
    if (status == 0)
        status = parse_reply(o, &value);
    o->res->status = status;
    o->res->value = status == 0 ? value : 0;
    if (o->done)
        o->done(l, o->res, o->arg);
    free(o);
}

/* A connection that failed at once still reports from the loop, never from async_order(). */
static void finish_later(struct loop *l, void *arg)
{
    struct order *o = arg;

    finish(l, o, o->status);
}

/* Read what has arrived; 1 when the reply is complete (the kitchen hung up), 0 when
 * more is to come, -errno on an error. */
static int take(struct order *o)
{
    for (;;) {
        ssize_t r = recv(o->fd, o->in + o->len, sizeof(o->in) - 1 - o->len, 0);

        if (r > 0) {
            o->len += (size_t)r;
            if (o->len == sizeof(o->in) - 1)
                return -EPROTO; /* longer than any reply */
            continue;
        }
        if (r == 0)
            return 1;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0; /* a piece of the reply: the rest comes with a later event */
        if (errno != EINTR)
            return -errno;
    }
}

static void on_readable(struct loop *l, int fd, int events, void *arg)
{
    struct order *o = arg;
    int rc = take(o);

    (void)fd;
    (void)events;
    if (rc != 0)
        finish(l, o, rc > 0 ? 0 : rc);
}

/* Send what is left of the order; 1 when all is sent, 0 when the socket is full,
 * -errno on an error (a failed connection shows here first). */
static int give(struct order *o)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (o->sent == 0 && getsockopt(o->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
        return -err; /* writable because the connection failed */
    while (o->sent < o->outlen) {
        ssize_t w = send(o->fd, o->out + o->sent, o->outlen - o->sent, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        o->sent += (size_t)w;
    }
    return 1;
}

static void on_writable(struct loop *l, int fd, int events, void *arg)
{
    struct order *o = arg;
    int rc = give(o);

    (void)events;
    if (rc > 0) /* all sent: now wait for the reply */
        rc = loop_watch(l, fd, LOOP_READ, on_readable, o);
    if (rc < 0)
        finish(l, o, rc);
}

/* async_order(), its order kept in the list *live while in flight (live NULL: in none). */
static int order_start(struct loop *l, uint16_t port, uint64_t item, struct result *res,
                       async_done_cb done, void *arg, struct order **live)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    struct order *o;
    int rc;

    if (!l || !res)
        return -EINVAL;
    o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    *o = (struct order){.res = res, .done = done, .arg = arg};
    o->outlen = (size_t)snprintf(o->out, sizeof(o->out), "%llu\n", (unsigned long long)item);
    o->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (o->fd < 0) {
        rc = -errno;
        goto out_free;
    }
    /* EINTR: the connection goes on in the background, as after EINPROGRESS (POSIX) */
    if (connect(o->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS &&
        errno != EINTR) {
        o->status = -errno; /* refused at once, as loopback may: report it from the loop */
        close(o->fd);
        o->fd = -1;
        rc = loop_after(l, 0, finish_later, o);
        if (rc < 0)
            goto out_free;
        order_link(o, live);
        return 0;
    }
    rc = loop_watch(l, o->fd, LOOP_WRITE, on_writable, o); /* writable: connected, or failed */
    if (rc < 0)
        goto out_close;
    order_link(o, live);
    return 0;
out_close:
    close(o->fd);
out_free:
    free(o);
    return rc;
}

int async_order(struct loop *l, uint16_t port, uint64_t item, struct result *res,
                async_done_cb done, void *arg)
{
    return order_start(l, port, item, res, done, arg, NULL);
}

/* ---- gather ---- */

struct gather {
    const struct task *tasks;
    struct result *out;
    size_t n;
    size_t next;        /* the next task to look at for an order to start */
    size_t inflight;    /* orders started and not finished */
    size_t cap;         /* most orders in flight at once */
    struct order *live; /* the orders in flight, to close if the loop fails */
};

struct cook_slot {
    const struct task *task;
    struct result *res;
    struct sleeper sleep; /* a TASK_SLEEP's */
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
        rc = order_start(l, t->port, t->seed, &g->out[g->next], order_done, g, &g->live);
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

    if (!d) /* not even one more descriptor: none to spare for an order */
        return errno == EMFILE || errno == ENFILE ? SIZE_MAX / 2 : 64;
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

/* A loop that failed (rc < 0) leaves orders in flight: each gets the loop's error, and its
 * socket is closed and its memory freed here, since no callback will ever do it ("no
 * descriptor stays open afterwards", lab5.h). Their waiter, the gather, is told nothing. */
static void drop_orders(struct loop *l, struct gather *g, int rc)
{
    while (g->live) {
        struct order *o = g->live;

        order_unlink(o);
        if (o->fd >= 0) {
            loop_unwatch(l, o->fd);
            close(o->fd);
        }
        o->res->status = rc;
        free(o);
    }
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
            cooks[i].sleep = (struct sleeper){.res = &out[i]};
            rc = sleep_in(l, t->seconds, &cooks[i].sleep); /* -EINVAL for < 0 or NaN */
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
    drop_orders(l, &g, rc);
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
        tasks[i] =
            (struct task){.port = jobs[i].port, .seed = jobs[i].seed, .rounds = jobs[i].rounds};
        tasks[i].kind = jobs[i].kind == JOB_COOK    ? TASK_COOK
                        : jobs[i].kind == JOB_ORDER ? TASK_ORDER
                                                    : (enum task_kind) - 1;
    }
    rc = async_gather(tasks, n, out, 0);
    free(tasks);
    return rc;
}
