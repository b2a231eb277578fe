/* fingerprint.h: the machine a run was graded on, for results.json and JUnit. */
#ifndef FINGERPRINT_H
#define FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>

struct cores;

struct fingerprint {
    bool set;            /* taken (fingerprint_take); the files leave it out when not */
    char cpu[128];       /* the CPU's model name (/proc/cpuinfo), or "unknown" */
    double usable;       /* cores this process may use (cores.h's P) */
    double quota;        /* cgroup CPU quota in cores, 0 for none */
    char cores_why[160]; /* why that many: affinity, online, quota */
    double load[3];      /* load averages (1, 5, 15 min) before grading */
    char kernel[128];    /* uname: sysname release machine */
    char compiler[160];  /* the first line of `cc --version` */
    char kit[64];        /* the kit's version: ROOT/VERSION, else `git describe`, else "unknown" */
};

/* Take the fingerprint of this machine now, before grading: cores from `c`, the kit's
 * version from `root` (its VERSION file, else `git -C root describe --always --dirty`),
 * the compiler from `cc --version` (`cc` a path; NULL: /usr/bin/cc). `proc` is "/proc"
 * normally, a fake folder in tests (cpuinfo, loadavg). */
void fingerprint_take(struct fingerprint *fp, const struct cores *c, const char *root,
                      const char *cc, const char *proc);

/* Ask git and the compiler now what fingerprint_take() will want of them (it asks each
 * once a process): a batch, before it forks its graders. */
void fingerprint_warm(const char *root, const char *cc);

/* The first line a program prints (stdout) with these arguments, no shell, stderr and
 * stdin closed, at most 2 s; "" when it cannot be run. 0, or -errno. */
int fingerprint_first_line(char *const argv[], char *buf, size_t len);

#endif
