/* kitchen.c: the harness's side of the kitchen: start the server (kitchen_server.c, in
 * build/bin/kitchen) as a child, stop it, measure its CPU. (kitchen_check() is in
 * workload.c, beside ref_order(), whose connection code it shares.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kitchen.h"

enum {
    START_TIMEOUT_MS = 5000, /* kitchen_start gives up if "port N" takes longer */
    STOP_GRACE_MS = 1000,    /* kitchen_stop waits this long after SIGTERM, then SIGKILLs */
};

/* In the child between fork and exec: only async-signal-safe calls from here on. */
static void start_child(const char *path, char *const argv[], int wfd, pid_t parent)
{
    sigset_t none;

    /* If the test or harness dies without kitchen_stop, the kitchen must not outlive it. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
        _exit(127);
    if (wfd == STDOUT_FILENO)
        fcntl(wfd, F_SETFD, 0); /* dup2 onto itself would keep O_CLOEXEC */
    else if (dup2(wfd, STDOUT_FILENO) < 0)
        _exit(127);
    /* The server must not hold the student's (or the harness's) fds open. */
    close_range(3, ~0U, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(path, argv);
    dprintf(STDOUT_FILENO, "errno %d\n", errno);
    _exit(127);
}

/* Read "port N\n" (or "errno N\n") from the child within START_TIMEOUT_MS. */
static int read_ready(int fd, uint16_t *port)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[64];
    size_t len = 0;
    int ms = START_TIMEOUT_MS, val;
    struct timespec t0, t1;

    while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
        ssize_t n;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        n = poll(&p, 1, ms);
        if (n == 0)
            return -ETIMEDOUT;
        if (n > 0 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) == 0)
            break;
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0)
            len += (size_t)n;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms -= (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (ms <= 0)
            return -ETIMEDOUT;
    }
    buf[len] = '\0';
    if (sscanf(buf, "port %d", &val) == 1 && val > 0 && val < 65536) {
        *port = (uint16_t)val;
        return 0;
    }
    if (sscanf(buf, "errno %d", &val) == 1 && val > 0)
        return -val;
    return -EIO; /* it died before it could say */
}

int kitchen_start(const char *path, const struct kitchen_conf *c, struct kitchen *k)
{
    char lat[16], hold[16];
    char *argv[] = {(char *)path, "--latency", lat, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int n = 3, p[2], rc;
    pid_t pid, parent = getpid();

    /* Built before fork: the child of a threaded parent must not allocate. */
    snprintf(lat, sizeof(lat), "%d", c->latency_ms);
    if (c->split)
        argv[n++] = "--split";
    if (c->close_early)
        argv[n++] = "--close-early";
    if (c->cut)
        argv[n++] = "--cut";
    if (c->trail)
        argv[n++] = "--trail";
    if (c->garble)
        argv[n++] = "--garble";
    if (c->hold_ms > 0) {
        snprintf(hold, sizeof(hold), "%d", c->hold_ms);
        argv[n++] = "--hold";
        argv[n++] = hold;
    }
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        close(p[1]);
        goto out_pipe;
    }
    if (pid == 0)
        start_child(path, argv, p[1], parent);
    close(p[1]);
    rc = read_ready(p[0], &k->port);
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        goto out_pipe;
    }
    k->pid = pid;
    k->latency_ms = c->latency_ms;
out_pipe:
    close(p[0]);
    return rc;
}

/* Reap pid within ms milliseconds. Returns 0 with *status, or -ETIMEDOUT, or -errno. */
static int reap_within(pid_t pid, int ms, int *status)
{
    const struct timespec tick = {0, 2 * 1000000};

    for (int waited = 0; waited <= ms; waited += 2) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
        nanosleep(&tick, NULL); /* polling a child's exit: there is no fd to wait on here */
    }
    return -ETIMEDOUT;
}

int kitchen_stop(struct kitchen *k)
{
    int status = 0, rc;

    if (!k || k->pid <= 0)
        return -EINVAL; /* never kill(0) or kill(-1) */
    if (kill(k->pid, SIGTERM) < 0)
        return -errno;
    rc = reap_within(k->pid, STOP_GRACE_MS, &status);
    if (rc == -ETIMEDOUT) {
        kill(k->pid, SIGKILL);
        while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    k->pid = 0;
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        rc = -EIO; /* it was reaped, but it had failed or crashed */
    return rc;
}

double kitchen_cpu(const struct kitchen *k)
{
    char path[64], buf[1024], *p;
    unsigned long ut, st;
    ssize_t n;
    int fd;

    if (!k || k->pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)k->pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* The command name may hold spaces and ')': the fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
