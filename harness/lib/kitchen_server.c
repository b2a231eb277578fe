/* kitchen_server.c: the kitchen server: one epoll loop over the connections and a heap
 * of their deadlines, until SIGTERM (kitchen_serve, kitchen_main.c's whole job). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kitchen_server.h"

enum {
    FD_CAP = 1 << 16, /* most connections one server tracks (bounds its fd table) */
    MAX_EVENTS = 256, /* epoll events taken per wake-up */
};

uint64_t kitchen_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- the heap of deadlines ---- */

static void heap_swap(struct server *s, int i, int j)
{
    struct conn *t = s->heap[i];

    s->heap[i] = s->heap[j];
    s->heap[j] = t;
}

void kitchen_heap_push(struct server *s, struct conn *c)
{
    int i = s->nheap++;

    s->heap[i] = c;
    while (i > 0 && s->heap[(i - 1) / 2]->deadline > s->heap[i]->deadline) {
        heap_swap(s, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static struct conn *heap_pop(struct server *s)
{
    struct conn *top = s->heap[0];
    int i = 0;

    s->heap[0] = s->heap[--s->nheap];
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;

        if (l < s->nheap && s->heap[l]->deadline < s->heap[m]->deadline)
            m = l;
        if (r < s->nheap && s->heap[r]->deadline < s->heap[m]->deadline)
            m = r;
        if (m == i)
            return top;
        heap_swap(s, i, m);
        i = m;
    }
}

/* epoll_wait's timeout: until the earliest deadline, rounded up so no reply is early. */
static int heap_timeout_ms(const struct server *s)
{
    uint64_t now = kitchen_now_ns(), due;

    if (s->nheap == 0)
        return -1;
    due = s->heap[0]->deadline;
    if (due <= now)
        return 0;
    return (int)((due - now + NS_PER_MS - 1) / NS_PER_MS);
}

/* ---- accepting ---- */

/* Accept until the backlog is empty: under a burst, one accept per wake-up falls behind. */
static void srv_accept(struct server *s)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd >= 0)
            kitchen_conn_new(s, fd);
        else if (errno != EINTR && errno != ECONNABORTED)
            return; /* EAGAIN; or EMFILE, retried at the next wake-up */
    }
}

/* ---- set-up and the loop ---- */

/* Every fd this process may open, up to FD_CAP (the size of our tables). */
static int raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < FD_CAP ? rl.rlim_max : FD_CAP;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur < FD_CAP ? (int)rl.rlim_cur : FD_CAP;
}

/* The longest backlog the kernel allows; listen() silently caps at it anyway. */
static int max_backlog(void)
{
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    int n = 0;

    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = 0;
        fclose(f);
    }
    return n > 0 ? n : SOMAXCONN;
}

static int listen_socket(uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int one = 1, fd, rc;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, max_backlog()) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0)
        goto out_fd;
    *port = ntohs(a.sin_port);
    return fd;
out_fd:
    rc = -errno;
    close(fd);
    return rc;
}

/* SIGTERM and SIGINT arrive as readable data, so the loop ends between two events. */
static int signal_fd(void)
{
    sigset_t set;
    int fd;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* An ignored signal is discarded before signalfd could see it: undo inherited SIG_IGN. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -errno;
    fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

static int epoll_watch(int epfd, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void srv_fire(struct server *s)
{
    uint64_t now = kitchen_now_ns();

    while (s->nheap > 0 && s->heap[0]->deadline <= now)
        kitchen_conn_step(s, heap_pop(s), now);
}

/* Serve until a signal comes. Returns 0, or -errno if epoll itself failed. */
static int srv_loop(struct server *s)
{
    struct epoll_event ev[MAX_EVENTS];

    for (;;) {
        int n = epoll_wait(s->epfd, ev, MAX_EVENTS, heap_timeout_ms(s));

        if (n < 0 && errno != EINTR)
            return -errno;
        for (int i = 0; i < n; i++) {
            int fd = ev[i].data.fd;

            if (fd == s->sfd)
                return 0;
            if (fd == s->lfd)
                srv_accept(s);
            else if (s->conns[fd])
                kitchen_conn_read(s, s->conns[fd]);
        }
        srv_fire(s);
    }
}

static void srv_free(struct server *s)
{
    for (int fd = 0; s->conns && fd < s->nfd; fd++)
        if (s->conns[fd])
            kitchen_conn_close(s, s->conns[fd]);
    free(s->conns);
    free(s->heap);
}

/* Say we are ready, then let go of ready_fd so the reader sees EOF after the line. */
static void announce(int ready_fd, const char *fmt, int val)
{
    int null;

    dprintf(ready_fd, fmt, val);
    /* Keep 0-2 open on /dev/null: a later socket must not land where stray output goes. */
    if (ready_fd <= 2 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
        dup2(null, ready_fd);
        close(null);
    } else {
        close(ready_fd);
    }
}

/* This kitchen's key, drawn now and kept in its memory only: no environment, argument or
 * file holds it. Made non-dumpable first, so that no other process of the same user can
 * read that memory (/proc/PID/mem, process_vm_readv, ptrace and core dumps need a
 * dumpable process, or CAP_SYS_PTRACE). */
static int draw_key(struct server *s)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return -errno;
    if (getrandom(&s->key, sizeof(s->key), 0) != (ssize_t)sizeof(s->key))
        return -EIO;
    return 0;
}

static int srv_setup(struct server *s, uint16_t *port)
{
    int rc;

    if ((rc = draw_key(s)) < 0)
        return rc;
    s->nfd = raise_nofile();
    s->conns = calloc((size_t)s->nfd, sizeof(*s->conns));
    s->heap = calloc((size_t)s->nfd, sizeof(*s->heap));
    if (!s->conns || !s->heap)
        return -ENOMEM;
    if ((s->sfd = signal_fd()) < 0)
        return s->sfd;
    if ((s->lfd = listen_socket(port)) < 0)
        return s->lfd;
    if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        return -errno;
    rc = epoll_watch(s->epfd, s->sfd);
    return rc < 0 ? rc : epoll_watch(s->epfd, s->lfd);
}

int kitchen_serve(const struct kitchen_conf *c, int ready_fd)
{
    struct server s = {.conf = c, .epfd = -1, .lfd = -1, .sfd = -1};
    uint16_t port = 0;
    int rc = srv_setup(&s, &port);

    if (rc < 0) {
        fprintf(stderr, "kitchen: cannot start: %s\n", strerror(-rc));
        announce(ready_fd, "errno %d\n", -rc);
        goto out_free;
    }
    announce(ready_fd, "port %d\n", port);
    rc = srv_loop(&s);
    if (rc < 0)
        fprintf(stderr, "kitchen: epoll_wait: %s\n", strerror(-rc));
out_free:
    srv_free(&s);
    if (s.epfd >= 0)
        close(s.epfd);
    if (s.lfd >= 0)
        close(s.lfd);
    if (s.sfd >= 0)
        close(s.sfd);
    return rc < 0 ? 1 : 0;
}
