/* timeline.c: who ran on which core when, sampled from /proc by the grader, drawn as SVG. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "chart.h"
#include "sys.h"
#include "timeline.h"

void timeline_init(struct timeline *tl, const char *label)
{
    memset(tl, 0, sizeof(*tl));
    snprintf(tl->label, sizeof(tl->label), "%s", label ? label : "");
    tl->ncores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (tl->ncores < 1)
        tl->ncores = 1;
}

void timeline_free(struct timeline *tl)
{
    free(tl->at);
    free(tl->s);
    tl->at = NULL;
    tl->s = NULL;
    tl->n = tl->cap = 0;
    tl->nticks = tl->cap_ticks = 0;
}

/* "pid (comm) S ppid ...": the comm is whatever the task named itself, so it may hold
 * spaces and ')': it ends at the last ')'. Field 39 (processor) is the 37th after it. */
int timeline_parse_stat(const char *line, struct tl_stat *st)
{
    const char *open = strchr(line, '('), *close = strrchr(line, ')'), *p;
    size_t len;

    memset(st, 0, sizeof(*st));
    if (!open || !close || close < open || sscanf(line, "%d", &st->pid) != 1)
        return -EINVAL;
    len = (size_t)(close - open - 1);
    if (len >= sizeof(st->comm))
        len = sizeof(st->comm) - 1;
    memcpy(st->comm, open + 1, len);
    if (sscanf(close + 1, " %c %d", &st->state, &st->ppid) != 2)
        return -EINVAL;
    p = close + 1;
    for (int field = 3; field < 39; field++) { /* p: the space before field `field` */
        p = strchr(p + 1, ' ');
        if (!p)
            return -EINVAL;
    }
    return sscanf(p, " %d", &st->cpu) == 1 ? 0 : -EINVAL;
}

int timeline_tick(struct timeline *tl, double t)
{
    if (tl->nticks == tl->cap_ticks) {
        int cap = tl->cap_ticks ? 2 * tl->cap_ticks : 1024;
        double *at = cap <= TIMELINE_MAX_SAMPLES ? realloc(tl->at, cap * sizeof(*at)) : NULL;
        if (!at) {
            tl->full = true;
            return -ENOSPC;
        }
        tl->at = at;
        tl->cap_ticks = cap;
    }
    tl->at[tl->nticks] = t;
    return tl->nticks++;
}

static int worker_of(struct timeline *tl, pid_t pid, pid_t tid, const char *comm)
{
    for (int i = 0; i < tl->nw; i++)
        if (tl->w[i].tid == tid)
            return i;
    if (tl->nw == TIMELINE_MAX_WORKERS)
        return -ENOSPC;
    tl->w[tl->nw] = (struct tl_worker){.pid = pid, .tid = tid};
    snprintf(tl->w[tl->nw].comm, sizeof(tl->w[tl->nw].comm), "%s", comm);
    return tl->nw++;
}

int timeline_add(struct timeline *tl, int tick, pid_t pid, pid_t tid, const char *comm,
                 enum tl_kind kind, int cpu)
{
    int w = worker_of(tl, pid, tid, comm);

    if (w < 0 || tl->n == TIMELINE_MAX_SAMPLES) {
        tl->full = true;
        return -ENOSPC;
    }
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? 2 * tl->cap : 4096;
        struct tl_sample *s = realloc(tl->s, cap * sizeof(*s));
        if (!s) {
            tl->full = true;
            return -ENOSPC;
        }
        tl->s = s;
        tl->cap = cap;
    }
    tl->s[tl->n++] = (struct tl_sample){.tick = tick, .worker = w, .cpu = cpu, .kind = kind};
    return 0;
}

/* ---- sampling a process tree ---- */

#define TREE_MAX 256

/* The tree's processes, and their tasks with their stat and syscall files kept open: a
 * sample is a pread of each (a fresh open costs a path walk each time). */
struct tl_tree {
    pid_t root, pids[TREE_MAX];
    int n, scans;
    unsigned char *checked; /* a bit per pid looked at already: a parent is older than
                               its child, so each process is read once */
    pid_t max;
    struct tl_task {
        pid_t pid, tid;
        int stat, sys;
    } task[TIMELINE_MAX_WORKERS];
    int ntasks;
};

