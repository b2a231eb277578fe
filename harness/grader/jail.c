/* jail.c: run untrusted code contained: process group, pids cgroup, rlimits, timeout, sweep. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jail.h"

enum {
    JAIL_UID_BASE = 2000000000, /* + our pid: a uid no account and no other grader has */
    JAIL_MAX_PROTECTED = 64,
    JAIL_MAX_RLIMITS = 8,
    JAIL_SWEEP_ROUNDS = 10000, /* ~1 ms apart: give up on a process stuck in the kernel */
    JAIL_MAX_ARGS = 96,
};

#define BWRAP "/usr/bin/bwrap"
#define SANDBOX_TMP_BYTES "67108864" /* the private /tmp: 64 MiB */

#ifdef COVERAGE
void __gcov_dump(void); /* a child that _exits loses its coverage without it */
#endif

/* Steps of the child's set-up, named for jail_describe when one fails. */
enum jail_step {
    STEP_CGROUP, STEP_LIMITS, STEP_STDIO, STEP_DROP, STEP_CHDIR, STEP_EXEC, STEP_N
};

static const char *const step_names[STEP_N] = {
    "join the pids cgroup", "set limits", "redirect stdin/stdout/stderr",
    "switch to the jail user", "chdir", "exec",
};
static const char *const step_names_nobody[STEP_N] = {
    "join the pids cgroup", "set limits", "redirect stdin/stdout/stderr",
    "switch to the jail user", "chdir as the jail user", "exec as the jail user",
};

struct start_msg {
    int step;
    int err;
};

struct pidset {
    pid_t *v;
    int n, cap;
};

struct cgroup {
    bool on;
    char dir[PATH_MAX];
    char procs[PATH_MAX + 16];
};

/* Everything the parent prepares before fork, so that the child calls only
 * async-signal-safe functions (the caller may have threads). */
struct run {
    const struct jail_opts *o;
    char *const *argv;
    char path[PATH_MAX]; /* argv[0], made absolute: the child changes folder first */
    char *bw[JAIL_MAX_ARGS]; /* under namespaces: bwrap's argv, ending in the program's */
    bool bwrap;
    char **envp;
    int outfd;            /* stdout and stderr of the run, opened by us */
    bool drop;
    uid_t uid;            /* the jail user, when drop */
    struct rlimit_set {
        int res;
        struct rlimit val;
    } rl[JAIL_MAX_RLIMITS];
    int n_rl;
    struct cgroup cg;
    struct pidset before; /* our children before the run: never the run's */
    struct pidset seen;   /* run processes found alive after the main one ended */
    pid_t pid;            /* the main child, also its process group id */
    struct timespec t0;
};

/* Serialises runs: a sweep takes every new child of ours as part of the run. */
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;

/* Guards protected[]; separate from run_lock so jail_protect works during a run. */
static pthread_mutex_t prot_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t protected[JAIL_MAX_PROTECTED];
static int n_protected;

static unsigned cg_counter; /* guarded by run_lock */
static volatile sig_atomic_t running_pgid; /* the run under way, for jail_abort */

void jail_abort(void)
{
    pid_t pgid = running_pgid;

    if (pgid > 0) {
        kill(-pgid, SIGKILL);
        kill(pgid, SIGKILL);
    }
}

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

static bool pidset_has(const struct pidset *s, pid_t pid)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == pid)
            return true;
    return false;
}

static int pidset_add(struct pidset *s, pid_t pid)
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

static double since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- small file helpers ---- */

static int write_str(const char *path, const char *s)
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

static ssize_t read_str(const char *path, char *buf, size_t len)
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

