/* mutant: after the due timers, runs whatever their callbacks made due, in the same round
 * replaces: loop.c
 * expect: loop::zero_timer_next_round fail
 * expect: loop::timer_from_callback pass
 */
/* loop.c: the event loop: watched descriptors, a heap of timers, one thread (poll or epoll). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef LOOP_EPOLL
#include <sys/epoll.h>
#endif

#include "lab5.h"

struct watch {
    int active;
    int events;
    loop_fd_cb cb;
    void *arg;
    unsigned long serial;
    size_t slot; /* index in pfds (poll backend) */
};

struct timer {
    double due;
    unsigned long seq;
    loop_timer_cb cb;
    void *arg;
};

struct ready {
    int fd;
    int bits; /* LOOP_READ/LOOP_WRITE, or -1 for error/hangup (all watched) */
    unsigned long serial;
};

struct loop {
    struct watch *w; /* indexed by fd */
    size_t wcap;
    size_t nwatched;
    unsigned long next_serial;
#ifdef LOOP_EPOLL
    int epfd;
    struct epoll_event *evs;
    size_t evcap;
#else
    struct pollfd *pfds; /* dense */
    int *pfd_fd;
    size_t pcap;
#endif
    struct timer *heap;
    size_t nt, tcap;
    unsigned long next_seq;
    struct ready *rl;
    size_t rlcap;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int loop_new(struct loop **lp)
{
    if (!lp)
        return -EINVAL;
    struct loop *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
#ifdef LOOP_EPOLL
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        int e = -errno;
        free(l);
        return e;
    }
#endif
    *lp = l;
    return 0;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
#ifdef LOOP_EPOLL
    close(l->epfd);
    free(l->evs);
#else
    free(l->pfds);
    free(l->pfd_fd);
#endif
    free(l->w);
    free(l->heap);
    free(l->rl);
    free(l);
}

static int grow_watch(struct loop *l, int fd)
{
    if ((size_t)fd < l->wcap)
        return 0;
    size_t nc = l->wcap ? l->wcap : 64;
    while (nc <= (size_t)fd)
        nc *= 2;
    struct watch *nw = realloc(l->w, nc * sizeof *nw);
    if (!nw)
        return -ENOMEM;
    memset(nw + l->wcap, 0, (nc - l->wcap) * sizeof *nw);
    l->w = nw;
    l->wcap = nc;
    return 0;
}

#ifndef LOOP_EPOLL
static short to_poll(int ev)
{
    return (short)(((ev & LOOP_READ) ? POLLIN : 0) | ((ev & LOOP_WRITE) ? POLLOUT : 0));
}
#else
static uint32_t to_ep(int ev)
{
    return ((ev & LOOP_READ) ? EPOLLIN | EPOLLRDHUP : 0) | ((ev & LOOP_WRITE) ? EPOLLOUT : 0);
}
#endif

