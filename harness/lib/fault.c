/* fault.c: the wrappers behind fault.h. The test runner is linked with --wrap for each
 * name in FAULT_WRAP (build.c), so these stand in for the real calls; unarmed, each one
 * only counts and passes the call on. */
#define _GNU_SOURCE
#include "fault.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

struct fault {
    atomic_uint calls, failed;
    atomic_uint from, until; /* calls numbered from..until fail (until 0: no end) */
    atomic_int err;          /* 0: not armed */
};

static struct fault faults[FAULT_NCALLS];
static _Atomic long long shift_ns; /* CLOCK_REALTIME's offset as the code sees it */
static atomic_int wait_pick;        /* fault_wait_any_pick(): 0 off, 1 newest, -1 oldest */

void fault_arm(enum fault_call c, unsigned k, unsigned times, int err)
{
    struct fault *f = &faults[c];

    atomic_store(&f->err, 0);
    atomic_store(&f->calls, 0);
    atomic_store(&f->failed, 0);
    atomic_store(&f->from, k ? k : 1);
    atomic_store(&f->until, times ? (k ? k : 1) + times - 1 : 0);
    atomic_store(&f->err, err);
}

unsigned fault_calls(enum fault_call c)
{
    return atomic_load(&faults[c].calls);
}

unsigned fault_failed(enum fault_call c)
{
    return atomic_load(&faults[c].failed);
}

void fault_disarm_all(void)
{
    for (int c = 0; c < FAULT_NCALLS; c++)
        atomic_store(&faults[c].err, 0);
    atomic_store(&wait_pick, 0);
    atomic_store(&shift_ns, 0);
}

void fault_clock_shift(double seconds)
{
    atomic_store(&shift_ns, (long long)(seconds * 1e9));
}

/* Does this call fail? Returns the error to fail with, or 0 to make the real call. */
static int fault_hit(enum fault_call c)
{
    struct fault *f = &faults[c];
    int err = atomic_load(&f->err);
    unsigned n = atomic_fetch_add(&f->calls, 1) + 1, until;

    if (!err || n < atomic_load(&f->from))
        return 0;
    until = atomic_load(&f->until);
    if (until && n > until)
        return 0;
    atomic_fetch_add(&f->failed, 1);
    return err;
}

#define FAIL_OR(c, call)                                                                           \
    do {                                                                                           \
        int e_ = fault_hit(c);                                                                     \
        if (e_) {                                                                                  \
            errno = e_;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
        return call;                                                                               \
    } while (0)

/* A read or write: an armed FAULT_SHORT call moves at most one byte (SHORT_N, with `e_`
 * the error fault_hit() drew), any other armed error fails it. */
#define SHORT_N(n) (e_ == FAULT_SHORT && (n) > 1 ? 1 : (n))
#define SHORT_OR(c, call)                                                                          \
    do {                                                                                           \
        int e_ = fault_hit(c);                                                                     \
        if (e_ && e_ != FAULT_SHORT) {                                                             \
            errno = e_;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
        return call;                                                                               \
    } while (0)

/* ---- processes and pipes ------------------------------------------------------------------- */

pid_t __real_fork(void);
int __real_pipe(int fd[2]);
int __real_pipe2(int fd[2], int flags);
pid_t __real_waitpid(pid_t pid, int *st, int opt);
int __real_waitid(idtype_t t, id_t id, siginfo_t *info, int opt);

pid_t __wrap_fork(void)
{
    FAIL_OR(FAULT_FORK, __real_fork());
}

pid_t __wrap_vfork(void)
{
    FAIL_OR(FAULT_FORK, __real_fork()); /* vfork's borrowed stack cannot return through here */
}

int __wrap_pipe(int fd[2])
{
    FAIL_OR(FAULT_PIPE, __real_pipe(fd));
}

int __wrap_pipe2(int fd[2], int flags)
{
    FAIL_OR(FAULT_PIPE, __real_pipe2(fd, flags));
}

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

pid_t __wrap_waitpid(pid_t pid, int *st, int opt)
{
    int which = atomic_load(&wait_pick), e = fault_hit(FAULT_WAIT);

    if (e) {
        errno = e;
        return -1;
    }
    if (which && pid <= 0)
        return wait_any_picked(which, st, opt);
    return __real_waitpid(pid, st, opt);
}

pid_t __wrap_wait(int *st)
{
    return __wrap_waitpid(-1, st, 0);
}

int __wrap_waitid(idtype_t t, id_t id, siginfo_t *info, int opt)
{
    FAIL_OR(FAULT_WAIT, __real_waitid(t, id, info, opt));
}

/* ---- threads and memory -------------------------------------------------------------------- */

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    int e = fault_hit(FAULT_THREAD);

    if (e) {
        errno = 0; /* the error is the return value: code that reads errno gets nothing */
        return e;
    }
    return __real_pthread_create(t, a, fn, arg);
}

void *__wrap_malloc(size_t n)
{
    int e = fault_hit(FAULT_ALLOC);

    if (e) {
        errno = e;
        return NULL;
    }
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    int e = fault_hit(FAULT_ALLOC);

    if (e) {
        errno = e;
        return NULL;
    }
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    int e = fault_hit(FAULT_ALLOC);

    if (e) {
        errno = e;
        return NULL;
    }
    return __real_realloc(p, n);
}

/* ---- descriptors --------------------------------------------------------------------------- */

int __real_socket(int domain, int type, int proto);
int __real_connect(int fd, const struct sockaddr *a, socklen_t len);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_recv(int fd, void *buf, size_t n, int flags);
ssize_t __real_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a, socklen_t *l);
ssize_t __real_recvmsg(int fd, struct msghdr *m, int flags);
ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __real_send(int fd, const void *buf, size_t n, int flags);
ssize_t __real_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a,
                      socklen_t l);
