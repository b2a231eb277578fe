/* mutant: sizes the orders in flight as if only stdin, stdout and stderr were open
 * replaces: async.c
 * expect: async_gather::low_hard_limit fail
 * expect: async_gather::raises_soft_limit pass
 */
/* async.c: one waiter, many tables: sleeps, orders and cooking as tasks of one event loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- sleep ---- */
struct sleeper {
    double due;
    struct result *res;
    async_done_cb done;
    void *arg;
};

static void sleep_fire(struct loop *l, void *arg)
{
    struct sleeper *s = arg;
    double late = now_s() - s->due;
    if (late < 0)
        late = 0;
    s->res->status = 0;
    s->res->value = (uint64_t)(late * 1e6);
    struct result *res = s->res;
    async_done_cb done = s->done;
    void *darg = s->arg;
    free(s);
    if (done)
        done(l, res, darg);
}

int async_sleep(struct loop *l, double seconds, struct result *res, async_done_cb done,
                void *arg)
{
    if (!l || !res || !(seconds >= 0))
        return -EINVAL;
    struct sleeper *s = malloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    s->due = now_s() + seconds;
    s->res = res;
    s->done = done;
    s->arg = arg;
    int rc = loop_after(l, seconds, sleep_fire, s);
    if (rc) {
        free(s);
        return rc;
    }
    return 0;
}

/* ---- order ---- */
struct order {
    int fd;
    int connected;
    int watched;
    int status; /* for a deferred failure */
    uint64_t item;
    char out[KITCHEN_LINE_MAX];
    size_t outlen, sent;
    char in[KITCHEN_LINE_MAX * 2];
    size_t inlen;
    struct result *res;
    async_done_cb done;
    void *arg;
};

static int parse_line(const char *buf, size_t len, uint64_t *v)
{
    if (len < 2 || buf[len - 1] != '\n' || buf[0] < '0' || buf[0] > '9')
        return -EPROTO;
    char tmp[KITCHEN_LINE_MAX * 2 + 1];
    memcpy(tmp, buf, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    unsigned long long x = strtoull(tmp, &end, 10);
    if (errno || end != tmp + len - 1)
        return -EPROTO;
    *v = (uint64_t)x;
    return 0;
}

static void order_finish(struct loop *l, struct order *o, int status, uint64_t value)
{
    if (o->watched)
        loop_unwatch(l, o->fd);
    if (o->fd >= 0)
        close(o->fd);
    o->res->status = status;
    o->res->value = status == 0 ? value : 0;
    struct result *res = o->res;
    async_done_cb done = o->done;
    void *darg = o->arg;
    free(o);
    if (done)
        done(l, res, darg);
}

static void order_io(struct loop *l, int fd, int events, void *arg);

static void order_deferred(struct loop *l, void *arg)
{
    struct order *o = arg;
    order_finish(l, o, o->status, 0);
}

static void order_io(struct loop *l, int fd, int events, void *arg)
{
    struct order *o = arg;
    (void)fd;
    if (!o->connected && (events & LOOP_WRITE)) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(o->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err) {
            order_finish(l, o, -err, 0);
            return;
        }
        o->connected = 1;
    }
    if (o->connected && o->sent < o->outlen) {
        for (;;) {
            ssize_t k = send(o->fd, o->out + o->sent, o->outlen - o->sent, MSG_NOSIGNAL);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return;
                order_finish(l, o, -errno, 0);
                return;
            }
            o->sent += (size_t)k;
            if (o->sent == o->outlen)
                break;
        }
        int rc = loop_watch(l, o->fd, LOOP_READ, order_io, o);
        if (rc) {
            order_finish(l, o, rc, 0);
            return;
        }
        return;
    }
    if (events & LOOP_READ) {
        for (;;) {
            if (o->inlen == sizeof o->in) {
                order_finish(l, o, -EPROTO, 0);
                return;
            }
            ssize_t k = recv(o->fd, o->in + o->inlen, sizeof o->in - o->inlen, 0);
            if (k < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return;
                order_finish(l, o, -errno, 0);
                return;
            }
            if (k == 0) {
                uint64_t v = 0;
                int rc = parse_line(o->in, o->inlen, &v);
                order_finish(l, o, rc, v);
                return;
            }
            o->inlen += (size_t)k;
        }
    }
}

