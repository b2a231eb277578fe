/* jail_cgroup.c: a pids cgroup of the run's own (v1 or v2), where the machine lets us
 * make one: it counts every process of the run and caps them at lim.nproc; and a memory
 * cgroup (v1, or v2: the same one), which caps the memory of all of them at
 * lim.mem_total, swap included (none). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jail_int.h"

static unsigned cg_counter; /* guarded by jail.c's run_lock: runs are serialised */
static int mem_state = -1;  /* jail_mem_cgroup() */

static bool cg_disabled(void)
{
    const char *s = getenv("JAIL_CGROUP"); /* "off": test the fallback, or a broken host */

    return s && strcmp(s, "off") == 0;
}

/* The cgroups a grader killed outright (SIGKILL, a crash) left behind under base: jail-P-N
 * whose process P is gone, made a minute ago or more. Each is empty once P's runs are over
 * (their processes were in it and are gone too), so rmdir() takes it; one still busy, or
 * another user's, stays; and a young one is left alone (a grader in another pid namespace,
 * sharing this hierarchy, may have just made it and not moved its run in yet). Left there,
 * such a folder is only clutter to us, but a test that counts its own process's cgroups
 * (jail-<its pid>-) reads one of them as its own when the pid comes round again. */
static void sweep_stale(const char *base)
{
    DIR *d = opendir(base);
    struct dirent *e;
    struct stat st;
    char path[PATH_MAX + 300];
    int pid;
    unsigned n;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (sscanf(e->d_name, "jail-%d-%u", &pid, &n) != 2 || pid <= 0 || pid == (int)getpid())
            continue;
        snprintf(path, sizeof(path), "%.4000s/%.255s", base, e->d_name);
        if (kill(pid, 0) < 0 && errno == ESRCH && stat(path, &st) == 0 &&
            time(NULL) - st.st_mtime >= 60)
            rmdir(path);
    }
    closedir(d);
}

/* A pids cgroup is only usable if its pids.max took our limit. */
static int cg_try(struct cgroup *cg, const char *base, int nproc)
{
    char path[PATH_MAX + 16], num[32];

    sweep_stale(base);
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
    jail_write_str(ctl, "+memory"); /* may fail (not delegated): no memory cgroup then */
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

size_t jail_cg_mem_total(size_t want)
{
    const char *s = getenv("JAIL_MEM_TOTAL_MIB"); /* lower, never higher: tests */
    unsigned long long mib = s ? strtoull(s, NULL, 10) : 0;

    if (want > 0 && mib > 0 && (mib << 20) < want)
        return (size_t)(mib << 20);
    return want;
}

/* v2: the pids cgroup's own memory.max (its parent delegated "memory"), no swap. */
static bool mem_try_v2(struct cgroup *cg, size_t bytes)
{
    char path[PATH_MAX + 32], num[32];

    snprintf(num, sizeof(num), "%zu", bytes);
    snprintf(path, sizeof(path), "%s/memory.max", cg->dir);
    if (jail_write_str(path, num) < 0)
        return false;
    snprintf(path, sizeof(path), "%s/memory.swap.max", cg->dir);
    jail_write_str(path, "0"); /* absent without swap accounting: nothing to swap to */
    snprintf(cg->mdir, sizeof(cg->mdir), "%s", cg->dir);
    cg->mprocs[0] = '\0'; /* joined with the pids cgroup */
    cg->mem_v = 2;
    return true;
}

/* v1: a cgroup of the memory hierarchy, under our own (limits above us still hold). */
static bool mem_try_v1(struct cgroup *cg, size_t bytes)
{
    const char *mnt = "/sys/fs/cgroup/memory";
    char buf[PATH_MAX], base[PATH_MAX + 32], path[PATH_MAX + 48], num[32];
    char *own = NULL;
    struct stat st;

    if (access("/sys/fs/cgroup/memory/cgroup.procs", W_OK) < 0)
        return false;
    if (jail_read_str("/proc/self/cgroup", buf, sizeof(buf)) > 0 &&
        (own = strstr(buf, ":memory:/")))
        own[strcspn(own, "\n")] = '\0';
    snprintf(base, sizeof(base), "%s%s", mnt, own ? own + 8 : "");
    if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
        snprintf(base, sizeof(base), "%s", mnt);
    sweep_stale(base);
    for (int tries = 0;; tries++) {
        snprintf(cg->mdir, sizeof(cg->mdir), "%.4000s/jail-%d-%u", base, (int)getpid(),
                 cg_counter++);
        if (mkdir(cg->mdir, 0755) == 0)
            break;
        if (errno != EEXIST || tries == 99)
            return false;
    }
    snprintf(num, sizeof(num), "%zu", bytes);
    snprintf(path, sizeof(path), "%s/memory.limit_in_bytes", cg->mdir);
    if (jail_write_str(path, num) < 0) {
        rmdir(cg->mdir);
        return false;
    }
    /* memory + swap: the same figure, so nothing is swapped (absent: no swap accounting) */
    snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", cg->mdir);
    jail_write_str(path, num);
    snprintf(cg->mprocs, sizeof(cg->mprocs), "%s/cgroup.procs", cg->mdir);
    cg->mem_v = 1;
    return true;
}

void jail_cg_make(struct cgroup *cg, int nproc, size_t mem_total)
{
    bool v2 = false;

    cg->on = false;
    cg->mem_on = false;
    if (cg_disabled()) {
        mem_state = mem_total > 0 ? 0 : mem_state;
        return;
    }
    if (cg_try_v1(cg, nproc) < 0 && !(v2 = cg_try_v2(cg, "/sys/fs/cgroup", nproc) == 0))
        v2 = cg_try_v2(cg, "/sys/fs/cgroup/unified", nproc) == 0;
    if (mem_total > 0) {
        cg->mem_on = mem_try_v1(cg, mem_total) || (v2 && mem_try_v2(cg, mem_total));
        mem_state = cg->mem_on;
    }
}

int jail_mem_cgroup(void)
{
    return mem_state;
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

/* The memory cgroup's end: did the run hit its limit (a process OOM-killed), its peak. */
static void mem_finish(struct cgroup *cg, struct jail_result *r)
{
    char path[PATH_MAX + 32];

    if (!cg->mem_on)
        return;
    r->mem_cgroup = true;
    snprintf(path, sizeof(path), "%s/%s", cg->mdir,
             cg->mem_v == 2 ? "memory.events" : "memory.oom_control");
    r->mem_limited = jail_read_long_after(path, "oom_kill ") > 0;
    snprintf(path, sizeof(path), "%s/%s", cg->mdir,
             cg->mem_v == 2 ? "memory.peak" : "memory.max_usage_in_bytes");
    r->mem_peak = jail_read_long_after(path, "");
    for (int i = 0; cg->mem_v == 1 && i < 1000 && rmdir(cg->mdir) < 0 && errno == EBUSY; i++)
        jail_sleep_ms(1);
    cg->mem_on = false;
}

void jail_cg_finish(struct cgroup *cg, struct jail_result *r)
{
    char path[PATH_MAX + 16];
    long v;

    mem_finish(cg, r); /* v2: before the pids cgroup, the same folder, is removed */
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
