/* jail.h: run untrusted code contained: own process group, limits, timeout, nothing left. */
#ifndef JAIL_H
#define JAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct jail_limits {
    double wall_s;        /* wall-clock timeout; the whole run is killed after it */
    double cpu_s;         /* RLIMIT_CPU per process (0: none) */
    size_t mem_bytes;     /* RLIMIT_AS (0: none; sanitizers need none) */
    int nproc;            /* tasks alive at once, the first one included; threads count too */
    int nofile;           /* RLIMIT_NOFILE (0: keep the current one) */
    size_t out_bytes;     /* RLIMIT_FSIZE: stdout+stderr file size cap (0: none) */
};

struct jail_opts {
    struct jail_limits lim;
    const char *dir;      /* working directory (NULL: keep); must be writable by the jail user */
    const char *out_path; /* stdout and stderr go here, truncated first (NULL: /dev/null) */
    char *const *env;     /* extra "NAME=value" entries, NULL-terminated (NULL: none) */
    /* When root: run as nobody (uid and gid 65534, no groups); ignored when not root.
     * out_path is opened before the drop, so it need not be writable by nobody; the
     * program, every folder on its path and dir must be. Else JAIL_START_FAILED, EACCES. */
    bool drop_privileges;
};

enum jail_end {
    JAIL_EXITED,    /* exit status in .code */
    JAIL_SIGNALED,  /* killed by signal .code (not by us) */
    JAIL_TIMEOUT,   /* we killed it at lim.wall_s */
    JAIL_CPU_LIMIT, /* SIGXCPU: used more than lim.cpu_s */
    JAIL_FLOOD,     /* SIGXFSZ: wrote more than lim.out_bytes */
    JAIL_START_FAILED, /* could not start it (exec failed...): .code is the errno */
};

struct jail_result {
    enum jail_end end;
    int code;
    const char *start_step; /* JAIL_START_FAILED: the step that failed, e.g. "exec as nobody" */
    struct jail_limits lim; /* the limits of the run, for jail_describe */
    double wall_s;       /* wall time from fork to the end of the group */
    double cpu_s;        /* user+system CPU of the process and the children it waited for */
    int pids_peak;       /* most processes alive at once, when known (cgroup), else -1 */
    bool fork_limited;   /* a fork failed against lim.nproc */
    int leftovers;       /* processes still alive after the main one ended, that we killed */
};

/* Run argv[0] (a path) contained. Returns 0 when it ran (whatever its end), -errno
 * when the jail itself failed. Blocks until every process of the run is gone.
 * One run at a time per process (calls are serialised): its sweep takes every new child
 * of ours as part of the run, so children the caller starts during a run from another
 * thread must be passed to jail_protect. Do not set SIGCHLD to SIG_IGN. */
int jail_run(char *const argv[], const struct jail_opts *o, struct jail_result *r);

/* A short phrase for a result, e.g. "timed out after 5.0 s", "killed by SIGSEGV". */
const char *jail_describe(const struct jail_result *r, char *buf, size_t len);

/* Pids the jail must never kill or reap (e.g. the kitchen, a child of ours too). */
void jail_protect(pid_t pid);

#endif
