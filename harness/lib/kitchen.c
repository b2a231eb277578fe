/* kitchen.c: the kitchen server (one epoll loop, a heap of deadlines) and its start and stop. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kitchen.h"
#include "workload.h"

#define NS_PER_MS 1000000ULL

enum {
    FD_CAP = 1 << 16,        /* most connections one server tracks (bounds its fd table) */
    MAX_EVENTS = 256,        /* epoll events taken per wake-up */
    SPLIT_GAP_NS = 1000000,  /* split mode: the gap between two bytes of a reply */
    RETRY_NS = 1000000,      /* a reply that met a full socket buffer is retried after this */
    START_TIMEOUT_MS = 5000, /* kitchen_start gives up if "port N" takes longer */
    STOP_GRACE_MS = 1000,    /* kitchen_stop waits this long after SIGTERM, then SIGKILLs */
};

/*
 * One connection. It is either reading its order (its fd in epoll) or has a
 * deadline for its next step (it sits in the heap): never both, so neither
 * needs removing from the other.
 */
struct conn {
    int fd;
    size_t len;        /* bytes of the order line read so far */
    size_t sent;       /* bytes of out already sent */
    size_t outlen;     /* bytes in out; 0 with close_early */
    uint64_t deadline; /* CLOCK_MONOTONIC ns when the next step is due */
    int held;          /* hold mode: the reply is out, the hang-up is waiting */
    char in[KITCHEN_LINE_MAX];
    char out[24]; /* a u64 has at most 20 digits, then '\n' */
};

struct server {
    const struct kitchen_conf *conf;
    int epfd, lfd, sfd;
    int nfd;             /* size of conns[] and heap[] */
    struct conn **conns; /* by fd */
    struct conn **heap;  /* min-heap on deadline */
    int nheap;
};

static uint64_t now_ns(void)
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

static void heap_push(struct server *s, struct conn *c)
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
    uint64_t now = now_ns(), due;

    if (s->nheap == 0)
        return -1;
    due = s->heap[0]->deadline;
    if (due <= now)
        return 0;
    return (int)((due - now + NS_PER_MS - 1) / NS_PER_MS);
}

/* ---- connections ---- */

static void conn_close(struct server *s, struct conn *c)
{
    close(c->fd); /* also takes it out of epoll, if it was in */
    s->conns[c->fd] = NULL;
    free(c);
}

/* Parse an order: decimal digits only (a '\r' before the '\n' is forgiven). */
static int parse_item(char *line, size_t len, uint64_t *item)
{
    char *end;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0 || len >= KITCHEN_LINE_MAX)
        return -EINVAL;
    line[len] = '\0';
    if (strspn(line, "0123456789") != len)
        return -EINVAL;
    errno = 0;
    *item = strtoull(line, &end, 10);
    return errno ? -errno : 0;
}

/* The order is in (or hopeless): stop reading and schedule the answer. */
static void conn_schedule(struct server *s, struct conn *c, int good, uint64_t item)
{
    uint64_t now = now_ns();

    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (!good) {
        /* A bad line is answered at once: there is nothing to cook. */
        c->outlen = (size_t)snprintf(c->out, sizeof(c->out), "ERR\n");
        c->deadline = now;
    } else {
        c->outlen = (size_t)snprintf(c->out, sizeof(c->out), "%llu\n",
                                     (unsigned long long)kitchen_reply(item));
        /* The latency counts from the moment the whole line arrived. */
        c->deadline = now + (uint64_t)s->conf->latency_ms * NS_PER_MS;
    }
    if (s->conf->close_early)
        c->outlen = 0;
    else if (s->conf->cut && c->outlen > 0)
        c->outlen--; /* the newline */
    else if (s->conf->trail && c->outlen + 2 < sizeof(c->out))
        c->outlen += (size_t)snprintf(c->out + c->outlen, sizeof(c->out) - c->outlen, "7\n");
    heap_push(s, c);
}

static void conn_read(struct server *s, struct conn *c)
{
    ssize_t n = read(c->fd, c->in + c->len, sizeof(c->in) - c->len);
    char *nl;
    uint64_t item = 0;
    int good;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0 || (n == 0 && c->len == 0)) {
        conn_close(s, c); /* an error, or a client that left without ordering */
        return;
    }
    nl = memchr(c->in + c->len, '\n', (size_t)n);
    c->len += (size_t)n;
    if (nl) {
        good = parse_item(c->in, (size_t)(nl - c->in), &item) == 0;
        conn_schedule(s, c, good, item);
    } else if (n == 0 || c->len == sizeof(c->in)) {
        conn_schedule(s, c, 0, 0); /* EOF mid-line, or a line too long */
    }
}

/* A deadline came: send the reply (or its next byte in split mode), or close. */
static void conn_step(struct server *s, struct conn *c, uint64_t now)
{
    size_t want = s->conf->split ? 1 : c->outlen - c->sent;
    ssize_t n = 0;

    if (c->sent < c->outlen)
        n = send(c->fd, c->out + c->sent, want, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        conn_close(s, c); /* the client is gone */
        return;
    }
    if (n > 0)
        c->sent += (size_t)n;
    if (c->sent == c->outlen && (c->held || s->conf->hold_ms <= 0)) {
        conn_close(s, c);
        return;
    }
    if (c->sent == c->outlen) { /* hold mode: hang up later (the client may first) */
        c->held = 1;
        c->deadline = now + (uint64_t)s->conf->hold_ms * NS_PER_MS;
        heap_push(s, c);
        return;
    }
    c->deadline = now + (n > 0 && s->conf->split ? SPLIT_GAP_NS : RETRY_NS);
    heap_push(s, c);
}

