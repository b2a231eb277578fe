/* loop.c: the event loop: watched descriptors, a heap of timers, one thread (poll or epoll). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef LOOP_EPOLL
#include <sys/epoll.h>
#else
#include <poll.h>
#endif

#include "lab5.h"

/* One watched descriptor, kept in a table indexed by the descriptor's number. */
struct watch {
    int events;      /* LOOP_READ | LOOP_WRITE wanted; 0: not watched */
    unsigned serial; /* which watch this is: a closed and reused fd gets a new one */
    loop_fd_cb cb;
    void *arg;
    int slot; /* poll backend: its index in pfd[] */
};

struct timer {
    double when;  /* CLOCK_MONOTONIC seconds */
    uint64_t seq; /* scheduling order: breaks ties, so equal times run first come first */
    loop_timer_cb cb;
    void *arg;
};

/* An event the backend reported, kept aside so callbacks may change the watch table. */
struct ready {
    int fd;
    int events;
    unsigned serial;
};

struct loop {
    struct watch *w;    /* by fd */
    int nw;             /* size of w[] */
    int nwatched;       /* watched descriptors */
    unsigned serial;    /* the last serial handed out */
    struct timer *heap; /* min-heap on (when, seq) */
    size_t nheap, capheap;
    uint64_t seq;
    struct ready *ready;
    size_t capready;
#ifdef LOOP_EPOLL
    int epfd;
    struct epoll_event *ev;
    int capev;
#else
    struct pollfd *pfd; /* the watched fds, in no order; w[fd].slot says where */
    int npfd, cappfd;
#endif
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The array p (of *cap elements of `size` bytes), grown to hold at least `need`;
 * NULL when out of memory (p is still valid then). */
static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 16;

    if (need <= *cap)
        return p;
    while (n < need)
        n *= 2;
    p = realloc(p, n * size);
    if (p)
        *cap = n;
    return p;
}

/* ---- the backend: poll() by default, epoll with -DLOOP_EPOLL ---- */

#ifdef LOOP_EPOLL

static int be_init(struct loop *l)
{
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    return l->epfd < 0 ? -errno : 0;
}

static void be_free(struct loop *l)
{
    close(l->epfd);
    free(l->ev);
}

static int be_set(struct loop *l, int fd, int events, int is_new)
{
    struct epoll_event e = {
        .events = (events & LOOP_READ ? EPOLLIN : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0),
        .data.u64 = (uint64_t)l->w[fd].serial << 32 | (uint32_t)fd,
    };

    return epoll_ctl(l->epfd, is_new ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &e) < 0 ? -errno : 0;
}

static void be_del(struct loop *l, int fd)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL); /* EBADF if already closed: gone anyway */
}

/* Wait up to timeout_ms (-1: no limit); the ready events go to l->ready. */
static int be_wait(struct loop *l, int timeout_ms, size_t *nready)
{
    size_t cap = (size_t)l->capev;
    int n, want = l->nwatched < 4096 ? l->nwatched : 4096;
    void *p;

    if (want < 1)
        want = 1;
    if (!(p = grow(l->ev, &cap, (size_t)want, sizeof(*l->ev))))
        return -ENOMEM;
    l->ev = p;
    l->capev = (int)cap;
    if (!(p = grow(l->ready, &l->capready, (size_t)want, sizeof(*l->ready))))
        return -ENOMEM;
    l->ready = p;
    n = epoll_wait(l->epfd, l->ev, want, timeout_ms);
    if (n < 0)
        return -errno;
    for (int i = 0; i < n; i++) {
        uint32_t e = l->ev[i].events;

        l->ready[i].fd = (int)(uint32_t)l->ev[i].data.u64;
        l->ready[i].serial = (unsigned)(l->ev[i].data.u64 >> 32);
        l->ready[i].events = (e & (EPOLLERR | EPOLLHUP))
                                 ? LOOP_READ | LOOP_WRITE
                                 : (e & EPOLLIN ? LOOP_READ : 0) | (e & EPOLLOUT ? LOOP_WRITE : 0);
    }
    *nready = (size_t)n;
    return 0;
}

#else

static int be_init(struct loop *l)
{
    (void)l;
    return 0;
}

static void be_free(struct loop *l)
{
    free(l->pfd);
}

static int be_set(struct loop *l, int fd, int events, int is_new)
{
    short pev = (events & LOOP_READ ? POLLIN : 0) | (events & LOOP_WRITE ? POLLOUT : 0);

    if (is_new) {
        size_t cap = (size_t)l->cappfd;
        void *p = grow(l->pfd, &cap, (size_t)l->npfd + 1, sizeof(*l->pfd));

        if (!p)
            return -ENOMEM;
        l->pfd = p;
        l->cappfd = (int)cap;
        l->w[fd].slot = l->npfd++;
        l->pfd[l->w[fd].slot].fd = fd;
    }
    l->pfd[l->w[fd].slot].events = pev;
    return 0;
}

/* Swap the last entry into the hole, so pfd[] stays dense. */
static void be_del(struct loop *l, int fd)
{
    int slot = l->w[fd].slot, last = --l->npfd;

    l->pfd[slot] = l->pfd[last];
    l->w[l->pfd[slot].fd].slot = slot;
}

