/* test_kitchen.c: the kitchen server, the reference client ref_order and the check of
 * replies kitchen_check, end to end. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "done.h"
#include "kitchen.h"
#include "siphash.h"
#include "workload.h"
#include "workload.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *kitchen_bin(void)
{
    const char *p = check_env("KITCHEN_BIN"); /* done.c took it out of the environment */

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

/* Is `reply` the reply of the kitchen on `port` to `item`? (It alone knows: kitchen_check.) */
static int its_reply(uint16_t port, uint64_t item, uint64_t reply)
{
    unsigned char ok = 2;
    int rc = kitchen_check(port, 1, &item, &reply, &ok);

    cr_assert_eq(rc, 0, "kitchen_check: %s", strerror(-rc));
    cr_assert(ok == 0 || ok == 1, "kitchen_check set ok to %d", ok);
    return ok;
}

/* The number at the start of a reply line, which must be digits then `end`. */
static uint64_t number_of(const char *buf, const char *end)
{
    char *e;
    uint64_t v = strtoull(buf, &e, 10);

    cr_assert(e > buf && !strcmp(e, end), "reply \"%s\": not a number then \"%s\"", buf, end);
    return v;
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

/* The kitchen says 1 of its own reply, 0 of any other number, at once (no latency). */
Test(kitchen, check_says_1_for_its_reply_0_for_another, .timeout = 10)
{
    enum { N = 5 };
    static const uint64_t items[N] = {0, 1, 42, 1234567890123ULL, UINT64_MAX};
    uint64_t replies[2 * N], twice[2 * N];
    unsigned char ok[2 * N];
    struct kitchen k = start(200, 0, 0);
    double t0;
    int rc;

    for (size_t i = 0; i < N; i++) {
        rc = ref_order(k.port, items[i], &replies[i]);
        cr_assert_eq(rc, 0, "order %llu: %s", (unsigned long long)items[i], strerror(-rc));
        twice[i] = twice[N + i] = items[i];
        replies[N + i] = replies[i] ^ (1ULL << i); /* one bit off */
    }
    memset(ok, 7, sizeof(ok));
    t0 = now_s();
    rc = kitchen_check(k.port, 2 * N, twice, replies, ok);
    cr_assert_eq(rc, 0, "kitchen_check: %s", strerror(-rc));
    cr_assert_lt(now_s() - t0, 0.150, "a check took %.3f s: it must not wait the latency",
                 now_s() - t0);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(ok[i], 1, "item %llu, its own reply: ok %d", (unsigned long long)items[i],
                     ok[i]);
        cr_assert_eq(ok[N + i], 0, "item %llu, a reply one bit off: ok %d",
                     (unsigned long long)items[i], ok[N + i]);
    }
    cr_assert_eq(kitchen_check(k.port, 0, NULL, NULL, NULL), 0, "nothing to check is no error");
    stop(&k);
}

/* Thousands of pairs on one connection (the bench driver checks lab 5's 10,000 orders). */
Test(kitchen, check_many_on_one_connection, .timeout = 20)
{
    enum { N = 3000 };
    static uint64_t items[N], replies[N];
    static unsigned char ok[N];
    struct kitchen k = start(0, 0, 0);
    int before = count_fds(), rc;

    for (int i = 0; i < 64; i++) {
        items[i] = (uint64_t)i * 7919;
        cr_assert_eq(ref_order(k.port, items[i], &replies[i]), 0);
    }
    for (int i = 64; i < N; i++) { /* the rest: made up, so wrong */
        items[i] = (uint64_t)i;
        replies[i] = (uint64_t)i * 31;
    }
    rc = kitchen_check(k.port, N, items, replies, ok);
    cr_assert_eq(rc, 0, "kitchen_check(%d pairs): %s", N, strerror(-rc));
    for (int i = 0; i < N; i++)
        cr_assert_eq(ok[i], i < 64, "pair %d: ok %d", i, ok[i]);
    cr_assert_eq(count_fds(), before, "kitchen_check leaked file descriptors");
    stop(&k);
}

/* The protocol by hand: each line answered at once, a malformed one "ERR", the connection
 * stays open for more. */
Test(kitchen, check_lines_by_hand, .timeout = 10)
{
    struct kitchen k = start(5, 0, 0);
    uint64_t reply;
    char line[96], buf[64];
    int fd, len;
    ssize_t r;

    cr_assert_eq(ref_order(k.port, 9, &reply), 0);
    fd = dial(k.port);
    len = snprintf(line, sizeof(line), "? 9 %llu\n? 9 %llu\r\n", (unsigned long long)reply,
                   (unsigned long long)reply + 1);
    cr_assert_eq(write(fd, line, (size_t)len), len);
    r = recv(fd, buf, 4, MSG_WAITALL);
    cr_assert_eq(r, 4);
    buf[r] = '\0';
    cr_assert_str_eq(buf, "1\n0\n");
    cr_assert_eq(write(fd, "? x 1\n? 1\n", 10), 10);
    r = recv(fd, buf, 8, MSG_WAITALL);
    cr_assert_eq(r, 8);
    buf[r] = '\0';
    cr_assert_str_eq(buf, "ERR\nERR\n");
    close(fd);
    stop(&k);
}