static int read_at0(int fd, char *buf, size_t len)
{
    ssize_t n = pread(fd, buf, len - 1, 0);

    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0)
        return -errno;
    rc = read_at0(fd, buf, len);
    close(fd);
    return rc;
}

struct tl_tree *timeline_tree_new(pid_t root)
{
    struct tl_tree *t = calloc(1, sizeof(*t));

    char buf[32];

    if (!t)
        return NULL;
    t->max = read_small("/proc/sys/kernel/pid_max", buf, sizeof(buf)) ? 0 : atoi(buf);
    if (t->max < 32768 || t->max > (1 << 22))
        t->max = 1 << 22;
    if (!(t->checked = calloc((size_t)t->max / 8 + 1, 1))) {
        free(t);
        return NULL;
    }
    t->root = root;
    t->pids[t->n++] = root;
    return t;
}

void timeline_tree_free(struct tl_tree *t)
{
    for (int i = 0; t && i < t->ntasks; i++) {
        close(t->task[i].stat);
        if (t->task[i].sys >= 0)
            close(t->task[i].sys);
    }
    if (t)
        free(t->checked);
    free(t);
}

static bool in_tree(const struct tl_tree *t, pid_t pid)
{
    for (int i = 0; i < t->n; i++)
        if (t->pids[i] == pid)
            return true;
    return false;
}

/* New processes whose parent is in the tree. A parent is older than its child, so each
 * process is read once: the first scan reads every process's stat, later ones only
 * those born since (pids wrap: no order among them is assumed). */
static void tree_grow(struct tl_tree *t)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[64], line[1024];
    struct tl_stat st;

    if (!d)
        return;
    while ((e = readdir(d)) && t->n < TREE_MAX) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || pid >= t->max || (t->checked[pid / 8] & (1 << pid % 8)))
            continue;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        if (read_small(path, line, sizeof(line)) || timeline_parse_stat(line, &st))
            continue; /* gone: a pid seen again is another process */
        t->checked[pid / 8] |= (unsigned char)(1 << pid % 8);
        if (pid != t->root && in_tree(t, st.ppid))
            t->pids[t->n++] = pid;
    }
    closedir(d);
}

static bool has_task(const struct tl_tree *t, pid_t tid)
{
    for (int i = 0; i < t->ntasks; i++)
        if (t->task[i].tid == tid)
            return true;
    return false;
}

/* The tasks of the tree's processes, their files opened. */
static void tasks_grow(struct tl_tree *t)
{
    char path[96];

    for (int i = 0; i < t->n; i++) {
        snprintf(path, sizeof(path), "/proc/%d/task", t->pids[i]);
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) && t->ntasks < TIMELINE_MAX_WORKERS) {
            pid_t tid = (pid_t)atoi(e->d_name);
            struct tl_task *k = &t->task[t->ntasks];
            if (tid <= 0 || has_task(t, tid))
                continue;
            snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", t->pids[i], tid);
            if ((k->stat = open(path, O_RDONLY | O_CLOEXEC)) < 0)
                continue;
            snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", t->pids[i], tid);
            k->sys = open(path, O_RDONLY | O_CLOEXEC); /* -1 without the right to: blocked */
            k->pid = t->pids[i];
            k->tid = tid;
            t->ntasks++;
        }
        if (d)
            closedir(d);
    }
}

/* What a sleeping task is blocked in, from its syscall file ("202 0x... ..."): a socket
 * (or a poll over sockets) is the kitchen; a read is the kitchen only from a socket. */
static enum tl_kind blocked_in(const struct tl_task *k)
{
    char path[96], buf[256], link[64];
    long nr = -1;
    unsigned long fd = 0;

    if (k->sys < 0 || read_at0(k->sys, buf, sizeof(buf)) || sscanf(buf, "%ld %lx", &nr, &fd) < 1)
        return TL_BLOCKED;
    switch (nr) {
    case SYS_poll:
    case SYS_ppoll:
    case SYS_select:
    case SYS_pselect6:
    case SYS_epoll_wait:
    case SYS_epoll_pwait:
    case SYS_connect:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_sendto:
    case SYS_sendmsg:
        return TL_KITCHEN;
    case SYS_read:
    case SYS_write: {
        snprintf(path, sizeof(path), "/proc/%d/fd/%lu", k->pid, fd);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        return n > 7 && !strncmp(link, "socket:", 7) ? TL_KITCHEN : TL_BLOCKED;
    }
    default:
        return TL_BLOCKED;
    }
}