static long read_long_after(const char *path, const char *key)
{
    char buf[512];
    char *p;

    if (read_str(path, buf, sizeof(buf)) < 0)
        return -1;
    p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- /proc ---- */

struct proc_stat {
    char state;
    pid_t ppid, pgrp;
};

static int read_proc_stat(pid_t pid, struct proc_stat *st)
{
    char path[64], buf[512];
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_str(path, buf, sizeof(buf)) < 0)
        return -ESRCH;
    /* comm may hold spaces and parentheses: the fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %c %d %d", &st->state, &st->ppid, &st->pgrp) != 3)
        return -EINVAL;
    return 0;
}

/* Calls fn for every process in /proc; stops early when fn returns nonzero. */
static int for_each_proc(int (*fn)(pid_t pid, void *arg), void *arg)
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

static int add_if_child(pid_t pid, void *arg)
{
    struct proc_stat st;

    if (read_proc_stat(pid, &st) == 0 && st.ppid == getpid())
        return pidset_add(arg, pid);
    return 0;
}

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
    if (read_str(path, buf, sizeof(buf)) < 0)
        return 0;
    uid = strstr(buf, "\nUid:");
    thr = strstr(buf, "\nThreads:");
    if (uid && thr && (uid_t)strtoul(uid + 5, NULL, 10) == tc->uid)
        tc->n += strtol(thr + 9, NULL, 10);
    return 0;
}

/* ---- the pids cgroup ---- */

static bool cg_disabled(void)
{
    const char *s = getenv("JAIL_CGROUP"); /* "off": test the fallback, or a broken host */

    return s && strcmp(s, "off") == 0;
}

/* A pids cgroup is only usable if its pids.max took our limit. */
static int cg_try(struct cgroup *cg, const char *base, int nproc)
{
    char path[PATH_MAX + 16], num[32];

    for (int tries = 0; tries < 100; tries++) {
        snprintf(cg->dir, sizeof(cg->dir), "%s/jail-%d-%u", base, (int)getpid(), cg_counter++);
        if (mkdir(cg->dir, 0755) == 0)
            break;
        if (errno != EEXIST || tries == 99)
            return -errno;
    }
    snprintf(path, sizeof(path), "%s/pids.max", cg->dir);
    snprintf(num, sizeof(num), "%d", nproc);
    if (write_str(path, nproc > 0 ? num : "max") < 0) {
        rmdir(cg->dir);
        return -ENOTSUP;
    }
    snprintf(cg->procs, sizeof(cg->procs), "%s/cgroup.procs", cg->dir);
    cg->on = true;
    return 0;
}

/* cgroup v2: a child of our own cgroup, if the pids controller is (or can be) delegated. */
static int cg_try_v2(struct cgroup *cg, const char *mnt, int nproc)
{
    char path[PATH_MAX], buf[PATH_MAX], ctl[PATH_MAX + 32];
    char *own;

    snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
    if (read_str(path, buf, sizeof(buf)) < 0 || !strstr(buf, "pids"))
        return -ENOTSUP;
    if (read_str("/proc/self/cgroup", buf, sizeof(buf)) < 0 || !(own = strstr(buf, "0::/")))
        return -ENOTSUP;
    own[strcspn(own, "\n")] = '\0';
    snprintf(path, sizeof(path), "%s%s", mnt, own + 3);
    /* Fails (EBUSY) when our cgroup holds processes and is not the root: then no v2. */
    snprintf(ctl, sizeof(ctl), "%s/cgroup.subtree_control", path);
    write_str(ctl, "+pids");
    return cg_try(cg, path, nproc);
}

/* cgroup v1: under our own pids cgroup, so that limits set above us still hold; at the
 * mount's root when our path is not visible there (a container without a cgroup ns). */
static int cg_try_v1(struct cgroup *cg, int nproc)
{
    const char *mnt = "/sys/fs/cgroup/pids";
    char buf[PATH_MAX], path[PATH_MAX + 32];
    char *own = NULL;
    struct stat st;

    if (access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) < 0)
        return -ENOTSUP;
    if (read_str("/proc/self/cgroup", buf, sizeof(buf)) > 0 && (own = strstr(buf, ":pids:/")))
        own[strcspn(own, "\n")] = '\0';
    snprintf(path, sizeof(path), "%s%s", mnt, own ? own + 6 : "");
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        snprintf(path, sizeof(path), "%s", mnt);
    return cg_try(cg, path, nproc);
}