/* Two kitchens draw two keys: a reply of one is not the other's. */
Test(kitchen, two_kitchens_have_two_keys, .timeout = 10)
{
    struct kitchen a = start(1, 0, 0), b = start(1, 0, 0);
    uint64_t ra, rb;

    cr_assert_eq(ref_order(a.port, 12345, &ra), 0);
    cr_assert_eq(ref_order(b.port, 12345, &rb), 0);
    cr_assert_neq(ra, rb, "two kitchens gave item 12345 the same reply: one key for both");
    cr_assert(its_reply(a.port, 12345, ra) && its_reply(b.port, 12345, rb));
    cr_assert(!its_reply(a.port, 12345, rb) && !its_reply(b.port, 12345, ra));
    stop(&a);
    stop(&b);
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
        cr_assert(its_reply(k.port, a[i].item, a[i].reply), "order %d", i);
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
    char buf[64];
    int fd = dial(k.port), reads;

    for (const char *p = order; *p; p++) {
        cr_assert_eq(write(fd, p, 1), 1);
        nanosleep(&gap, NULL);
    }
    read_all(fd, buf, sizeof(buf), &reads);
    cr_assert(its_reply(k.port, 987654321, number_of(buf, "\n")), "reply \"%s\"", buf);
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
    char buf[64];
    uint64_t reply = 0;
    int fd, reads, rc;

    fd = dial(k.port);
    cr_assert_eq(write(fd, "5\n", 2), 2);
    read_all(fd, buf, sizeof(buf), &reads);
    close(fd);
    cr_assert(its_reply(k.port, 5, number_of(buf, "\n")), "reply \"%s\"", buf);
    cr_assert_geq(reads, 3, "split mode: the reply came in %d reads", reads);
    rc = ref_order(k.port, 5, &reply);
    cr_assert_eq(rc, 0, "ref_order in split mode: %s", strerror(-rc));
    cr_assert_eq(reply, number_of(buf, "\n"));
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
    char buf[64];
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
    cr_assert(its_reply(k.port, 77, number_of(buf, "")),
              "\"%s\": the reply without its newline, then EOF", buf);
    cr_assert_eq(ref_order(k.port, 5, &reply), -EPROTO, "a reply cut short is a protocol error");
    stop(&k);
}

/* Trail mode: the reply line, then a second line. */
Test(kitchen, trail_adds_a_second_line, .timeout = 10)
{
    struct kitchen_conf c = {.latency_ms = 5, .trail = 1};
    struct kitchen k = {0};
    char buf[64];
    size_t got = 0;
    ssize_t r;

    cr_assert_eq(kitchen_start(kitchen_bin(), &c, &k), 0);
    int fd = dial(k.port);
    cr_assert_eq(write(fd, "77\n", 3), 3);
    while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    cr_assert(its_reply(k.port, 77, number_of(buf, "\n7\n")), "reply \"%s\"", buf);
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
/* Each order's reply as it came (a number line, then EOF), for the kitchen to check after. */
static uint64_t c10k_reply[C10K_N];

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
    ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
    char *end;

    if (n < 0 && errno == EAGAIN)
        return;
    if (n > 0) {
        c->len += (size_t)n;
        if (c->len < sizeof(c->buf) - 1)
            return;
    }
    c->buf[c->len] = '\0';
    c10k_reply[c10k_order_no(c, s)] = strtoull(c->buf, &end, 10);
    c10k_finish(s, c, n == 0 && end > c->buf && strcmp(end, "\n") == 0);
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
    /* and each reply was the kitchen's: all 10,000 checked on one connection */
    static uint64_t items[C10K_N];
    static unsigned char ok[C10K_N];
    for (int i = 0; i < C10K_N; i++)
        items[i] = (uint64_t)i;
    t0 = now_s();
    cr_assert_eq(kitchen_check(k.port, C10K_N, items, c10k_reply, ok), 0);
    cr_log_info("c10k: 10,000 replies checked in %.3f s", now_s() - t0);
    for (int i = 0; i < C10K_N; i++)
        cr_assert(ok[i], "order %d: reply %llu is not the kitchen's", i,
                  (unsigned long long)c10k_reply[i]);
    stop(&k);
}

/* ---- the key stays in the kitchen ---- */

/* A KITCHEN_KEY in the environment (as every run had until the kitchens drew their own) is
 * nobody's key: the reply is not dish_mix(item ^ that key). */
