/* fault_io.c: the wrappers of fault.h for descriptors (sockets, reads and writes, the waits
 * on descriptors, close) and lab 5's loop_new(): each fails as armed (fault.c) or passes the
 * call on. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "fault_int.h"
#include "workload.h"

/* A read or write: an armed FAULT_SHORT call moves at most one byte (SHORT_N, with `e_`
 * the error fault_hit() drew), any other armed error fails it. */
#define SHORT_N(n) (e_ == FAULT_SHORT && (n) > 1 ? 1 : (n))
#define SHORT_OR(c, call)                                                                          \
    do {                                                                                           \
        int e_ = fault_hit(c);                                                                     \
        if (e_ && e_ != FAULT_SHORT && !FAULT_WRITE_ONLY(e_)) {                                    \
            errno = e_;                                                                            \
            return -1;                                                                             \
        }                                                                                          \
        return call;                                                                               \
    } while (0)

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
void __real_loop_free(struct loop *l) __attribute__((weak));
int __wrap_loop_new(struct loop **lp);
void __wrap_loop_free(struct loop *l);

static atomic_long live_loops; /* fault_live(FAULT_LOOP_NEW) */

int __wrap_loop_new(struct loop **lp)
{
    int e = fault_hit(FAULT_LOOP_NEW);

    if (e)
        return -e;
    int rc = __real_loop_new ? __real_loop_new(lp) : -ENOSYS;

    if (rc == 0)
        atomic_fetch_add(&live_loops, 1);
    return rc;
}

void __wrap_loop_free(struct loop *l)
{
    if (l)
        atomic_fetch_sub(&live_loops, 1);
    if (__real_loop_free)
        __real_loop_free(l);
}

long fault_live_loops(void)
{
    return atomic_load(&live_loops);
}

DIR *__real_opendir(const char *path);
DIR *__wrap_opendir(const char *path);

DIR *__wrap_opendir(const char *path)
{
    int e = fault_hit(FAULT_OPENDIR);

    if (e > 0) {
        errno = e;
        return NULL;
    }
    return __real_opendir(path);
}

int __wrap_socket(int domain, int type, int proto)
{
    FAIL_OR(FAULT_SOCKET, __real_socket(domain, type, proto));
}

/* FAULT_AT_ONCE: the connect() made blocking, so that it completes before it returns; on
 * success errno is left stale, as a successful call leaves it. */
static int connect_at_once(int fd, const struct sockaddr *a, socklen_t len)
{
    int fl = fcntl(fd, F_GETFL);
    int nonblock = fl >= 0 && (fl & O_NONBLOCK);

    if (nonblock)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    int rc = __real_connect(fd, a, len);
    int e = errno;

    if (nonblock)
        fcntl(fd, F_SETFL, fl);
    errno = rc == 0 ? FAULT_STALE_ERRNO : e;
    return rc;
}