ssize_t __real_sendmsg(int fd, const struct msghdr *m, int flags);
int __real_poll(struct pollfd *p, nfds_t n, int ms);
int __real_ppoll(struct pollfd *p, nfds_t n, const struct timespec *t, const sigset_t *m);
int __real_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t);
int __real_epoll_wait(int fd, struct epoll_event *ev, int n, int ms);
int __real_epoll_pwait(int fd, struct epoll_event *ev, int n, int ms, const sigset_t *m);

int __wrap_socket(int domain, int type, int proto)
{
    FAIL_OR(FAULT_SOCKET, __real_socket(domain, type, proto));
}

int __wrap_connect(int fd, const struct sockaddr *a, socklen_t len)
{
    FAIL_OR(FAULT_CONNECT, __real_connect(fd, a, len));
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    SHORT_OR(FAULT_READ, __real_read(fd, buf, SHORT_N(n)));
}

ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags)
{
    SHORT_OR(FAULT_READ, __real_recv(fd, buf, SHORT_N(n), flags));
}

ssize_t __wrap_recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *a, socklen_t *l)
{
    SHORT_OR(FAULT_READ, __real_recvfrom(fd, buf, SHORT_N(n), flags, a, l));
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *m, int flags)
{
    FAIL_OR(FAULT_READ, __real_recvmsg(fd, m, flags));
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    SHORT_OR(FAULT_WRITE, __real_write(fd, buf, SHORT_N(n)));
}

ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags)
{
    SHORT_OR(FAULT_WRITE, __real_send(fd, buf, SHORT_N(n), flags));
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a,
                      socklen_t l)
{
    SHORT_OR(FAULT_WRITE, __real_sendto(fd, buf, SHORT_N(n), flags, a, l));
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags)
{
    FAIL_OR(FAULT_WRITE, __real_sendmsg(fd, m, flags));
}

int __wrap_poll(struct pollfd *p, nfds_t n, int ms)
{
    FAIL_OR(FAULT_POLL, __real_poll(p, n, ms));
}

int __wrap_ppoll(struct pollfd *p, nfds_t n, const struct timespec *t, const sigset_t *m)
{
    FAIL_OR(FAULT_POLL, __real_ppoll(p, n, t, m));
}

int __wrap_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
    FAIL_OR(FAULT_POLL, __real_select(n, r, w, e, t));
}

int __wrap_epoll_wait(int fd, struct epoll_event *ev, int n, int ms)
{
    FAIL_OR(FAULT_POLL, __real_epoll_wait(fd, ev, n, ms));
}

int __wrap_epoll_pwait(int fd, struct epoll_event *ev, int n, int ms, const sigset_t *m)
{
    FAIL_OR(FAULT_POLL, __real_epoll_pwait(fd, ev, n, ms, m));
}

/* ---- the wall clock ------------------------------------------------------------------------ */

int __real_clock_gettime(clockid_t id, struct timespec *ts);

static void shift(struct timespec *ts)
{
    long long ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + atomic_load(&shift_ns);

    ts->tv_sec = (time_t)(ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
    int rc = __real_clock_gettime(id, ts);

    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI))
        shift(ts);
    return rc;
}

int __wrap_gettimeofday(struct timeval *tv, void *tz)
{
    struct timespec ts;
    int rc = __real_clock_gettime(CLOCK_REALTIME, &ts);

    (void)tz;
    if (rc == 0 && tv) {
        shift(&ts);
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return rc;
}

time_t __wrap_time(time_t *t)
{
    struct timespec ts;

    if (__real_clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return (time_t)-1;
    shift(&ts);
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}