/* One task's state into tick; false when it is gone (or a zombie). */
static bool sample_task(struct timeline *tl, int tick, const struct tl_task *k)
{
    char line[1024];
    struct tl_stat st;

    if (read_at0(k->stat, line, sizeof(line)) || timeline_parse_stat(line, &st))
        return false;
    if (!strcmp(st.comm, "bwrap"))
        return true; /* the sandbox's own init: not the run's work */
    if (st.state == 'R')
        timeline_add(tl, tick, k->pid, k->tid, st.comm, TL_COOK, st.cpu);
    else if (st.state == 'S' || st.state == 'D')
        timeline_add(tl, tick, k->pid, k->tid, st.comm, blocked_in(k), st.cpu);
    return st.state != 'Z' && st.state != 'X';
}

int timeline_sample(struct timeline *tl, struct tl_tree *t)
{
    int tick, alive = 0;

    if (t->scans++ % 8 == 0) { /* new processes and threads: every 8th sample */
        tree_grow(t);
        tasks_grow(t);
    }
    if ((tick = timeline_tick(tl, sys_now())) < 0)
        return tick;
    for (int i = 0; i < t->ntasks; i++) {
        if (sample_task(tl, tick, &t->task[i])) {
            alive++;
            continue;
        }
        close(t->task[i].stat); /* gone: its pid may come back as another's */
        if (t->task[i].sys >= 0)
            close(t->task[i].sys);
        t->task[i--] = t->task[--t->ntasks];
    }
    return alive ? 0 : -ESRCH;
}

struct tl_sampler {
    pthread_t th;
    atomic_bool stop;
    struct timeline *tl;
    pid_t (*root)(void);
};

static void *sampler_main(void *arg)
{
    struct tl_sampler *sp = arg;
    struct tl_tree *tree = NULL;
    struct timespec next;
    pid_t root = 0;

    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&sp->stop)) {
        if (!tree && (root = sp->root()) > 0)
            tree = timeline_tree_new(root);
        if (tree && timeline_sample(sp->tl, tree) == -ENOSPC)
            break;
        next.tv_nsec += TIMELINE_INTERVAL_MS * 1000000L;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    timeline_tree_free(tree);
    return NULL;
}

struct tl_sampler *timeline_start(struct timeline *tl, pid_t (*root)(void))
{
    struct tl_sampler *sp = calloc(1, sizeof(*sp));

    if (!sp)
        return NULL;
    sp->tl = tl;
    sp->root = root;
    if (pthread_create(&sp->th, NULL, sampler_main, sp)) {
        free(sp);
        return NULL;
    }
    return sp;
}

void timeline_stop(struct tl_sampler *sp)
{
    if (!sp)
        return;
    atomic_store(&sp->stop, true);
    pthread_join(sp->th, NULL);
    free(sp);
}

/* ---- boxes ---- */

static double span_start(const struct timeline *tl)
{
    return tl->start > 0 ? tl->start : tl->nticks ? tl->at[0] : 0;
}

static double span_end(const struct timeline *tl)
{
    double last = tl->nticks ? tl->at[tl->nticks - 1] : 0;

    return tl->end > 0 ? tl->end : last + TIMELINE_INTERVAL_MS / 1000.0;
}

/* When tick k ends: the next tick, or one interval on for the last. */
static double tick_end(const struct timeline *tl, int k)
{
    return k + 1 < tl->nticks ? tl->at[k + 1] : tl->at[k] + TIMELINE_INTERVAL_MS / 1000.0;
}

/* Each cooking sample's slot among the tasks running on its core at its tick (samples
 * of one tick are consecutive). */
