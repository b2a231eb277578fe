/* test_kitchen.c: the kitchen server and the reference client ref_order, end to end. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "kitchen.h"
#include "workload.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *kitchen_bin(void)
{
    const char *p = getenv("KITCHEN_BIN");

    return p ? p : "build/bin/kitchen";
}

static struct kitchen start(int latency_ms, int split, int close_early)
{
    struct kitchen_conf c = {.latency_ms = latency_ms, .split = split, .close_early = close_early};
    struct kitchen k = {0};
    int rc = kitchen_start(kitchen_bin(), &c, &k);

    cr_assert_eq(rc, 0, "kitchen_start(%s): %s (set KITCHEN_BIN?)", kitchen_bin(), strerror(-rc));
    cr_assert_gt(k.pid, 0);
    cr_assert_gt(k.port, 0);
    return k;
}

static void stop(struct kitchen *k)
{
    int rc = kitchen_stop(k);

    cr_assert_eq(rc, 0, "kitchen_stop: %s", strerror(-rc));
}

/* A blocking socket connected to the kitchen, for tests that speak the protocol by hand. */
static int dial(uint16_t port)
{
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0, "connect: %s", strerror(errno));
    return fd;
}

/* Everything until EOF; *reads says in how many pieces it came. */
static size_t read_all(int fd, char *buf, size_t cap, int *reads)
{
    size_t len = 0;
    ssize_t n;

    *reads = 0;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0) {
        len += (size_t)n;
        (*reads)++;
    }
    buf[len] = '\0';
    return len;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    cr_assert_not_null(d);
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

Test(kitchen, start_stop_leaves_no_process, .timeout = 10)
{
    struct kitchen k = start(50, 0, 0);
    pid_t pid = k.pid;

    cr_assert_eq(kill(pid, 0), 0, "the kitchen is not running after kitchen_start");
    stop(&k);
    cr_assert_eq(kill(pid, 0), -1, "pid %d still exists after kitchen_stop", (int)pid);
    cr_assert_eq(errno, ESRCH);
}

Test(kitchen, bad_binary_is_an_error, .timeout = 10)
{
    struct kitchen_conf c = {.latency_ms = 50};
    struct kitchen k = {0};

    cr_assert_eq(kitchen_start("/nonexistent/kitchen", &c, &k), -ENOENT);
    cr_assert_eq(k.pid, 0);
}

Test(kitchen, replies_match_kitchen_reply, .timeout = 10)
{
    static const uint64_t items[] = {0, 1, 42, 1234567890123ULL, UINT64_MAX};
    struct kitchen k = start(5, 0, 0);

    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        uint64_t reply = 0;
        int rc = ref_order(k.port, items[i], &reply);

        cr_assert_eq(rc, 0, "order %llu: %s", (unsigned long long)items[i], strerror(-rc));
        cr_assert_eq(reply, kitchen_reply(items[i]), "order %llu", (unsigned long long)items[i]);
    }
    stop(&k);
}

Test(kitchen, latency_is_honoured, .timeout = 10)
{
    struct kitchen k = start(100, 0, 0);
    uint64_t reply;
    double t0 = now_s(), dt;

    cr_assert_eq(ref_order(k.port, 7, &reply), 0);
    dt = now_s() - t0;
    cr_assert_geq(dt, 0.100, "reply after %.3f s, before the 0.100 s latency", dt);
    cr_assert_lt(dt, 1.100, "reply after %.3f s, latency 0.100 s", dt);
    stop(&k);
}

struct order_arg {
    uint16_t port;
    uint64_t item, reply;
    int rc;
};

static void *order_thread(void *p)
{
    struct order_arg *a = p;

    a->rc = ref_order(a->port, a->item, &a->reply);
    return NULL;
}