static int be_wait(struct loop *l, int timeout_ms, size_t *nready)
{
    size_t k = 0;
    void *p = grow(l->ready, &l->capready, (size_t)l->npfd + 1, sizeof(*l->ready));
    int n;

    if (!p)
        return -ENOMEM;
    l->ready = p;
    n = poll(l->pfd, (nfds_t)l->npfd, timeout_ms);
    if (n < 0)
        return -errno;
    for (int i = 0; i < l->npfd && (int)k < n; i++) {
        short e = l->pfd[i].revents;

        if (!e)
            continue;
        l->ready[k].fd = l->pfd[i].fd;
        l->ready[k].serial = l->w[l->pfd[i].fd].serial;
        l->ready[k++].events = (e & (POLLERR | POLLHUP | POLLNVAL))
                                   ? LOOP_READ | LOOP_WRITE
                                   : (e & POLLIN ? LOOP_READ : 0) | (e & POLLOUT ? LOOP_WRITE : 0);
    }
    *nready = k;
    return 0;
}

#endif

/* ---- the loop ---- */

int loop_new(struct loop **lp)
{
    struct loop *l;
    int rc;

    if (!lp)
        return -EINVAL;
    l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    rc = be_init(l);
    if (rc < 0) {
        free(l);
        return rc;
    }
    *lp = l;
    return 0;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    be_free(l);
    free(l->w);
    free(l->heap);
    free(l->ready);
    free(l);
}

int loop_watch(struct loop *l, int fd, int events, loop_fd_cb cb, void *arg)
{
    int is_new, rc;

    if (!l || fd < 0 || !cb || !events || (events & ~(LOOP_READ | LOOP_WRITE)))
        return -EINVAL;
    if (fd >= l->nw) {
        size_t cap = (size_t)l->nw, old = cap;
        void *p = grow(l->w, &cap, (size_t)fd + 1, sizeof(*l->w));

        if (!p)
            return -ENOMEM;
        l->w = p;
        memset(l->w + old, 0, (cap - old) * sizeof(*l->w));
        l->nw = (int)cap;
    }
    is_new = !l->w[fd].events;
    if (is_new)
        l->w[fd].serial = ++l->serial ? l->serial : ++l->serial; /* 0 means "none" */
    rc = be_set(l, fd, events, is_new);
    if (rc < 0) {
        if (is_new)
            l->w[fd].serial = 0;
        return rc;
    }
    l->w[fd].events = events;
    l->w[fd].cb = cb;
    l->w[fd].arg = arg;
    l->nwatched += is_new;
    return 0;
}

int loop_unwatch(struct loop *l, int fd)
{
    if (!l || fd < 0 || fd >= l->nw || !l->w[fd].events)
        return -ENOENT;
    be_del(l, fd);
    l->w[fd].events = 0;
    l->w[fd].serial = 0; /* events of this round already taken for it are now stale */
    l->nwatched--;
    return 0;
}

/* Does timer a come before timer b? */
static int before(const struct timer *a, const struct timer *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void swap(struct timer *h, size_t i, size_t j)
{
    struct timer t = h[i];

    h[i] = h[j];
    h[j] = t;
}

int loop_after(struct loop *l, double seconds, loop_timer_cb cb, void *arg)
{
    void *p;
    size_t i;

    if (!l || !cb || !(seconds >= 0)) /* !(x >= 0) refuses a NaN too */
        return -EINVAL;
    p = grow(l->heap, &l->capheap, l->nheap + 1, sizeof(*l->heap));
    if (!p)
        return -ENOMEM;
    l->heap = p;
    i = l->nheap++;
    l->heap[i] = (struct timer){.when = now() + seconds, .seq = l->seq++, .cb = cb, .arg = arg};
    while (i > 0 && before(&l->heap[i], &l->heap[(i - 1) / 2])) { /* sift up */
        swap(l->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct timer pop(struct loop *l)
{
    struct timer top = l->heap[0];
    size_t i = 0;

    l->heap[0] = l->heap[--l->nheap];
    for (;;) { /* sift down */
        size_t c = 2 * i + 1;

        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && before(&l->heap[c + 1], &l->heap[c]))
            c++;
        if (!before(&l->heap[c], &l->heap[i]))
            break;
        swap(l->heap, i, c);
        i = c;
    }
    return top;
}

/* How long poll may sleep: until the first timer is due (rounded up, never early),
 * or for ever (-1) with no timer. */
static int timeout_ms(const struct loop *l)
{
    double ms;

    if (!l->nheap)
        return -1;
    ms = ceil((l->heap[0].when - now()) * 1000);
    return ms <= 0 ? 0 : ms >= INT_MAX ? INT_MAX : (int)ms;
}

/* Call back every watch with an event this round, unless it was unwatched meanwhile. */
static void dispatch(struct loop *l, size_t nready)
{
    for (size_t i = 0; i < nready; i++) {
        struct ready r = l->ready[i];
        struct watch *w;
        int ev;

        if (r.fd >= l->nw)
            continue;
        w = &l->w[r.fd]; /* looked up afresh: a callback may have grown the table */
        ev = r.events & w->events;
        if (w->serial != r.serial || !ev)
            continue;
        w->cb(l, r.fd, ev, w->arg);
    }
}

/* Fire the timers due now; those they schedule wait for the next round. */
static void fire(struct loop *l)
{
    double t = now();
    uint64_t set_before = l->seq; /* a timer a callback of this round sets waits for the next,
                                     even due at t (a clock that reads the same) */

    while (l->nheap && l->heap[0].when <= t && l->heap[0].seq < set_before) {
        struct timer due = pop(l);

        due.cb(l, due.arg);
    }
}

int loop_run(struct loop *l)
{
    if (!l)
        return -EINVAL;
    while (l->nwatched > 0 || l->nheap > 0) {
        size_t nready = 0;
        int rc = be_wait(l, timeout_ms(l), &nready);

        if (rc == -EINTR)
            continue;
        if (rc < 0)
            return rc;
        dispatch(l, nready);
        fire(l);
    }
    return 0;
}
