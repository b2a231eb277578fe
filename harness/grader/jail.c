/* jail.c: run untrusted code contained: the run's plan (path, environment, output,
 * limits, namespaces), its start, supervision and result. The parts: jail_child.c (the
 * child up to execve), jail_sweep.c (waiting, and the sweep of what is left),
 * jail_cgroup.c, jail_bwrap.c, jail_proc.c (helpers), jail_describe.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail_int.h"

enum {
    JAIL_UID_BASE = 2000000000, /* + our pid: a uid no account and no other grader has */
};

static const char *const step_names[STEP_N] = {
    "join the pids cgroup",    "set limits", "redirect stdin/stdout/stderr",
    "switch to the jail user", "chdir",      "exec",
};
static const char *const step_names_nobody[STEP_N] = {
    "join the pids cgroup",         "set limits",
    "redirect stdin/stdout/stderr", "switch to the jail user",
    "chdir as the jail user",       "exec as the jail user",
};

/* Serialises runs: a sweep takes every new child of ours as part of the run. */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;

static volatile sig_atomic_t running_pgid; /* the run under way, for jail_abort */

void jail_abort(void)
{
    pid_t pgid = running_pgid;

    if (pgid > 0) {
        kill(-pgid, SIGKILL);
        kill(pgid, SIGKILL);
    }
}

pid_t jail_running(void)
{
    return running_pgid;
}

static int add_if_child(pid_t pid, void *arg)
{
    struct proc_stat st;

    if (jail_proc_stat(pid, &st) == 0 && st.ppid == getpid())
        return jail_pidset_add(arg, pid);
    return 0;
}

/* ---- preparing the run (parent, before fork) ---- */

int jail_uid(void)
{
    return geteuid() == 0 ? JAIL_UID_BASE + (int)getpid() : -1;
}

/* A fixed base plus the extra entries: the caller's environment may hold secrets. */
static char **make_env(char *const *extra)
{
    static char *const base[] = {"PATH=/usr/bin:/bin", "LC_ALL=C"};
    size_t m = 0, k = 0;
    char **envp;

    while (extra && extra[m])
        m++;
    envp = calloc(m + 3, sizeof(*envp));
    if (!envp)
        return NULL;
    envp[k++] = base[0];
    envp[k++] = base[1];
    for (size_t j = 0; j < m; j++)
        envp[k++] = extra[j];
    return envp;
}

/* The run's output file, opened here (as the caller, who may be root): never through a
 * link, so the file must lie in a folder the jail user cannot write. */
static int open_out(const char *path)
{
    int fd = open(path ? path : "/dev/null",
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (path ? O_NOFOLLOW : 0), 0644);

    return fd < 0 ? -errno : fd;
}

static int make_path(struct run *rn)
{
    const char *a = rn->argv[0];
    char cwd[PATH_MAX];
    int n;

    if (a[0] == '/' || !rn->o->dir)
        n = snprintf(rn->path, sizeof(rn->path), "%s", a);
    else if (getcwd(cwd, sizeof(cwd)))
        n = snprintf(rn->path, sizeof(rn->path), "%s/%s", cwd, a);
    else
        return -errno;
    return n < (int)sizeof(rn->path) ? 0 : -ENAMETOOLONG;
}

/* ---- the parent: results ---- */

static void map_status(int st, bool timed_out, double cpu_s, bool bwrap, struct jail_result *r)
{
    double cpu_max = r->lim.cpu_s;

    /* bubblewrap's reaper reports its program's death by a signal as 128 + the signal */
    if (WIFEXITED(st) && !(bwrap && WEXITSTATUS(st) > 128 && WEXITSTATUS(st) < 128 + NSIG)) {
        r->end = JAIL_EXITED;
        r->code = WEXITSTATUS(st);
        return;
    }
    r->code = WIFEXITED(st) ? WEXITSTATUS(st) - 128 : WTERMSIG(st);
    if (timed_out && r->code == SIGKILL)
        r->end = JAIL_TIMEOUT;
    else if (r->disk_limited && r->code == SIGKILL)
        r->end = JAIL_FLOOD; /* killed by us: its folders grew past lim.disk_bytes */
    else if (r->code == SIGXCPU)
        r->end = JAIL_CPU_LIMIT;
    else if (r->code == SIGKILL && cpu_max > 0 && cpu_s >= cpu_max)
        r->end = JAIL_CPU_LIMIT; /* SIGXCPU caught or ignored: the hard limit's SIGKILL */
    else if (r->code == SIGXFSZ)
        r->end = JAIL_FLOOD;
    else
        r->end = JAIL_SIGNALED;
}

static void start_failed(struct run *rn, const struct start_msg *m, struct jail_result *r)
{
    const char *const *names = rn->drop ? step_names_nobody : step_names;

    waitpid(rn->pid, NULL, 0);
    r->end = JAIL_START_FAILED;
    r->code = m->err;
    r->start_step = m->step >= 0 && m->step < STEP_N ? names[m->step] : "start";
}

