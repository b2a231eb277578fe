/* sysload.c: the machine while a trial ran (/proc/stat, /proc/pressure/cpu), and whether
 * others took CPU the trial needed: a disturbed pair is dropped (speed.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysload.h"

int sysload_read(struct sysload *s)
{
    unsigned long long v[10] = {0};
    double hz = (double)sysconf(_SC_CLK_TCK);
    char line[256];
    FILE *f = fopen("/proc/stat", "r");
    int n;

    memset(s, 0, sizeof(*s));
    if (!f)
        return -errno;
    n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 8)
        return -EIO;
    /* user nice system idle iowait irq softirq steal: all but idle and iowait are busy */
    s->busy_s = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
    s->steal_s = v[7] / hz;
    f = fopen("/proc/pressure/cpu", "r");
    if (!f)
        return 0; /* no PSI on this kernel: the /proc/stat signals still hold */
    while (fgets(line, sizeof(line), f)) {
        unsigned long long total;
        char *t = strstr(line, "total=");
        if (!strncmp(line, "some", 4) && t && sscanf(t, "total=%llu", &total) == 1)
            s->psi_s = total / 1e6;
    }
    fclose(f);
    return 0;
}

double sysload_self_wait(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    double sum = 0;

    while (d && (e = readdir(d))) {
        char path[300];
        unsigned long long run, wait;
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", e->d_name);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%llu %llu", &run, &wait) == 2)
                sum += wait / 1e9;
            fclose(f);
        }
    }
    if (d)
        closedir(d);
    return sum;
}

double sysload_others(const struct sysload *before, const struct sysload *after, double wall_s,
                      double own_cpu_s, int online)
{
    return wall_s > 0 ? (after->busy_s - before->busy_s - own_cpu_s - 0.02 * online) / wall_s : 0;
}

bool sysload_starved(double runq_s, double wall_s, double others, int threads, int online,
                     char *why, size_t len)
{
    if (runq_s < 0 || wall_s <= 0 || threads > online || others <= 0.05 ||
        runq_s <= SYSLOAD_WAITED * wall_s)
        return false;
    snprintf(why, len,
             "its tasks waited for a CPU %.0f%% of the time while other processes used %.2f "
             "cores",
             100 * runq_s / wall_s, others);
    return true;
}

bool sysload_disturbed(const struct sysload *before, const struct sysload *after, double wall_s,
                       double own_cpu_s, int online, double need, int threads, char *why,
                       size_t len)
{
    double others, steal, psi, own, spare = online - need;

    if (wall_s <= 0)
        return false;
    /* /proc/stat counts in ticks (10 ms): allow two ticks a core of slack */
    others = sysload_others(before, after, wall_s, own_cpu_s, online);
    steal = (after->steal_s - before->steal_s) / wall_s;
    psi = (after->psi_s - before->psi_s) / wall_s;
    own = own_cpu_s / wall_s;
    if (steal > 0.05) {
        snprintf(why, len, "steal time %.0f%% (the host ran others on our cores)", 100 * steal);
        return true;
    }
    /* Some task waited for a CPU: not ours when we had no more threads than cores. With
     * more (4 waiters spinning for a GIL on 2 cores), the pressure may be our own doing:
     * then only what others used counts, below. So it is when the run kept every core
     * busy by itself and nobody else ran: a task nobody declared (a parent spinning beside
     * its workers) waited for a core its own workers held; no neighbour can delay us
     * without CPU time of its own. */
    bool ours = others <= 0.05 && own >= online - 0.15;
    if (psi > 0.20 && threads <= online && own <= need + 0.1 && !ours) {
        snprintf(why, len, "tasks waited for a CPU %.0f%% of the time (CPU pressure)", 100 * psi);
        return true;
    }
    /* Others on cores we do not need leave us alone; beyond those, they took ours. */
    if (others > (spare > 0 ? spare : 0) + 0.15) {
        snprintf(why, len, "other processes used %.2f cores meanwhile (%.0f of %d were spare)",
                 others, spare > 0 ? spare : 0, online);
        return true;
    }
    return false;
}