static void slots(const struct timeline *tl, int *slot, int *nslots)
{
    for (size_t i = 0; i < tl->n; i++) {
        slot[i] = 0;
        nslots[i] = 1;
        if (tl->s[i].kind != TL_COOK)
            continue;
        for (size_t j = i; j-- > 0 && tl->s[j].tick == tl->s[i].tick;)
            slot[i] += tl->s[j].kind == TL_COOK && tl->s[j].cpu == tl->s[i].cpu;
    }
    for (size_t i = 0; i < tl->n; i++) {
        if (tl->s[i].kind != TL_COOK)
            continue;
        for (size_t j = i; j < tl->n && tl->s[j].tick == tl->s[i].tick; j++)
            if (tl->s[j].kind == TL_COOK && tl->s[j].cpu == tl->s[i].cpu && slot[j] + 1 > nslots[i])
                nslots[i] = slot[j] + 1;
        for (size_t j = i; j-- > 0 && tl->s[j].tick == tl->s[i].tick;)
            if (tl->s[j].kind == TL_COOK && tl->s[j].cpu == tl->s[i].cpu)
                nslots[i] = nslots[j] > nslots[i] ? nslots[j] : nslots[i];
    }
}

static bool extends(const struct tl_box *b, const struct tl_sample *s, int slot, int nslots,
                    int last_tick)
{
    return b->worker == s->worker && b->kind == s->kind && s->tick == last_tick + 1 &&
           (s->kind != TL_COOK || (b->cpu == s->cpu && b->slot == slot && b->nslots == nslots));
}

int timeline_boxes(const struct timeline *tl, struct tl_box **out)
{
    int *slot = calloc(tl->n + 1, sizeof(int)), *nslots = calloc(tl->n + 1, sizeof(int));
    int *open = malloc((tl->nw + 1) * sizeof(int)), *last = malloc((tl->nw + 1) * sizeof(int));
    struct tl_box *b = malloc((tl->n + 1) * sizeof(*b));
    double t0 = span_start(tl), t1 = span_end(tl);
    int n = -ENOMEM;

    if (!slot || !nslots || !open || !last || !b)
        goto out;
    slots(tl, slot, nslots);
    n = 0;
    for (int w = 0; w < tl->nw; w++)
        open[w] = -1;
    for (size_t i = 0; i < tl->n; i++) {
        const struct tl_sample *s = &tl->s[i];
        double a = tl->at[s->tick], z = tick_end(tl, s->tick);
        if (z <= t0 || a >= t1)
            continue;
        if (open[s->worker] >= 0 &&
            extends(&b[open[s->worker]], s, slot[i], nslots[i], last[s->worker])) {
            b[open[s->worker]].t1 = (z < t1 ? z : t1) - t0;
        } else {
            b[n] = (struct tl_box){.t0 = (a > t0 ? a : t0) - t0,
                                   .t1 = (z < t1 ? z : t1) - t0,
                                   .worker = s->worker,
                                   .cpu = s->cpu,
                                   .kind = s->kind,
                                   .slot = slot[i],
                                   .nslots = nslots[i]};
            open[s->worker] = n++;
        }
        last[s->worker] = s->tick;
    }
out:
    free(slot);
    free(nslots);
    free(open);
    free(last);
    if (n < 0) {
        free(b);
        b = NULL;
    }
    *out = b;
    return n;
}

/* ---- the picture ---- */

#define SVG_W   960
#define LEFT    150 /* lane names to the left */
#define RIGHT   930
#define LANE    24
#define WAITROW 11

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

static const char *colour(int w)
{
    return palette[w % (int)(sizeof(palette) / sizeof(*palette))];
}

int timeline_names(const struct timeline *tl, const struct tl_box *b, int n, int *order,
                   char (*names)[40])
{
    pid_t first = 0, procs[TIMELINE_MAX_WORKERS];
    int k = 0, nprocs = 0;

    for (int w = 0; w < tl->nw; w++)
        order[w] = -1;
    for (int i = 0; i < n; i++) {
        const struct tl_worker *w = &tl->w[b[i].worker];
        int threads = 0, proc = 0;
        if (order[b[i].worker] >= 0)
            continue;
        if (!first)
            first = w->pid;
        for (int j = 0; j < tl->nw; j++)
            threads += order[j] >= 0 && tl->w[j].pid == w->pid;
        while (proc < nprocs && procs[proc] != w->pid)
            proc++;
        if (w->pid != first && proc == nprocs)
            procs[nprocs++] = w->pid;
        order[b[i].worker] = k++;
        if (w->pid == first && !threads)
            snprintf(names[b[i].worker], 40, "main thread");
        else if (w->pid == first)
            snprintf(names[b[i].worker], 40, "thread %d", threads);
        else if (!threads)
            snprintf(names[b[i].worker], 40, "process %d", proc + 1);
        else
            snprintf(names[b[i].worker], 40, "process %d thread %d", proc + 1, threads);
    }
    return k;
}

