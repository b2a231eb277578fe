/* jail_proc.c: the jail's small helpers: sets of pids, clocks, small files, /proc. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail_int.h"

bool jail_pidset_has(const struct pidset *s, pid_t pid)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == pid)
            return true;
    return false;
}

int jail_pidset_add(struct pidset *s, pid_t pid)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 32;
        pid_t *v = realloc(s->v, (size_t)cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = pid;
    return 0;
}

double jail_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void jail_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- small file helpers ---- */

int jail_write_str(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;
    int err;

    if (fd < 0)
        return -errno;
    n = write(fd, s, strlen(s));
    err = n < 0 ? -errno : 0;
    close(fd);
    return err;
}

ssize_t jail_read_str(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return n;
}

long jail_read_long_after(const char *path, const char *key)
{
    char buf[512];
    char *p;

    if (jail_read_str(path, buf, sizeof(buf)) < 0)
        return -1;
    p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- /proc ---- */

int jail_proc_stat(pid_t pid, struct proc_stat *st)
{
    char path[64], buf[512];
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (jail_read_str(path, buf, sizeof(buf)) < 0)
        return -ESRCH;
    /* comm may hold spaces and parentheses: the fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %c %d %d", &st->state, &st->ppid, &st->pgrp) != 3)
        return -EINVAL;
    return 0;
}

int jail_for_each_proc(int (*fn)(pid_t pid, void *arg), void *arg)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int ret = 0;

    if (!d)
        return -errno;
    while (!ret && (e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);

        if (*end == '\0' && pid > 0)
            ret = fn((pid_t)pid, arg);
    }
    closedir(d);
    return ret;
}
