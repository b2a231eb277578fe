/* threads_seen.c: the most threads any one process of a run had, from /proc, by the grader. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "threads_seen.h"

#define TREE_MAX 256 /* a run has at most 256 tasks (trial.c's nproc) */

/* Adds the children of each task of pid to todo[]; returns pid's task count (0: gone). */
static int tasks_of(pid_t pid, pid_t *todo, int *n)
{
    char path[96], buf[4096];
    DIR *d;
    struct dirent *e;
    int tasks = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (!(d = opendir(path)))
        return 0;
    while ((e = readdir(d))) {
        int tid = atoi(e->d_name), fd;
        ssize_t len;
        if (tid <= 0)
            continue;
        tasks++;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, tid);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            continue;
        len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[len > 0 ? len : 0] = '\0';
        for (char *p = buf, *end; *n < TREE_MAX; p = end) {
            long child = strtol(p, &end, 10);
            if (end == p)
                break;
            todo[(*n)++] = (pid_t)child;
        }
    }
    closedir(d);
    return tasks;
}

int threads_seen_now(pid_t root)
{
    pid_t todo[TREE_MAX];
    int n = 0, most = 0;

    todo[n++] = root;
    for (int i = 0; i < n; i++) { /* a tree: each process is some one's child once */
        int t = tasks_of(todo[i], todo, &n);
        if (t > most)
            most = t;
    }
    return most;
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
