/* jail_bwrap.c: namespaces for a run through bubblewrap: its argv, and the probe that
 * says once whether the jail user can have them here. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jail_int.h"

#define SANDBOX_TMP_BYTES "67108864" /* the private /tmp: 64 MiB */

static void bw_add(struct run *rn, int *n, const char *a)
{
    if (*n < JAIL_MAX_ARGS - 1)
        rn->bw[(*n)++] = (char *)a;
}

/* bwrap's argv for the run: / read-only, a private /tmp (the ro and rw folders are bound
 * back even when they lie below it), /dev and /proc of its own, pid, ipc and uts
 * namespaces. When the program, the namespace's init, ends, the kernel kills the rest. */
int jail_bwrap_plan(struct run *rn)
{
    static const char *const fixed[] = {
        /* --as-pid-1: the program is the namespace's init, waited for by bwrap, so its CPU
         * (and that of the children it waited for) reaches our wait4; bwrap's own reaper
         * would swallow it */
        BWRAP,
        "--unshare-pid",
        "--as-pid-1",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--size",
        SANDBOX_TMP_BYTES,
        "--tmpfs",
        "/tmp",
        NULL,
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

/* All guarded by jail.c's run_lock. */
static int sandbox_state = -1; /* -1 not probed, 0 off, 1 on */
static char sandbox_why[256];
static double sandbox_cpu; /* bwrap's own CPU for a run (the least of 3 probes) */
static bool probing;       /* the probe runs count bwrap's CPU as it is */

/* Can the jail user start bubblewrap with our namespaces here? Called with run_lock. */
static void probe_sandbox(void)
{
    const char *s = getenv("JAIL_SANDBOX");
    char *argv[] = {"/bin/true", NULL};
    struct jail_opts o = {
        .lim = {.wall_s = 10, .nproc = 16}, .drop_privileges = true, .sandbox = true};
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

bool jail_bwrap_usable(const char **why)
{
    if (sandbox_state < 0)
        probe_sandbox();
    if (why)
        *why = sandbox_why;
    return sandbox_state == 1;
}

double jail_bwrap_cpu(void)
{
    return probing ? 0 : sandbox_cpu;
}
