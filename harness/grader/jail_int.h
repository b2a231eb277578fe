/* jail_int.h: what the jail's own files share (jail*.c): one run's plan and its steps.
 * The rest of the grader uses jail.h only. */
#ifndef JAIL_INT_H
#define JAIL_INT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include "jail.h"

enum {
    JAIL_MAX_RLIMITS = 8,
    JAIL_MAX_ARGS = 192,   /* bwrap's ~90 words (jail_bwrap.c), then the program's */
    JAIL_RUNQ_TASKS = 256, /* tasks whose run-queue delay is kept (jail_runq.c) */
    JAIL_RUNQ_MS = 100,    /* sampled this often, when jail_opts.runq asks */
    JAIL_DISK_MS = 50,     /* the rw folders looked at this often (jail_disk.c) */
};

#define BWRAP "/usr/bin/bwrap"

/* Steps of the child's set-up, named for jail_describe when one fails. */
enum jail_step { STEP_CGROUP, STEP_LIMITS, STEP_STDIO, STEP_DROP, STEP_CHDIR, STEP_EXEC, STEP_N };

/* What the child writes to the parent when a step fails, before execve. */
struct start_msg {
    int step;
    int err;
};

struct pidset {
    pid_t *v;
    int n, cap;
};

/* The largest run-queue delay seen for each task of the run (jail_runq.c). */
struct runq {
    bool known; /* some task's schedstat could be read (kernels without sched_info: no) */
    int n;
    pid_t tid[JAIL_RUNQ_TASKS];
    unsigned long long ns[JAIL_RUNQ_TASKS];  /* waited for a CPU */
    unsigned long long run[JAIL_RUNQ_TASKS]; /* ran on one */
};

/* What folders hold: their entries' blocks, in bytes, and how many entries. */
struct disk_use {
    long long bytes;
    long long entries;
};

struct cgroup {
    bool on;
    char dir[PATH_MAX];
    char procs[PATH_MAX + 16];
    /* The memory cgroup (lim.mem_total): v2, the pids cgroup itself (mprocs empty); v1, a
     * cgroup of the memory hierarchy, joined through mprocs. */
    bool mem_on;
    int mem_v; /* 1 or 2 */
    char mdir[PATH_MAX];
    char mprocs[PATH_MAX + 16];
};

/* Everything the parent prepares before fork, so that the child calls only
 * async-signal-safe functions (the caller may have threads). */
struct run {
    const struct jail_opts *o;
    char *const *argv;
    char path[PATH_MAX];     /* argv[0], made absolute: the child changes folder first */
    char *bw[JAIL_MAX_ARGS]; /* under namespaces: bwrap's argv, ending in the program's */
    bool bwrap;
    char **envp;
    int outfd; /* stdout and stderr of the run, opened by us */
    bool drop;
    uid_t uid; /* the jail user, when drop */
    struct rlimit_set {
        int res;
        struct rlimit val;
    } rl[JAIL_MAX_RLIMITS];
    int n_rl;
    struct cgroup cg;
    struct pidset before; /* our children before the run: never the run's */
    struct pidset seen;   /* run processes found alive after the main one ended */
    struct runq runq;     /* when o->runq: the tasks' waits for a CPU */
    pid_t pid;            /* the main child, also its process group id */
    struct timespec t0;
    bool disk_watch;           /* the rw folders are looked at (lim.disk_bytes) */
    struct disk_use disk_base; /* what they held before the run */
    bool disk_over;            /* they grew past lim.disk_bytes or lim.disk_files */
};

/* jail.c: a run, with run_lock held (the sandbox probe runs through it too). */
int jail_run_locked(char *const argv[], const struct jail_opts *o, struct jail_result *r);

/* jail_proc.c: small files, /proc, sets of pids, time. */
struct proc_stat {
    char state;
    pid_t ppid, pgrp;
};

bool jail_pidset_has(const struct pidset *s, pid_t pid);
int jail_pidset_add(struct pidset *s, pid_t pid);
double jail_since(const struct timespec *t0);
void jail_sleep_ms(long ms);
int jail_write_str(const char *path, const char *s); /* async-signal-safe */
ssize_t jail_read_str(const char *path, char *buf, size_t len);
long jail_read_long_after(const char *path, const char *key);
int jail_proc_stat(pid_t pid, struct proc_stat *st);
/* Calls fn for every process in /proc; stops early when fn returns nonzero. */
int jail_for_each_proc(int (*fn)(pid_t pid, void *arg), void *arg);

/* jail_cgroup.c: a pids cgroup of the run's own, where the machine allows one. */
void jail_cg_make(struct cgroup *cg, int nproc, size_t mem_total);
void jail_cg_read(const struct cgroup *cg, struct pidset *s);
void jail_cg_finish(struct cgroup *cg, struct jail_result *r);

/* jail_bwrap.c: namespaces through bubblewrap. All with run_lock held. */
bool jail_bwrap_usable(const char **why); /* probes once */
void jail_bwrap_settle(void);             /* bwrap's own CPU measured well enough to take off */
int jail_bwrap_plan(struct run *rn);
/* bwrap's own CPU in a run, to take off the run's (0 while probing). */
double jail_bwrap_cpu(void);

/* jail_child.c: the rlimits (planned by the parent) and the child up to execve. */
void jail_plan_rlimits(struct run *rn);
_Noreturn void jail_child_main(const struct run *rn, int errfd);

/* jail_sweep.c: waiting for the run, and killing and reaping all that is left of it. */
enum wait_seen { SEEN_START_FAILED, SEEN_END, SEEN_DEADLINE, SEEN_DISK };

void jail_become_subreaper(void);
/* Waits for the main child to end (not reaped), to fail to start, or for the deadline. */
enum wait_seen jail_wait_end(struct run *rn, int errfd, struct start_msg *m);

/* jail_runq.c: add what the tasks of the process tree at pid waited for a CPU so far;
 * the sum of every task's wait, in seconds (-1: never sampled, or no schedstat here). */
void jail_runq_sample(struct runq *q, pid_t pid);
double jail_runq_seconds(const struct runq *q);
/* The CPU time the sampled tasks used, children nobody waited for included (-1: unknown). */
double jail_runq_cpu_seconds(const struct runq *q);
/* One pass: kill (and reap what is ours of) every process of the run; how many were left. */
int jail_sweep_round(struct run *rn);
/* Passes until none is left; -EBUSY when some never goes. */
int jail_sweep_all(struct run *rn);
/* Without namespaces (a run shares the host's /tmp): remove every entry of /tmp, /var/tmp and
 * /dev/shm owned by uid, the jail user of this grader alone (as root), after its run: a file,
 * a socket bound by name, a folder and what it holds (red team 11, criterion_socket_squat). */
void jail_sweep_tmp(uid_t uid);

/* jail_disk.c: what the NULL-ended folders `dirs` hold, counted until past `stop`. */
void jail_disk_use(const char *const *dirs, const struct disk_use *stop, struct disk_use *u);
/* Have the run's rw folders grown past its limits since rn->disk_base? */
bool jail_disk_over(struct run *rn);

#endif
