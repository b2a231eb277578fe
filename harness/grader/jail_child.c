/* jail_child.c: the run's process between fork and execve: its group, cgroup, limits,
 * stdio and user, set only with async-signal-safe calls; and the limits it will set,
 * planned by the parent before the fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jail_int.h"

#ifdef COVERAGE
void __gcov_dump(void); /* a child that _exits loses its coverage without it */
#endif

/* ---- the limits (parent, before fork) ---- */

struct task_count {
    uid_t uid;
    long n;
};

/* RLIMIT_NPROC counts every task (thread) whose real uid is the user's. */
static int count_tasks(pid_t pid, void *arg)
{
    struct task_count *tc = arg;
    char path[64], buf[4096];
    char *uid, *thr;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (jail_read_str(path, buf, sizeof(buf)) < 0)
        return 0;
    uid = strstr(buf, "\nUid:");
    thr = strstr(buf, "\nThreads:");
    if (uid && thr && (uid_t)strtoul(uid + 5, NULL, 10) == tc->uid)
        tc->n += strtol(thr + 9, NULL, 10);
    return 0;
}

/* Never raise a hard limit above the current one: only root could. */
static void add_rlimit(struct run *rn, int res, rlim_t soft, rlim_t hard)
{
    struct rlimit cur;

    if (getrlimit(res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
        if (hard > cur.rlim_max && geteuid() != 0)
            hard = cur.rlim_max;
        if (soft > hard)
            soft = hard;
    }
    rn->rl[rn->n_rl].res = res;
    rn->rl[rn->n_rl].val = (struct rlimit){soft, hard};
    rn->n_rl++;
}

void jail_plan_rlimits(struct run *rn)
{
    const struct jail_limits *l = &rn->o->lim;

    add_rlimit(rn, RLIMIT_CORE, 0, 0);
    if (l->cpu_s > 0) {
        rlim_t s = (rlim_t)l->cpu_s + ((double)(rlim_t)l->cpu_s < l->cpu_s); /* round up */

        /* SIGXCPU at the soft limit; the hard one (SIGKILL) only if it is caught. */
        add_rlimit(rn, RLIMIT_CPU, s, s + 1);
    }
    if (l->mem_bytes > 0)
        add_rlimit(rn, RLIMIT_AS, l->mem_bytes, l->mem_bytes);
    if (l->nofile > 0)
        add_rlimit(rn, RLIMIT_NOFILE, (rlim_t)l->nofile, (rlim_t)l->nofile);
    if (l->out_bytes > 0)
        add_rlimit(rn, RLIMIT_FSIZE, l->out_bytes, l->out_bytes);
    /* Not enforced for root (measured: 60 of 60 forks under 20), hence the cgroup and
     * nobody. It counts all the user's tasks, so allow the ones alive now on top; with a
     * cgroup it is not needed, and would make runs side by side (a batch) share it. */
    if (l->nproc > 0 && !rn->cg.on && (geteuid() != 0 || rn->drop)) {
        struct task_count tc = {rn->drop ? rn->uid : getuid(), 0};

        jail_for_each_proc(count_tasks, &tc);
        add_rlimit(rn, RLIMIT_NPROC, (rlim_t)(tc.n + l->nproc), (rlim_t)(tc.n + l->nproc));
    }
}

/* ---- the child: only async-signal-safe calls from here to execve ---- */

static _Noreturn void child_fail(int fd, int step)
{
    struct start_msg m = {step, errno};

#ifdef COVERAGE
    __gcov_dump();
#endif
    if (write(fd, &m, sizeof(m)) < 0)
        _exit(126);
    _exit(127);
}

static void child_reset_signals(void)
{
    struct sigaction sa = {.sa_handler = SIG_DFL};
    sigset_t none;

    /* Ignored signals and the mask survive exec: the program must see the defaults. */
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int child_stdio(int out, int pass)
{
    int in = open("/dev/null", O_RDONLY);

    if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        return -1;
    /* The caller's sockets and pipes are none of the program's business. */
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    if (pass > 0 && (pass == 3 ? fcntl(3, F_SETFD, 0) : dup2(pass, 3)) < 0)
        return -1;
    return 0;
}

_Noreturn void jail_child_main(const struct run *rn, int errfd)
{
    int high = fcntl(errfd, F_DUPFD_CLOEXEC, 64); /* out of the way of the passed fd 3 */

    if (high >= 0)
        errfd = high;
    setpgid(0, 0);
    child_reset_signals();
    /* Join before anything else, so that every process of the run is counted. */
    if (rn->cg.on && jail_write_str(rn->cg.procs, "0") < 0)
        child_fail(errfd, STEP_CGROUP);
    if (rn->cg.mem_on && rn->cg.mprocs[0] && jail_write_str(rn->cg.mprocs, "0") < 0)
        child_fail(errfd, STEP_CGROUP);
    if (child_stdio(rn->outfd, rn->o->pass_fd) < 0)
        child_fail(errfd, STEP_STDIO);
    for (int i = 0; i < rn->n_rl; i++)
        if (setrlimit(rn->rl[i].res, &rn->rl[i].val) < 0)
            child_fail(errfd, STEP_LIMITS);
    /* Groups first, uid last: once the jail user, we could not drop the rest. If it cannot
     * read the program (or enter a folder on its path), execve fails with EACCES and the
     * caller sees "could not start (exec as the jail user)": the caller must then put
     * the build where that user can read it rather than run it as root. */
    if (rn->drop && (setgroups(0, NULL) < 0 || setgid((gid_t)rn->uid) < 0 || setuid(rn->uid) < 0))
        child_fail(errfd, STEP_DROP);
    /* After the drop, so that a folder the jail user cannot enter fails here, clearly. */
    if (rn->o->dir && chdir(rn->o->dir) < 0)
        child_fail(errfd, STEP_CHDIR);
    if (rn->bwrap)
        execve(BWRAP, rn->bw, rn->envp);
    else
        execve(rn->path, rn->argv, rn->envp);
    child_fail(errfd, STEP_EXEC);
}