/* A panel's boxes and the names and colours of its workers. */
struct view {
    struct tl_box *b;
    int n, nnamed;
    int order[TIMELINE_MAX_WORKERS];
    char names[TIMELINE_MAX_WORKERS][40];
};

static struct view *view_of(const struct timeline *tl)
{
    struct view *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->n = timeline_boxes(tl, &v->b);
    if (v->n < 0) {
        free(v);
        return NULL;
    }
    v->nnamed = timeline_names(tl, v->b, v->n, v->order, v->names);
    return v;
}

static void view_free(struct view *v)
{
    if (v)
        free(v->b);
    free(v);
}

/* Which workers ever wait (a row each under the cores, in order of appearance);
 * rows[w] = their row, or -1. Returns how many rows. */
static int wait_rows(const struct timeline *tl, const struct view *v, int *rows)
{
    int k = 0;

    for (int w = 0; w < tl->nw; w++)
        rows[w] = -1;
    for (int i = 0; i < v->n; i++)
        if (v->b[i].kind != TL_COOK)
            rows[v->b[i].worker] = 0;
    for (int o = 0; o < v->nnamed; o++)
        for (int w = 0; w < tl->nw; w++)
            if (v->order[w] == o && !rows[w])
                rows[w] = k++;
    return k;
}

static double xpx(double t, double tmax)
{
    return LEFT + (RIGHT - LEFT) * (t < 0 ? 0 : t > tmax ? tmax : t) / tmax;
}

static void box(FILE *f, const struct timeline *tl, const struct view *v, const struct tl_box *b,
                double y, double h, double tmax)
{
    const char *c = colour(v->order[b->worker]);
    double x0 = xpx(b->t0, tmax), x1 = xpx(b->t1, tmax);

    if (b->kind == TL_COOK)
        fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'>", x0, y, x1 - x0,
                h, c);
    else if (b->kind == TL_KITCHEN)
        fprintf(f,
                "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' "
                "fill-opacity='0.25' stroke='%s' stroke-width='0.5'>",
                x0, y, x1 - x0, h, c, c);
    else
        fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='2' fill='#bbb'>", x0,
                y + h / 2 - 1, x1 - x0);
    fprintf(f, "<title>%s (", v->names[b->worker]);
    chart_put_text(f, tl->w[b->worker].comm);
    fprintf(f, "): %s %.1f-%.1f ms</title></rect>\n",
            b->kind == TL_COOK      ? "running"
            : b->kind == TL_KITCHEN ? "waiting on I/O"
                                    : "blocked",
            b->t0 * 1000, b->t1 * 1000);
}

static void lane_name(FILE *f, double y, const char *text, const char *fill)
{
    fprintf(f, "<text x='%d' y='%.1f' text-anchor='end' class='tick' fill='%s'>", LEFT - 8, y,
            fill);
    chart_put_text(f, text);
    fputs("</text>\n", f);
}

/* The core lanes and their boxes, from y on. */
static void cores(FILE *f, const struct timeline *tl, const struct view *v, double y, double tmax)
{
    char name[32];

    for (int c = 0; c < tl->ncores; c++) {
        snprintf(name, sizeof(name), "core %d", c);
        lane_name(f, y + LANE * c + LANE / 2 + 4, name, "#333");
        fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='#f4f4f4'/>\n", LEFT,
                (int)y + LANE * c + 1, RIGHT - LEFT, LANE - 2);
    }
    for (int i = 0; i < v->n; i++) {
        const struct tl_box *b = &v->b[i];
        if (b->kind == TL_COOK && b->cpu >= 0 && b->cpu < tl->ncores) {
            double h = (LANE - 2.0) / b->nslots;
            box(f, tl, v, b, y + LANE * b->cpu + 1 + h * b->slot, h, tmax);
        }
    }
}