Test(kitchen, a_key_in_the_environment_is_not_its_key, .timeout = 10)
{
    struct kitchen k;
    uint64_t reply;

    setenv("KITCHEN_KEY", "0000000000000000", 1);
    k = start(1, 0, 0);
    cr_assert_eq(ref_order(k.port, 5, &reply), 0);
    cr_assert_neq(reply, dish_mix(5), "the kitchen answered with the environment's key");
    cr_assert_neq(reply, dish_mix(5 ^ 0x6b69746368656eULL), "the kitchen answered a fixed key");
    stop(&k);
}

/* What a process of the kitchen's own user can open of /proc/PID: 1 for mem, 2 for environ. */
static int readable_of(pid_t pid)
{
    static const char *const what[] = {"mem", "environ"};
    char path[64];
    int got = 0;

    for (int i = 0; i < 2; i++) {
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what[i]);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
            got |= 1 << i;
            close(fd);
        }
    }
    return got;
}

/* In a child, as a user without privileges (nobody when the test is root): start a kitchen
 * and see what of it can be read; a dumpable child of its own is the control. Exit code:
 * 10 + what of the kitchen was readable, 20 + the control's, 3 when it could not start. */
static int probe_as_user(void)
{
    struct kitchen k = {0};
    pid_t ctl;
    int got, ctl_got;

    if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
        return 3;
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* setuid() made this process (and the control) not */
    if (kitchen_start(kitchen_bin(), &(struct kitchen_conf){.latency_ms = 1}, &k) < 0)
        return 3;
    got = readable_of(k.pid);
    kitchen_stop(&k);
    if ((ctl = fork()) == 0) {
        pause();
        _exit(0);
    }
    ctl_got = ctl > 0 ? readable_of(ctl) : -1;
    if (ctl > 0) {
        kill(ctl, SIGKILL);
        waitpid(ctl, NULL, 0);
    }
    return got ? 10 + got : ctl_got != 3 ? 20 + ctl_got : 0;
}

/* The kitchen is not dumpable: another process of its user (the tests, student code) cannot
 * open its memory or its environment, so its key is its own. The control: a dumpable child
 * of the same user is readable, so the probe can see a difference. */
Test(kitchen, is_not_dumpable, .timeout = 10)
{
    int status = 0;
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0)
        _exit(probe_as_user());
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "the probe crashed");
    cr_assert_neq(WEXITSTATUS(status), 3, "the probe could not start a kitchen as user 65534");
    cr_assert(WEXITSTATUS(status) < 10 || WEXITSTATUS(status) >= 20,
              "a process of the kitchen's own user could open its %s",
              WEXITSTATUS(status) - 10 == 1   ? "memory"
              : WEXITSTATUS(status) - 10 == 2 ? "environment"
                                              : "memory and environment");
    cr_assert(WEXITSTATUS(status) < 20,
              "the control (a dumpable child) was not readable either (%d): the probe proves "
              "nothing here",
              WEXITSTATUS(status) - 20);
}

/* The reply function is SipHash-2-4: the paper's test vector (key 00..0f, the 8 bytes
 * 00..07). dish_mix(item ^ key), the reply before, could be undone: one reply gave the key
 * away and with it every other reply (red team, kitchen_key_recovery). */
uint64_t kitchen_siphash(const uint64_t key[2], uint64_t m); /* kitchen_server.h */

Test(kitchen_reply, siphash_test_vector)
{
    const uint64_t key[2] = {UINT64_C(0x0706050403020100), UINT64_C(0x0f0e0d0c0b0a0908)};
    const uint64_t other[2] = {key[0], key[1] ^ 1};

    cr_assert_eq(kitchen_siphash(key, UINT64_C(0x0706050403020100)), UINT64_C(0x93f5f5799a932462));
    cr_assert_neq(kitchen_siphash(key, 42), kitchen_siphash(other, 42), "the whole key counts");
    cr_assert_neq(kitchen_siphash(key, 42), dish_mix(42 ^ key[0]));
    /* siphash24() over any length (the done lines' tags): the reference vectors for the
     * messages 00, 00 01 .. of lengths 0, 7, 8 and 15 */
    static const uint64_t want[16] = {[0] = UINT64_C(0x726fdb47dd0e0e31),
                                      [7] = UINT64_C(0xab0200f58b01d137),
                                      [8] = UINT64_C(0x93f5f5799a932462),
                                      [15] = UINT64_C(0xa129ca6149be45e5)};
    unsigned char msg[16];
    for (int i = 0; i < 16; i++)
        msg[i] = (unsigned char)i;
    for (size_t len = 0; len < 16; len++)
        if (want[len])
            cr_assert_eq(siphash24(key, msg, len), want[len], "length %zu", len);
}
