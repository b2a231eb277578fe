/* cores.h: how many cores this process may really use, and whether they are free now. */
#ifndef CORES_H
#define CORES_H

#include <stdbool.h>
#include <stddef.h>

struct cores {
    int online;    /* cores the machine has online */
    int affinity;  /* cores in our affinity mask */
    double quota;  /* cgroup CPU quota in cores, or 0 for none */
    double usable; /* min(affinity, quota): P in the spec's expressions */
    char why[160]; /* e.g. "2 usable cores (affinity 2 of 2, no CPU quota)" */
};

/*
 * Read the cgroup CPU quota below `root` ("/" normally; a fake tree in tests):
 * root/proc/self/cgroup names our cgroups; v2 reads cpu.max ("max 100000" or
 * "150000 100000"), v1 cpu.cfs_quota_us / cpu.cfs_period_us (-1 is none), each in
 * our own cgroup and its parents. Returns the quota in cores, or 0 for none.
 */
double cores_quota(const char *root);
/* Fill c for this process, with `affinity` and `online` given (tests fake them). */
void cores_compute(struct cores *c, int online, int affinity, double quota);
/* All of it, for this process on this machine. */
void cores_detect(struct cores *c);

/* Can speed be measured with these cores at all? Not below one usable core (a cgroup
 * quota of half a CPU, Gradescope's default): the cells would only measure the quota's
 * throttling. false with the reason, and what to do, in why. */
bool cores_enough(const struct cores *c, char *why, size_t len);

/* The pre-flight probe: spin ceil(P) threads for `ms` and measure the CPU each got.
 * Returns the cores we got (sum of thread CPU / wall). */
double cores_probe(double P, int ms);

#endif