Test(kitchen, eight_orders_overlap, .timeout = 15)
{
    enum { N = 8, LATENCY_MS = 200 };
    struct kitchen k = start(LATENCY_MS, 0, 0);
    struct order_arg a[N];
    pthread_t t[N];
    double t0 = now_s(), dt;

    for (int i = 0; i < N; i++) {
        a[i] = (struct order_arg){.port = k.port, .item = 100 + (uint64_t)i};
        cr_assert_eq(pthread_create(&t[i], NULL, order_thread, &a[i]), 0);
    }
    for (int i = 0; i < N; i++)
        cr_assert_eq(pthread_join(t[i], NULL), 0);
    dt = now_s() - t0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(a[i].rc, 0, "order %d: %s", i, strerror(-a[i].rc));
        cr_assert_eq(a[i].reply, kitchen_reply(a[i].item), "order %d", i);
    }
    /* Served one after another they would take 8 x 0.2 s; together, about 0.2 s. */
    cr_assert_lt(dt, 4 * LATENCY_MS / 1000.0, "8 orders took %.3f s: not overlapped", dt);
    stop(&k);
}

Test(kitchen, order_sent_byte_by_byte, .timeout = 10)
{
    struct kitchen k = start(20, 0, 0);
    const struct timespec gap = {0, 2 * 1000000};
    const char *order = "987654321\n";
    char buf[64], want[32];
    int fd = dial(k.port), reads;

    for (const char *p = order; *p; p++) {
        cr_assert_eq(write(fd, p, 1), 1);
        nanosleep(&gap, NULL);
    }
    read_all(fd, buf, sizeof(buf), &reads);
    snprintf(want, sizeof(want), "%llu\n", (unsigned long long)kitchen_reply(987654321));
    cr_assert_str_eq(buf, want);
    close(fd);
    stop(&k);
}

static void expect_err(uint16_t port, const char *line, size_t len)
{
    char buf[64];
    int fd = dial(port), reads;

    cr_assert_eq(write(fd, line, len), (ssize_t)len);
    read_all(fd, buf, sizeof(buf), &reads);
    cr_assert_str_eq(buf, "ERR\n", "sent \"%.*s\"", (int)len, line);
    close(fd);
}

Test(kitchen, garbage_gets_err, .timeout = 10)
{
    struct kitchen k = start(20, 0, 0);
    char long_line[KITCHEN_LINE_MAX + 8];

    expect_err(k.port, "hello\n", 6);
    expect_err(k.port, "\n", 1);
    expect_err(k.port, "-5\n", 3);
    expect_err(k.port, "12x\n", 4);
    expect_err(k.port, "99999999999999999999999\n", 24); /* beyond u64 */
    memset(long_line, '1', sizeof(long_line));           /* no '\n' within KITCHEN_LINE_MAX */
    expect_err(k.port, long_line, sizeof(long_line));
    stop(&k);
}

Test(kitchen, split_reply_arrives_in_pieces, .timeout = 10)
{
    struct kitchen k = start(10, 1, 0);
    char buf[64], want[32];
    uint64_t reply = 0;
    int fd, reads, rc;

    fd = dial(k.port);
    cr_assert_eq(write(fd, "5\n", 2), 2);
    read_all(fd, buf, sizeof(buf), &reads);
    close(fd);
    snprintf(want, sizeof(want), "%llu\n", (unsigned long long)kitchen_reply(5));
    cr_assert_str_eq(buf, want);
    cr_assert_geq(reads, 3, "split mode: the reply came in %d reads", reads);
    rc = ref_order(k.port, 5, &reply);
    cr_assert_eq(rc, 0, "ref_order in split mode: %s", strerror(-rc));
    cr_assert_eq(reply, kitchen_reply(5));
    stop(&k);
}

Test(kitchen, close_early_is_eproto, .timeout = 10)
{
    struct kitchen k = start(50, 0, 1);
    uint64_t reply;
    double t0 = now_s();

    cr_assert_eq(ref_order(k.port, 5, &reply), -EPROTO);
    cr_assert_geq(now_s() - t0, 0.050, "closed before the latency");
    stop(&k);
}

