/* jail_sweep.c: the parent's side of a run: waiting for its end, its start failure or
 * its deadline, then killing and reaping every process it left (never a protected one), and,
 * without namespaces, the files its user left in the host's /tmp. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail_int.h"
#include "rmtree.h"

enum {
    JAIL_MAX_PROTECTED = 64,
    JAIL_SWEEP_ROUNDS = 10000, /* ~1 ms apart: give up on a process stuck in the kernel */
};

/* Guards protected[]; separate from run_lock so jail_protect works during a run. */
static pthread_mutex_t prot_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t protected[JAIL_MAX_PROTECTED];
static int n_protected;

void jail_protect(pid_t pid)
{
    pthread_mutex_lock(&prot_lock);
    if (n_protected < JAIL_MAX_PROTECTED)
    protected[n_protected++] = pid;
    pthread_mutex_unlock(&prot_lock);
}

static bool is_protected(pid_t pid)
{
    bool found = false;

    pthread_mutex_lock(&prot_lock);
    for (int i = 0; i < n_protected && !found; i++)
        found = protected[i] == pid;
    pthread_mutex_unlock(&prot_lock);
    return found;
}

/* ---- the parent: waiting ---- */

void jail_become_subreaper(void)
{
    static bool done; /* guarded by run_lock */

    /* Orphans of the run (double-forked, setsid'd) are re-parented to us, not to init,
     * so the sweep finds and reaps them. */
    if (!done && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
        done = true;
}

static bool has_ended(pid_t pid)
{
    siginfo_t si = {0};

    /* WNOWAIT: the zombie stays, so its pid (the group id) cannot be reused yet. */
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* A full message means the child failed before execve; EOF means execve succeeded (the
 * pipe is O_CLOEXEC). Returns 1, 0 for EOF, or -EAGAIN while neither is known. */
static int read_start(int fd, struct start_msg *m)
{
    ssize_t n;

    do
        n = read(fd, m, sizeof(*m));
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(*m))
        return 1;
    return n < 0 && errno == EAGAIN ? -EAGAIN : 0;
}

/* Waits for the main child to end (not reaped), to fail to start, for the deadline, or
 * for its rw folders to grow past its limits (jail_disk.c).
 * The pipe alone cannot say it: a fork by another of the caller's threads may hold a
 * copy of its write end, so EOF can come late; the message comes before the end. */
enum wait_seen jail_wait_end(struct run *rn, int errfd, struct start_msg *m)
{
    int pfd = (int)syscall(SYS_pidfd_open, rn->pid, 0);
    struct pollfd p[2] = {{.fd = errfd, .events = POLLIN}, {.fd = pfd, .events = POLLIN}};
    double wall_s = rn->o->lim.wall_s, left;
    enum wait_seen seen = SEEN_DEADLINE;

    while ((left = wall_s > 0 ? wall_s - jail_since(&rn->t0) : 60.0) > 0) {
        int ms = (int)(left * 1000.0) + 1;

        if (rn->o->runq && ms > JAIL_RUNQ_MS)
            ms = JAIL_RUNQ_MS;
        if (rn->disk_watch && ms > JAIL_DISK_MS)
            ms = JAIL_DISK_MS;
        /* Without a pidfd (kernel < 5.3) look at the child every 2 ms. */
        poll(p, 2, pfd >= 0 || ms < 2 ? ms : 2);
        if (rn->o->runq)
            jail_runq_sample(&rn->runq, rn->pid);
        if (p[0].fd >= 0 && (p[0].revents || has_ended(rn->pid))) {
            int got = read_start(errfd, m);

            if (got == 1) {
                seen = SEEN_START_FAILED;
                break;
            }
            if (got == 0)
                p[0].fd = -1; /* it runs: poll ignores a negative fd */
        }
        if (has_ended(rn->pid)) {
            seen = SEEN_END;
            break;
        }
        if (jail_disk_over(rn)) {
            seen = SEEN_DISK;
            break;
        }
    }
    if (seen == SEEN_DEADLINE && has_ended(rn->pid))
        seen = SEEN_END;
    if (pfd >= 0)
        close(pfd);
    return seen;
}

/* ---- the parent: the sweep ---- */

struct sweep {
    struct run *rn;
    const struct pidset *cgp;
    int found;
};

static bool of_run(const struct sweep *sw, pid_t pid, const struct proc_stat *st)
{
    const struct run *rn = sw->rn;

    if (pid == getpid() || is_protected(pid))
        return false;
    if (st->pgrp == rn->pid || jail_pidset_has(sw->cgp, pid))
        return true;
    return st->ppid == getpid() && !jail_pidset_has(&rn->before, pid);
}

static int sweep_one(pid_t pid, void *arg)
{
    struct sweep *sw = arg;
    struct run *rn = sw->rn;
    struct proc_stat st;

    if (jail_proc_stat(pid, &st) < 0 || !of_run(sw, pid, &st))
        return 0;
    sw->found++;
    if (pid == rn->pid)
        return 0; /* the main child: reaped by wait4 for its status and rusage */
    if (st.state != 'Z' && !jail_pidset_has(&rn->seen, pid))
        jail_pidset_add(&rn->seen, pid);
    kill(pid, SIGKILL);
    /* Only ever wait for a pid we know is the run's: the caller has children too. */
    if (st.ppid == getpid())
        waitpid(pid, NULL, WNOHANG);
    return 0;
}

/* One pass: kill (and reap what is ours of) every process of the run. Returns how many
 * were still there. */
int jail_sweep_round(struct run *rn)
{
    struct pidset cgp = {0};
    struct sweep sw = {rn, &cgp, 0};

    if (rn->cg.on)
        jail_cg_read(&rn->cg, &cgp);
    jail_for_each_proc(sweep_one, &sw);
    /* Catch what was born during the scan: the group, and the cgroup's members. */
    if (kill(-rn->pid, SIGKILL) == 0)
        sw.found++;
    for (int i = 0; i < cgp.n; i++)
        if (cgp.v[i] > 0 && !is_protected(cgp.v[i])) /* kill(0) would hit our own group */
            kill(cgp.v[i], SIGKILL);
    sw.found += cgp.n;
    free(cgp.v);
    return sw.found;
}

int jail_sweep_all(struct run *rn)
{
    for (int i = 0; i < JAIL_SWEEP_ROUNDS; i++) {
        if (jail_sweep_round(rn) == 0)
            return 0;
        jail_sleep_ms(1);
    }
    return -EBUSY;
}

void jail_sweep_tmp(uid_t uid)
{
    static const char *const dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;

        while (d && (e = readdir(d))) {
            struct stat st;
            char path[PATH_MAX];

            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
                fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != uid)
                continue;
            snprintf(path, sizeof(path), "%s/%s", dirs[i], e->d_name);
            rmtree(path); /* never through a link, nor into a mount, whatever its depth */
        }
        if (d)
            closedir(d);
    }
}
