/* proc_tree.c: each task of a process tree, from /proc (jail_runq.c, threads_seen.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "proc_tree.h"

/* Appends the pids a task's `children` file lists to kids[] (at most PROC_TREE_MAX). */
static void children_of(pid_t pid, pid_t tid, pid_t *kids, int *n)
{
    char path[96], buf[4096];
    ssize_t len;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)tid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[len > 0 ? len : 0] = '\0';
    for (char *p = buf, *end; *n < PROC_TREE_MAX; p = end) {
        long child = strtol(p, &end, 10);
        if (end == p || child <= 0)
            break;
        kids[(*n)++] = (pid_t)child;
    }
}

static void visit(pid_t pid, int depth, int *budget, void (*fn)(pid_t, pid_t, void *), void *arg)
{
    pid_t kids[PROC_TREE_MAX];
    char path[64];
    struct dirent *e;
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (depth > PROC_TREE_DEPTH || *budget <= 0 || !(d = opendir(path)))
        return;
    (*budget)--;
    while ((e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0)
            continue;
        fn(pid, tid, arg);
        children_of(pid, tid, kids, &n);
    }
    closedir(d);
    for (int i = 0; i < n; i++)
        visit(kids[i], depth + 1, budget, fn, arg);
}

void proc_tree_tasks(pid_t root, void (*fn)(pid_t pid, pid_t tid, void *arg), void *arg)
{
    int budget = PROC_TREE_MAX;

    visit(root, 0, &budget, fn, arg);
}