/* Cut mode: the whole number, then a hang-up without the newline. */
Test(kitchen, cut_reply_has_no_newline, .timeout = 10)
{
    struct kitchen_conf c = {.latency_ms = 5, .cut = 1};
    struct kitchen k = {0};
    char buf[64], want[32];
    size_t got = 0;
    ssize_t r;
    uint64_t reply;

    cr_assert_eq(kitchen_start(kitchen_bin(), &c, &k), 0);
    int fd = dial(k.port);
    cr_assert_eq(write(fd, "77\n", 3), 3);
    while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    snprintf(want, sizeof(want), "%llu", (unsigned long long)kitchen_reply(77));
    cr_assert_str_eq(buf, want, "the reply without its newline, then EOF");
    cr_assert_eq(ref_order(k.port, 5, &reply), -EPROTO, "a reply cut short is a protocol error");
    stop(&k);
}

/* Trail mode: the reply line, then a second line. */
Test(kitchen, trail_adds_a_second_line, .timeout = 10)
{
    struct kitchen_conf c = {.latency_ms = 5, .trail = 1};
    struct kitchen k = {0};
    char buf[64], want[40];
    size_t got = 0;
    ssize_t r;

    cr_assert_eq(kitchen_start(kitchen_bin(), &c, &k), 0);
    int fd = dial(k.port);
    cr_assert_eq(write(fd, "77\n", 3), 3);
    while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    snprintf(want, sizeof(want), "%llu\n7\n", (unsigned long long)kitchen_reply(77));
    cr_assert_str_eq(buf, want);
    stop(&k);
}

/* Hold mode: the reply at once, the hang-up only MS later. */
Test(kitchen, hold_delays_the_hangup, .timeout = 10)
{
    struct kitchen_conf c = {.latency_ms = 0, .hold_ms = 80};
    struct kitchen k = {0};
    char buf[64];
    size_t got = 0;
    ssize_t r;
    double t_reply = 0, t_eof;

    cr_assert_eq(kitchen_start(kitchen_bin(), &c, &k), 0);
    int fd = dial(k.port);
    cr_assert_eq(write(fd, "9\n", 2), 2);
    while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
        got += (size_t)r;
        if (memchr(buf, '\n', got) && t_reply == 0)
            t_reply = now_s();
    }
    t_eof = now_s();
    close(fd);
    cr_assert(t_reply > 0, "no reply line");
    cr_assert_geq(t_eof - t_reply, 0.07, "the hang-up came %.3f s after the reply",
                  t_eof - t_reply);
    stop(&k);
}

Test(kitchen, refused_is_econnrefused, .timeout = 10)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    uint64_t reply;

    /* A port bound but not listening: nobody can take it during the test, and it refuses. */
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    cr_assert_eq(ref_order(ntohs(a.sin_port), 1, &reply), -ECONNREFUSED);
    close(fd);
}

Test(kitchen, ref_order_leaks_no_fd, .timeout = 10)
{
    struct kitchen ok = start(5, 0, 0), early = start(5, 0, 1);
    uint64_t reply;
    int before = count_fds();

    for (int i = 0; i < 20; i++) {
        cr_assert_eq(ref_order(ok.port, (uint64_t)i, &reply), 0);
        cr_assert_eq(ref_order(early.port, (uint64_t)i, &reply), -EPROTO);
    }
    stop(&early);
    cr_assert_eq(ref_order(early.port, 1, &reply), -ECONNREFUSED);
    cr_assert_eq(count_fds(), before, "ref_order leaked file descriptors");
    stop(&ok);
}

Test(kitchen, cpu_is_measured, .timeout = 10)
{
    struct kitchen k = start(1, 0, 0);
    uint64_t reply;
    double cpu;

    for (int i = 0; i < 50; i++)
        cr_assert_eq(ref_order(k.port, (uint64_t)i, &reply), 0);
    cpu = kitchen_cpu(&k);
    cr_assert(cpu >= 0 && cpu < 5, "kitchen_cpu = %f", cpu);
    stop(&k);
    cr_assert_eq(kitchen_cpu(&k), -1);
}

/* ---- C10K: one epoll client, 10,000 orders at once ---- */

enum { C10K_N = 10000, C10K_CONNECTING_MAX = 1000, C10K_LATENCY_MS = 50 };

struct c10k_conn {
    int fd;
    int connected;
    size_t len;
    char buf[32];
};

