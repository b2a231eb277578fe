/* fault_wait.c: the wait wrappers (FAULT_WAIT), and the order a wait for any child reaps
 * in (fault_wait_any_pick). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault_int.h"

static atomic_int wait_pick;   /* fault_wait_any_pick(): 0 off, 1 newest, -1 oldest */
static atomic_uint killed[65]; /* children reaped that signal n ended: fault_reaped_killed() */

/* The pids this process has reaped and not forked again since (a bit each, pid_max at most
 * 2^22), and the waits that named one of them: fault_stale_waits(). */
enum { PID_BITS = 1 << 22 };
static _Atomic unsigned long long reaped[PID_BITS / 64];
static atomic_uint stale_waits;

static void mark_reaped(pid_t pid, int on)
{
    if (pid <= 0 || pid >= PID_BITS)
        return;
    unsigned long long bit = 1ULL << (pid % 64);

    if (on)
        atomic_fetch_or(&reaped[pid / 64], bit);
    else
        atomic_fetch_and(&reaped[pid / 64], ~bit);
}

/* A wait that names pid: stale if this process reaped that pid and has not forked it since. */
static void note_named(pid_t pid)
{
    if (pid > 0 && pid < PID_BITS && (atomic_load(&reaped[pid / 64]) >> (pid % 64) & 1))
        atomic_fetch_add(&stale_waits, 1);
}

pid_t fault_note_forked(pid_t pid)
{
    mark_reaped(pid, 0);
    return pid;
}

unsigned fault_stale_waits(void)
{
    return atomic_load(&stale_waits);
}

pid_t __real_waitpid(pid_t pid, int *st, int opt);
int __real_waitid(idtype_t t, id_t id, siginfo_t *info, int opt);

void fault_wait_any_pick(int which)
{
    atomic_store(&wait_pick, which);
}

/* The state letter of process `pid` (from /proc/<pid>/stat), or 0. */
static char proc_state(long pid)
{
    char path[64], buf[256], st = 0;
    const char *rp;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')))
        sscanf(rp + 1, " %c", &st);
    fclose(f);
    return st;
}

/* Our newest (which > 0) or oldest (which < 0) child that has ended, by pid; 0 if none.
 * Every thread's children are listed in /proc/self/task/<tid>/children. */
static pid_t pick_ended(int which)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    long best = 0;

    while (d && (e = readdir(d))) {
        char path[300];
        FILE *f;
        long pid;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
        if (!(f = fopen(path, "r")))
            continue;
        while (fscanf(f, "%ld", &pid) == 1)
            if (proc_state(pid) == 'Z' && (!best || (which > 0 ? pid > best : pid < best)))
                best = pid;
        fclose(f);
    }
    if (d)
        closedir(d);
    return (pid_t)best;
}

/* A wait for any child while fault_wait_any_pick() is on: wait until one has ended, give
 * the others 20 ms to end too, then reap the newest (or oldest) that has. */
static pid_t wait_any_picked(int which, int *st, int opt)
{
    siginfo_t si;
    pid_t z;

    if (!(opt & WNOHANG)) {
        int rc;

        while ((rc = __real_waitid(P_ALL, 0, &si, WEXITED | WNOWAIT)) < 0 && errno == EINTR)
            ;
        if (rc < 0)
            return -1; /* errno ECHILD: no children at all */
        nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
    }
    z = pick_ended(which);
    return z > 0 ? __real_waitpid(z, st, opt) : __real_waitpid(-1, st, opt);
}

unsigned fault_reaped_killed(int sig)
{
    return sig > 0 && sig < 65 ? atomic_load(&killed[sig]) : 0;
}

/* A child reaped (pid), that signal sig ended (0: it exited): its pid is stale from now on,
 * and it is counted for fault_reaped_killed() (before FAULT_CORE marks its status). */
static void reaped_one(pid_t pid, int sig)
{
    mark_reaped(pid, 1);
    if (sig > 0 && sig < 65)
        atomic_fetch_add(&killed[sig], 1);
}

/* FAULT_CORE: a status of a child killed by a signal, as if it had dumped core. */
static pid_t cored(pid_t got, int *st)
{
    if (got > 0 && st && WIFSIGNALED(*st))
        *st |= WCOREFLAG;
    return got;
}

static atomic_int wait_first; /* fault_wait_made() */

void fault_wait_made(int on)
{
    atomic_store(&wait_first, on);
}

/* FAULT_NOCLDWAIT (err ECHILD), or an armed error under fault_wait_made(): a wait made as
 * asked, whose child, once ended, is reaped; then the error. */
static pid_t waitpid_made(pid_t pid, int opt, int err)
{
    int st;
    pid_t got = __real_waitpid(pid, &st, opt);

    if (got <= 0)
        return got; /* 0: WNOHANG, still running; -1: its own error */
    if (WIFEXITED(st) || WIFSIGNALED(st))
        reaped_one(got, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    errno = err;
    return -1;
}

pid_t __wrap_waitpid(pid_t pid, int *st, int opt)
{
    int which = atomic_load(&wait_pick), e = fault_hit(FAULT_WAIT);
    int local, *stp = st ? st : &local;
    pid_t got;

    if (e == FAULT_NOCLDWAIT || (e > 0 && atomic_load(&wait_first))) {
        note_named(pid);
        return waitpid_made(pid, opt, e > 0 ? e : ECHILD);
    }
    if (e && e != FAULT_CORE) {
        errno = e;
        return -1;
    }
    note_named(pid);
    if (which && pid <= 0)
        got = wait_any_picked(which, stp, opt);
    else
        got = __real_waitpid(pid, stp, opt);
    if (got > 0 && (WIFEXITED(*stp) || WIFSIGNALED(*stp)))
        reaped_one(got, WIFSIGNALED(*stp) ? WTERMSIG(*stp) : 0);
    return e == FAULT_CORE ? cored(got, stp) : got;
}

pid_t __wrap_wait(int *st)
{
    return __wrap_waitpid(-1, st, 0);
}

int __wrap_waitid(idtype_t t, id_t id, siginfo_t *info, int opt)
{
    int e = fault_hit(FAULT_WAIT), rc;

    if (e == FAULT_NOCLDWAIT || (e > 0 && atomic_load(&wait_first))) { /* as waitpid_made() */
        siginfo_t si = {0};

        if (t == P_PID)
            note_named((pid_t)id);
        rc = __real_waitid(t, id, &si, (opt | WNOWAIT) & ~WSTOPPED & ~WCONTINUED);
        if (rc < 0 || !si.si_pid) {
            if (rc == 0 && info)
                *info = si; /* WNOHANG, none ended: as it is */
            return rc;
        }
        return waitpid_made(si.si_pid, 0, e > 0 ? e : ECHILD);
    }
    if (e && e != FAULT_CORE) {
        errno = e;
        return -1;
    }
    if (t == P_PID)
        note_named((pid_t)id);
    rc = __real_waitid(t, id, info, opt);
    if (rc == 0 && info && info->si_pid && !(opt & WNOWAIT) &&
        (info->si_code == CLD_EXITED || info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED))
        reaped_one(info->si_pid, info->si_code == CLD_EXITED ? 0 : info->si_status);
    if (e == FAULT_CORE && rc == 0 && info && info->si_pid && info->si_code == CLD_KILLED)
        info->si_code = CLD_DUMPED;
    return rc;
}
