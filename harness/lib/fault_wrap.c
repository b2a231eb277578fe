/* fault_wrap.c: the wrappers of fault.h for processes, pipes, threads, memory and
 * descriptors: each fails as armed (fault.c) or passes the call on. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fault_int.h"

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

/* ---- threads and memory -------------------------------------------------------------------- */

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __real_pthread_tryjoin_np(pthread_t t, void **ret);
int __real_pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime);
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

/* fault_join_reap(): the threads a failed join reaped while it was on. */
static atomic_int join_reap;
enum { REAPED_MAX = 64 };
static pthread_t reaped[REAPED_MAX];
static atomic_uint nreaped;

void fault_join_reap(int on)
{
    atomic_store(&join_reap, on);
    if (!on)
        atomic_store(&nreaped, 0);
}

static bool was_reaped(pthread_t t)
{
    unsigned n = atomic_load(&nreaped);

    for (unsigned i = 0; i < n && i < REAPED_MAX; i++)
        if (pthread_equal(reaped[i], t))
            return true;
    return false;
}

static void forget_reaped(pthread_t t)
{
    unsigned n = atomic_load(&nreaped);

    for (unsigned i = 0; i < n && i < REAPED_MAX; i++)
        if (pthread_equal(reaped[i], t))
            reaped[i] = (pthread_t)0;
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    int e = fault_hit(FAULT_THREAD);

    if (e) {
        errno = 0; /* the error is the return value: code that reads errno gets nothing */
        return e;
    }
    e = __real_pthread_create(t, a, fn, arg);
    if (e == 0)
        forget_reaped(*t); /* a new thread may have the id of one reaped before */
    return e;
}

/* The joins (a test counts them against the threads started); an armed error is returned,
 * errno untouched, as pthread functions do. With fault_join_reap() on, the thread is joined
 * for real first (and remembered, so that a second join of it gets ESRCH, not a join of a
 * thread that is gone); off, it is left running and joinable. */
static int join_or(pthread_t t, int e, int (*real)(pthread_t, void **, const struct timespec *),
                   void **ret, const struct timespec *abstime)
{
    if (atomic_load(&join_reap) && was_reaped(t))
        return ESRCH;
    if (!e)
        return real(t, ret, abstime);
    if (atomic_load(&join_reap) && __real_pthread_join(t, NULL) == 0) {
        unsigned i = atomic_fetch_add(&nreaped, 1);

        if (i < REAPED_MAX)
            reaped[i] = t;
    }
    return e;
}

static int real_join(pthread_t t, void **ret, const struct timespec *abstime)
{
    (void)abstime;
    return __real_pthread_join(t, ret);
}

static int real_tryjoin(pthread_t t, void **ret, const struct timespec *abstime)
{
    (void)abstime;
    return __real_pthread_tryjoin_np(t, ret);
}

static int real_timedjoin(pthread_t t, void **ret, const struct timespec *abstime)
{
    return __real_pthread_timedjoin_np(t, ret, abstime);
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    return join_or(t, fault_hit(FAULT_JOIN), real_join, ret, NULL);
}

int __wrap_pthread_tryjoin_np(pthread_t t, void **ret)
{
    return join_or(t, fault_hit(FAULT_JOIN), real_tryjoin, ret, NULL);
}

int __wrap_pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
    return join_or(t, fault_hit(FAULT_JOIN), real_timedjoin, ret, abstime);
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

/* fault_realloc_moves(): every realloc() of a block moves it. */
static atomic_int realloc_moves;

void fault_realloc_moves(int on)
{
    atomic_store(&realloc_moves, on);
}

void *__wrap_realloc(void *p, size_t n)
{
    int e = fault_hit(FAULT_ALLOC);
    size_t had;
    void *q;

    if (e) {
        errno = e;
        return NULL;
    }
    if (!p || !n || !atomic_load(&realloc_moves))
        return __real_realloc(p, n);
    q = __real_malloc(n); /* a new block, never p's own: the caller's old pointer goes stale */
    if (!q)
        return NULL;
    had = malloc_usable_size(p);
    memcpy(q, p, had < n ? had : n);
    memset(p, 0, had); /* what a stale pointer reads, where free() writes nothing of its own */
    free(p);
    return q;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    int e = fault_hit(FAULT_MMAP);

    if (e) {
        errno = e;
        return MAP_FAILED;
    }
    return __real_mmap(addr, len, prot, flags, fd, off);
}

/* ---- locks ---------------------------------------------------------------------------------- */

/* The program's static storage, from the start of its data to the end of its bss (the
 * linker's and the C start-up's symbols): every global and static variable lies there. */
extern char __data_start[], _end[];
static atomic_int count_static;
static atomic_uint static_locks;

void fault_count_static_locks(int on)
{
    if (on)
        atomic_store(&static_locks, 0);
    atomic_store(&count_static, on);
}

unsigned fault_static_locks(void)
{
    return atomic_load(&static_locks);
}