int async_order(struct loop *l, uint16_t port, uint64_t item, struct result *res,
                async_done_cb done, void *arg)
{
    if (!l || !res)
        return -EINVAL;
    struct order *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->res = res;
    o->done = done;
    o->arg = arg;
    o->item = item;
    o->outlen = (size_t)snprintf(o->out, sizeof o->out, "%llu\n", (unsigned long long)item);
    o->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (o->fd < 0) {
        int e = -errno;
        free(o);
        return e;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc;
    if (connect(o->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        o->connected = 1;
    } else if (errno != EINPROGRESS && errno != EINTR) {
        o->status = -errno;
        rc = loop_after(l, 0, order_deferred, o);
        if (rc) {
            close(o->fd);
            free(o);
            return rc;
        }
        return 0;
    }
    rc = loop_watch(l, o->fd, LOOP_WRITE, order_io, o);
    if (rc) {
        close(o->fd);
        free(o);
        return rc;
    }
    o->watched = 1;
    return 0;
}

/* ---- gather ---- */
struct gather {
    struct loop *l;
    const struct task *tasks;
    size_t n;
    struct result *out;
    size_t next_order; /* scan index over tasks for orders */
    size_t inflight, cap;
};

static void gather_pump(struct gather *g);

static void order_done(struct loop *l, struct result *res, void *arg)
{
    (void)l;
    (void)res;
    struct gather *g = arg;
    g->inflight--;
    gather_pump(g);
}

static void gather_pump(struct gather *g)
{
    while (g->inflight < g->cap && g->next_order < g->n) {
        size_t i = g->next_order++;
        if (g->tasks[i].kind != TASK_ORDER)
            continue;
        int rc = async_order(g->l, g->tasks[i].port, g->tasks[i].seed, &g->out[i], order_done, g);
        if (rc < 0) {
            g->out[i].status = rc;
            g->out[i].value = 0;
            continue;
        }
        g->inflight++;
    }
}

struct cooker {
    const struct task *t;
    struct result *res;
};

static void cook_fire(struct loop *l, void *arg)
{
    (void)l;
    struct cooker *c = arg;
    uint64_t dish = 0;
    int rc = ref_cook(c->t->seed, c->t->rounds, &dish);
    c->res->status = rc;
    c->res->value = rc == 0 ? dish : 0;
    free(c);
}

static int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

int async_gather(const struct task *tasks, size_t n, struct result *out, size_t max_inflight)
{
    if (n > 0 && (!tasks || !out))
        return -EINVAL;
    if (n == 0)
        return 0;
    size_t cap = max_inflight ? max_inflight : ASYNC_MAX_INFLIGHT;
    size_t norders = 0;
    for (size_t i = 0; i < n; i++)
        if (tasks[i].kind == TASK_ORDER)
            norders++;
    if (norders) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
        }
        int open_now = 3; /* stdin, stdout, stderr */
        long room = (long)rl.rlim_cur - open_now - 8; /* the loop's own fds and spares */
        size_t want = cap < norders ? cap : norders;
        if (room < 1)
            return -EMFILE;
        if ((size_t)room < want) {
            fprintf(stderr, "async_gather: only %ld descriptors free, %zu orders in flight at a time instead of %zu\n",
                    room, (size_t)room, want);
            cap = (size_t)room;
        }
    }
    struct gather g = {.tasks = tasks, .n = n, .out = out, .cap = cap};
    int rc = loop_new(&g.l);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        switch (tasks[i].kind) {
        case TASK_SLEEP:
            rc = async_sleep(g.l, tasks[i].seconds, &out[i], NULL, NULL);
            if (rc) {
                out[i].status = rc;
                out[i].value = 0;
            }
            break;
        case TASK_COOK: {
            struct cooker *c = malloc(sizeof *c);
            if (!c) {
                out[i].status = -ENOMEM;
                out[i].value = 0;
                break;
            }
            c->t = &tasks[i];
            c->res = &out[i];
            rc = loop_after(g.l, 0, cook_fire, c);
            if (rc) {
                free(c);
                out[i].status = rc;
                out[i].value = 0;
            }
            break;
        }
        case TASK_ORDER:
            break;
        default:
            out[i].status = -EINVAL;
            out[i].value = 0;
            break;
        }
    }
    gather_pump(&g);
    rc = loop_run(g.l);
    loop_free(g.l);
    return rc;
}

int async_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers;
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    if (n == 0)
        return 0;
    struct task *t = calloc(n, sizeof *t);
    if (!t)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        switch (jobs[i].kind) {
        case JOB_COOK:
            t[i].kind = TASK_COOK;
            t[i].seed = jobs[i].seed;
            t[i].rounds = jobs[i].rounds;
            break;
        case JOB_ORDER:
            t[i].kind = TASK_ORDER;
            t[i].port = jobs[i].port;
            t[i].seed = jobs[i].seed;
            break;
        default:
            t[i].kind = (enum task_kind)-1;
            break;
        }
    }
    int rc = async_gather(t, n, out, 0);
    free(t);
    return rc;
}
