/* threads_seen.c: the most threads any one process of a run had, from /proc, by the grader. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "proc_tree.h"
#include "threads_seen.h"

struct count {
    pid_t pid;   /* the process whose tasks are being counted */
    int n, most; /* its tasks so far; the most any process had */
};

/* proc_tree_tasks() visits all of a process's tasks before any other process's. */
static void count_task(pid_t pid, pid_t tid, void *arg)
{
    struct count *c = arg;

    (void)tid;
    if (pid != c->pid) {
        c->pid = pid;
        c->n = 0;
    }
    if (++c->n > c->most)
        c->most = c->n;
}

int threads_seen_now(pid_t root)
{
    struct count c = {.pid = -1};

    proc_tree_tasks(root, count_task, &c);
    return c.most;
}

struct threads_seen {
    pthread_t th;
    atomic_bool stop;
    pid_t (*root)(void);
    int most;
};

static void *sampler(void *arg)
{
    struct threads_seen *ts = arg;
    struct timespec next;
    pid_t root;

    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&ts->stop)) {
        if ((root = ts->root()) > 0) {
            int n = threads_seen_now(root);
            if (n > ts->most)
                ts->most = n;
        }
        next.tv_nsec += THREADS_SEEN_MS * 1000000L;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    return NULL;
}

struct threads_seen *threads_seen_start(pid_t (*root)(void))
{
    struct threads_seen *ts = calloc(1, sizeof(*ts));

    if (!ts)
        return NULL;
    ts->root = root;
    if (pthread_create(&ts->th, NULL, sampler, ts)) {
        free(ts);
        return NULL;
    }
    return ts;
}

int threads_seen_stop(struct threads_seen *ts)
{
    int most;

    if (!ts)
        return 0;
    atomic_store(&ts->stop, true);
    pthread_join(ts->th, NULL);
    most = ts->most;
    free(ts);
    return most;
}