static void note_lock(const pthread_mutex_t *m)
{
    const char *p = (const char *)m;

    if (atomic_load_explicit(&count_static, memory_order_relaxed) && p >= __data_start && p < _end)
        atomic_fetch_add(&static_locks, 1);
}

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime);

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    note_lock(m);
    return __real_pthread_mutex_lock(m);
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
    int e = fault_hit(FAULT_BUSY);

    note_lock(m);
    return e ? e : __real_pthread_mutex_trylock(m);
}

int __wrap_pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    int e = fault_hit(FAULT_BUSY);

    note_lock(m);
    return e ? e : __real_pthread_mutex_timedlock(m, abstime);
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
int __real_close(int fd);
int __real_poll(struct pollfd *p, nfds_t n, int ms);
int __real_ppoll(struct pollfd *p, nfds_t n, const struct timespec *t, const sigset_t *m);
int __real_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t);
int __real_epoll_wait(int fd, struct epoll_event *ev, int n, int ms);
int __real_epoll_pwait(int fd, struct epoll_event *ev, int n, int ms, const sigset_t *m);

/* ---- lab 5's loop --------------------------------------------------------------------------- */

/* Declared here, not from lab5.h: the library depends on no lab's folder. Weak: a runner
 * (or test_fault) without a loop_new() links, and its calls read -ENOSYS. */
struct loop;
int __real_loop_new(struct loop **lp) __attribute__((weak));
int __wrap_loop_new(struct loop **lp);

int __wrap_loop_new(struct loop **lp)
{
    int e = fault_hit(FAULT_LOOP_NEW);

    if (e)
        return -e;
    return __real_loop_new ? __real_loop_new(lp) : -ENOSYS;
}

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

/* FAULT_HUP: wait (5 s at most) until one of the n descriptors reports POLLHUP (or an
 * error): a poll() for no event reports only those. */
static void wait_hup(const struct pollfd *p, nfds_t n)
{
    struct pollfd q[256];

    if (n == 0 || n > sizeof(q) / sizeof(q[0]))
        return;
    for (nfds_t i = 0; i < n; i++)
        q[i] = (struct pollfd){.fd = p[i].fd, .events = 0};
    while (__real_poll(q, n, 5000) < 0 && errno == EINTR)
        ;
}

/* A timespec or timeval timeout in whole ms, rounded up; -1 for none. */
static int ts_ms(const struct timespec *t)
{
    if (!t)
        return -1;
    if (t->tv_sec >= INT_MAX / 1000 - 1)
        return INT_MAX;
    return (int)(t->tv_sec * 1000 + (t->tv_nsec + 999999) / 1000000);
}

int __wrap_poll(struct pollfd *p, nfds_t n, int ms)
{
    int e_ = fault_hit(FAULT_POLL);

    fault_note_wait(ms);
    if (e_ == FAULT_HUP) {
        if (fault_armed_by(FAULT_POLL) == (int)getpid())
            wait_hup(p, n);
        e_ = 0;
    }
    if (e_) {
        errno = e_;
        return -1;
    }
    return __real_poll(p, n, ms);
}

int __wrap_ppoll(struct pollfd *p, nfds_t n, const struct timespec *t, const sigset_t *m)
{
    fault_note_wait(ts_ms(t));
    FAIL_OR(FAULT_POLL, __real_ppoll(p, n, t, m));
}

int __wrap_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
    if (t) {
        struct timespec ts = {.tv_sec = t->tv_sec, .tv_nsec = t->tv_usec * 1000};

        fault_note_wait(ts_ms(&ts));
    } else {
        fault_note_wait(-1);
    }
    FAIL_OR(FAULT_POLL, __real_select(n, r, w, e, t));
}

int __wrap_epoll_wait(int fd, struct epoll_event *ev, int n, int ms)
{
    fault_note_wait(ms);
    FAIL_OR(FAULT_POLL, __real_epoll_wait(fd, ev, n, ms));
}

int __wrap_epoll_pwait(int fd, struct epoll_event *ev, int n, int ms, const sigset_t *m)
{
    fault_note_wait(ms);
    FAIL_OR(FAULT_POLL, __real_epoll_pwait(fd, ev, n, ms, m));
}

/* FAULT_REOPEN: the close is made, then /dev/null takes the descriptor it freed (open()
 * takes the lowest free number, usually that one; dup3() puts it there if not). */
int __wrap_close(int fd)
{
    int e = fault_hit(FAULT_CLOSE), r, nfd, saved;

    if (e == FAULT_REOPEN) {
        r = __real_close(fd);
        if (r < 0 || fd < 0)
            return r;
        saved = errno; /* a close that succeeds leaves errno as it was */
        nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (nfd >= 0 && nfd != fd) {
            if (dup3(nfd, fd, O_CLOEXEC) < 0)
                fd = -1;
            __real_close(nfd);
        }
        fault_set_reopened(nfd >= 0 ? fd : -1);
        errno = saved;
        return r;
    }
    if (e) {
        errno = e;
        return -1;
    }
    return __real_close(fd);
}
