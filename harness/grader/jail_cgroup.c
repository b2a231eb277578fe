/* jail_cgroup.c: a pids cgroup of the run's own (v1 or v2), where the machine lets us
 * make one: it counts every process of the run and caps them at lim.nproc. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail_int.h"

static unsigned cg_counter; /* guarded by jail.c's run_lock: runs are serialised */

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
    if (jail_write_str(path, nproc > 0 ? num : "max") < 0) {
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
    if (jail_read_str(path, buf, sizeof(buf)) < 0 || !strstr(buf, "pids"))
        return -ENOTSUP;
    if (jail_read_str("/proc/self/cgroup", buf, sizeof(buf)) < 0 || !(own = strstr(buf, "0::/")))
        return -ENOTSUP;
    own[strcspn(own, "\n")] = '\0';
    snprintf(path, sizeof(path), "%s%s", mnt, own + 3);
    /* Fails (EBUSY) when our cgroup holds processes and is not the root: then no v2. */
    snprintf(ctl, sizeof(ctl), "%s/cgroup.subtree_control", path);
    jail_write_str(ctl, "+pids");
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
    if (jail_read_str("/proc/self/cgroup", buf, sizeof(buf)) > 0 && (own = strstr(buf, ":pids:/")))
        own[strcspn(own, "\n")] = '\0';
    snprintf(path, sizeof(path), "%s%s", mnt, own ? own + 6 : "");
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        snprintf(path, sizeof(path), "%s", mnt);
    return cg_try(cg, path, nproc);
}

void jail_cg_make(struct cgroup *cg, int nproc)
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

void jail_cg_read(const struct cgroup *cg, struct pidset *s)
{
    FILE *f = fopen(cg->procs, "re");
    int pid;

    s->n = 0;
    if (!f)
        return;
    while (fscanf(f, "%d", &pid) == 1)
        jail_pidset_add(s, pid);
    fclose(f);
}

void jail_cg_finish(struct cgroup *cg, struct jail_result *r)
{
    char path[PATH_MAX + 16];
    long v;

    if (!cg->on)
        return;
    snprintf(path, sizeof(path), "%s/pids.peak", cg->dir);
    v = jail_read_long_after(path, "");
    r->pids_peak = v >= 0 ? (int)v : -1;
    snprintf(path, sizeof(path), "%s/pids.events", cg->dir);
    r->fork_limited = jail_read_long_after(path, "max ") > 0;
    /* The cgroup may stay busy a moment after its last task is reaped. */
    for (int i = 0; i < 1000 && rmdir(cg->dir) < 0 && errno == EBUSY; i++)
        jail_sleep_ms(1);
    cg->on = false;
}
