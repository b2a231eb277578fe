/* workload.c: the reference cook and order, the kitchen's check of replies, the sequential
 * map, and seeded inputs. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "kitchen.h"
#include "workload.h"

/* ref_order gives up on a kitchen silent for this long: a reference must never hang. */
#define ORDER_TIMEOUT_S 10

/* The tests' count of cooks at work at once (workload_count_cooks()). */
static atomic_int cooks_counted, cooks_now, cooks_most;

void workload_count_cooks(int on)
{
    atomic_store(&cooks_now, 0);
    atomic_store(&cooks_most, 0);
    atomic_store(&cooks_counted, on);
}

int workload_cooks_at_once(void)
{
    return atomic_load(&cooks_most);
}

/* The tests' call at the start of every ref_cook() (workload_on_cook()). */
static void (*_Atomic cook_hook)(uint64_t seed);

void workload_on_cook(void (*fn)(uint64_t seed))
{
    atomic_store(&cook_hook, fn);
}

/* The tests' dishes known in advance (workload_cook_known()). */
static bool (*_Atomic cook_known)(uint64_t seed, uint64_t rounds, uint64_t *dish);

void workload_cook_known(bool (*known)(uint64_t seed, uint64_t rounds, uint64_t *dish))
{
    atomic_store(&cook_known, known);
}

static void cook_in(void)
{
    int now = atomic_fetch_add(&cooks_now, 1) + 1, most = atomic_load(&cooks_most);

    while (now > most && !atomic_compare_exchange_weak(&cooks_most, &most, now))
        ;
}

int ref_cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    int counted = atomic_load_explicit(&cooks_counted, memory_order_relaxed);
    uint64_t x = seed;
    void (*hook)(uint64_t) = atomic_load_explicit(&cook_hook, memory_order_relaxed);
    bool (*known)(uint64_t, uint64_t, uint64_t *) =
        atomic_load_explicit(&cook_known, memory_order_relaxed);

    if (hook)
        hook(seed);
    if (counted)
        cook_in();
    if (known && known(seed, rounds, &x))
        rounds = 0; /* the dish is x already */
    else
        x = seed;
    for (uint64_t i = 0; i < rounds; i++)
        x = dish_mix(x);
    *dish = x;
    if (counted)
        atomic_fetch_sub(&cooks_now, 1);
    return 0;
}

/* connect() interrupted by a signal goes on in the background: wait for it to finish. */
static int connect_wait(int fd, const struct sockaddr_in *a)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof(err);

    if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0)
        return 0;
    if (errno != EINTR && errno != EINPROGRESS)
        return -errno;
    while (poll(&p, 1, ORDER_TIMEOUT_S * 1000) < 0)
        if (errno != EINTR)
            return -errno;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -errno;
    return p.revents ? -err : -ETIMEDOUT;
}

static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Some bytes from the kitchen: how many, or -errno (a receive timeout is -ETIMEDOUT; EOF,
 * before all we wait for, is the kitchen breaking protocol: -EPROTO). */