int __wrap_connect(int fd, const struct sockaddr *a, socklen_t len)
{
    int e = fault_hit(FAULT_CONNECT);

    if (e == FAULT_AT_ONCE)
        return connect_at_once(fd, a, len);
    if (e) {
        errno = e;
        return -1;
    }
    return __real_connect(fd, a, len);
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

/* FAULT_DIE_AFTER: what this process (a child: the arming one never adds) has written
 * since it was forked; a child starts from the parent's 0. */
static size_t child_wrote;

static atomic_size_t midway_bytes; /* fault_midway_bytes(): 0 for 1 */

void fault_midway_bytes(size_t n)
{
    atomic_store(&midway_bytes, n);
}

/* FAULT_DIE_AFTER and FAULT_DIE_MIDWAY: a child's write, then its death. */
static ssize_t write_then_die(int e, int fd, const void *buf, size_t n)
{
    if (getpid() == fault_armed_by(FAULT_WRITE))
        return __real_write(fd, buf, n);
    size_t cut = atomic_load(&midway_bytes) ? atomic_load(&midway_bytes) : 1;
    ssize_t r = __real_write(fd, buf, e == FAULT_DIE_MIDWAY && n > cut ? cut : n);
    if (r > 0)
        child_wrote += (size_t)r;
    if (e == FAULT_DIE_MIDWAY || child_wrote >= sizeof(struct result))
        kill(getpid(), SIGKILL);
    return r;
}

static _Atomic int linger_for_ms; /* fault_linger_ms(); 0: FAULT_LINGER_MS */

void fault_linger_ms(int ms)
{
    atomic_store(&linger_for_ms, ms > 0 ? ms : 0);
}

/* A child's pause of FAULT_LINGER_MS ms, or fault_linger_ms()'s (FAULT_LINGER, FAULT_SPLIT),
 * whatever signals come, errno left as it was. */
static void linger(void)
{
    int ms = atomic_load(&linger_for_ms);

    fault_nap_ms(ms ? ms : FAULT_LINGER_MS);
}

/* FAULT_LINGER: a child's write, then a nap before it goes on (to its exit, as a rule). */
static ssize_t write_then_linger(int fd, const void *buf, size_t n)
{
    ssize_t r = __real_write(fd, buf, n);

    if (getpid() != fault_armed_by(FAULT_WRITE))
        linger();
    return r;
}

/* FAULT_SPLIT: a child's write() made in two pieces, FAULT_LINGER_MS ms apart, the whole
 * count returned (or what moved, if the rest failed). */
static ssize_t write_split(int fd, const void *buf, size_t n)
{
    if (n < 2 || getpid() == fault_armed_by(FAULT_WRITE))
        return __real_write(fd, buf, n);
    ssize_t r = __real_write(fd, buf, 1);
    if (r != 1)
        return r;
    int e = errno;
    size_t done = 1;

    linger();
    while (done < n) {
        ssize_t w = __real_write(fd, (const char *)buf + done, n - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return (ssize_t)done; /* a short write, as the real one would end */
        done += (size_t)w;
    }
    errno = e;
    return (ssize_t)done;
}

/* fault_count_sigpipe(): the sends to a socket that a reset would have killed the process
 * with, counted while it is on. */
static atomic_int count_sigpipe;
static atomic_uint sigpipe_risks;

void fault_count_sigpipe(int on)
{
    if (on)
        atomic_store(&sigpipe_risks, 0);
    atomic_store(&count_sigpipe, on);
}

unsigned fault_sigpipe_risks(void)
{
    return atomic_load(&sigpipe_risks);
}

/* A send (flags; sock: whether fd is known to be a socket, -1 to look) that would raise
 * SIGPIPE on a connection the peer has reset, and the signal would kill: no MSG_NOSIGNAL,
 * SIGPIPE's action the default one and not blocked in this thread. */
static void note_send(int fd, int flags, int sock)
{
    struct sigaction sa;
    sigset_t mask;
    struct stat st;
    int e = errno;

    if (!atomic_load_explicit(&count_sigpipe, memory_order_relaxed) || (flags & MSG_NOSIGNAL))
        return;
    if (sock < 0)
        sock = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
    if (sock && sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
        pthread_sigmask(SIG_BLOCK, NULL, &mask) == 0 && !sigismember(&mask, SIGPIPE))
        atomic_fetch_add(&sigpipe_risks, 1);
    errno = e;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    int e_ = fault_hit(FAULT_WRITE);

    note_send(fd, 0, -1);

    if (e_ == FAULT_DIE_AFTER || e_ == FAULT_DIE_MIDWAY)
        return write_then_die(e_, fd, buf, n);
    if (e_ == FAULT_LINGER)
        return write_then_linger(fd, buf, n);
    if (e_ == FAULT_SPLIT)
        return write_split(fd, buf, n);
    if (e_ && e_ != FAULT_SHORT) {
        errno = e_;
        return -1;
    }
    return __real_write(fd, buf, SHORT_N(n));
}

ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags)
{
    note_send(fd, flags, 1);
    SHORT_OR(FAULT_WRITE, __real_send(fd, buf, SHORT_N(n), flags));
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *a,
                      socklen_t l)
{
    note_send(fd, flags, 1);
    SHORT_OR(FAULT_WRITE, __real_sendto(fd, buf, SHORT_N(n), flags, a, l));
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags)
{
    note_send(fd, flags, 1);
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

/* What the error an armed FAULT_POLL drew does to a wait of `ms` (-1: no limit). */
enum wait_how { WAIT_MAKE, WAIT_CUT, WAIT_FAIL };

static enum wait_how wait_fault(int e, int ms)
{
    if (e == FAULT_EINTR_LATE) /* cut at FAULT_LATE_MS when it asks for longer */
        return ms < 0 || ms > FAULT_LATE_MS ? WAIT_CUT : WAIT_MAKE;
    if (e) {
        errno = e;
        return WAIT_FAIL;
    }
    return WAIT_MAKE;
}

/* FAULT_EINTR_LATE: a cut wait's result, or EINTR when it found nothing ready. */
static int late(int r)
{
    if (r == 0) {
        errno = EINTR;
        return -1;
    }
    return r;
}

int __wrap_poll(struct pollfd *p, nfds_t n, int ms)
{
    int e_ = fault_hit(FAULT_POLL);
    enum wait_how how;

    fault_note_wait(ms);
    if (e_ == FAULT_HUP) {
        if (fault_armed_by(FAULT_POLL) == (int)getpid())
            wait_hup(p, n);
        e_ = 0;
    }
    if ((how = wait_fault(e_, ms)) == WAIT_CUT)
        return late(__real_poll(p, n, FAULT_LATE_MS));
    return how == WAIT_FAIL ? -1 : __real_poll(p, n, ms);
}

int __wrap_ppoll(struct pollfd *p, nfds_t n, const struct timespec *t, const sigset_t *m)
{
    const struct timespec cut = {.tv_nsec = FAULT_LATE_MS * 1000000L};
    enum wait_how how;

    fault_note_wait(ts_ms(t));
    if ((how = wait_fault(fault_hit(FAULT_POLL), ts_ms(t))) == WAIT_CUT)
        return late(__real_ppoll(p, n, &cut, m));
    return how == WAIT_FAIL ? -1 : __real_ppoll(p, n, t, m);
}

int __wrap_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
    struct timeval cut = {.tv_usec = FAULT_LATE_MS * 1000L};
    enum wait_how how;
    int ms = -1;

    if (t) {
        struct timespec ts = {.tv_sec = t->tv_sec, .tv_nsec = t->tv_usec * 1000};

        ms = ts_ms(&ts);
    }
    fault_note_wait(ms);
    if ((how = wait_fault(fault_hit(FAULT_POLL), ms)) == WAIT_CUT)
        return late(__real_select(n, r, w, e, &cut));
    return how == WAIT_FAIL ? -1 : __real_select(n, r, w, e, t);
}

int __wrap_epoll_wait(int fd, struct epoll_event *ev, int n, int ms)
{
    enum wait_how how;

    fault_note_wait(ms);
    if ((how = wait_fault(fault_hit(FAULT_POLL), ms)) == WAIT_CUT)
        return late(__real_epoll_wait(fd, ev, n, FAULT_LATE_MS));
    return how == WAIT_FAIL ? -1 : __real_epoll_wait(fd, ev, n, ms);
}

int __wrap_epoll_pwait(int fd, struct epoll_event *ev, int n, int ms, const sigset_t *m)
{
    enum wait_how how;

    fault_note_wait(ms);
    if ((how = wait_fault(fault_hit(FAULT_POLL), ms)) == WAIT_CUT)
        return late(__real_epoll_pwait(fd, ev, n, FAULT_LATE_MS, m));
    return how == WAIT_FAIL ? -1 : __real_epoll_pwait(fd, ev, n, ms, m);
}

static atomic_uint bad_closes; /* close(fd >= 0) refused with EBADF: fault_bad_closes() */

unsigned fault_bad_closes(void)
{
    return atomic_load(&bad_closes);
}

/* The real close(), counting a refusal of a number that was not open. */
static int close_counted(int fd)
{
    int r = __real_close(fd);

    if (r < 0 && errno == EBADF && fd >= 0)
        atomic_fetch_add(&bad_closes, 1);
    return r;
}

/* FAULT_REOPEN: the close is made, then /dev/null takes the descriptor it freed (open()
 * takes the lowest free number, usually that one; dup3() puts it there if not).
 * FAULT_CLOSED_EINTR: the close is made, then reported as interrupted (EINTR). */
int __wrap_close(int fd)
{
    int e = fault_hit(FAULT_CLOSE), r, nfd, saved;

    if (e == FAULT_REOPEN) {
        r = close_counted(fd);
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
    if (e == FAULT_CLOSED_EINTR) { /* closed, and reported interrupted, as Linux may */
        r = close_counted(fd);
        if (r == 0) {
            errno = EINTR;
            r = -1;
        }
        return r;
    }
    if (e) {
        errno = e;
        return -1;
    }
    return close_counted(fd);
}
