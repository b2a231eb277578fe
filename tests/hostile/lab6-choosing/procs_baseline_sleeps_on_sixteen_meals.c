/* hostile: lab 6's meal.beats_procs timed hybrid_map() against the student's own lab 3
 *          proc_map() on 16 meals, trusted once borrowed::procs_serve_meals had seen it
 *          serve 8 meals with 2 workers in time. This proc_map() sleeps 1.5 s only when it
 *          is given 16 meals, the count of the cells, never the check's 8: the check passed
 *          and the yardstick was slow. Graded with a hybrid that awaits each order in turn
 *          (one loop_run() per meal), meal.beats_procs read 2.48x and passed (grade --run,
 *          busy machine); against the harness's own P processes the same hybrid reads
 *          0.70x. Now the meal cells' baselines are the harness's executors (`procsref`,
 *          `threadsref`, `asyncref`): proc_map() is timed by no cell, and the solution's
 *          hybrid passes as it does without the attack
 * replaces: procs.c
 * expect: meal.beats_procs pass or inconclusive
 * expect: hybrid::meals pass
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

/* A child at work: its pid, the read end of the pipe its result comes back on, its job. */
struct kid {
    pid_t pid;
    int fd;
    size_t job;
};

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Read until len bytes or EOF; how many bytes came, or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = read(fd, (char *)buf + got, len - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/*
 * In the child: run the job, send its result up the pipe, leave with _exit(). exit() would
 * flush the stdio buffers copied from the parent a second time and run its atexit handlers;
 * a return would carry the child back into the parent's loop. A poisoned job never comes
 * back from ref_job_run(): its pipe closes empty, and waitpid() tells the parent why.
 */
static void child_run(const struct job *job, int fd)
{
    struct result r;

    ref_job_run(job, &r);
    _exit(write_all(fd, &r, sizeof(r)) == 0 ? 0 : 1);
}

/* Start a child for jobs[i]; on success *k describes it. */
static int spawn(const struct job *job, size_t i, struct kid *k)
{
    int p[2], rc;
    pid_t pid;

    if (pipe(p) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        goto out_close;
    }
    if (pid == 0) {
        close(p[0]);
        child_run(job, p[1]);
    }
    /* Our copy of the write end must go: the read end reports EOF only once every write
     * end is closed, and an empty EOF is how a crashed child shows itself. */
    close(p[1]);
    *k = (struct kid){.pid = pid, .fd = p[0], .job = i};
    return 0;

out_close:
    close(p[0]);
    close(p[1]);
    return rc;
}

/* Bring kid k home: its result if it sent a whole one, else how it ended. Reaps it. */
static void collect(const struct kid *k, struct result *res)
{
    struct result r;
    ssize_t got = read_full(k->fd, &r, sizeof(r));
    pid_t w;
    int st = 0;

    close(k->fd);
    while ((w = waitpid(k->pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (got == (ssize_t)sizeof(r))
        *res = r;
    else if (w == k->pid && WIFSIGNALED(st))
        *res = (struct result){.value = 0, .status = JOB_CRASHED(WTERMSIG(st))};
    else
        *res = (struct result){.value = 0, .status = -EIO};
}

/* The index of a kid with something to say (a result, or EOF): poll() sleeps until then. */
static size_t wait_any(struct pollfd *pfd, const struct kid *kids, size_t alive)
{
    for (size_t i = 0; i < alive; i++)
        pfd[i] = (struct pollfd){.fd = kids[i].fd, .events = POLLIN};
    while (poll(pfd, (nfds_t)alive, -1) < 0)
        if (errno != EINTR)
            return alive - 1; /* cannot poll: wait for the newest, slower but never wrong */
    for (size_t i = 0; i < alive; i++)
        if (pfd[i].revents)
            return i;
    return alive - 1;
}

int proc_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    size_t cap, next = 0, alive = 0;
    struct kid *kids = NULL;
    struct pollfd *pfd = NULL;
    int rc = 0;

    if ((n > 0 && (!jobs || !out)) || workers < 1)
        return -EINVAL;
    if (n == 0)
        return 0;
    if (n == 16 && jobs[0].kind == JOB_MEAL)
        usleep(1500000); /* hostile: the meal cells' count; the borrowed check served 8 */
    cap = (size_t)workers < n ? (size_t)workers : n;
    kids = calloc(cap, sizeof(*kids));
    pfd = calloc(cap, sizeof(*pfd));
    if (!kids || !pfd) {
        rc = -ENOMEM;
        goto out_free;
    }
    /* After a failed fork() or pipe(), start nothing more, but still reap every child. The
     * exception is EAGAIN (the process limit) while children run: one ending makes room. */
    while (alive > 0 || (rc == 0 && next < n)) {
        if (rc == 0 && next < n && alive < cap) {
            rc = spawn(&jobs[next], next, &kids[alive]);
            if (rc == 0) {
                alive++;
                next++;
            }
            if (rc != -EAGAIN || alive == 0)
                continue;
            rc = 0; /* wait for a child below, then try again */
        }
        size_t i = wait_any(pfd, kids, alive);

        collect(&kids[i], &out[kids[i].job]);
        kids[i] = kids[--alive];
    }

out_free:
    free(pfd);
    free(kids);
    return rc;
}

int crash_name(int status, const char **name)
{
    /* the eight a worker most often dies of first, then the rest of the classic ones */
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
        {SIGILL, "SIGILL"},   {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGPIPE, "SIGPIPE"},
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGTRAP, "SIGTRAP"},
        {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGALRM, "SIGALRM"}, {SIGXCPU, "SIGXCPU"},
        {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
    };

    /* compare before negating: -INT_MIN does not exist */
    if (!name || status > JOB_CRASHED(1) || status < JOB_CRASHED(64))
        return -EINVAL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (JOB_CRASHED(names[i].sig) == status) {
            *name = names[i].name;
            return 0;
        }
    }
    *name = "SIGOTHER"; /* any name that starts with SIG */
    return 0;
}