/* One timeline's panel from y on; returns the y after it. */
static double panel(FILE *f, const struct timeline *tl, const struct view *v, double y, double tmax)
{
    int rows[TIMELINE_MAX_WORKERS], nrows = wait_rows(tl, v, rows);
    char waits[64];

    fprintf(f, "<text x='12' y='%.1f' class='label'>", y + 14);
    chart_put_text(f, tl->label);
    fprintf(f, " (%.0f ms, %d task%s%s)</text>\n", (span_end(tl) - span_start(tl)) * 1000,
            v->nnamed, v->nnamed == 1 ? "" : "s", tl->full ? "; too many samples: cut short" : "");
    y += 22;
    cores(f, tl, v, y, tmax);
    y += LANE * tl->ncores + 4;
    for (int w = 0; w < tl->nw; w++)
        if (rows[w] >= 0) {
            snprintf(waits, sizeof(waits), "%s waits", v->names[w]);
            lane_name(f, y + WAITROW * rows[w] + 9, waits, colour(v->order[w]));
        }
    for (int i = 0; i < v->n; i++)
        if (v->b[i].kind != TL_COOK)
            box(f, tl, v, &v->b[i], y + WAITROW * rows[v->b[i].worker] + 1, WAITROW - 2, tmax);
    return y + WAITROW * nrows + 10;
}

static double panel_height(const struct timeline *tl, const struct view *v)
{
    int rows[TIMELINE_MAX_WORKERS];

    return 22 + LANE * tl->ncores + 4 + WAITROW * wait_rows(tl, v, rows) + 10;
}

static void time_axis(FILE *f, double tmax, double top, double bottom)
{
    double ms = tmax * 1000, step = ms <= 20 ? 2 : ms <= 100 ? 10 : ms <= 500 ? 50 : 100;

    while (ms / step > 12)
        step *= 2;
    for (double v = 0; v <= ms + 1e-9; v += step) {
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#e4e4e4'/>\n",
                xpx(v / 1000, tmax), top, xpx(v / 1000, tmax), bottom);
        fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' class='tick'>%g ms</text>\n",
                xpx(v / 1000, tmax), bottom + 13, v);
    }
}

static void legend(FILE *f, const struct timeline *tl, const struct view *v, double y)
{
    double x = LEFT;

    fprintf(f,
            "<text x='12' y='%.1f' class='note'>solid: running on that core (or ready to); "
            "pale box: waiting on I/O (an order at the kitchen); grey line: blocked (a lock, "
            "the GIL, a join, a pipe)</text>\n",
            y);
    y += 16;
    for (int o = 0; o < v->nnamed && o < 10; o++)
        for (int w = 0; w < tl->nw; w++)
            if (v->order[w] == o) {
                fprintf(f, "<rect x='%.1f' y='%.1f' width='10' height='10' fill='%s'/>", x, y - 9,
                        colour(o));
                fprintf(f, "<text x='%.1f' y='%.1f' class='tick'>%s</text>\n", x + 14, y,
                        v->names[w]);
                x += 14 + 6.5 * strlen(v->names[w]) + 12;
            }
}

int timeline_write_svg(const struct timeline *const *tl, int n, const char *title, const char *note,
                       const char *path)
{
    struct view *v[8] = {0};
    double tmax = 0.001, h = 70, y = 52;
    int most = 0, rc = -ENOMEM;
    FILE *f = NULL;

    if (n < 1 || n > 8)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        double d = span_end(tl[i]) - span_start(tl[i]);
        if (!(v[i] = view_of(tl[i])))
            goto out;
        tmax = d > tmax ? d : tmax;
        h += panel_height(tl[i], v[i]);
        most = v[i]->nnamed > v[most]->nnamed ? i : most; /* its names make the legend */
    }
    if (!(f = fopen(path, "w"))) {
        rc = -errno;
        goto out;
    }
    chart_begin(f, SVG_W, (int)h + 56);
    fputs("<text x='12' y='22' class='title'>", f);
    chart_put_text(f, title ? title : "");
    fputs("</text>\n<text x='12' y='40' class='note'>", f);
    chart_put_text(f, note ? note : "");
    fputs("</text>\n", f);
    for (int i = 0; i < n; i++)
        y = panel(f, tl[i], v[i], y, tmax);
    time_axis(f, tmax, 52, y);
    legend(f, tl[most], v[most], y + 34);
    fputs("</svg>\n", f);
    rc = fclose(f) ? -EIO : 0;
out:
    for (int i = 0; i < n; i++)
        view_free(v[i]);
    return rc;
}
