/* timeline_proc.c: a run's tasks sampled from /proc by a thread of the grader's. */
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

#include "sys.h"
#include "timeline.h"
#include "timeline_proc.h"

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
