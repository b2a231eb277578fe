/* jail_describe.c: a run's end in a short phrase, for scoreboards and logs. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jail.h"

static void fmt_bytes(size_t b, char *buf, size_t len)
{
    if (b >= (1u << 20) && b % (1u << 20) == 0)
        snprintf(buf, len, "%zu MiB", b >> 20);
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(buf, len, "%zu KiB", b >> 10);
    else
        snprintf(buf, len, "%zu bytes", b);
}

static void describe_signal(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    const char *descr = sigdescr_np(sig);
    char low[64];

    if (!abbrev || !descr) {
        snprintf(buf, len, "killed by signal %d", sig);
        return;
    }
    snprintf(low, sizeof(low), "%s", descr);
    if (low[0] >= 'A' && low[0] <= 'Z')
        low[0] = (char)(low[0] - 'A' + 'a');
    if (strcmp(low, "killed") == 0) /* SIGKILL: "(killed)" would say nothing */
        snprintf(buf, len, "killed by SIG%s", abbrev);
    else
        snprintf(buf, len, "killed by SIG%s (%s)", abbrev, low);
}

static void describe_start(const struct jail_result *r, char *buf, size_t len)
{
    const char *err = strerrordesc_np(r->code);
    const char *step = r->start_step ? r->start_step : "start";

    snprintf(buf, len, "could not start (%s): %s%s", step, err ? err : "unknown error",
             r->code == EACCES && strstr(step, "jail user")
                 ? " (the program and its folders must be reachable by the jail user)"
                 : "");
}

const char *jail_describe(const struct jail_result *r, char *buf, size_t len)
{
    char what[64];
    size_t n;

    switch (r->end) {
    case JAIL_EXITED:
        snprintf(buf, len, "exited with %d", r->code);
        break;
    case JAIL_SIGNALED:
        describe_signal(r->code, buf, len);
        break;
    case JAIL_TIMEOUT:
        snprintf(buf, len, "timed out after %.1f s (killed)", r->lim.wall_s);
        break;
    case JAIL_CPU_LIMIT:
        snprintf(buf, len, "used more than %.1f s of CPU", r->lim.cpu_s);
        break;
    case JAIL_FLOOD:
        if (r->disk_limited) {
            fmt_bytes(r->lim.disk_bytes, what, sizeof(what));
            snprintf(buf, len,
                     "filled its folder with more than %s or %lld files (a disk flood: "
                     "killed)",
                     what, r->lim.disk_files);
            break;
        }
        fmt_bytes(r->lim.out_bytes, what, sizeof(what));
        snprintf(buf, len, "wrote more than %s of output (output flood)", what);
        break;
    case JAIL_START_FAILED:
        describe_start(r, buf, len);
        break;
    default:
        snprintf(buf, len, "ended in an unknown way");
    }
    n = strlen(buf);
    if (r->fork_limited && n < len)
        snprintf(buf + n, len - n, "; hit the limit of %d processes: a fork loop?", r->lim.nproc);
    n = strlen(buf);
    if (r->mem_limited && n < len) {
        fmt_bytes(r->lim.mem_total, what, sizeof(what));
        snprintf(buf + n, len - n,
                 "; hit the memory limit of %s for the whole run (all its processes "
                 "together): a process was killed",
                 what);
    }
    return buf;
}