static int supervise(struct run *rn, int errfd, struct jail_result *r)
{
    struct start_msg m;
    struct rusage ru;
    enum wait_seen seen = jail_wait_end(rn, errfd, &m);
    bool timed_out = seen == SEEN_DEADLINE;
    struct timespec t;
    int st, ret;

    clock_gettime(CLOCK_MONOTONIC, &t);
    r->t_end = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
    if (seen == SEEN_START_FAILED) {
        start_failed(rn, &m, r);
        return jail_sweep_all(rn);
    }
    /* Kill the rest while the main child is a zombie: its pid, the group id, stays ours. */
    r->disk_limited = seen == SEEN_DISK;
    if (timed_out || r->disk_limited)
        kill(rn->pid, SIGKILL);
    jail_sweep_round(rn);
    while (wait4(rn->pid, &st, 0, &ru) < 0)
        if (errno != EINTR)
            return -errno;
    ret = jail_sweep_all(rn);
    /* no namespaces: the host's /tmp was the run's too; the uid is this grader's own */
    if (rn->drop && !rn->bwrap)
        jail_sweep_tmp(rn->uid);
    r->cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    /* the run's CPU, not the sandbox's: bwrap's own set-up is counted in its wait4 */
    if (rn->bwrap) {
        double own = jail_bwrap_cpu();

        r->cpu_s = r->cpu_s > own ? r->cpu_s - own : 0;
    }
    r->runq_s = jail_runq_seconds(&rn->runq);
    r->tree_cpu_s = jail_runq_cpu_seconds(&rn->runq);
    map_status(st, timed_out, r->cpu_s, rn->bwrap, r);
    return ret;
}

static int start(struct run *rn, struct jail_result *r)
{
    int fds[2], ret;

    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    clock_gettime(CLOCK_MONOTONIC, &rn->t0);
    rn->pid = fork();
    if (rn->pid > 0)
        running_pgid = rn->pid;
    if (rn->pid < 0) {
        ret = -errno;
        goto out_pipe;
    }
    if (rn->pid == 0) {
        close(fds[0]);
        jail_child_main(rn, fds[1]);
    }
    /* Also from here: the group must exist before we might kill it. EACCES once it
     * has exec'd, which means the child did it itself. */
    setpgid(rn->pid, rn->pid);
    close(fds[1]);
    fds[1] = -1;
    ret = supervise(rn, fds[0], r);
    running_pgid = 0;
    r->wall_s = jail_since(&rn->t0);
    r->pid = rn->pid;
out_pipe:
    close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return ret;
}

int jail_run_locked(char *const argv[], const struct jail_opts *o, struct jail_result *r)
{
    struct run rn = {.o = o, .argv = argv};
    int ret = -ENOMEM;

    *r = (struct jail_result){.lim = o->lim, .pids_peak = -1, .mem_peak = -1};
    r->lim.mem_total = jail_cg_mem_total(o->lim.mem_total);
    jail_become_subreaper();
    rn.drop = o->drop_privileges && geteuid() == 0;
    rn.uid = (uid_t)jail_uid();
    ret = make_path(&rn);
    if (ret < 0)
        return ret;
    rn.bwrap = o->sandbox && jail_bwrap_usable(NULL); /* the first asks bubblewrap */
    if (rn.bwrap && (ret = jail_bwrap_plan(&rn)) < 0)
        return ret;
    ret = -ENOMEM;
    rn.envp = make_env(o->env);
    if (!rn.envp)
        return ret;
    rn.outfd = open_out(o->out_path);
    if ((ret = rn.outfd) < 0)
        goto out_env;
    ret = jail_for_each_proc(add_if_child, &rn.before);
    if (ret < 0)
        goto out_fd;
    jail_cg_make(&rn.cg, o->lim.nproc, r->lim.mem_total);
    jail_plan_rlimits(&rn);
    if (o->rw && o->rw[0] && o->lim.disk_bytes) { /* what its folders hold already */
        struct disk_use all = {LLONG_MAX, LLONG_MAX};
        jail_disk_use(o->rw, &all, &rn.disk_base);
        rn.disk_watch = true;
    }
    ret = start(&rn, r);
    r->leftovers = rn.seen.n;
    jail_cg_finish(&rn.cg, r);
out_fd:
    close(rn.outfd);
out_env:
    free(rn.before.v);
    free(rn.seen.v);
    free(rn.envp);
    return ret;
}

int jail_run(char *const argv[], const struct jail_opts *o, struct jail_result *r)
{
    int ret;

    pthread_mutex_lock(&run_lock);
    ret = jail_run_locked(argv, o, r);
    pthread_mutex_unlock(&run_lock);
    return ret;
}

void jail_sandbox_settle(void)
{
    pthread_mutex_lock(&run_lock);
    jail_bwrap_settle();
    pthread_mutex_unlock(&run_lock);
}

bool jail_sandbox(const char **why)
{
    bool on;

    pthread_mutex_lock(&run_lock);
    on = jail_bwrap_usable(why);
    pthread_mutex_unlock(&run_lock);
    return on;
}