static void cg_make(struct cgroup *cg, int nproc)
{
    cg->on = false;
    if (cg_disabled())
        return;
    if (cg_try_v1(cg, nproc) == 0)
        return;
    if (cg_try_v2(cg, "/sys/fs/cgroup", nproc) == 0)
        return;
    cg_try_v2(cg, "/sys/fs/cgroup/unified", nproc);
}

static void cg_read(const struct cgroup *cg, struct pidset *s)
{
    FILE *f = fopen(cg->procs, "re");
    int pid;

    s->n = 0;
    if (!f)
        return;
    while (fscanf(f, "%d", &pid) == 1)
        pidset_add(s, pid);
    fclose(f);
}

static void cg_finish(struct cgroup *cg, struct jail_result *r)
{
    char path[PATH_MAX + 16];
    long v;

    if (!cg->on)
        return;
    snprintf(path, sizeof(path), "%s/pids.peak", cg->dir);
    v = read_long_after(path, "");
    r->pids_peak = v >= 0 ? (int)v : -1;
    snprintf(path, sizeof(path), "%s/pids.events", cg->dir);
    r->fork_limited = read_long_after(path, "max ") > 0;
    /* The cgroup may stay busy a moment after its last task is reaped. */
    for (int i = 0; i < 1000 && rmdir(cg->dir) < 0 && errno == EBUSY; i++)
        sleep_ms(1);
    cg->on = false;
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
    rn->rl[rn->n_rl].val = (struct rlimit){ soft, hard };
    rn->n_rl++;
}

static void plan_rlimits(struct run *rn)
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
        struct task_count tc = { rn->drop ? rn->uid : getuid(), 0 };

        for_each_proc(count_tasks, &tc);
        add_rlimit(rn, RLIMIT_NPROC, (rlim_t)(tc.n + l->nproc), (rlim_t)(tc.n + l->nproc));
    }
}

/* ---- namespaces: bubblewrap ---- */

static void bw_add(struct run *rn, int *n, const char *a)
{
    if (*n < JAIL_MAX_ARGS - 1)
        rn->bw[(*n)++] = (char *)a;
}

/* bwrap's argv for the run: / read-only, a private /tmp (the ro and rw folders are bound
 * back even when they lie below it), /dev and /proc of its own, pid, ipc and uts
 * namespaces. When the program, the namespace's init, ends, the kernel kills the rest. */
static int plan_bwrap(struct run *rn)
{
    static const char *const fixed[] = {
        /* --as-pid-1: the program is the namespace's init, waited for by bwrap, so its CPU
         * (and that of the children it waited for) reaches our wait4; bwrap's own reaper
         * would swallow it */
        BWRAP, "--unshare-pid", "--as-pid-1", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        "--size", SANDBOX_TMP_BYTES, "--tmpfs", "/tmp", NULL,
    };
    const struct jail_opts *o = rn->o;
    int n = 0;

    for (const char *const *f = fixed; *f; f++)
        bw_add(rn, &n, *f);
    for (const char *const *d = o->ro; d && *d; d++) {
        bw_add(rn, &n, "--ro-bind");
        bw_add(rn, &n, *d);
        bw_add(rn, &n, *d);
    }
    for (const char *const *d = o->rw; d && *d; d++) {
        bw_add(rn, &n, "--bind");
        bw_add(rn, &n, *d);
        bw_add(rn, &n, *d);
    }
    if (o->dir) {
        bw_add(rn, &n, "--chdir");
        bw_add(rn, &n, o->dir);
    }
    bw_add(rn, &n, "--");
    bw_add(rn, &n, rn->path);
    for (int i = 1; rn->argv[i]; i++)
        bw_add(rn, &n, rn->argv[i]);
    if (n >= JAIL_MAX_ARGS - 1)
        return -E2BIG;
    rn->bw[n] = NULL;
    return 0;
}

