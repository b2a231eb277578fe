/* cores.c: usable cores (affinity mask, cgroup CPU quota) and the pre-flight probe. */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cores.h"
#include "sys.h"

/* Quota in cores from one cgroup folder, or 0 when it sets none. */
static double quota_at(const char *dir, int v2)
{
    char path[1100], a[32] = "";
    long long q = -1, p = 0;
    FILE *f;

    if (v2) {
        snprintf(path, sizeof(path), "%s/cpu.max", dir);
        if (!(f = fopen(path, "r")))
            return 0;
        if (fscanf(f, "%31s %lld", a, &p) != 2 || !strcmp(a, "max"))
            p = 0;
        else
            q = atoll(a);
        fclose(f);
        return q > 0 && p > 0 ? (double)q / p : 0;
    }
    snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", dir);
    if (!(f = fopen(path, "r")))
        return 0;
    if (fscanf(f, "%lld", &q) != 1)
        q = -1;
    fclose(f);
    snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir);
    if (!(f = fopen(path, "r")))
        return 0;
    if (fscanf(f, "%lld", &p) != 1)
        p = 0;
    fclose(f);
    return q > 0 && p > 0 ? (double)q / p : 0;
}

/* The smallest quota from our cgroup up to the hierarchy's root. */
static double quota_walk(const char *mount, const char *cg, int v2)
{
    char dir[1024], rel[512];
    double best = 0;

    snprintf(rel, sizeof(rel), "%s", cg);
    for (;;) {
        snprintf(dir, sizeof(dir), "%s%s", mount, rel);
        double q = quota_at(dir, v2);
        if (q > 0 && (best == 0 || q < best))
            best = q;
        char *slash = strrchr(rel, '/');
        if (!slash || (slash == rel && !rel[1]))
            break;
        slash[slash == rel] = '\0'; /* "/a/b" -> "/a" -> "/" */
    }
    return best;
}

static int has_cpu(const char *controllers)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", controllers);
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
        if (!strcmp(w, "cpu"))
            return 1;
    return 0;
}

double cores_quota(const char *root)
{
    char path[1024], line[1024], mount[1024];
    double best = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/proc/self/cgroup", root);
    if (!(f = fopen(path, "r")))
        return 0;
    while (fgets(line, sizeof(line), f)) {
        char *ctl = strchr(line, ':'), *cg;
        double q = 0;
        if (!ctl || !(cg = strchr(++ctl, ':')))
            continue;
        *cg++ = '\0';
        cg[strcspn(cg, "\n")] = '\0';
        if (!*ctl) { /* "0::/path": cgroup v2, unified at the root or under unified/ */
            snprintf(mount, sizeof(mount), "%s/sys/fs/cgroup", root);
            q = quota_walk(mount, cg, 1);
            if (!q) {
                snprintf(mount, sizeof(mount), "%s/sys/fs/cgroup/unified", root);
                q = quota_walk(mount, cg, 1);
            }
        } else if (has_cpu(ctl)) { /* v1: mounted as cpu, cpu,cpuacct or cpuacct,cpu */
            const char *names[] = {ctl, "cpu", "cpu,cpuacct", "cpuacct,cpu"};
            for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !q; i++) {
                snprintf(mount, sizeof(mount), "%s/sys/fs/cgroup/%s", root, names[i]);
                q = quota_walk(mount, cg, 0);
            }
        }
        if (q > 0 && (best == 0 || q < best))
            best = q;
    }
    fclose(f);
    return best;
}

void cores_compute(struct cores *c, int online, int affinity, double quota)
{
    char q[64] = "no CPU quota";

    c->online = online;
    c->affinity = affinity;
    c->quota = quota;
    c->usable = affinity;
    if (quota > 0 && quota < c->usable)
        c->usable = quota;
    if (quota > 0)
        snprintf(q, sizeof(q), "cgroup CPU quota %.2f cores", quota);
    snprintf(c->why, sizeof(c->why), "%g usable core%s (affinity %d of %d online, %s)", c->usable,
             c->usable == 1 ? "" : "s", affinity, online, q);
}

void cores_detect(struct cores *c)
{
    cpu_set_t set;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int aff = online > 0 ? (int)online : 1;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        aff = CPU_COUNT(&set);
    cores_compute(c, online > 0 ? (int)online : 1, aff, cores_quota(""));
}

bool cores_enough(const struct cores *c, char *why, size_t len)
{
    if (c->usable >= 1)
        return true;
    snprintf(why, len,
             "this machine lets the grader use %.2f of a core (%s): speed cannot be measured "
             "below 1 core; give the grader 2 or more CPUs",
             c->usable, c->why);
    return false;
}

struct spinner {
    double until; /* CLOCK_MONOTONIC seconds */
    double cpu;   /* this thread's CPU seconds while spinning */
};

static void *spin(void *arg)
{
    struct spinner *s = arg;
    double c0 = sys_clock(CLOCK_THREAD_CPUTIME_ID);
    volatile unsigned long x = 0;

    while (sys_clock(CLOCK_MONOTONIC) < s->until)
        for (int i = 0; i < 1000; i++)
            x += i;
    s->cpu = sys_clock(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

double cores_probe(double P, int ms)
{
    int n = (int)ceil(P), started = 0;
    pthread_t tid[64];
    struct spinner sp[64];
    double t0 = sys_clock(CLOCK_MONOTONIC), got = 0;

    if (n < 1)
        n = 1;
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        sp[i] = (struct spinner){.until = t0 + ms / 1000.0};
        if (pthread_create(&tid[i], NULL, spin, &sp[i]) != 0)
            break; /* fewer threads: the probe then reports fewer cores, honestly */
        started++;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
        got += sp[i].cpu;
    }
    return got / (sys_clock(CLOCK_MONOTONIC) - t0);
}