struct c10k {
    uint16_t port;
    int epfd;
    int next, connecting, ok, failed;
    struct c10k_conn *c;
};

static int c10k_order_no(const struct c10k_conn *c, const struct c10k *s)
{
    return (int)(c - s->c);
}

static void c10k_finish(struct c10k *s, struct c10k_conn *c, int ok)
{
    if (!c->connected)
        s->connecting--;
    close(c->fd);
    c->fd = -1;
    if (ok)
        s->ok++;
    else
        s->failed++;
}

/* Keep up to C10K_CONNECTING_MAX connects in flight: a burst beyond the backlog stalls 1 s. */
static void c10k_open_more(struct c10k *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(s->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

    while (s->next < C10K_N && s->connecting < C10K_CONNECTING_MAX) {
        struct c10k_conn *c = &s->c[s->next];
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};

        s->next++;
        s->connecting++;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            s->connecting--;
            s->failed++;
            continue;
        }
        if ((connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) ||
            epoll_ctl(s->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
            c10k_finish(s, c, 0);
    }
}

static void c10k_connected(struct c10k *s, struct c10k_conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    char line[32];
    int err = 0, len;
    socklen_t elen = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
        c10k_finish(s, c, 0);
        return;
    }
    c->connected = 1;
    s->connecting--;
    len = snprintf(line, sizeof(line), "%d\n", c10k_order_no(c, s));
    if (write(c->fd, line, (size_t)len) != len || epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        c10k_finish(s, c, 0);
}

/* Read to EOF, so the server closes first and the TIME_WAITs stay on its side. */
static void c10k_readable(struct c10k *s, struct c10k_conn *c)
{
    char want[32];
    ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

    if (n < 0 && errno == EAGAIN)
        return;
    if (n > 0) {
        c->len += (size_t)n;
        if (c->len < sizeof(c->buf) - 1)
            return;
    }
    c->buf[c->len] = '\0';
    snprintf(want, sizeof(want), "%llu\n",
             (unsigned long long)kitchen_reply((uint64_t)c10k_order_no(c, s)));
    c10k_finish(s, c, n == 0 && strcmp(c->buf, want) == 0);
}

static void c10k_run(struct c10k *s, double limit_s)
{
    struct epoll_event ev[256];
    double t0 = now_s();

    c10k_open_more(s);
    while (s->ok + s->failed < C10K_N && now_s() - t0 < limit_s) {
        int n = epoll_wait(s->epfd, ev, 256, 100);

        for (int i = 0; i < n; i++) {
            struct c10k_conn *c = ev[i].data.ptr;

            if (c->fd < 0)
                continue;
            if (!c->connected)
                c10k_connected(s, c);
            else
                c10k_readable(s, c);
        }
        c10k_open_more(s);
    }
}

Test(kitchen, c10k, .timeout = 30)
{
    struct kitchen k = start(C10K_LATENCY_MS, 0, 0);
    struct c10k s = {.port = k.port};
    struct rlimit rl;
    double t0, dt;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = rl.rlim_max;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < C10K_N + 100)
        cr_skip_test("RLIMIT_NOFILE hard limit %llu is below 10,100",
                     (unsigned long long)rl.rlim_cur);
    s.c = calloc(C10K_N, sizeof(*s.c));
    cr_assert_not_null(s.c);
    s.epfd = epoll_create1(EPOLL_CLOEXEC);
    cr_assert_geq(s.epfd, 0);
    t0 = now_s();
    c10k_run(&s, 10.0);
    dt = now_s() - t0;
    for (int i = 0; i < C10K_N; i++)
        if (s.c[i].fd >= 0 && i < s.next)
            close(s.c[i].fd);
    close(s.epfd);
    free(s.c);
    cr_log_info("c10k: %d orders in %.3f s, %d failed", s.ok, dt, s.failed);
    cr_assert_eq(s.failed, 0, "%d of %d orders failed", s.failed, C10K_N);
    cr_assert_eq(s.ok, C10K_N, "%d of %d orders answered in %.1f s", s.ok, C10K_N, dt);
    cr_assert_lt(dt, 10.0, "10,000 orders took %.3f s", dt);
    stop(&k);
}