static int sandbox_state = -1; /* -1 not probed, 0 off, 1 on; guarded by run_lock */
static char sandbox_why[256];
static double sandbox_cpu;     /* bwrap's own CPU for a run (the least of 3 probes) */
static bool probing;           /* the probe runs count bwrap's CPU as it is */

static int jail_run_locked(char *const argv[], const struct jail_opts *o,
                           struct jail_result *r);

/* Can the jail user start bubblewrap with our namespaces here? Called with run_lock. */
static void probe_sandbox(void)
{
    const char *s = getenv("JAIL_SANDBOX");
    char *argv[] = {"/bin/true", NULL};
    struct jail_opts o = {.lim = {.wall_s = 10, .nproc = 16}, .drop_privileges = true,
                          .sandbox = true};
    struct jail_result r;

    if (s && !strcmp(s, "off")) {
        sandbox_state = 0;
        snprintf(sandbox_why, sizeof(sandbox_why), "turned off (JAIL_SANDBOX=off)");
        return;
    }
    if (access(BWRAP, X_OK) < 0) {
        sandbox_state = 0;
        snprintf(sandbox_why, sizeof(sandbox_why), "no %s (Debian package bubblewrap)", BWRAP);
        return;
    }
    sandbox_state = 1; /* tentatively, for the probe runs themselves */
    sandbox_cpu = 0;
    probing = true;
    for (int i = 0; i < 3 && sandbox_state; i++) {
        if (jail_run_locked(argv, &o, &r) < 0 || r.end != JAIL_EXITED || r.code != 0)
            sandbox_state = 0;
        else if (i == 0 || r.cpu_s < sandbox_cpu)
            sandbox_cpu = r.cpu_s;
    }
    probing = false;
    if (sandbox_state) {
        snprintf(sandbox_why, sizeof(sandbox_why),
                 "namespaces via bubblewrap: own pid, ipc and uts namespaces, / read-only, "
                 "a private /tmp");
        return;
    }
    sandbox_state = 0;
    snprintf(sandbox_why, sizeof(sandbox_why),
             "bubblewrap cannot make namespaces here (user namespaces off, or a container "
             "without them)");
}

bool jail_sandbox(const char **why)
{
    pthread_mutex_lock(&run_lock);
    if (sandbox_state < 0)
        probe_sandbox();
    pthread_mutex_unlock(&run_lock);
    if (why)
        *why = sandbox_why;
    return sandbox_state == 1;
}

/* ---- the child: only async-signal-safe calls from here to execve ---- */

static _Noreturn void child_fail(int fd, int step)
{
    struct start_msg m = { step, errno };

#ifdef COVERAGE
    __gcov_dump();
#endif
    if (write(fd, &m, sizeof(m)) < 0)
        _exit(126);
    _exit(127);
}

