/* jail.h: run untrusted code contained: own process group, limits, timeout, nothing left. */
#ifndef JAIL_H
#define JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct jail_limits {
    double wall_s;    /* wall-clock timeout; the whole run is killed after it */
    double cpu_s;     /* RLIMIT_CPU per process (0: none) */
    size_t mem_bytes; /* RLIMIT_AS per process (0: none; sanitizers need none) */
    /* Memory (RAM, no swap) of the whole run, every process together: a memory cgroup
     * (v2 memory.max and memory.swap.max = 0, v1 memory.limit_in_bytes and memsw), where
     * the machine lets us make one (0: none). It bounds what RLIMIT_AS cannot: many
     * processes, and sanitizer builds (which reserve terabytes of virtual memory and run
     * with no RLIMIT_AS). Env JAIL_MEM_TOTAL_MIB lowers it (tests). */
    size_t mem_total;
    int nproc;        /* tasks alive at once, the first one included; threads count too */
    int nofile;       /* RLIMIT_NOFILE (0: keep the current one) */
    size_t out_bytes; /* RLIMIT_FSIZE: stdout+stderr file size cap (0: none) */
    /* How much the rw folders (jail_opts.rw) may grow while the run lasts, in bytes of
     * blocks and in entries (files, folders, links), looked at every 50 ms: past either
     * the run is killed (JAIL_FLOOD, disk_limited). RLIMIT_FSIZE caps a file, not how
     * many. 0 bytes: not looked at (then disk_files is ignored). */
    size_t disk_bytes;
    long long disk_files;
};

struct jail_opts {
    struct jail_limits lim;
    const char *dir; /* working directory (NULL: keep); must be writable by the jail user */
    /* stdout and stderr go here, created or truncated by the caller's process (never
     * following a link), so it must lie where the jail user cannot write (NULL:
     * /dev/null). The run writes through the open file: the user needs no access. */
    const char *out_path;
    /* The environment is PATH=/usr/bin:/bin, LC_ALL=C and these "NAME=value" entries,
     * NULL-terminated: nothing of the caller's (tokens, secrets) reaches the run. */
    char *const *env;
    int pass_fd; /* handed to the run as its fd 3 (0: none; fd 0 cannot be passed) */
    /* When root: run as the jail user (jail_uid(), no groups); ignored when not root.
     * The program, every folder on its path and dir must be reachable by that user. Else
     * JAIL_START_FAILED, EACCES. */
    bool drop_privileges;
    /* Namespaces (bubblewrap), where the machine allows them (jail_sandbox()): a pid
     * namespace of its own (kill(-1) reaches only the run), a private /tmp, /dev and /proc
     * of its own, and of the host's files only the system's folders (/usr, /bin, /lib...,
     * a few files of /etc; read-only), then `ro` (read-only) and `rw` (writable), the
     * folders the run needs, wherever they lie; both NULL-ended. Nothing else exists for
     * it (ENOENT). Where the namespaces cannot be had, the run goes on without them and
     * sees the whole file system (jail_sandbox() says what is lost). */
    bool sandbox;
    const char *const *ro, *const *rw;
    /* Sample, every JAIL_RUNQ_MS, how long the run's tasks waited for a CPU while
     * runnable (jail_result.runq_s): whether a busy machine starved it. */
    bool runq;
};

enum jail_end {
    JAIL_EXITED,       /* exit status in .code */
    JAIL_SIGNALED,     /* killed by signal .code (not by us) */
    JAIL_TIMEOUT,      /* we killed it at lim.wall_s */
    JAIL_CPU_LIMIT,    /* SIGXCPU: used more than lim.cpu_s */
    JAIL_FLOOD,        /* SIGXFSZ: wrote more than lim.out_bytes; or, with disk_limited,
                          filled its folders past lim.disk_bytes or disk_files */
    JAIL_START_FAILED, /* could not start it (exec failed...): .code is the errno */
};

struct jail_result {
    enum jail_end end;
    int code;
    const char
        *start_step; /* JAIL_START_FAILED: the step that failed, e.g. "exec as the jail user" */
    struct jail_limits lim; /* the limits of the run, for jail_describe */
    double wall_s;          /* wall time from fork to the end of the group */
    double t_end;           /* CLOCK_MONOTONIC seconds when the main process was seen ended */
    pid_t pid;              /* the main process's pid (gone by now) */
    double cpu_s;           /* user+system CPU of the process and the children it waited for */
    /* With jail_opts.runq (else -1): how long the run's tasks were runnable but waiting for
     * a CPU, and the CPU they used, children nobody waited for included. */
    double runq_s, tree_cpu_s;
    int pids_peak;      /* most processes alive at once, when known (cgroup), else -1 */
    bool fork_limited;  /* a fork failed against lim.nproc */
    bool mem_limited;   /* the memory cgroup ran out (lim.mem_total): a process was killed */
    bool disk_limited;  /* killed: its rw folders grew past lim.disk_bytes or disk_files */
    bool mem_cgroup;    /* lim.mem_total was enforced (a memory cgroup was made) */
    long long mem_peak; /* most memory the run held at once (bytes), when known, else -1 */
    int leftovers;      /* processes still alive after the main one ended, that we killed */
};

/* Run argv[0] (a path) contained. Returns 0 when it ran (whatever its end), -errno
 * when the jail itself failed. Blocks until every process of the run is gone.
 * One run at a time per process (calls are serialised): its sweep takes every new child
 * of ours as part of the run, so children the caller starts during a run from another
 * thread must be passed to jail_protect. Do not set SIGCHLD to SIG_IGN. */
int jail_run(char *const argv[], const struct jail_opts *o, struct jail_result *r);

/* A short phrase for a result, e.g. "timed out after 5.0 s", "killed by SIGSEGV". */
const char *jail_describe(const struct jail_result *r, char *buf, size_t len);

/* The uid (and gid) runs take when the caller is root: one of this grader's own,
 * 2000000000 + its pid, so that no other grader's runs and no service share it (a
 * kill(-1) reaches only this grader's runs). -1 when not root: runs keep the caller's. */
int jail_uid(void);

/* Can runs get namespaces here? Probed once (bubblewrap, as the jail user); `why`
 * (may be NULL) gets a sentence for the scoreboard either way. Env JAIL_SANDBOX=off
 * turns them off (to test the fallback). */
bool jail_sandbox(const char **why);

/* Before runs whose CPU is a figure (speed cells): bubblewrap's own CPU, which each run's
 * is reported without, measured as the least of 3 runs (the first probe alone may be a
 * cold start's). A grading of tests alone probes once. */
void jail_sandbox_settle(void);

/* Did the last run that asked for lim.mem_total get its memory cgroup? 1 yes, 0 no (no
 * cgroup here: the limit was per process only, RLIMIT_AS, where the run had one), -1 no
 * run asked yet. For the scoreboard's note (sandbox_note). */
int jail_mem_cgroup(void);

/* The memory limit a run asking for `want` (lim.mem_total) gets: want, or env
 * JAIL_MEM_TOTAL_MIB (MiB) where that is lower (tests). */
size_t jail_cg_mem_total(size_t want);

/* For a signal handler of the caller's (async-signal-safe): kill the run under way, if
 * any, with its whole process group. The pids cgroup's strays die with the namespace
 * (bubblewrap) or their limits. */
void jail_abort(void);

/* The main pid of the run under way (another thread's jail_run), or 0: for the grader's
 * own observers (timeline_proc.c samples its /proc). */
pid_t jail_running(void);

/* Pids the jail must never kill or reap (e.g. the kitchen, a child of ours too). */
void jail_protect(pid_t pid);

#endif