static ssize_t recv_some(int fd, char *buf, size_t cap)
{
    ssize_t n;

    while ((n = recv(fd, buf, cap, 0)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return errno == EAGAIN ? -ETIMEDOUT : -errno;
    return n == 0 ? -EPROTO : n;
}

/* Read one line, however it is cut up. */
static int recv_line(int fd, char *buf, size_t cap)
{
    size_t len = 0;

    while (len < cap - 1) {
        ssize_t n = recv_some(fd, buf + len, cap - 1 - len);

        if (n < 0)
            return (int)n;
        len += (size_t)n;
        buf[len] = '\0';
        if (memchr(buf, '\n', len))
            return 0;
    }
    return -EPROTO; /* longer than any reply */
}

static int parse_reply(const char *line, uint64_t *reply)
{
    char *end;
    unsigned long long v;

    if (strspn(line, "0123456789") == 0) /* "ERR", or anything else that is not a number */
        return -EPROTO;
    errno = 0;
    v = strtoull(line, &end, 10);
    if (errno || *end != '\n')
        return -EPROTO;
    *reply = v;
    return 0;
}

/* Connect fd to the kitchen on `port`, with ORDER_TIMEOUT_S on every send and receive. */
static int dial_on(int fd, uint16_t port)
{
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = ORDER_TIMEOUT_S};

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
        return -errno;
    return connect_wait(fd, &a);
}

/* The first half of an order: a new connection, the item sent. The socket, or -errno. */
static int order_send(uint16_t port, uint64_t item)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char line[KITCHEN_LINE_MAX];
    int rc, len;

    if (fd < 0)
        return -errno;
    len = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)item);
    if ((rc = dial_on(fd, port)) < 0 || (rc = send_all(fd, line, (size_t)len)) < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* The second half: the reply read, the connection closed. */
static int order_recv(int fd, uint64_t *reply)
{
    char line[KITCHEN_LINE_MAX];
    int rc = recv_line(fd, line, sizeof(line));

    close(fd);
    return rc < 0 ? rc : parse_reply(line, reply);
}

int ref_order(uint16_t port, uint64_t item, uint64_t *reply)
{
    int fd = order_send(port, item);

    return fd < 0 ? fd : order_recv(fd, reply);
}

enum { ORDER_MANY_MAX = 64 }; /* ref_order_many()'s orders in flight at once */

int ref_order_many(uint16_t port, size_t n, const uint64_t *items, uint64_t *replies)
{
    int fds[ORDER_MANY_MAX], rc = 0;

    for (size_t at = 0; at < n; at += ORDER_MANY_MAX) {
        size_t m = n - at < ORDER_MANY_MAX ? n - at : ORDER_MANY_MAX;

        /* every order of the batch placed before any reply is awaited: their waits overlap */
        for (size_t i = 0; i < m; i++)
            fds[i] = rc < 0 ? rc : order_send(port, items[at + i]);
        for (size_t i = 0; i < m; i++) {
            int r = fds[i] < 0 ? fds[i] : order_recv(fds[i], &replies[at + i]);

            if (r < 0 && rc == 0)
                rc = r;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* kitchen_check() sends this many lines, then reads their answers: a few KB each way, well
 * within the sockets' buffers, so neither side waits on the other. */
enum { CHECK_CHUNK = 256, CHECK_LINE = 2 + 20 + 1 + 20 + 1 };

/* Read m answer lines ("1\n" or "0\n") into ok[0..m). */
static int check_answers(int fd, size_t m, unsigned char *ok)
{
    char buf[2 * CHECK_CHUNK];
    size_t got = 0, len = 0;

    while (got < m) {
        ssize_t r = recv_some(fd, buf + len, sizeof(buf) - len);
        size_t at = 0;

        if (r < 0)
            return (int)r;
        for (len += (size_t)r; len - at >= 2 && got < m; at += 2) {
            if (buf[at + 1] != '\n' || (buf[at] != '0' && buf[at] != '1'))
                return -EPROTO; /* "ERR\n": the kitchen could not read a line of ours */
            ok[got++] = buf[at] == '1';
        }
        memmove(buf, buf + at, len - at); /* half an answer, or more than m: kept */
        len -= at;
    }
    return len ? -EPROTO : 0;
}

int kitchen_check(uint16_t port, size_t n, const uint64_t *items, const uint64_t *replies,
                  unsigned char *ok)
{
    char *lines = malloc(CHECK_CHUNK * CHECK_LINE + 1);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = 0;

    if (!lines || fd < 0) {
        rc = lines ? -errno : -ENOMEM;
        goto out;
    }
    if (n > 0 && (!items || !replies || !ok)) {
        rc = -EINVAL;
        goto out;
    }
    if (n > 0 && (rc = dial_on(fd, port)) < 0)
        goto out;
    /* each chunk's tail goes at once, not after the kitchen's delayed ACK */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
    for (size_t at = 0; at < n && rc == 0; at += CHECK_CHUNK) {
        size_t m = n - at < CHECK_CHUNK ? n - at : CHECK_CHUNK, len = 0;

        for (size_t i = 0; i < m; i++)
            len += (size_t)snprintf(lines + len, CHECK_LINE + 1, "? %llu %llu\n",
                                    (unsigned long long)items[at + i],
                                    (unsigned long long)replies[at + i]);
        if ((rc = send_all(fd, lines, len)) == 0)
            rc = check_answers(fd, m, ok + at);
    }
out:
    if (fd >= 0)
        close(fd);
    free(lines);
    return rc;
}

/* The tests' tally of runs (workload_count_runs()): cook jobs with seeds base..base+n-1. */
static _Atomic(unsigned *) count_runs;
static uint64_t count_base, count_n;

void workload_count_runs(uint64_t base, size_t n, unsigned *runs)
{
    atomic_store(&count_runs, NULL);
    count_base = base;
    count_n = n;
    atomic_store(&count_runs, runs);
}

int ref_job_run(const struct job *job, struct result *res)
{
    unsigned *runs = atomic_load(&count_runs);
    uint64_t v = 0;
    int rc;

    if (runs && job->kind == JOB_COOK && job->seed - count_base < count_n)
        __atomic_fetch_add(&runs[job->seed - count_base], 1, __ATOMIC_RELAXED);

    switch (job->kind) {
    case JOB_COOK:
        rc = ref_cook(job->seed, job->rounds, &v);
        break;
    case JOB_ORDER:
        rc = ref_order(job->port, job->seed, &v);
        break;
    case JOB_MEAL:
        if ((rc = ref_order(job->port, job->seed, &v)) == 0)
            rc = ref_cook(v, job->rounds, &v);
        break;
    case JOB_POISON:
        /* a worker that dies mid-job, as a real one might: only its job may be lost */
        raise(job->seed & 1 ? SIGABRT : SIGSEGV);
        rc = -EFAULT; /* if the signal was blocked or ignored */
        break;
    default:
        rc = -EINVAL;
        break;
    }
    res->value = rc == 0 ? v : 0;
    res->status = rc;
    return rc;
}

int ref_seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers; /* one waiter: the baseline every other version is measured against */
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        ref_job_run(&jobs[i], &out[i]);
    return 0;
}

uint64_t workload_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