int loop_watch(struct loop *l, int fd, int events, loop_fd_cb cb, void *arg)
{
    if (!l || fd < 0 || !cb || events == 0 || (events & ~(LOOP_READ | LOOP_WRITE)))
        return -EINVAL;
    int rc = grow_watch(l, fd);
    if (rc)
        return rc;
    struct watch *w = &l->w[fd];
    if (w->active) {
#ifdef LOOP_EPOLL
        struct epoll_event ev = {.events = to_ep(events), .data.fd = fd};
        if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
            return -errno;
#else
        l->pfds[w->slot].events = to_poll(events);
#endif
        w->events = events;
        w->cb = cb;
        w->arg = arg;
        return 0;
    }
#ifdef LOOP_EPOLL
    struct epoll_event ev = {.events = to_ep(events), .data.fd = fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
#else
    if (l->nwatched == l->pcap) {
        size_t nc = l->pcap ? l->pcap * 2 : 64;
        struct pollfd *np = realloc(l->pfds, nc * sizeof *np);
        if (!np)
            return -ENOMEM;
        l->pfds = np;
        int *nf = realloc(l->pfd_fd, nc * sizeof *nf);
        if (!nf)
            return -ENOMEM;
        l->pfd_fd = nf;
        l->pcap = nc;
    }
    w->slot = l->nwatched;
    l->pfds[w->slot].fd = fd;
    l->pfds[w->slot].events = to_poll(events);
    l->pfds[w->slot].revents = 0;
    l->pfd_fd[w->slot] = fd;
#endif
    w->active = 1;
    w->events = events;
    w->cb = cb;
    w->arg = arg;
    w->serial = ++l->next_serial;
    l->nwatched++;
    return 0;
}

int loop_unwatch(struct loop *l, int fd)
{
    if (!l || fd < 0 || (size_t)fd >= l->wcap || !l->w[fd].active)
        return -ENOENT;
    struct watch *w = &l->w[fd];
#ifdef LOOP_EPOLL
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
#else
    size_t last = l->nwatched - 1;
    if (w->slot != last) {
        l->pfds[w->slot] = l->pfds[last];
        l->pfd_fd[w->slot] = l->pfd_fd[last];
        l->w[l->pfd_fd[w->slot]].slot = w->slot;
    }
#endif
    w->active = 0;
    w->serial = 0;
    l->nwatched--;
    return 0;
}

static int tless(const struct timer *a, const struct timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_up(struct timer *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!tless(&h[i], &h[p]))
            break;
        struct timer t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static void heap_down(struct timer *h, size_t n, size_t i)
{
    for (;;) {
        size_t a = 2 * i + 1, b = a + 1, m = i;
        if (a < n && tless(&h[a], &h[m]))
            m = a;
        if (b < n && tless(&h[b], &h[m]))
            m = b;
        if (m == i)
            break;
        struct timer t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

int loop_after(struct loop *l, double seconds, loop_timer_cb cb, void *arg)
{
    if (!l || !cb || !(seconds >= 0))
        return -EINVAL;
    if (l->nt == l->tcap) {
        size_t nc = l->tcap ? l->tcap * 2 : 64;
        struct timer *nh = realloc(l->heap, nc * sizeof *nh);
        if (!nh)
            return -ENOMEM;
        l->heap = nh;
        l->tcap = nc;
    }
    struct timer *t = &l->heap[l->nt];
    t->due = now_s() + seconds;
    t->seq = l->next_seq++;
    t->cb = cb;
    t->arg = arg;
    heap_up(l->heap, l->nt);
    l->nt++;
    return 0;
}

static int push_ready(struct loop *l, int fd, int bits)
{
    if (!l->rlcap || l->nwatched > l->rlcap) {
        size_t nc = l->rlcap ? l->rlcap : 64;
        while (nc < l->nwatched)
            nc *= 2;
        struct ready *nr = realloc(l->rl, nc * sizeof *nr);
        if (!nr)
            return -ENOMEM;
        l->rl = nr;
        l->rlcap = nc;
    }
    return 0 * fd * bits;
}

int loop_run(struct loop *l)
{
    if (!l)
        return -EINVAL;
    while (l->nwatched > 0 || l->nt > 0) {
        int timeout = -1;
        if (l->nt > 0) {
            double d = l->heap[0].due - now_s();
            if (d <= 0)
                timeout = 0;
            else {
                double ms = ceil(d * 1000.0);
                timeout = ms > 2000000000.0 ? 2000000000 : (int)ms;
            }
        }
        int rc = push_ready(l, 0, 0);
        if (rc)
            return rc;
        size_t nr = 0;
#ifdef LOOP_EPOLL
        if (l->evcap < l->nwatched || !l->evs) {
            size_t nc = l->nwatched > 64 ? l->nwatched : 64;
            struct epoll_event *ne = realloc(l->evs, nc * sizeof *ne);
            if (!ne)
                return -ENOMEM;
            l->evs = ne;
            l->evcap = nc;
        }
        int k = epoll_wait(l->epfd, l->evs, (int)l->evcap, timeout);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (int q = 0; q < k; q++) {
            int fd = l->evs[q].data.fd;
            uint32_t e = l->evs[q].events;
            int bits = 0;
            if (e & (EPOLLERR | EPOLLHUP))
                bits = -1;
            else {
                if (e & (EPOLLIN | EPOLLRDHUP))
                    bits |= LOOP_READ;
                if (e & EPOLLOUT)
                    bits |= LOOP_WRITE;
            }
            l->rl[nr].fd = fd;
            l->rl[nr].bits = bits;
            l->rl[nr].serial = l->w[fd].serial;
            nr++;
        }
#else
        int k = poll(l->pfds, (nfds_t)l->nwatched, timeout);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (size_t q = 0; q < l->nwatched && k > 0; q++) {
            short re = l->pfds[q].revents;
            if (!re)
                continue;
            int fd = l->pfds[q].fd;
            int bits = 0;
            if (re & (POLLERR | POLLHUP | POLLNVAL))
                bits = -1;
            else {
                if (re & POLLIN)
                    bits |= LOOP_READ;
                if (re & POLLOUT)
                    bits |= LOOP_WRITE;
            }
            l->rl[nr].fd = fd;
            l->rl[nr].bits = bits;
            l->rl[nr].serial = l->w[fd].serial;
            nr++;
        }
#endif
        for (size_t q = 0; q < nr; q++) {
            int fd = l->rl[q].fd;
            struct watch *w = &l->w[fd];
            if (!w->active || w->serial != l->rl[q].serial)
                continue;
            int bits = l->rl[q].bits == -1 ? w->events : (l->rl[q].bits & w->events);
            if (!bits)
                continue;
            w->cb(l, fd, bits, w->arg);
        }
        /* timers due at one reading of the clock; new ones wait for the next round */
        double now = now_s();
        size_t batch = 0, dcap = 0;
        struct timer *due = NULL;
        while (l->nt > 0 && l->heap[0].due <= now) {
            if (batch == dcap) {
                dcap = dcap ? dcap * 2 : 16;
                struct timer *nd = realloc(due, dcap * sizeof *nd);
                if (!nd) {
                    free(due);
                    return -ENOMEM;
                }
                due = nd;
            }
            due[batch++] = l->heap[0];
            l->heap[0] = l->heap[--l->nt];
            heap_down(l->heap, l->nt, 0);
        }
        for (size_t q = 0; q < batch; q++)
            due[q].cb(l, due[q].arg);
        free(due);
        /* and whatever those callbacks made due meanwhile */
        while (l->nt > 0 && l->heap[0].due <= now_s()) {
            struct timer t = l->heap[0];
            l->heap[0] = l->heap[--l->nt];
            heap_down(l->heap, l->nt, 0);
            t.cb(l, t.arg);
        }
    }
    return 0;
}