static void child_reset_signals(void)
{
    struct sigaction sa = { .sa_handler = SIG_DFL };
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

static _Noreturn void child_main(const struct run *rn, int errfd)
{
    int high = fcntl(errfd, F_DUPFD_CLOEXEC, 64); /* out of the way of the passed fd 3 */

    if (high >= 0)
        errfd = high;
    setpgid(0, 0);
    child_reset_signals();
    /* Join before anything else, so that every process of the run is counted. */
    if (rn->cg.on && write_str(rn->cg.procs, "0") < 0)
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
    if (rn->drop && (setgroups(0, NULL) < 0 || setgid((gid_t)rn->uid) < 0 ||
                     setuid(rn->uid) < 0))
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

/* ---- the parent: waiting ---- */

static void become_subreaper(void)
{
    static bool done; /* guarded by run_lock */

    /* Orphans of the run (double-forked, setsid'd) are re-parented to us, not to init,
     * so the sweep finds and reaps them. */
    if (!done && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0)
        done = true;
}

static bool has_ended(pid_t pid)
{
    siginfo_t si = { 0 };

    /* WNOWAIT: the zombie stays, so its pid (the group id) cannot be reused yet. */
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

enum wait_seen { SEEN_START_FAILED, SEEN_END, SEEN_DEADLINE };

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

/* Waits for the main child to end (not reaped), to fail to start, or for the deadline.
 * The pipe alone cannot say it: a fork by another of the caller's threads may hold a
 * copy of its write end, so EOF can come late; the message comes before the end. */
static enum wait_seen wait_end(const struct run *rn, int errfd, struct start_msg *m)
{
    int pfd = (int)syscall(SYS_pidfd_open, rn->pid, 0);
    struct pollfd p[2] = { { .fd = errfd, .events = POLLIN }, { .fd = pfd, .events = POLLIN } };
    double wall_s = rn->o->lim.wall_s, left;
    enum wait_seen seen = SEEN_DEADLINE;

    while ((left = wall_s > 0 ? wall_s - since(&rn->t0) : 60.0) > 0) {
        int ms = (int)(left * 1000.0) + 1;

        /* Without a pidfd (kernel < 5.3) look at the child every 2 ms. */
        poll(p, 2, pfd >= 0 || ms < 2 ? ms : 2);
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
    if (st->pgrp == rn->pid || pidset_has(sw->cgp, pid))
        return true;
    return st->ppid == getpid() && !pidset_has(&rn->before, pid);
}

static int sweep_one(pid_t pid, void *arg)
{
    struct sweep *sw = arg;
    struct run *rn = sw->rn;
    struct proc_stat st;

    if (read_proc_stat(pid, &st) < 0 || !of_run(sw, pid, &st))
        return 0;
    sw->found++;
    if (pid == rn->pid)
        return 0; /* the main child: reaped by wait4 for its status and rusage */
    if (st.state != 'Z' && !pidset_has(&rn->seen, pid))
        pidset_add(&rn->seen, pid);
    kill(pid, SIGKILL);
    /* Only ever wait for a pid we know is the run's: the caller has children too. */
    if (st.ppid == getpid())
        waitpid(pid, NULL, WNOHANG);
    return 0;
}

/* One pass: kill (and reap what is ours of) every process of the run. Returns how many
 * were still there. */
static int sweep_round(struct run *rn)
{
    struct pidset cgp = { 0 };
    struct sweep sw = { rn, &cgp, 0 };

    if (rn->cg.on)
        cg_read(&rn->cg, &cgp);
    for_each_proc(sweep_one, &sw);
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

static int sweep_all(struct run *rn)
{
    for (int i = 0; i < JAIL_SWEEP_ROUNDS; i++) {
        if (sweep_round(rn) == 0)
            return 0;
        sleep_ms(1);
    }
    return -EBUSY;
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
    enum wait_seen seen = wait_end(rn, errfd, &m);
    bool timed_out = seen == SEEN_DEADLINE;
    struct timespec t;
    int st, ret;

    clock_gettime(CLOCK_MONOTONIC, &t);
    r->t_end = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
    if (seen == SEEN_START_FAILED) {
        start_failed(rn, &m, r);
        return sweep_all(rn);
    }
    /* Kill the rest while the main child is a zombie: its pid, the group id, stays ours. */
    if (timed_out)
        kill(rn->pid, SIGKILL);
    sweep_round(rn);
    while (wait4(rn->pid, &st, 0, &ru) < 0)
        if (errno != EINTR)
            return -errno;
    ret = sweep_all(rn);
    r->cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    /* the run's CPU, not the sandbox's: bwrap's own set-up is counted in its wait4 */
    if (rn->bwrap && !probing)
        r->cpu_s = r->cpu_s > sandbox_cpu ? r->cpu_s - sandbox_cpu : 0;
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
        child_main(rn, fds[1]);
    }
    /* Also from here: the group must exist before we might kill it. EACCES once it
     * has exec'd, which means the child did it itself. */
    setpgid(rn->pid, rn->pid);
    close(fds[1]);
    fds[1] = -1;
    ret = supervise(rn, fds[0], r);
    running_pgid = 0;
    r->wall_s = since(&rn->t0);
    r->pid = rn->pid;
out_pipe:
    close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return ret;
}

static int jail_run_locked(char *const argv[], const struct jail_opts *o,
                           struct jail_result *r)
{
    struct run rn = { .o = o, .argv = argv };
    int ret = -ENOMEM;

    *r = (struct jail_result){ .lim = o->lim, .pids_peak = -1 };
    become_subreaper();
    rn.drop = o->drop_privileges && geteuid() == 0;
    rn.uid = (uid_t)jail_uid();
    ret = make_path(&rn);
    if (ret < 0)
        return ret;
    if (o->sandbox && sandbox_state < 0)
        probe_sandbox();
    rn.bwrap = o->sandbox && sandbox_state == 1;
    if (rn.bwrap && (ret = plan_bwrap(&rn)) < 0)
        return ret;
    ret = -ENOMEM;
    rn.envp = make_env(o->env);
    if (!rn.envp)
        return ret;
    rn.outfd = open_out(o->out_path);
    if ((ret = rn.outfd) < 0)
        goto out_env;
    ret = for_each_proc(add_if_child, &rn.before);
    if (ret < 0)
        goto out_fd;
    cg_make(&rn.cg, o->lim.nproc);
    plan_rlimits(&rn);
    ret = start(&rn, r);
    r->leftovers = rn.seen.n;
    cg_finish(&rn.cg, r);
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

/* ---- describing a result ---- */

static void fmt_bytes(size_t b, char *buf, size_t len)
{
    if (b >= (1u << 20) && b % (1u << 20) == 0)
        snprintf(buf, len, "%zu MiB", b >> 20);
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(buf, len, "%zu KiB", b >> 10);
    else
        snprintf(buf, len, "%zu bytes", b);
}

static void describe_signal(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    const char *descr = sigdescr_np(sig);
    char low[64];

    if (!abbrev || !descr) {
        snprintf(buf, len, "killed by signal %d", sig);
        return;
    }
    snprintf(low, sizeof(low), "%s", descr);
    if (low[0] >= 'A' && low[0] <= 'Z')
        low[0] = (char)(low[0] - 'A' + 'a');
    if (strcmp(low, "killed") == 0) /* SIGKILL: "(killed)" would say nothing */
        snprintf(buf, len, "killed by SIG%s", abbrev);
    else
        snprintf(buf, len, "killed by SIG%s (%s)", abbrev, low);
}

static void describe_start(const struct jail_result *r, char *buf, size_t len)
{
    const char *err = strerrordesc_np(r->code);
    const char *step = r->start_step ? r->start_step : "start";

    snprintf(buf, len, "could not start (%s): %s%s", step, err ? err : "unknown error",
             r->code == EACCES && strstr(step, "jail user")
                 ? " (the program and its folders must be reachable by the jail user)" : "");
}

const char *jail_describe(const struct jail_result *r, char *buf, size_t len)
{
    char what[64];
    size_t n;

    switch (r->end) {
    case JAIL_EXITED:
        snprintf(buf, len, "exited with %d", r->code);
        break;
    case JAIL_SIGNALED:
        describe_signal(r->code, buf, len);
        break;
    case JAIL_TIMEOUT:
        snprintf(buf, len, "timed out after %.1f s (killed)", r->lim.wall_s);
        break;
    case JAIL_CPU_LIMIT:
        snprintf(buf, len, "used more than %.1f s of CPU", r->lim.cpu_s);
        break;
    case JAIL_FLOOD:
        fmt_bytes(r->lim.out_bytes, what, sizeof(what));
        snprintf(buf, len, "wrote more than %s of output (output flood)", what);
        break;
    case JAIL_START_FAILED:
        describe_start(r, buf, len);
        break;
    default:
        snprintf(buf, len, "ended in an unknown way");
    }
    n = strlen(buf);
    if (r->fork_limited && n < len)
        snprintf(buf + n, len - n, "; hit the limit of %d processes: a fork loop?",
                 r->lim.nproc);
    return buf;
}
