/* mutant: after a child's pipe closes, waits for any child (waitpid(-1)) and files its status under that child's job
 * replaces: procs.c
 * expect: proc_map::status_to_its_job fail
 * expect: proc_map::results_in_order pass
 */
/* procs.c: the process executor: a kitchen of its own for every table. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "lab3.h"

struct slot {
    pid_t pid;
    int fd;
    size_t job;
    size_t got;
    struct result r;
};

static void child_run(const struct job *job, int wfd)
{
    struct result r = {0, 0};
    ref_job_run(job, &r);
    const char *p = (const char *)&r;
    size_t off = 0;
    while (off < sizeof r) {
        ssize_t k = write(wfd, p + off, sizeof r - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        off += (size_t)k;
    }
    _exit(0);
}

/* Reap slot s and write its result. */
static void finish(struct slot *s, struct result *out)
{
    int st = 0;
    close(s->fd);
    s->fd = -1;
    while (waitpid(-1, &st, 0) < 0 && errno == EINTR)
        ;
    struct result *o = &out[s->job];
    if (WIFSIGNALED(st)) {
        o->value = 0;
        o->status = JOB_CRASHED(WTERMSIG(st));
    } else if (s->got == sizeof s->r) {
        *o = s->r;
    } else {
        o->value = 0;
        o->status = -EIO;
    }
    s->pid = -1;
}

/* Start job j in slot s; 0, or -errno (nothing left behind). */
static int start(struct slot *s, const struct job *jobs, size_t j)
{
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        close(p[0]);
        close(p[1]);
        return e;
    }
    if (pid == 0) {
        close(p[0]);
        child_run(&jobs[j], p[1]);
        _exit(1);
    }
    close(p[1]);
    s->pid = pid;
    s->fd = p[0];
    s->job = j;
    s->got = 0;
    return 0;
}

/* Read what is there; returns 1 when the slot is done (EOF or whole result + EOF). */
static int pump(struct slot *s)
{
    for (;;) {
        char buf[64];
        ssize_t k = read(s->fd, buf, sizeof buf);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (k == 0)
            return 1;
        size_t room = sizeof s->r - s->got;
        size_t take = (size_t)k < room ? (size_t)k : room;
        memcpy((char *)&s->r + s->got, buf, take);
        s->got += take;
        return 0;
    }
}

int proc_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    if (workers < 1 || (n > 0 && (!jobs || !out)))
        return -EINVAL;
    if (n == 0)
        return 0;
    size_t w = (size_t)workers < n ? (size_t)workers : n;
    struct slot *slots = calloc(w, sizeof *slots);
    struct pollfd *pfd = calloc(w, sizeof *pfd);
    if (!slots || !pfd) {
        free(slots);
        free(pfd);
        return -ENOMEM;
    }
    for (size_t k = 0; k < w; k++)
        slots[k].pid = -1, slots[k].fd = -1;

    size_t next = 0, alive = 0;
    int ret = 0;
    while (next < n || alive > 0) {
        /* fill free slots */
        while (ret == 0 && next < n && alive < w) {
            size_t k = 0;
            while (slots[k].pid != -1)
                k++;
            int rc = start(&slots[k], jobs, next);
            if (rc == -EAGAIN && alive > 0)
                break; /* wait for one to end, retry */
            if (rc < 0) {
                ret = rc;
                break;
            }
            next++;
            alive++;
        }
        if (alive == 0)
            break;
        size_t np = 0;
        size_t idx[w];
        for (size_t k = 0; k < w; k++) {
            if (slots[k].pid != -1) {
                pfd[np].fd = slots[k].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                idx[np++] = k;
            }
        }
        int pr = poll(pfd, np, -1);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            ret = ret ? ret : -errno;
            /* fall back: reap everything blocking */
            for (size_t k = 0; k < w; k++)
                if (slots[k].pid != -1) {
                    while (!pump(&slots[k]))
                        ;
                    finish(&slots[k], out);
                }
            alive = 0;
            break;
        }
        for (size_t q = 0; q < np; q++) {
            if (!pfd[q].revents)
                continue;
            struct slot *s = &slots[idx[q]];
            if (pump(s)) {
                finish(s, out);
                alive--;
            }
        }
    }
    free(slots);
    free(pfd);
    return ret;
}

static const struct {
    int sig;
    const char *name;
} names[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
    {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
    {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
    {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
    {SIGCONT, "SIGCONT"}, {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"},
    {SIGTTOU, "SIGTTOU"},
};

int crash_name(int status, const char **name)
{
    if (!name)
        return -EINVAL;
    int sig = -status - 1000;
    if (status > -1001 || sig < 1 || sig > 64)
        return -EINVAL;
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (names[k].sig == sig) {
            *name = names[k].name;
            return 0;
        }
    *name = "SIGNAL";
    return 0;
}
