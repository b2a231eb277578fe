/* jail_bwrap.c: namespaces for a run through bubblewrap: its argv, and the probe that
 * says once whether the jail user can have them here. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail_int.h"

#define SANDBOX_TMP_BYTES "67108864" /* the private /tmp: 64 MiB */

static void bw_add(struct run *rn, int *n, const char *a)
{
    if (*n < JAIL_MAX_ARGS - 1)
        rn->bw[(*n)++] = (char *)a;
}

/* What of the host a run sees, read-only: the system's programs, libraries and headers
 * (the compiler's own folders lie below /usr), and the few files of /etc that the dynamic
 * loader, the C library's name lookups and Debian's alternatives (/usr/bin/cc) read. The
 * kit, its solutions, the submissions and a batch's results do not exist for it. */
static const char *const system_dirs[] = {"/usr",   "/bin",   "/sbin",   "/lib",
                                          "/lib32", "/lib64", "/libx32", NULL};
static const char *const etc_files[] = {
    "/etc/ld.so.cache",  "/etc/ld.so.conf",  "/etc/ld.so.conf.d",
    "/etc/alternatives", "/etc/localtime",   "/etc/nsswitch.conf",
    "/etc/hosts",        "/etc/host.conf",   "/etc/gai.conf",
    "/etc/services",     "/etc/protocols",   "/etc/passwd",
    "/etc/group",        "/etc/resolv.conf", NULL};

enum {
    SYSTEM_ARGS = 3 * (sizeof(system_dirs) / sizeof(system_dirs[0]) +
                       sizeof(etc_files) / sizeof(etc_files[0]))
};

/* bwrap's words for the system folders, found once (with run_lock held): a merged-/usr
 * link (/bin -> usr/bin) stays a link, a folder is bound read-only, a missing one is left
 * out; each of etc_files is bound when it exists. */
static const char *system_view[SYSTEM_ARGS + 1];
static char system_links[sizeof(system_dirs) / sizeof(system_dirs[0])][PATH_MAX];

static void plan_system_view(void)
{
    int n = 0;
    struct stat st;

    for (int i = 0; system_dirs[i]; i++) {
        const char *d = system_dirs[i];
        ssize_t len;
        if (lstat(d, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode) &&
            (len = readlink(d, system_links[i], sizeof(system_links[i]) - 1)) > 0) {
            system_links[i][len] = '\0';
            system_view[n++] = "--symlink";
            system_view[n++] = system_links[i];
        } else if (S_ISDIR(st.st_mode)) {
            system_view[n++] = "--ro-bind";
            system_view[n++] = d;
        } else
            continue;
        system_view[n++] = d;
    }
    for (int i = 0; etc_files[i]; i++) {
        system_view[n++] = "--ro-bind-try";
        system_view[n++] = etc_files[i];
        system_view[n++] = etc_files[i];
    }
    system_view[n] = NULL;
}

/* bwrap's argv for the run: the system's folders read-only (nothing else of the host's
 * file system), a private /tmp, /dev and /proc of its own, then the ro folders (the box)
 * and the rw ones (its scratch folder), wherever they lie; pid, ipc and uts namespaces.
 * When the program, the namespace's init, ends, the kernel kills the rest. */
int jail_bwrap_plan(struct run *rn)
{
    static const char *const fixed[] = {
        /* --as-pid-1: the program is the namespace's init, waited for by bwrap, so its CPU
         * (and that of the children it waited for) reaches our wait4; bwrap's own reaper
         * would swallow it */
        BWRAP,           "--unshare-pid",        "--as-pid-1",        "--unshare-ipc",
        "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", NULL,
    };
    static const char *const own[] = {
        "--dev", "/dev", "--proc", "/proc", "--size", SANDBOX_TMP_BYTES, "--tmpfs", "/tmp", NULL,
    };
    const struct jail_opts *o = rn->o;
    int n = 0;

    if (!system_view[0])
        plan_system_view();
    for (const char *const *f = fixed; *f; f++)
        bw_add(rn, &n, *f);
    for (const char *const *f = system_view; *f; f++)
        bw_add(rn, &n, *f);
    for (const char *const *f = own; *f; f++)
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
static double sandbox_cpu; /* bwrap's own CPU for a run (the least of `probes` probes) */
static int probes;         /* probe runs so far: one to know, 3 before CPU is measured */
static bool probing;       /* the probe runs count bwrap's CPU as it is */

/* One run of /bin/true in the sandbox: 0, its CPU the least seen so far, or -1. */
static int probe_run(void)
{
    char *argv[] = {"/bin/true", NULL};
    struct jail_opts o = {
        .lim = {.wall_s = 10, .nproc = 16}, .drop_privileges = true, .sandbox = true};
    struct jail_result r;
    int rc = -1;

    probing = true;
    if (jail_run_locked(argv, &o, &r) == 0 && r.end == JAIL_EXITED && r.code == 0) {
        if (probes++ == 0 || r.cpu_s < sandbox_cpu)
            sandbox_cpu = r.cpu_s;
        rc = 0;
    }
    probing = false;
    return rc;
}

/* Can the jail user start bubblewrap with our namespaces here? One run says (a grading
 * that measures no CPU needs no more: jail_bwrap_settle()). Called with run_lock. */
static void probe_sandbox(void)
{
    const char *s = getenv("JAIL_SANDBOX");

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
    sandbox_state = 1; /* tentatively, for the probe run itself */
    if (probe_run() == 0) {
        snprintf(sandbox_why, sizeof(sandbox_why),
                 "namespaces via bubblewrap: own pid, ipc and uts namespaces; a run sees "
                 "only the system's folders (read-only), the build's box, its own folder "
                 "and a private /tmp: not the kit, its solutions or other submissions");
        return;
    }
    sandbox_state = 0;
    snprintf(sandbox_why, sizeof(sandbox_why),
             "bubblewrap cannot make namespaces here (user namespaces off, or a container "
             "without them)");
}

void jail_bwrap_settle(void)
{
    if (sandbox_state < 0)
        probe_sandbox();
    /* the least of 3: the first run of a cold bwrap costs more than the runs it stands for */
    for (int tries = 0; sandbox_state == 1 && probes < 3 && tries < 3; tries++)
        probe_run();
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