static void conn_new(struct server *s, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    struct conn *c;
    int one = 1;

    if (fd >= s->nfd || !(c = calloc(1, sizeof(*c)))) {
        close(fd);
        return;
    }
    c->fd = fd;
    /* Split mode: without NODELAY, Nagle would glue the single bytes back together. */
    if (s->conf->split)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(c);
        close(fd);
        return;
    }
    s->conns[fd] = c;
}

/* Accept until the backlog is empty: under a burst, one accept per wake-up falls behind. */
static void srv_accept(struct server *s)
{
    for (;;) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd >= 0)
            conn_new(s, fd);
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
    uint64_t now = now_ns();

    while (s->nheap > 0 && s->heap[0]->deadline <= now)
        conn_step(s, heap_pop(s), now);
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
                conn_read(s, s->conns[fd]);
        }
        srv_fire(s);
    }
}

static void srv_free(struct server *s)
{
    for (int fd = 0; s->conns && fd < s->nfd; fd++)
        if (s->conns[fd])
            conn_close(s, s->conns[fd]);
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

static int srv_setup(struct server *s, uint16_t *port)
{
    int rc;

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

/* ---- the harness's side: start, stop, measure ---- */

/* In the child between fork and exec: only async-signal-safe calls from here on. */
static void start_child(const char *path, char *const argv[], int wfd, pid_t parent)
{
    sigset_t none;

    /* If the test or harness dies without kitchen_stop, the kitchen must not outlive it. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
        _exit(127);
    if (wfd == STDOUT_FILENO)
        fcntl(wfd, F_SETFD, 0); /* dup2 onto itself would keep O_CLOEXEC */
    else if (dup2(wfd, STDOUT_FILENO) < 0)
        _exit(127);
    /* The server must not hold the student's (or the harness's) fds open. */
    close_range(3, ~0U, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(path, argv);
    dprintf(STDOUT_FILENO, "errno %d\n", errno);
    _exit(127);
}

/* Read "port N\n" (or "errno N\n") from the child within START_TIMEOUT_MS. */
static int read_ready(int fd, uint16_t *port)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[64];
    size_t len = 0;
    int ms = START_TIMEOUT_MS, val;
    struct timespec t0, t1;

    while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
        ssize_t n;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        n = poll(&p, 1, ms);
        if (n == 0)
            return -ETIMEDOUT;
        if (n > 0 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) == 0)
            break;
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0)
            len += (size_t)n;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms -= (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (ms <= 0)
            return -ETIMEDOUT;
    }
    buf[len] = '\0';
    if (sscanf(buf, "port %d", &val) == 1 && val > 0 && val < 65536) {
        *port = (uint16_t)val;
        return 0;
    }
    if (sscanf(buf, "errno %d", &val) == 1 && val > 0)
        return -val;
    return -EIO; /* it died before it could say */
}

int kitchen_new_key(void)
{
    uint64_t key = 0;
    char hex[32];

    if (getrandom(&key, sizeof(key), 0) != (ssize_t)sizeof(key))
        return -errno;
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)key);
    return setenv("KITCHEN_KEY", hex, 1) < 0 ? -errno : 0;
}

const char *kitchen_key_env(void)
{
    static char env[64];
    const char *key = getenv("KITCHEN_KEY");

    snprintf(env, sizeof(env), "KITCHEN_KEY=%s", key ? key : "");
    return env;
}

int kitchen_start(const char *path, const struct kitchen_conf *c, struct kitchen *k)
{
    char lat[16], hold[16];
    char *argv[] = {(char *)path, "--latency", lat, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int n = 3, p[2], rc;
    pid_t pid, parent = getpid();

    /* Built before fork: the child of a threaded parent must not allocate. */
    snprintf(lat, sizeof(lat), "%d", c->latency_ms);
    if (c->split)
        argv[n++] = "--split";
    if (c->close_early)
        argv[n++] = "--close-early";
    if (c->cut)
        argv[n++] = "--cut";
    if (c->trail)
        argv[n++] = "--trail";
    if (c->hold_ms > 0) {
        snprintf(hold, sizeof(hold), "%d", c->hold_ms);
        argv[n++] = "--hold";
        argv[n++] = hold;
    }
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        close(p[1]);
        goto out_pipe;
    }
    if (pid == 0)
        start_child(path, argv, p[1], parent);
    close(p[1]);
    rc = read_ready(p[0], &k->port);
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        goto out_pipe;
    }
    k->pid = pid;
out_pipe:
    close(p[0]);
    return rc;
}

/* Reap pid within ms milliseconds. Returns 0 with *status, or -ETIMEDOUT, or -errno. */
static int reap_within(pid_t pid, int ms, int *status)
{
    const struct timespec tick = {0, 2 * 1000000};

    for (int waited = 0; waited <= ms; waited += 2) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
        nanosleep(&tick, NULL); /* polling a child's exit: there is no fd to wait on here */
    }
    return -ETIMEDOUT;
}

int kitchen_stop(struct kitchen *k)
{
    int status = 0, rc;

    if (!k || k->pid <= 0)
        return -EINVAL; /* never kill(0) or kill(-1) */
    if (kill(k->pid, SIGTERM) < 0)
        return -errno;
    rc = reap_within(k->pid, STOP_GRACE_MS, &status);
    if (rc == -ETIMEDOUT) {
        kill(k->pid, SIGKILL);
        while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    k->pid = 0;
    if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        rc = -EIO; /* it was reaped, but it had failed or crashed */
    return rc;
}

double kitchen_cpu(const struct kitchen *k)
{
    char path[64], buf[1024], *p;
    unsigned long ut, st;
    ssize_t n;
    int fd;

    if (!k || k->pid <= 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)k->pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* The command name may hold spaces and ')': the fields start after the last ')'. */
    p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
