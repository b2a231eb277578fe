/* tests.c: lab 1 correctness: cooking, serving, one waiter, the stopwatch, the metrics. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "check.h"
#include "fault.h"
#include "lab1.h"

/* A double in [lo, hi). */
static double rnd_in(double lo, double hi)
{
    return lo + (hi - lo) * (double)(check_rand() >> 11) / 9007199254740992.0;
}

static int close_to(double got, double want)
{
    double scale = fabs(want) > 1 ? fabs(want) : 1;

    return fabs(got - want) <= 1e-9 * scale;
}

/* Within 1e-9 of want relative to want itself, however small: 5e-301 is not 0. */
static int rel_close(double got, double want)
{
    return got == want || fabs(got - want) <= 1e-9 * fabs(want);
}

/* ---- cook ---------------------------------------------------------------------------------- */

Test(cook, matches_reference, .timeout = 3)
{
    /* 24 counts of 1 to 100,000 rounds, then 3 drawn log-uniformly from 2^17 to 2^24 (up to a
     * bench job's size): a cook() wrong only past the small counts (red team 12,
     * cook_untested_range: one round short from 120,000 rounds on) is wrong here too. The
     * counts come from the seed alone, so the reference's run cooks the same ones. */
    for (int i = 0; i < 27; i++) {
        uint64_t bits = 17 + check_rand() % 7, seed = check_rand(), dish = 0;
        uint64_t rounds = i == 0   ? 1
                          : i < 24 ? 1 + check_rand() % 100000
                                   : (UINT64_C(1) << bits) + check_rand() % (UINT64_C(1) << bits);
        int rc = cook(seed, rounds, &dish);

        CHECK_IMPL(rc, "cook()", "cook.c");
        cr_assert_eq(rc, 0, "cook(seed=0x%016llx, rounds=%llu) returned %d, expected 0",
                     (unsigned long long)seed, (unsigned long long)rounds, rc);
        uint64_t want = check_dish(seed, rounds);
        cr_assert_eq(dish, want,
                     "cook(seed=0x%016llx, rounds=%llu) = 0x%016llx, expected 0x%016llx",
                     (unsigned long long)seed, (unsigned long long)rounds, (unsigned long long)dish,
                     (unsigned long long)want);
        check_observe(dish, "cook(0x%016llx,%llu)", (unsigned long long)seed,
                      (unsigned long long)rounds);
    }
    /* one seed, two counts of rounds, one call after the other: two dishes (a dish is the
     * seed and the rounds, never what an earlier call with that seed gave) */
    uint64_t seed = check_rand(), r[2] = {1 + check_rand() % 1000, 0};

    r[1] = r[0] + 1 + check_rand() % 1000;
    for (int k = 0; k < 2; k++) {
        uint64_t dish = 0, want = check_dish(seed, r[k]);

        cr_assert(cook(seed, r[k], &dish) == 0 && dish == want,
                  "cook(seed=0x%016llx, rounds=%llu) = 0x%016llx, expected 0x%016llx%s",
                  (unsigned long long)seed, (unsigned long long)r[k], (unsigned long long)dish,
                  (unsigned long long)want,
                  k ? ", right after cook() of the same seed with another count of rounds: a "
                      "dish depends on the seed and the rounds, both (nothing kept between calls)"
                    : "");
    }
}

Test(cook, zero_rounds, .timeout = 2)
{
    uint64_t seed = check_rand(), dish = ~seed;
    int rc = cook(seed, 0, &dish);

    CHECK_IMPL(rc, "cook()", "cook.c");
    cr_assert_eq(rc, 0, "cook(seed=0x%016llx, rounds=0) returned %d, expected 0",
                 (unsigned long long)seed, rc);
    cr_assert_eq(dish, seed,
                 "cook(seed=0x%016llx, rounds=0) = 0x%016llx, expected the seed itself "
                 "(no rounds, no mixing)",
                 (unsigned long long)seed, (unsigned long long)dish);
}

/* cook() on another thread: done is set when it returns. */
struct long_cook {
    uint64_t seed, rounds, dish;
    atomic_int done;
};

static void *long_cook_run(void *arg)
{
    struct long_cook *lc = arg;

    cook(lc->seed, lc->rounds, &lc->dish);
    atomic_store(&lc->done, 1);
    return NULL;
}

/* A count of rounds is a uint64_t: 2^32 + 3 rounds are four billion rounds, seconds of
 * work, not 3 (what a 32-bit counter or copy makes of it), and 2^63 + 3 are centuries, not
 * none (what a signed 64-bit counter, or a cast to one, makes of it). The test does not wait
 * for them: a cook() that is back within 300 ms did not do them. */
Test(cook, rounds_past_32_bits, .timeout = 3)
{
    /* the cooks go on after the test is over; so does this */
    static struct long_cook lc[2];
    static const int bits[2] = {32, 63};
    static const char *const cut[2] = {"cut to 32 bits (an int or unsigned counter?)",
                                       "read as negative (a long or int64_t counter, or a cast "
                                       "to one?)"};
    const struct timespec nap = {.tv_nsec = 300000000};
    pthread_t t[2];

    for (int k = 0; k < 2; k++) {
        lc[k].seed = check_rand();
        lc[k].rounds = (UINT64_C(1) << bits[k]) + 1 + check_rand() % 5;
        cr_assert_eq(pthread_create(&t[k], NULL, long_cook_run, &lc[k]), 0,
                     "pthread_create failed in the test");
    }
    nanosleep(&nap, NULL);
    for (int k = 0; k < 2; k++) {
        unsigned long long over = (unsigned long long)(lc[k].rounds - (UINT64_C(1) << bits[k]));

        if (atomic_load(&lc[k].done)) {
            uint64_t dish;
            int rc = cook(lc[k].seed, 1, &dish);

            CHECK_IMPL(rc, "cook()", "cook.c");
            cr_assert_fail("cook(seed=0x%016llx, rounds=%llu = 2^%d + %llu) returned within "
                           "300 ms: that many rounds take %s, so the count was %s; count "
                           "rounds in a uint64_t",
                           (unsigned long long)lc[k].seed, (unsigned long long)lc[k].rounds,
                           bits[k], over, k ? "centuries" : "seconds", cut[k]);
        }
        /* still cooking, not gone: a cook() that ended its thread (pthread_exit) never
         * returns either, and must not pass for a long one */
        cr_assert_neq(pthread_tryjoin_np(t[k], NULL), 0,
                      "cook(seed=0x%016llx, rounds=2^%d + %llu) ended the thread that called "
                      "it without returning (pthread_exit?): cook() returns its dish",
                      (unsigned long long)lc[k].seed, bits[k], over);
        pthread_detach(t[k]);
    }
}

Test(cook, null_dish, .timeout = 2)
{
    uint64_t seed = check_rand();
    int rc = cook(seed, 10, NULL);

    CHECK_IMPL(rc, "cook()", "cook.c");
    cr_assert_eq(rc, -EINVAL,
                 "cook(seed=0x%016llx, rounds=10, dish=NULL) returned %d, "
                 "expected -EINVAL (%d)",
                 (unsigned long long)seed, rc, -EINVAL);
    /* with 0 rounds too: the check comes before any shortcut (a crash here is a write
     * through the NULL dish) */
    rc = cook(seed, 0, NULL);
    cr_assert_eq(rc, -EINVAL,
                 "cook(seed=0x%016llx, rounds=0, dish=NULL) returned %d, expected -EINVAL (%d): "
                 "check dish before anything else, the shortcut for 0 rounds too",
                 (unsigned long long)seed, rc, -EINVAL);
    /* and with rounds of centuries: refused at once, not after the mixing. In a child of
     * its own, which a cook() that mixes first is still at when the test gives up 1 s later
     * (then killed: no thread of the test left cooking) */
    uint64_t rounds = UINT64_MAX - check_rand() % 5;
    int p[2], st, got = 0;
    pid_t pid;

    cr_assert_eq(pipe(p), 0, "pipe() failed in the test");
    pid = fork();
    cr_assert(pid >= 0, "fork() failed in the test");
    if (pid == 0) {
        rc = cook(seed, rounds, NULL);
        _exit(write(p[1], &rc, sizeof(rc)) == (ssize_t)sizeof(rc) ? 0 : 1);
    }
    close(p[1]);
    for (int ms = 0; ms < 1000 && !got; ms++) {
        got = waitpid(pid, &st, WNOHANG) == pid;
        if (!got)
            nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    if (!got) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    if (!got || read(p[0], &rc, sizeof(rc)) != (ssize_t)sizeof(rc))
        rc = INT_MIN;
    close(p[0]);
    cr_assert(got,
              "cook(seed=0x%016llx, rounds=%llu, dish=NULL) was not back within 1 s: "
              "a NULL dish is refused at once (-EINVAL), before any mixing, whatever the "
              "rounds",
              (unsigned long long)seed, (unsigned long long)rounds);
    cr_assert(rc == -EINVAL,
              "cook(seed=0x%016llx, rounds=%llu, dish=NULL) %s %d, expected -EINVAL (%d)",
              (unsigned long long)seed, (unsigned long long)rounds,
              rc == INT_MIN ? "ended its process without returning, status" : "returned",
              rc == INT_MIN ? st : rc, -EINVAL);
}

/* ---- serve --------------------------------------------------------------------------------- */

/* stderr made unwritable for the calls in between: fd 2 on the read end of a pipe, so every
 * write to it fails with EBADF (a test may not open a file for writing, done.h: no
 * /dev/full). A log of a failure (fprintf(stderr, ...), perror()) made before errno is read
 * then sets errno itself, and the -errno returned is EBADF, not the failed call's. What fd 2
 * was comes back with check_stderr_back(), before any assertion. */
static int stderr_unwritable(void)
{
    int p[2], saved = check_stderr_aside();

    cr_assert(pipe(p) == 0, "pipe() failed in the test: %s", strerror(errno));
    if (p[0] != STDERR_FILENO) {
        dup2(p[0], STDERR_FILENO);
        close(p[0]);
    }
    if (p[1] != STDERR_FILENO)
        close(p[1]);
    return saved;
}

static int do_serve(uint16_t port, uint64_t item, uint64_t *reply)
{
    int rc = serve(port, item, reply);

    CHECK_IMPL(rc, "serve()", "serve.c");
    return rc;
}

/* serve() must bring back the kitchen's reply: only the kitchen knows it, so the test asks
 * the kitchen whether it is (check_reply_ok()). */
static void check_order(uint16_t port, uint64_t item)
{
    uint64_t reply = 0;
    int rc = do_serve(port, item, &reply);

    cr_assert_eq(rc, 0, "serve(port=%u, item=%llu) returned %d (%s), expected 0", port,
                 (unsigned long long)item, rc, strerror(-rc));
    cr_assert(check_reply_ok(port, item, reply),
              "serve(port=%u, item=%llu) = %llu: " CHECK_NOT_REPLY, port, (unsigned long long)item,
              (unsigned long long)reply);
}

/* A clock's reading in seconds (a CPU clock's too). */
static double clock_sec(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A fake kitchen for one order, run by a thread of the test: it reads the order line,
 * then answers `reply` (all at once, or a byte at a time), or hangs up if reply is NULL.
 * With reply FAKE_DRAW, it draws a random reply once the order is in (into `drawn`), so
 * that only reading it gets it. With `delay_ms` it waits that long before it answers. With
 * `hold_ms` it then keeps the connection open until the client closes its end (`closed`),
 * or for hold_ms at most, and counts every byte the client sent (`sent`, the order line
 * included). With `split` it sends the first half of its reply line, then waits until one
 * of the client's reads has failed (fault.h: the test arms an EINTR on its second read),
 * 1 s at most, before it sends the rest: the signal lands in the middle of the reply.
 * It never asserts; the test's main thread checks what it saw.
 */
static const char fake_draw[] = "draw";
#define FAKE_DRAW fake_draw
struct fake {
    int lfd;
    uint16_t port;
    const char *reply;
    size_t reply_len; /* bytes of reply to send, NULs included; 0: strlen(reply) */
    int bytewise;
    int delay_ms;    /* before it answers */
    int late_s;      /* > 0: before it answers, CLOCK_MONOTONIC jumps this far (a long wait) */
    int hold_ms;     /* after its answer: wait this long at most for the client to close */
    int split;       /* half the reply, then the rest once a read of the client's has failed */
    int closed;      /* hold_ms: the client closed its end first */
    size_t sent;     /* hold_ms: every byte the client sent */
    char got[64];    /* the order line as received */
    char line[32];   /* FAKE_DRAW: the reply line drawn */
    uint64_t drawn;  /* FAKE_DRAW: its number */
    clockid_t watch; /* with watched set: this CPU clock is read as the order comes in */
    int watched;
    double cpu_at;  /* what it read */
    double wall_at; /* and CLOCK_MONOTONIC then */
    pthread_t tid;
};

/* The fake's own reads go around fault.h's wrappers (readv() is not wrapped): a test that
 * fails serve()'s recv() (FAULT_READ) must not fail the fake's instead. */
static ssize_t fake_recv(int fd, char *buf, size_t n)
{
    struct iovec iov = {.iov_base = buf, .iov_len = n};

    return readv(fd, &iov, 1);
}

static void *fake_run(void *arg)
{
    struct fake *f = arg;
    struct timeval tmo = {.tv_sec = 1};
    size_t len = 0;
    int fd = accept(f->lfd, NULL, NULL), one = 1;

    if (fd < 0)
        return NULL;
    if (f->watched) {
        f->cpu_at = clock_sec(f->watch);
        f->wall_at = check_now();
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    while (len < sizeof(f->got) - 1 && !memchr(f->got, '\n', len)) {
        ssize_t r = fake_recv(fd, f->got + len, sizeof(f->got) - 1 - len);

        if (r <= 0)
            break;
        len += (size_t)r;
    }
    f->got[len] = '\0';
    f->sent = len;
    if (f->delay_ms > 0) {
        struct timespec slow = {.tv_sec = f->delay_ms / 1000,
                                .tv_nsec = (long)(f->delay_ms % 1000) * 1000000L};

        while (nanosleep(&slow, &slow) < 0 && errno == EINTR)
            ;
    }
    if (f->late_s > 0) /* what the waiter's clock reads after a wait of late_s seconds */
        fault_clock_uptime(f->late_s);
    if (f->reply == FAKE_DRAW && getrandom(&f->drawn, sizeof(f->drawn), 0) == sizeof(f->drawn))
        snprintf(f->line, sizeof(f->line), "%llu\n", (unsigned long long)f->drawn);
    if (f->reply == FAKE_DRAW)
        f->reply = f->line;
    size_t total = !f->reply ? 0 : f->reply_len ? f->reply_len : strlen(f->reply);

    for (size_t i = 0; i < total;) {
        size_t chunk = f->bytewise ? 1 : total - i;
        struct timespec gap = {.tv_nsec = 2000000};

        if (f->split && i == 0 && chunk > 1)
            chunk = (chunk + 1) / 2; /* at least one byte in each half */
        if (send(fd, f->reply + i, chunk, MSG_NOSIGNAL) <= 0)
            break;
        i += chunk;
        if (f->bytewise)
            nanosleep(&gap, NULL);
        if (f->split && i == chunk) /* the first half is out: the rest after the EINTR */
            for (int ms = 0; ms < 1000 && fault_failed(FAULT_READ) == 0; ms++)
                nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    if (f->hold_ms > 0) { /* the client is done once it closes: read until then */
        struct timeval hold = {.tv_sec = f->hold_ms / 1000, .tv_usec = f->hold_ms % 1000 * 1000};
        char rest[64];
        ssize_t r;

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &hold, sizeof(hold));
        while ((r = fake_recv(fd, rest, sizeof(rest))) > 0)
            f->sent += (size_t)r;
        /* an end of stream, or a reset from a client that closed with bytes unread */
        f->closed = r == 0 || (r < 0 && errno == ECONNRESET);
    }
    close(fd);
    return NULL;
}

/* The fake set up in *f starts listening and waits for its client. */
static void fake_launch(struct fake *f)
{
    f->lfd = check_listen(4, &f->port);
    cr_assert_eq(pthread_create(&f->tid, NULL, fake_run, f), 0,
                 "pthread_create failed in the test");
}

/* The fake answers `reply` after delay_ms, then holds the connection hold_ms at most. */
static void fake_start_slow(struct fake *f, const char *reply, int bytewise, int delay_ms,
                            int hold_ms)
{
    memset(f, 0, sizeof(*f));
    f->reply = reply;
    f->bytewise = bytewise;
    f->delay_ms = delay_ms;
    f->hold_ms = hold_ms;
    fake_launch(f);
}

static void fake_start(struct fake *f, const char *reply, int bytewise)
{
    fake_start_slow(f, reply, bytewise, 0, 0);
}

static void fake_stop(struct fake *f)
{
    shutdown(f->lfd, SHUT_RDWR); /* wakes an accept() still waiting for a client */
    pthread_join(f->tid, NULL);
    close(f->lfd);
}

/* Order `item` from a fake kitchen answering `reply`; returns serve()'s result. */
static int serve_fake(struct fake *f, const char *reply, int bytewise, uint64_t item,
                      uint64_t *value)
{
    int rc;

    fake_start(f, reply, bytewise);
    rc = serve(f->port, item, value);
    fake_stop(f);
    CHECK_IMPL(rc, "serve()", "serve.c");
    return rc;
}

Test(serve, one_order, .timeout = 3)
{
    check_order(check_kitchen_port(), check_rand());
    /* and one whose connect() returns 0 with errno left from an earlier call (fault.h:
     * FAULT_AT_ONCE): connected; errno means something only after a -1 */
    fault_arm(FAULT_CONNECT, 1, 1, FAULT_AT_ONCE);
    check_order(check_kitchen_port(), check_rand());
    fault_disarm_all();
}

Test(serve, several_orders, .timeout = 3)
{
    uint16_t port = check_kitchen_port();
    uint64_t items[] = {0, UINT64_MAX, check_rand() % 1000, check_rand(), 0};

    /* and an item whose reply has 20 digits, the longest line there is: the test orders a
     * few itself (one latency) and takes the first whose reply is that long */
    for (int found = 0; !found;) {
        uint64_t cand[8], reply[8];
        int rc;

        for (int i = 0; i < 8; i++)
            cand[i] = check_rand();
        rc = ref_order_many(port, 8, cand, reply);
        cr_assert_eq(rc, 0, "the test could not order from the kitchen itself: %s (harness error)",
                     strerror(-rc));
        for (int i = 0; i < 8 && !found; i++)
            if ((found = reply[i] >= UINT64_C(10000000000000000000)))
                items[4] = cand[i];
    }
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
        check_order(port, items[i]);

    /* the ends of uint64_t as replies, from a fake kitchen: "0" is a number like any other
     * (strtoull's 0 is no sign of an error: its end pointer and errno are) */
    static const struct {
        const char *line;
        uint64_t value;
    } ends[] = {{"0\n", 0},
                {"18446744073709551615\n", UINT64_MAX},
                {"007\n", 7},
                {"017\n", 17},
                /* 20 digits, the longest line, led by zeros: no "20 digits start with 1"
                 * shortcut (an examiner's, round 72) */
                {"09999999999999999999\n", UINT64_C(9999999999999999999)},
                {"00000000000000000007\n", 7}};
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        struct fake f;
        uint64_t item = check_rand(), reply = 12345;
        int rc;

        /* errno left at ERANGE by the caller (an earlier strtol() overflow, say): strtoull()
         * sets errno only on an error, so it is set to 0 before the call that reads it */
        errno = ERANGE;
        rc = serve_fake(&f, ends[i].line, 0, item, &reply);
        cr_assert(rc == 0 && reply == ends[i].value,
                  "serve(item=%llu) with the kitchen answering \"%.*s\\n\", errno ERANGE before "
                  "the call, returned %d (%s), reply %llu; expected 0 and %llu: a reply is any "
                  "uint64_t in decimal, 0 and 2^64 - 1 included, leading zeros too (always base "
                  "10: strtoull(s, &end, 10), not base 0, which reads \"017\" as octal; errno = 0 "
                  "before it, since it sets errno only on an error)",
                  (unsigned long long)item, (int)strcspn(ends[i].line, "\n"), ends[i].line, rc,
                  rc < 0 ? strerror(-rc) : "no error", (unsigned long long)reply,
                  (unsigned long long)ends[i].value);
    }
}

/*
 * serve() with `call` failing with `err` from its first call on (FAULT_NCALLS: nothing made
 * to fail), and its first close() reopening the number it freed (fault.h, FAULT_REOPEN), as
 * another thread's open() may do at any moment. Sets *twice when serve() closed that file
 * too: the socket was closed twice, the second time under another owner. Returns serve()'s
 * result.
 */
static int serve_closing(uint16_t port, uint64_t item, uint64_t *reply, enum fault_call call,
                         int err, int *twice)
{
    int rc, fd;

    if (call != FAULT_NCALLS)
        fault_arm(call, 1, 0, err);
    fault_arm(FAULT_CLOSE, 1, 1, FAULT_REOPEN);
    rc = serve(port, item, reply);
    fault_disarm_all();
    fd = fault_reopened();
    *twice = fd >= 0 && fcntl(fd, F_GETFD) < 0;
    if (fd >= 0 && !*twice)
        close(fd); /* the test's file in the socket's place */
    CHECK_IMPL(rc, "serve()", "serve.c");
    return rc;
}

Test(serve, no_fd_leak, .timeout = 3)
{
    uint16_t port = check_kitchen_port(), nobody = check_free_port();
    uint64_t item = check_rand(), reply;
    int before = check_open_fds(), after, rc, twice;

    check_order(port, item);
    rc = serve_closing(nobody, item, &reply, FAULT_NCALLS, 0, &twice);
    cr_assert(rc < 0,
              "serve(port=%u (nobody listening), item=%llu) returned %d, expected a "
              "negative errno",
              nobody, (unsigned long long)item, rc);
    cr_assert(!twice,
              "serve(port=%u (nobody listening), item=%llu) closed its socket twice: the test "
              "opened a file on the descriptor number as soon as the first close() freed it (as "
              "another thread may at any time), and the second close() closed that file under "
              "its owner. Close the socket once, at the one exit path (goto out_close)",
              nobody, (unsigned long long)item);
    after = check_open_fds();
    cr_assert_eq(after, before,
                 "serve(port=%u, item=%llu) then serve(port=%u (refused)): "
                 "%d descriptors open before, %d after: close the socket on every path",
                 port, (unsigned long long)item, nobody, before, after);
    /* the paths where send() or recv() fails (fault.h): the kitchen reset the connection */
    const struct {
        enum fault_call call;
        int err;
        const char *what;
    } fails[] = {{FAULT_WRITE, EPIPE, "send() fails with EPIPE"},
                 {FAULT_READ, ECONNRESET, "recv() fails with ECONNRESET"},
                 /* and connect() failing otherwise than refused (an examiner's, round 72:
                  * only ECONNREFUSED closed the socket) */
                 {FAULT_CONNECT, EADDRNOTAVAIL, "connect() fails with EADDRNOTAVAIL"},
                 {FAULT_CONNECT, ENETUNREACH, "connect() fails with ENETUNREACH"}};
    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        before = check_open_fds();
        rc = serve_closing(port, item, &reply, fails[i].call, fails[i].err, &twice);
        after = check_open_fds();
        cr_assert(rc < 0, "serve(item=%llu) when %s returned %d, expected a negative errno",
                  (unsigned long long)item, fails[i].what, rc);
        cr_assert(!twice,
                  "serve(item=%llu) when %s closed its socket twice: the second close() closed "
                  "a file the test had opened on that number meanwhile. Close it once",
                  (unsigned long long)item, fails[i].what);
        cr_assert_eq(after, before,
                     "serve(item=%llu) when %s returned %d, and %d descriptors were open before, "
                     "%d after: an error return must close the socket too (one exit path: goto "
                     "out_close)",
                     (unsigned long long)item, fails[i].what, rc, before, after);
    }
    /* a close() that a signal interrupts (EINTR) has freed the descriptor all the same on
     * Linux (fault.h, FAULT_CLOSED_EINTR): closing it again closes a number that is not open,
     * or whatever file another thread opened on it meanwhile */
    unsigned bad_closes = fault_bad_closes(), closes;

    before = check_open_fds();
    fault_arm(FAULT_CLOSE, 1, 0, FAULT_CLOSED_EINTR);
    rc = serve(port, item, &reply);
    closes = fault_calls(FAULT_CLOSE);
    fault_disarm_all();
    bad_closes = fault_bad_closes() - bad_closes;
    after = check_open_fds();
    CHECK_IMPL(rc, "serve()", "serve.c");
    cr_assert(bad_closes == 0 && after == before,
              "serve(item=%llu) whose close() reported EINTR after it had closed the socket (as "
              "Linux does when a signal interrupts close()): %u close() call(s) of %u were of a "
              "number that was not open (EBADF), %d descriptors open before, %d after: close() "
              "frees the descriptor even when it fails with EINTR, so never call it again (by "
              "then the number may be another thread's file)",
              (unsigned long long)item, bad_closes, closes, before, after);
    /* the paths after connect() that end in failure: a bad reply, a hang-up */
    const char *bad[] = {"ERR\n", "12", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fake f;

        before = check_open_fds();
        rc = serve_fake(&f, bad[i], 0, item, &reply);
        after = check_open_fds();
        cr_assert_eq(after, before,
                     "serve(item=%llu) with the kitchen answering \"%.*s\"%s returned %d, and "
                     "%d descriptors were open before, %d after: an error return must close "
                     "the socket too (one exit path: goto out_close)",
                     (unsigned long long)item, bad[i] ? (int)strcspn(bad[i], "\n") : 0,
                     bad[i] ? bad[i] : "", bad[i] && strchr(bad[i], '\n') ? "" : " and hanging up",
                     rc, before, after);
    }
    /* descriptor 0 is a descriptor like any other: with the caller's stdin closed, socket()
     * returns 0 (the lowest free number), and serve() closes it as it would any other */
    int saved = check_stdin_aside();

    rc = serve(port, item, &reply);
    bool open0 = check_stdin_back(saved);
    cr_assert(rc == 0 && check_reply_ok(port, item, reply),
              "serve(item=%llu) with descriptor 0 free (the caller had closed its stdin) "
              "returned %d (%s), reply %llu; expected 0 and the kitchen's reply (%s)",
              (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
              (unsigned long long)reply, rc == 0 ? CHECK_NOT_REPLY : "it never came");
    cr_assert(!open0,
              "serve(item=%llu) with descriptor 0 free (the caller had closed its stdin): its "
              "socket was number 0 (socket() returns the lowest free number), still open once "
              "it had returned: 0 is a valid descriptor, close whatever socket() returned "
              "(fd >= 0; -1 alone means none), never only fd > 0",
              (unsigned long long)item);
    /* a call refused (no place for the reply) is refused before anything is opened */
    unsigned connects;

    before = check_open_fds();
    fault_arm(FAULT_CONNECT, 0, 0, 0); /* count the connections made */
    rc = serve(port, item, NULL);
    connects = fault_calls(FAULT_CONNECT);
    fault_disarm_all();
    after = check_open_fds();
    CHECK_IMPL(rc, "serve()", "serve.c");
    cr_assert(rc == -EINVAL && connects == 0 && after == before,
              "serve(item=%llu, reply=NULL) returned %d (expected -EINVAL) after %u connection%s, "
              "with %d descriptors open before and %d after: check reply before socket(), so that "
              "a refused call places no order and leaves nothing open",
              (unsigned long long)item, rc, connects, connects == 1 ? "" : "s", before, after);
    /* ... refused first, before anything that can fail: with no descriptor free (every
     * socket() fails with EMFILE) a NULL reply is still -EINVAL, not the socket's error */
    fault_arm(FAULT_SOCKET, 1, 0, EMFILE);
    rc = serve(port, item, NULL);
    fault_disarm_all();
    after = check_open_fds();
    cr_assert(rc == -EINVAL,
              "serve(item=%llu, reply=NULL) with no descriptor free (socket() fails with EMFILE) "
              "returned %d (%s), expected -EINVAL (%d): refuse a NULL reply before socket(), "
              "whatever would fail after",
              (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error", -EINVAL);
    cr_assert_eq(after, before,
                 "serve(item=%llu, reply=NULL) with socket() failing: %d descriptors open "
                 "before, %d after",
                 (unsigned long long)item, before, after);
}

/* A signal that arrives while serve() waits in recv() (or send()) makes the call fail
 * with EINTR: nothing went wrong, the call just has to be made again, however often. The
 * test makes the first 2,000 reads and the first 2,000 writes of the order fail that way
 * (signals that keep coming, as a fast timer's: a version that gives up after some number of
 * tries, a few or a thousand, fails). */
Test(serve, interrupted, .timeout = 3)
{
    uint16_t port = check_kitchen_port();
    uint64_t item = check_rand(), reply = 0;
    unsigned reads, writes;
    int rc;

    fault_arm(FAULT_READ, 1, 2000, EINTR);
    fault_arm(FAULT_WRITE, 1, 2000, EINTR);
    rc = serve(port, item, &reply);
    fault_disarm_all();
    reads = fault_failed(FAULT_READ);
    writes = fault_failed(FAULT_WRITE);
    CHECK_IMPL(rc, "serve()", "serve.c");
    cr_assert(rc == 0 && check_reply_ok(port, item, reply),
              "serve(item=%llu) with %s interrupted by a signal (EINTR) returned %d (%s), "
              "reply %llu, expected 0 and the kitchen's reply (%s): EINTR is not a failure, "
              "retry the call, as often as it comes (no limit on the tries)",
              (unsigned long long)item,
              reads && writes ? "its first 2000 send() and its first 2000 recv() calls"
              : reads         ? "its first 2000 recv() calls"
                              : "its first 2000 send() calls",
              rc, rc < 0 ? strerror(-rc) : "no error", (unsigned long long)reply,
              rc == 0 ? CHECK_NOT_REPLY : "it never came");

    /* the retry is of the call alone: a fake kitchen counts every byte serve() sent, which
     * must be the order line once (placing the order again orders twice) */
    struct fake f;
    char want[32];

    item = check_rand();
    snprintf(want, sizeof(want), "%llu\n", (unsigned long long)item);
    fake_start_slow(&f, FAKE_DRAW, 0, 0, 1000);
    fault_arm(FAULT_READ, 1, 1, EINTR);
    rc = serve(f.port, item, &reply);
    fault_disarm_all();
    fake_stop(&f);
    cr_assert(rc == 0 && reply == f.drawn,
              "serve(item=%llu) with its first recv() interrupted by a signal (EINTR) returned "
              "%d (%s), reply %llu; expected 0 and the kitchen's reply %llu",
              (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
              (unsigned long long)reply, (unsigned long long)f.drawn);
    cr_assert(f.sent == strlen(want),
              "serve(item=%llu) with its first recv() interrupted by a signal (EINTR) sent the "
              "kitchen %zu bytes in all, expected %zu (\"%llu\\n\" once): after EINTR make "
              "the same recv() again; sending the order line again places a second order",
              (unsigned long long)item, f.sent, strlen(want), (unsigned long long)item);

    /* and a signal in the middle of the reply: the kitchen sends the first half of its line,
     * serve()'s next read fails with EINTR, and only then does the rest come. The bytes
     * already received are part of the reply: the retried recv() goes on after them */
    item = check_rand();
    memset(&f, 0, sizeof(f));
    f.reply = FAKE_DRAW;
    f.split = 1;
    fake_launch(&f);
    fault_arm(FAULT_READ, 2, 1, EINTR);
    rc = serve(f.port, item, &reply);
    fault_disarm_all();
    fake_stop(&f);
    cr_assert(rc == 0 && reply == f.drawn,
              "serve(item=%llu) with the reply \"%.*s\\n\" coming in two halves and a signal "
              "(EINTR) cutting its second recv() short, between them, returned %d (%s), reply "
              "%llu; expected 0 and %llu: after EINTR make the same recv() again, into the "
              "buffer after the bytes already received (they are the reply's first half)",
              (unsigned long long)item, (int)strcspn(f.line, "\n"), f.line, rc,
              rc < 0 ? strerror(-rc) : "no error", (unsigned long long)reply,
              (unsigned long long)f.drawn);
}

Test(serve, refused, .timeout = 2)
{
    uint16_t nobody = check_free_port();
    uint64_t item = check_rand(), reply;
    int rc = do_serve(nobody, item, &reply);

    cr_assert_eq(rc, -ECONNREFUSED,
                 "serve(port=%u (nobody listening), item=%llu) returned %d "
                 "(%s), expected -ECONNREFUSED (%d)",
                 nobody, (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
                 -ECONNREFUSED);
    /* and with stderr unwritable: a failure logged to it (fprintf(stderr, ...), perror())
     * before errno is read has its errno replaced by the log's own failure (EBADF); every
     * call below is made so too, the answer is the failed call's errno all the same */
    int saved = stderr_unwritable();
    rc = serve(nobody, item, &reply);
    check_stderr_back(saved);
    cr_assert_eq(rc, -ECONNREFUSED,
                 "serve(port=%u (nobody listening), item=%llu) with stderr unwritable (a write "
                 "to fd 2 fails with EBADF) returned %d (%s), expected -ECONNREFUSED (%d): read "
                 "errno as soon as the call fails, before any other call (printing to stderr "
                 "can set errno)",
                 nobody, (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
                 -ECONNREFUSED);
    /* and with the socket's close() failing (EINTR, the descriptor freed all the same: fault.h,
     * FAULT_CLOSED_EINTR): a close() made before errno is read replaces the refusal's errno */
    fault_arm(FAULT_CLOSE, 1, 0, FAULT_CLOSED_EINTR);
    rc = serve(nobody, item, &reply);
    fault_disarm_all();
    cr_assert_eq(rc, -ECONNREFUSED,
                 "serve(port=%u (nobody listening), item=%llu) with its close() interrupted "
                 "(EINTR) returned %d (%s), expected -ECONNREFUSED (%d): read errno as soon as "
                 "connect() fails, before closing the socket (close() can set errno too)",
                 nobody, (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
                 -ECONNREFUSED);
    /* the same for the first call that can fail: socket(), out of descriptors */
    saved = stderr_unwritable();
    fault_arm(FAULT_SOCKET, 1, 1, EMFILE);
    rc = serve(check_kitchen_port(), item, &reply);
    fault_disarm_all();
    check_stderr_back(saved);
    cr_assert_eq(rc, -EMFILE,
                 "serve(item=%llu) when socket() fails with EMFILE (too many open files), "
                 "stderr unwritable, returned %d (%s), expected -EMFILE (%d): read errno as "
                 "soon as the call fails, before any other call",
                 (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error", -EMFILE);
    /* and for connect() failing otherwise than refused (no local port left, no route), and
     * the calls after it: the kitchen resets the connection */
    const struct {
        enum fault_call call;
        int err;
        const char *what, *name;
    } fails[] = {{FAULT_CONNECT, EADDRNOTAVAIL, "connect()", "EADDRNOTAVAIL"},
                 {FAULT_CONNECT, ENETUNREACH, "connect()", "ENETUNREACH"},
                 {FAULT_WRITE, EPIPE, "send()", "EPIPE"},
                 {FAULT_READ, ECONNRESET, "recv()", "ECONNRESET"}};
    uint16_t port = check_kitchen_port();
    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        saved = stderr_unwritable();
        fault_arm(fails[i].call, 1, 0, fails[i].err);
        fault_arm(FAULT_CLOSE, 1, 0, FAULT_CLOSED_EINTR);
        rc = serve(port, item, &reply);
        fault_disarm_all();
        check_stderr_back(saved);
        cr_assert_eq(rc, -fails[i].err,
                     "serve(item=%llu) when %s fails with %s (stderr unwritable, and the "
                     "socket's close() interrupted: EINTR) returned %d (%s), expected -%s (%d): "
                     "the failed call's errno is the answer, not a code of your own, read as "
                     "soon as it fails (before any print, before close())",
                     (unsigned long long)item, fails[i].what, fails[i].name, rc,
                     rc < 0 ? strerror(-rc) : "no error", fails[i].name, -fails[i].err);
    }
    /* the same when only the first send() or recv() fails: one order, one connection, and
     * its error is the answer; an order placed again on a new connection is a second order,
     * and its reply is not this one's (an examiner's, round 72: a reset retried once) */
    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        if (fails[i].call == FAULT_CONNECT)
            continue;                      /* a failed connect() made no connection to count */
        fault_arm(FAULT_CONNECT, 0, 0, 0); /* count the connections made */
        fault_arm(fails[i].call, 1, 1, fails[i].err);
        rc = serve(port, item, &reply);
        unsigned connects = fault_calls(FAULT_CONNECT);
        fault_disarm_all();
        cr_assert(rc == -fails[i].err && connects == 1,
                  "serve(item=%llu) when its first %s fails with %s (the next would not) "
                  "returned %d (%s) after %u connect() calls, expected -%s (%d) after 1: the "
                  "order is placed once; a failure is the answer, not a reason to order again",
                  (unsigned long long)item, fails[i].what, fails[i].name, rc,
                  rc < 0 ? strerror(-rc) : "no error", connects, fails[i].name, -fails[i].err);
    }
}

/* A stream socket may take less than it was given: send() returns how much it took. Here
 * every send() and write() of the order takes one byte; then only the first one does, and
 * the next may take all that it is given: a fake kitchen counts every byte serve() sent,
 * which must be the order line and nothing more (the rest of the line after a partial
 * send(), not a whole line's length from where the send stopped). */
Test(serve, partial_send, .timeout = 3)
{
    uint16_t port = check_kitchen_port();
    uint64_t item = check_rand() | UINT64_C(1) << 63, reply = 0;
    unsigned sends;
    int rc;

    fault_arm(FAULT_WRITE, 1, 0, FAULT_SHORT);
    rc = serve(port, item, &reply);
    fault_disarm_all();
    sends = fault_calls(FAULT_WRITE);
    CHECK_IMPL(rc, "serve()", "serve.c");
    cr_assert(rc == 0 && check_reply_ok(port, item, reply),
              "serve(item=%llu) when every send() takes one byte (as a socket may) returned %d "
              "(%s), reply %llu, after %u send()s; expected 0 and the kitchen's reply (%s): "
              "send() returns how much it took, send the rest",
              (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
              (unsigned long long)reply, sends, rc == 0 ? CHECK_NOT_REPLY : "it never came");

    struct fake f;
    char want[32];

    item = check_rand() | UINT64_C(1) << 63; /* 19 or 20 digits */
    snprintf(want, sizeof(want), "%llu\n", (unsigned long long)item);
    fake_start_slow(&f, "42\n", 0, 0, 1000);
    fault_arm(FAULT_WRITE, 1, 1, FAULT_SHORT); /* the first send() takes one byte */
    rc = serve(f.port, item, &reply);
    fault_disarm_all();
    fake_stop(&f);
    cr_assert(rc == 0 && reply == 42,
              "serve(item=%llu) when its first send() takes one byte returned %d (%s), reply "
              "%llu; expected 0 and the kitchen's reply 42",
              (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
              (unsigned long long)reply);
    cr_assert(f.sent == strlen(want),
              "serve(item=%llu) when its first send() takes one byte sent the kitchen %zu "
              "bytes in all, expected %zu (\"%llu\\n\"): after a partial send(), send the "
              "rest of the line, from where it stopped and only as much as is left (%zu "
              "bytes), never past the line",
              (unsigned long long)item, f.sent, strlen(want), (unsigned long long)item,
              strlen(want) - 1);

    /* and a partial send, then a signal: the sends take turns, one byte, EINTR, one byte, ...
     * (fault.h, FAULT_SHORT_EINTR): after EINTR the same call is made again, for the rest of
     * the line, not the whole line from its start (its first bytes sent twice: another item) */
    item = check_rand() | UINT64_C(1) << 63;
    snprintf(want, sizeof(want), "%llu\n", (unsigned long long)item);
    fake_start_slow(&f, "42\n", 0, 0, 1000);
    fault_arm(FAULT_WRITE, 1, 0, FAULT_SHORT_EINTR);
    fault_arm_this_thread(FAULT_WRITE); /* serve()'s sends, not the fake's reply */
    rc = serve(f.port, item, &reply);
    fault_disarm_all();
    fake_stop(&f);
    cr_assert(rc == 0 && reply == 42 && f.sent == strlen(want),
              "serve(item=%llu) when its sends take turns, one byte, then EINTR (a signal), "
              "one byte, ..., returned %d (%s), reply %llu, and sent the kitchen %zu bytes in "
              "all; expected 0, the reply 42 and %zu bytes (\"%llu\\n\" once): after EINTR, "
              "make the same send() again, of the rest of the line from where it stopped",
              (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
              (unsigned long long)reply, f.sent, strlen(want), (unsigned long long)item);
}

/* "1" and 4,095 zeros, a newline: 10^4095, a reply longer than any buffer of a line. */
static const char *huge_line(void)
{
    static char line[4098];

    memset(line, '0', sizeof(line) - 2);
    line[0] = '1';
    line[sizeof(line) - 2] = '\n';
    return line;
}

Test(serve, err_reply, .timeout = 3)
{
    const char *bad[] = {"ERR\n", "12x4\n", "\n", "-1\n", " 12\n", "+12\n", "12\r\n", "12 \n",
                         "0x1f\n",
                         /* longer than a buffer holds: judged by the whole line, not by a
                          * piece of it (the last 20 digits of these read 0) */
                         "1000000000000000000000000000000000000000\n", huge_line()};
    const size_t nbad = sizeof(bad) / sizeof(bad[0]);
    struct fake f;
    char want[32], drawn[24];

    /* then past 2^64 - 1, the test library's list (lab 5's async_order() meets the same):
     * 2^64, wraps by more than a carry (a check that the value only grew, next < v, misses
     * them), and one drawn for this run, 20 digits uniform past 2^64 - 1 */
    for (size_t i = 0; i < nbad + CHECK_REPLIES_PAST_MAX + 1; i++) {
        const char *line = i < nbad                            ? bad[i]
                           : i < nbad + CHECK_REPLIES_PAST_MAX ? check_replies_past_max[i - nbad]
                                                               : check_reply_past_max(drawn);
        uint64_t item = check_rand(), reply;
        int rc = serve_fake(&f, line, 0, item, &reply);

        snprintf(want, sizeof(want), "%llu\n", (unsigned long long)item);
        cr_assert_str_eq(f.got, want,
                         "serve(item=%llu) sent \"%.*s\" to the kitchen, expected "
                         "the item in decimal and a newline",
                         (unsigned long long)item, (int)strcspn(f.got, "\n"), f.got);
        int len = (int)strcspn(line, "\n");
        cr_assert_eq(rc, -EPROTO,
                     "serve(item=%llu) with the kitchen answering \"%.*s%s\\n\" (%d "
                     "characters) returned %d, expected -EPROTO (%d)",
                     (unsigned long long)item, len > 48 ? 48 : len, line, len > 48 ? "..." : "",
                     len, rc, -EPROTO);
    }

    /* a NUL byte inside the line, before its '\n', the test library's list (lab 5's
     * async_order() meets the same) and one drawn for this run: strtoull() stops at it, so
     * "12\0x" reads as a clean 12 unless the line is checked up to its '\n'. Whole, then a
     * byte at a time (the NUL in an earlier piece than the '\n': every byte received is
     * checked, not only the last recv()'s) */
    for (size_t k = 0; k < 2 * (CHECK_REPLIES_NUL + 1); k++) {
        size_t i = k % (CHECK_REPLIES_NUL + 1);
        int bytewise = k > CHECK_REPLIES_NUL;
        char nul_drawn[24], nul_shown[32];
        size_t len = i < CHECK_REPLIES_NUL ? check_replies_nul[i].len
                                           : check_reply_nul(nul_drawn, nul_shown);
        const char *shown = i < CHECK_REPLIES_NUL ? check_replies_nul[i].shown : nul_shown;
        uint64_t reply;
        int rc;

        memset(&f, 0, sizeof(f));
        f.reply = i < CHECK_REPLIES_NUL ? check_replies_nul[i].bytes : nul_drawn;
        f.reply_len = len;
        f.bytewise = bytewise;
        fake_launch(&f);
        rc = serve(f.port, check_rand(), &reply);
        fake_stop(&f);
        CHECK_IMPL(rc, "serve()", "serve.c");
        cr_assert_eq(rc, -EPROTO,
                     "serve() with the kitchen answering \"%s\"%s returned %d, expected "
                     "-EPROTO (%d): a NUL byte is no digit, and strtoull() stops at it; check "
                     "the bytes before the '\\n' by count, all of them, whichever recv() "
                     "brought them",
                     shown, bytewise ? " one byte at a time" : "", rc, -EPROTO);
    }
}

/*
 * A kitchen of the test's own that hangs up before it reads the order: it accepts, sends
 * its end of the stream (shutdown(SHUT_WR)), then resets the connection (SO_LINGER 0,
 * close()). Until then every send() of serve()'s fails with EINTR (fault.h), so serve()
 * sends nothing and tries again; once the reset has landed the kitchen lets the sends
 * through. A socket that the kitchen hung up on and then reset refuses the next send with
 * EPIPE, and a send() without MSG_NOSIGNAL (or a write()) also raises SIGPIPE, whose default
 * action kills the process. Only states: the sends wait for the kitchen, not for a clock.
 */
struct hangup {
    int lfd;
    uint16_t port;
    pthread_t tid;
};

static void *hangup_run(void *arg)
{
    struct hangup *h = arg;
    struct timespec land = {.tv_nsec = 50000000};
    struct linger now = {.l_onoff = 1, .l_linger = 0};
    int fd = accept(h->lfd, NULL, NULL);

    if (fd >= 0) {
        shutdown(fd, SHUT_WR);
        nanosleep(&land, NULL); /* its end of stream lands: serve()'s socket is half-closed */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
        close(fd);
        nanosleep(&land, NULL); /* the reset lands */
    }
    fault_disarm_all(); /* serve()'s sends go through now (or after a failed accept) */
    return NULL;
}

static atomic_int sigpipes;

static void count_sigpipe(int sig)
{
    (void)sig;
    atomic_fetch_add(&sigpipes, 1);
}

static void serve_hung_up(void)
{
    struct hangup h;
    struct sigaction sa = {.sa_handler = count_sigpipe}, old;
    sigset_t pipe_set;
    uint64_t item = check_rand(), reply;
    int rc;

    atomic_store(&sigpipes, 0);
    sigemptyset(&sa.sa_mask);
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    cr_assert(sigaction(SIGPIPE, &sa, &old) == 0, "sigaction() failed in the test");
    pthread_sigmask(SIG_UNBLOCK, &pipe_set, NULL);
    h.lfd = check_listen(4, &h.port);
    fault_arm(FAULT_WRITE, 1, 0, EINTR);
    cr_assert_eq(pthread_create(&h.tid, NULL, hangup_run, &h), 0,
                 "pthread_create failed in the test");
    rc = serve(h.port, item, &reply);
    shutdown(h.lfd, SHUT_RDWR); /* wakes an accept() still waiting for a client */
    pthread_join(h.tid, NULL);
    fault_disarm_all();
    close(h.lfd);
    sigaction(SIGPIPE, &old, NULL);
    CHECK_IMPL(rc, "serve()", "serve.c");
    cr_assert(atomic_load(&sigpipes) == 0,
              "serve(item=%llu) to a kitchen that hung up before reading the order raised "
              "SIGPIPE (returned %d): without the test's handler that signal kills the whole "
              "process. Send with send(..., MSG_NOSIGNAL): a closed kitchen is then an EPIPE "
              "error to return",
              (unsigned long long)item, rc);
    cr_assert(rc < 0,
              "serve(item=%llu) to a kitchen that hung up before reading the order returned "
              "%d, expected a negative errno (-EPIPE)",
              (unsigned long long)item, rc);
}

Test(serve, early_close, .timeout = 3)
{
    serve_hung_up();

    const char *cut[] = {NULL, "1234"}; /* hangs up at once; hangs up mid-number */
    struct fake f;

    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        uint64_t item = check_rand(), reply;
        int rc = serve_fake(&f, cut[i], 0, item, &reply);

        cr_assert_eq(rc, -EPROTO,
                     "serve(item=%llu) with the kitchen hanging up after \"%s\" "
                     "(no newline) returned %d, expected -EPROTO (%d)",
                     (unsigned long long)item, cut[i] ? cut[i] : "", rc, -EPROTO);
    }
}

/* The reply is whole at its '\n': serve() returns then. Here the kitchen keeps the
 * connection open after its reply until serve() closes it (1 s at most): a serve() that
 * waits for more (a recv() with MSG_WAITALL for a whole buffer, a read until the kitchen
 * hangs up) is still waiting when the kitchen gives up. */
Test(serve, partial_reply, .timeout = 3)
{
    uint64_t item = check_rand(), want, reply = 0;
    struct fake f;
    int rc;

    fake_start_slow(&f, FAKE_DRAW, 1, 0, 1000); /* a reply drawn when the order came */
    rc = serve(f.port, item, &reply);
    fake_stop(&f);
    CHECK_IMPL(rc, "serve()", "serve.c");
    want = f.drawn;
    cr_assert_eq(rc, 0,
                 "serve(item=%llu) with the reply arriving one byte at a time returned "
                 "%d, expected 0",
                 (unsigned long long)item, rc);
    cr_assert_eq(reply, want,
                 "serve(item=%llu) with the reply arriving one byte at a time = "
                 "%llu, expected %llu: keep reading until the newline",
                 (unsigned long long)item, (unsigned long long)reply, (unsigned long long)want);
    cr_assert(f.closed,
              "serve(item=%llu) with a kitchen that keeps the connection open after its reply "
              "line: serve() had not closed the socket 1 s after the reply's newline came. The "
              "reply is whole at its '\\n': return then, without waiting for more bytes (no "
              "MSG_WAITALL, no reading until the kitchen hangs up)",
              (unsigned long long)item);

    /* a bad line is whole at its '\n' too: its -EPROTO is known then, with nothing to wait for */
    item = check_rand();
    fake_start_slow(&f, "ERR\n", 0, 0, 1000);
    rc = serve(f.port, item, &reply);
    fake_stop(&f);
    cr_assert(f.closed,
              "serve(item=%llu), the kitchen answering \"ERR\" and keeping the connection "
              "open, returned %d and had not closed the socket 1 s after the newline: a bad "
              "reply is whole at its '\\n' too: return -EPROTO then, reading no further",
              (unsigned long long)item, rc);
}

/* A kitchen may take as long as it likes: serve() waits for the reply with no time limit of
 * its own. This one answers 1 s after the order came (20 times the usual 50 ms). */
Test(serve, slow_kitchen, .timeout = 3)
{
    uint64_t item = check_rand(), reply = 0;
    struct fake f;
    int rc;

    fake_start_slow(&f, FAKE_DRAW, 0, 1000, 0);
    rc = serve(f.port, item, &reply);
    fake_stop(&f);
    CHECK_IMPL(rc, "serve()", "serve.c");
    cr_assert(rc == 0 && reply == f.drawn,
              "serve(item=%llu) with a kitchen that answers after 1 s returned %d (%s), reply "
              "%llu, expected 0 and %llu: wait for the reply however long the kitchen takes, "
              "with no time limit of your own (no SO_RCVTIMEO, no poll() timeout)",
              (unsigned long long)item, rc, rc < 0 ? strerror(-rc) : "no error",
              (unsigned long long)reply, (unsigned long long)f.drawn);
}

/* ---- seq_map ------------------------------------------------------------------------------- */

/* seq_map runs a cook job through cook() and an order through serve(). */
/* lab1.h: a failed job's out[i].value means nothing, nobody reads it */
static const struct check_map lab_map = {.cook_fn = "cook()",
                                         .cook_file = "cook.c",
                                         .order_fn = "serve()",
                                         .order_file = "serve.c",
                                         .failed_value_free = true};

static int do_seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    int rc = seq_map(jobs, n, out, workers);

    CHECK_IMPL(rc, "seq_map()", "seq.c");
    cr_assert_eq(rc, 0, "seq_map(n=%zu, workers=%d) returned %d, expected 0", n, workers, rc);
    return rc;
}

/* Each job in order: an order, a cook of about 25 ms of CPU, an order. Two fakes take the
 * orders and read the process's CPU clock as each comes in: the cook's CPU lies between them
 * (a CPU clock, unlike the wall, does not run on while the machine makes the thread wait),
 * on whichever thread the one waiter is (lab1.h does not say it must be the caller's: a
 * waiter of its own that the caller joins is one waiter too, round 70). A seq_map() that
 * cooks first, then orders, places the two back to back. The first kitchen answers 100 ms
 * late: the cook starts only once that reply is in (one job at a time), so the second order
 * comes at least 100 ms plus the cook's time after the first; a waiter that cooks while the
 * order waits brings it ~100 ms after. The cook's time is the reference cook's CPU for that
 * dish, measured first, halved for a margin (a cook a little faster than ours is no mistake;
 * one that spins in serve() while it waits is serve()'s, not judged here). */
static void jobs_run_in_order(void)
{
    struct fake f[2];
    struct job jobs[3];
    struct result out[3];
    clockid_t cid = CLOCK_PROCESS_CPUTIME_ID;
    double cook_ms, ref_ms;

    check_make_jobs(jobs, 3, "oCo", 1);
    ref_ms = clock_sec(CLOCK_THREAD_CPUTIME_ID);
    (void)check_dish(jobs[1].seed, jobs[1].rounds);
    ref_ms = 1e3 * (clock_sec(CLOCK_THREAD_CPUTIME_ID) - ref_ms);
    for (int k = 0; k < 2; k++) {
        memset(&f[k], 0, sizeof(f[k]));
        f[k].reply = k == 0 ? "5\n" : "18446744073709551615\n"; /* 2^64 - 1 is a reply too */
        f[k].watch = cid;
        f[k].watched = 1;
        f[k].delay_ms = k == 0 ? 100 : 0;
        fake_launch(&f[k]);
        jobs[2 * k].port = f[k].port;
    }
    do_seq_map(jobs, 3, out, 1);
    for (int k = 0; k < 2; k++)
        fake_stop(&f[k]);
    cr_assert(out[0].status == 0 && out[0].value == 5 && out[2].status == 0 &&
                  out[2].value == UINT64_MAX,
              "seq_map(order, cook, order) to kitchens answering 5 and 18446744073709551615: "
              "out[0] = status %d value %llu, out[2] = status %d value %llu, expected status 0 "
              "and those replies (2^64 - 1 is a reply like any other, no mark of a missing one)",
              out[0].status, (unsigned long long)out[0].value, out[2].status,
              (unsigned long long)out[2].value);
    cook_ms = 1000 * (f[1].cpu_at - f[0].cpu_at);
    cr_assert(cook_ms >= 10,
              "seq_map(order, cook of about 25 ms, order): the second order came in after %.1f ms "
              "of the process's CPU since the first, expected the cook's (over 10 ms): "
              "seq_map() runs each job in order, jobs[0] first, never one kind before another",
              cook_ms);
    double gap_ms = 1000 * (f[1].wall_at - f[0].wall_at);
    cr_assert(gap_ms >= 100 + 0.5 * ref_ms,
              "seq_map(order to a kitchen that answers 100 ms late, a cook of %.1f ms of CPU "
              "(ours), order): the second order came in %.1f ms after the first, expected at "
              "least 100 + %.1f: the cook ran while the first order waited; one job at a time, "
              "each started once the one before it is over",
              ref_ms, gap_ms, 0.5 * ref_ms);
}

/* seq_map() hands each job's rounds to cook() whole: a job of 2^32 + 1-5 rounds is seconds
 * of cooking, not 1-5 rounds (what an int or unsigned copy of the count makes of it). The test
 * does not wait for it: a seq_map() that is back within 300 ms did not do them. */
struct long_map {
    struct job job;
    struct result out;
    atomic_int done;
};

static void *long_map_run(void *arg)
{
    struct long_map *lm = arg;

    seq_map(&lm->job, 1, &lm->out, 1);
    atomic_store(&lm->done, 1);
    return NULL;
}

static void seq_rounds_past_32_bits(void)
{
    /* they cook on after the test is over; so does this */
    static struct long_map lm[2];
    static const int bits[2] = {32, 63};
    static const char *const cut[2] = {
        "the count was cut to 32 bits on its way to cook() (an int or unsigned copy of "
        "jobs[i].rounds?); hand it on as the uint64_t it is",
        "that many rounds take centuries, and still the job was not cooked (a cap on rounds, "
        "or a cast to a signed count?): every JOB_COOK is cooked by cook(), whatever its "
        "rounds (lab1.h), its status is cook()'s"};
    const struct timespec nap = {.tv_nsec = 300000000};
    pthread_t t[2];

    for (int k = 0; k < 2; k++) {
        lm[k].job = (struct job){.kind = JOB_COOK,
                                 .seed = check_rand(),
                                 .rounds = (UINT64_C(1) << bits[k]) + 1 + check_rand() % 5};
        cr_assert_eq(pthread_create(&t[k], NULL, long_map_run, &lm[k]), 0,
                     "pthread_create failed in the test");
    }
    nanosleep(&nap, NULL);
    for (int k = 0; k < 2; k++) {
        cr_assert(!atomic_load(&lm[k].done),
                  "seq_map(one cook job of 2^%d + %llu rounds) returned within 300 ms (out[0]: "
                  "status %d): %s",
                  bits[k], (unsigned long long)(lm[k].job.rounds - (UINT64_C(1) << bits[k])),
                  lm[k].out.status, cut[k]);
        pthread_detach(t[k]);
    }
}

/* A slow kitchen is waited for, however long it takes, and the jobs after it still run: the
 * first of four jobs is an order whose kitchen answers 10 minutes later, as the waiter's
 * clock reads it (CLOCK_MONOTONIC moved on 600 s while the order waited: fault.h's
 * fault_clock_uptime(), from the fake kitchen, just before it answers). A time budget of the
 * executor's own (jobs not started by some deadline refused) leaves the last three unrun. */
static void seq_after_slow_kitchen(void)
{
    struct fake f;
    struct job jobs[4];
    struct result out[4];

    check_make_jobs(jobs, 4, "ococ", 20000);
    memset(&f, 0, sizeof(f));
    f.reply = "9\n";
    f.late_s = 600;
    fake_launch(&f);
    jobs[0].port = f.port;
    do_seq_map(jobs, 4, out, 1);
    fake_stop(&f);
    fault_clock_uptime(0);
    cr_assert(out[0].status == 0 && out[0].value == 9,
              "seq_map(an order whose kitchen answers 600 s later by the clock, cook, order, "
              "cook): out[0] = status %d value %llu, expected 0 and the reply 9: a kitchen is "
              "waited for as long as it takes",
              out[0].status, (unsigned long long)out[0].value);
    check_results(&lab_map,
                  "seq_map(an order whose kitchen answers 600 s later by the clock, cook, "
                  "order, cook): the jobs after it (no time budget of the executor's own: every "
                  "job runs)",
                  jobs + 1, "coc", out + 1, 3);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Every cook job is cooked, the same dish twice too: two cook jobs of about 25 ms each, the
 * same seed and rounds, take twice the CPU of the student's own cook() of that dish. Three
 * rounds, each a new dish, its cook() alone then the call, interleaved: the calls' median
 * CPU must be 1.3 times the lone cooks' median at least (about 2; a CPU clock does not run
 * while the thread waits, and the medians of interleaved rounds ride out a moment of a
 * neighbour's contention). A dish kept from an earlier job and handed out again was not
 * cooked: one cook's CPU, a ratio of about 1. */
static void seq_cooks_each_job(void)
{
    enum { ROUNDS = 3 };
    double one[ROUNDS], two[ROUNDS], t0;

    for (int r = 0; r < ROUNDS; r++) {
        struct job jobs[2];
        struct result out[2];
        uint64_t dish;
        int rc;

        check_make_jobs(jobs, 1, "C", 1);
        jobs[1] = jobs[0];
        t0 = 1e3 * clock_sec(CLOCK_PROCESS_CPUTIME_ID);
        rc = cook(jobs[0].seed, jobs[0].rounds, &dish);
        one[r] = 1e3 * clock_sec(CLOCK_PROCESS_CPUTIME_ID) - t0;
        CHECK_IMPL(rc, "cook()", "cook.c");
        t0 = 1e3 * clock_sec(CLOCK_PROCESS_CPUTIME_ID);
        do_seq_map(jobs, 2, out, 1);
        two[r] = 1e3 * clock_sec(CLOCK_PROCESS_CPUTIME_ID) - t0;
    }
    qsort(one, ROUNDS, sizeof(one[0]), cmp_double);
    qsort(two, ROUNDS, sizeof(two[0]), cmp_double);
    cr_assert(two[ROUNDS / 2] >= 1.3 * one[ROUNDS / 2],
              "seq_map(two cook jobs of the same seed and rounds) took %.1f ms of CPU (the "
              "median of 3 calls, each a new dish), your cook() of such a dish alone %.1f: "
              "expected about twice that (1.3 times at least): every job is cooked by cook(), "
              "a dish cooked before is never handed out again",
              two[ROUNDS / 2], one[ROUNDS / 2]);
}

/* A job's fields that are not its kind's mean nothing, whatever they hold: an order carries
 * rounds (JOB_COOK's and JOB_MEAL's field), a cook a port (JOB_ORDER's), and each is still run
 * as its kind says, the order placed and answered, the cook cooked. An executor that judges
 * them (an order with rounds refused as malformed) gives a job a status of its own. */
static void seq_stray_fields(void)
{
    struct job jobs[3];
    struct result out[3];

    check_make_jobs(jobs, 3, "oco", 20000);
    jobs[0].rounds = 1 + check_rand() % 1000;
    jobs[1].port = (uint16_t)(1 + check_rand() % 65535);
    jobs[2].rounds = 1 + check_rand() % 1000;
    do_seq_map(jobs, 3, out, 1);
    for (size_t i = 0; i < 3; i += 2)
        cr_assert(out[i].status == 0 && check_reply_ok(jobs[i].port, jobs[i].seed, out[i].value),
                  "seq_map(order with rounds=%llu, cook with port=%u, order with rounds=%llu): "
                  "out[%zu] = status %d value %llu, expected status 0 and the kitchen's reply: "
                  "rounds mean nothing to an order (only a cook's and a meal's), every JOB_ORDER "
                  "is placed with serve() whatever its other fields hold",
                  (unsigned long long)jobs[0].rounds, jobs[1].port,
                  (unsigned long long)jobs[2].rounds, i, out[i].status,
                  (unsigned long long)out[i].value);
    cr_assert(out[1].status == 0 && out[1].value == check_dish(jobs[1].seed, jobs[1].rounds),
              "seq_map(order with rounds, cook with port=%u, order with rounds): out[1] = status "
              "%d value 0x%016llx, expected status 0 and the dish 0x%016llx: a port means nothing "
              "to a cook, every JOB_COOK is cooked with cook()",
              jobs[1].port, out[1].status, (unsigned long long)out[1].value,
              (unsigned long long)check_dish(jobs[1].seed, jobs[1].rounds));
}

Test(seq_map, results_in_order, .timeout = 3)
{
    static const char kinds[] = "coccococ";
    struct job jobs[8];
    struct result out[8];

    check_make_jobs(jobs, 8, kinds, 20000);
    do_seq_map(jobs, 8, out, 1);
    check_results(&lab_map, "seq_map(8 jobs: cook, order, cook, cook, order, cook, order, cook)",
                  jobs, kinds, out, 8);
    jobs_run_in_order();
    seq_after_slow_kitchen();
    seq_cooks_each_job();
    seq_stray_fields();
    seq_rounds_past_32_bits();
}

Test(seq_map, no_jobs, .timeout = 2)
{
    struct job jobs[1] = {{.kind = JOB_COOK, .seed = check_rand(), .rounds = 5}};
    struct result out[1] = {{.value = 0x5e5e5e5e, .status = 77}};
    int rc = seq_map(jobs, 0, out, 1);

    CHECK_IMPL(rc, "seq_map()", "seq.c");
    cr_assert_eq(rc, 0, "seq_map(n=0) returned %d, expected 0", rc);
    cr_assert(out[0].value == 0x5e5e5e5e && out[0].status == 77,
              "seq_map(n=0) wrote out[0]: with no jobs there is nothing to write");
    rc = seq_map(NULL, 0, NULL, 1);
    cr_assert_eq(rc, 0,
                 "seq_map(jobs=NULL, n=0, out=NULL) returned %d, expected 0: an empty list "
                 "of jobs is not an error, whatever its pointers (-EINVAL is for n > 0)",
                 rc);
}

/* NULL arrays are refused before any job runs: with out NULL, the first job, an order, is not
 * placed (the kitchen would cook it for nobody), as connect() calls counted show. */
Test(seq_map, null_arrays, .timeout = 2)
{
    struct job jobs[2] = {
        {.kind = JOB_ORDER, .seed = check_rand(), .rounds = 0, .port = check_kitchen_port()},
        {.kind = JOB_COOK, .seed = check_rand(), .rounds = 5}};
    struct result out[2];
    int rc1 = seq_map(NULL, 2, out, 1), rc2;
    unsigned connects;

    CHECK_IMPL(rc1, "seq_map()", "seq.c");
    fault_arm(FAULT_CONNECT, 0, 0, 0); /* count the connections made */
    rc2 = seq_map(jobs, 2, NULL, 1);
    connects = fault_calls(FAULT_CONNECT);
    fault_disarm_all();
    cr_assert_eq(rc1, -EINVAL, "seq_map(jobs=NULL, n=2) returned %d, expected -EINVAL (%d)", rc1,
                 -EINVAL);
    cr_assert_eq(rc2, -EINVAL, "seq_map(out=NULL, n=2) returned %d, expected -EINVAL (%d)", rc2,
                 -EINVAL);
    cr_assert_eq(connects, 0,
                 "seq_map(an order, a cook; out=NULL) made %u connect() calls before it returned "
                 "-EINVAL: check both arrays before the first job runs (an order placed and "
                 "cooked for nobody)",
                 connects);
}

Test(seq_map, ignores_workers, .timeout = 3)
{
    static const char kinds[] = "ccoc";
    static const int workers[] = {0, 3, -2};
    struct job jobs[4];
    struct result out[4];
    char what[64];

    check_make_jobs(jobs, 4, kinds, 20000);
    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        memset(out, 0, sizeof(out));
        do_seq_map(jobs, 4, out, workers[w]);
        snprintf(what, sizeof(what), "seq_map(4 jobs, workers=%d)", workers[w]);
        check_results(&lab_map, what, jobs, kinds, out, 4);
    }
}

/* Calls of seq_map() with jobs that fail, for check_heap_held(): 16 calls of the same jobs. */
struct failing_calls {
    struct job *jobs;
    struct result *out;
    size_t n;
    int rc;
};

static void failing_calls_run(void *arg)
{
    struct failing_calls *c = arg;

    for (int k = 0; k < 16; k++)
        c->rc |= seq_map(c->jobs, c->n, c->out, 1);
}

/* A failed job costs its slot and nothing more: 16 calls of 4 jobs (an order to a closed port,
 * a job of an unknown kind, a cook, an order), after a first one, hold no heap once they are
 * over (a block allocated for a job and freed only when it succeeds leaks one a failure); and
 * 20 orders to a closed port, each refused at once, take almost no CPU: the waiter waits for
 * nothing between them (no pacing by spinning on the clock), a few ms in all, 100 at most. */
static void failures_cost_nothing(void)
{
    struct job jobs[4];
    struct result out[4];
    struct failing_calls c = {jobs, out, 4, 0};
    long kept;

    check_make_jobs(jobs, 4, "xcco", 1);
    jobs[1].kind = (enum job_kind)77;
    failing_calls_run(&c);
    kept = check_heap_held(failing_calls_run, &c, 0);
    cr_assert(c.rc == 0 && kept < 64,
              "16 calls of seq_map(an order to a closed port, a job of kind 77, a cook, an "
              "order) returned %d and left %ld more bytes of the heap in use than before them: "
              "a failed job keeps nothing (free on the failure's path too)",
              c.rc, kept);

    enum { N = 20 };
    struct job refused[N];
    struct result got[N];
    double cpu;
    int rc;

    check_make_jobs(refused, N, "xxxxxxxxxxxxxxxxxxxx", 1);
    cpu = clock_sec(CLOCK_PROCESS_CPUTIME_ID);
    rc = seq_map(refused, N, got, 1);
    cpu = clock_sec(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    cr_assert(rc == 0 && cpu < 0.1,
              "seq_map(20 orders to a closed port) returned %d after %.0f ms of CPU: each is "
              "refused at once (connect(): ECONNREFUSED), the next placed straight after it; "
              "nothing to wait for, nothing to burn (no spinning on the clock between orders)",
              rc, cpu * 1e3);
}

Test(seq_map, failed_order, .timeout = 3)
{
    static const char kinds[] = "cxo";
    struct job jobs[3];
    struct result out[3];

    check_make_jobs(jobs, 3, kinds, 20000);
    do_seq_map(jobs, 3, out, 1);
    /* its own status: the -errno serve() met (connect(): -ECONNREFUSED), not one of its own */
    check_refused(&lab_map, "seq_map(cook, order to a closed port, order)", jobs, out, 1,
                  ECONNREFUSED);
    check_results(&lab_map,
                  "seq_map(cook, order to a closed port, order): the jobs around the "
                  "failed one",
                  jobs, kinds, out, 3);

    /* the failed order last: the call still returns 0, not the last job's status */
    static const char last[] = "ocx";
    int rc;

    check_make_jobs(jobs, 3, last, 20000);
    rc = seq_map(jobs, 3, out, 1);
    cr_assert_eq(rc, 0,
                 "seq_map(order, cook, order to a closed port) returned %d, expected 0: a "
                 "failed job's status is in its out[i] (here %d), the call itself returns 0 "
                 "when jobs failed, the last one too",
                 rc, out[2].status);
    check_results(&lab_map, "seq_map(order, cook, order to a closed port)", jobs, last, out, 3);

    /* a kitchen that failed one order is asked again for the next: three orders to one
     * kitchen, the first connect() refused (fault.h), the next two placed and answered; the
     * last two for the same item, each placed (an order is never answered from memory) */
    unsigned connects;

    check_make_jobs(jobs, 3, "ooo", 1);
    jobs[2].seed = jobs[1].seed;
    fault_arm(FAULT_CONNECT, 1, 1, ECONNREFUSED);
    rc = seq_map(jobs, 3, out, 1);
    connects = fault_calls(FAULT_CONNECT);
    fault_disarm_all();
    cr_assert(rc == 0 && out[0].status == -ECONNREFUSED && connects == 3,
              "seq_map(3 orders to one kitchen, the first connect() refused, the last two for "
              "the same item) returned %d, out[0].status %d (expected -ECONNREFUSED) after %u "
              "connect() calls (expected 3): each order is placed, whatever happened to the one "
              "before, the same item again too (no reply kept from an earlier order)",
              rc, out[0].status, connects);
    check_results(&lab_map, "seq_map(3 orders to one kitchen, the first connect() refused)",
                  jobs + 1, "oo", out + 1, 2);

    /* a protocol error is a failure too, one that sets no errno: two orders to fakes that
     * answer "ERR" and hang up on "12", errno left at ENOENT before the call; each status is
     * the -EPROTO serve() returned, never read back from errno */
    static const char *proto[] = {"ERR\n", "12"};
    struct fake fk[2];

    for (size_t i = 0; i < 2; i++) {
        fake_start(&fk[i], proto[i], 0);
        jobs[i] =
            (struct job){.kind = JOB_ORDER, .seed = check_rand(), .rounds = 0, .port = fk[i].port};
        out[i] = (struct result){.value = 0x5e5e5e5e, .status = 77};
    }
    errno = ENOENT;
    rc = seq_map(jobs, 2, out, 1);
    for (size_t i = 0; i < 2; i++)
        fake_stop(&fk[i]);
    CHECK_IMPL(rc, "seq_map()", "seq.c");
    for (size_t i = 0; i < 2; i++)
        cr_assert(rc == 0 && out[i].status == -EPROTO,
                  "seq_map(an order answered \"ERR\", an order whose kitchen hung up after "
                  "\"12\") with errno ENOENT before the call returned %d, out[%zu].status %d, "
                  "expected 0 and -EPROTO (%d), what serve() returned: a job's status is its "
                  "call's return value, a protocol error sets no errno",
                  rc, i, out[i].status, -EPROTO);

    /* an order to port 0 is an order like any other: placed with serve(), its status what
     * serve() returns for it (connect() to 127.0.0.1:0: -ECONNREFUSED), never one the
     * executor makes up for a port it judges (-EINVAL) */
    uint64_t reply;
    int want;

    jobs[0] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .rounds = 0, .port = 0};
    want = serve(0, jobs[0].seed, &reply);
    out[0] = (struct result){.value = 0x5e5e5e5e, .status = 77};
    rc = seq_map(jobs, 1, out, 1);
    cr_assert(rc == 0 && out[0].status == want,
              "seq_map(an order to port 0) returned %d, out[0].status %d, expected 0 and %d, "
              "what serve(0, ...) itself returns: every JOB_ORDER is placed with serve() and its "
              "status is serve()'s, the executor does not judge a port",
              rc, out[0].status, want);
    failures_cost_nothing();
}

/* A job of another kind (neither JOB_COOK nor JOB_ORDER: a meal, a poisoned job, kinds nobody
 * knows, above and below the known ones, and the known ones plus 256, which a kind kept in a
 * byte reads as JOB_COOK and JOB_ORDER) is not run at all, not even as an order: its own
 * status is -EINVAL and the jobs around it still run. Each such job names the kitchen's port,
 * so ordering it anyway gets a reply, and a status 0. */
Test(seq_map, other_kinds, .timeout = 3)
{
    static const char kinds[] = "cococo";
    static const struct {
        enum job_kind kind;
        const char *name;
    } other[] = {{JOB_MEAL, "JOB_MEAL"},
                 {JOB_POISON, "JOB_POISON"},
                 {(enum job_kind)77, "77"},
                 {(enum job_kind) - 1, "-1"},
                 {(enum job_kind)(256 + JOB_COOK), "256 + JOB_COOK"},
                 {(enum job_kind)(256 + JOB_ORDER), "256 + JOB_ORDER"}};
    enum { N = 12 };
    struct job ok[N / 2], jobs[N];
    struct result out[N];
    uint16_t port = check_kitchen_port();
    char st[64], what[96];

    check_make_jobs(ok, N / 2, kinds, 20000);
    for (size_t i = 0; i < N; i++) {
        if (i % 2 == 0)
            jobs[i] = (struct job){
                .kind = other[i / 2].kind, .seed = check_rand(), .rounds = 5, .port = port};
        else
            jobs[i] = ok[i / 2];
        out[i] = (struct result){.value = 0x5e5e5e5e, .status = 77};
    }
    do_seq_map(jobs, N, out, 1);
    for (size_t i = 0; i < N; i += 2)
        cr_assert_eq(out[i].status, -EINVAL,
                     "seq_map(12 jobs: every other one of an unknown kind: %s, %s, %s, %s, %s, "
                     "%s) gave job %zu (kind %s) status %s, expected -EINVAL (%d): only "
                     "JOB_COOK and JOB_ORDER are run, a job of any other kind (a negative one, "
                     "one past 255 too: the kind is an int, compare all of it) gets -EINVAL in "
                     "its own slot",
                     other[0].name, other[1].name, other[2].name, other[3].name, other[4].name,
                     other[5].name, i, other[i / 2].name,
                     check_status_text(out[i].status, st, sizeof(st)), -EINVAL);
    for (size_t i = 1; i < N; i += 2) {
        snprintf(what, sizeof(what),
                 "seq_map(12 jobs, every other one of an unknown kind): job %zu", i);
        check_results(&lab_map, what, &jobs[i], &kinds[i / 2], &out[i], 1);
    }
}

/* Every job is run, however many there are: more than 65,535 (a 16-bit index wraps to 0
 * before it reaches n and goes round for ever, a 16-bit count stops short), each a cook of
 * 0 or 1 round, so that the whole call takes a few ms of CPU. It runs on a thread of the
 * test, whose CPU clock says when it has had far more than that (500 ms: a loop that never
 * ends), however busy the machine. Every out[i] is poisoned first: each must be jobs[i]'s
 * dish. What the call prints meanwhile is read and dropped: a line of debugging per job
 * would be more than a run's output may hold. That thread has a stack of 256 KiB over a
 * band no access reaches (check_on_small_stack(), as labs 2 and 3 call their executors):
 * what seq_map() keeps on its stack must not grow with n (a VLA `struct result tmp[n]` is
 * over 1 MiB here, 9.6 MB for 600,000 jobs, past a main thread's 8 MiB: the caller dies),
 * and the test fails saying so. The solution keeps a few locals there, whatever n. */
struct many_map {
    struct job *jobs;
    struct result *out;
    size_t n;
    int rc;
    bool fits;     /* the call returned without reaching past its small stack */
    clockid_t cid; /* the CPU clock of the thread that calls, once started is set */
    atomic_int started, done;
};

enum { MANY_STACK = 256 * 1024 };

static void many_map_call(void *arg)
{
    struct many_map *m = arg;

    if (pthread_getcpuclockid(pthread_self(), &m->cid) == 0)
        atomic_store(&m->started, 1);
    m->rc = seq_map(m->jobs, m->n, m->out, 1);
}

static void *many_map_run(void *arg)
{
    struct many_map *m = arg;

    m->fits = check_on_small_stack(many_map_call, m, MANY_STACK);
    atomic_store(&m->done, 1);
    return NULL;
}

/*
 * n past what an int holds (2^31 and more), and past 32 bits: only the first PAST_INT_JOBS
 * jobs and results are mapped, then a guard page after each array. A seq_map() that runs
 * the jobs runs those, then reaches a guard page (SIGSEGV in a child of the test's: what it
 * should do here); one that refuses such an n, or counts in an int or 32 bits (2^32 + 1
 * reads as 1), returns. The results are in shared memory, for the test to check.
 */
enum { PAST_INT_JOBS = 256 };

static void past_int_guard(int sig)
{
    (void)sig;
    _exit(0); /* ran on into the guard page */
}

static void seq_map_past_int(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), k = PAST_INT_JOBS, wrong = 0, i;
    size_t jb = (k * sizeof(struct job) + pg - 1) / pg * pg;
    size_t ob = (k * sizeof(struct result) + pg - 1) / pg * pg;
    char *jm = mmap(NULL, jb + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *om = mmap(NULL, pg + ob + pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int status;

    cr_assert(jm != MAP_FAILED && om != MAP_FAILED && mprotect(jm + jb, pg, PROT_NONE) == 0 &&
                  mprotect(om + pg + ob, pg, PROT_NONE) == 0,
              "mmap() or mprotect() failed in the test: %s", strerror(errno));
    struct job *jobs = (struct job *)(jm + jb - k * sizeof(*jobs));
    struct result *out = (struct result *)(om + pg + ob - k * sizeof(*out));
    volatile int *rc = (volatile int *)om;

    *rc = 12345;
    for (i = 0; i < k; i++) {
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = check_rand() % 2};
        out[i] = (struct result){.value = 0x5e5e5e5e, .status = 77};
    }
    fflush(stdout);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed in the test: %s", strerror(errno));
    if (pid == 0) { /* no asserts in a child */
        struct sigaction sa = {.sa_handler = past_int_guard};
        struct rlimit no_core = {0, 0};

        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        setrlimit(RLIMIT_CORE, &no_core);
        alarm(3); /* a loop that never ends: SIGALRM ends the child */
        *rc = seq_map(jobs, n, out, 1);
        _exit(1);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid failed in the test");
    for (i = 0; i < k; i++)
        wrong += out[i].status != 0 || out[i].value != check_dish(jobs[i].seed, jobs[i].rounds);
    int ran_on = WIFEXITED(status) && WEXITSTATUS(status) == 0, got = *rc;
    char how[64];

    int cooked = out[0].status;

    munmap(jm, jb + pg);
    munmap(om, pg + ob + pg);
    CHECK_IMPL(cooked, "cook()", "cook.c"); /* seq.c done, cook.c still the skeleton's */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
        CHECK_IMPL(got, "seq_map()", "seq.c");
        snprintf(how, sizeof(how), "returned %d", got);
    } else if (WIFSIGNALED(status))
        snprintf(how, sizeof(how), "was ended by signal %d", WTERMSIG(status));
    else
        snprintf(how, sizeof(how), "ran on past them");
    cr_assert(ran_on && wrong == 0,
              "seq_map(n=%zu cooks, the first %zu of them in memory the test checks) %s, with "
              "%zu of those %zu results wrong: every job is run, however many there are (past "
              "INT_MAX and 2^32 too): count them in a size_t like n, and refuse no n",
              n, k, how, wrong, k);
}

Test(seq_map, many_jobs, .timeout = 4)
{
    if (SIZE_MAX > UINT32_MAX) {
        seq_map_past_int((size_t)INT_MAX + 1 + check_rand() % 1024);
        seq_map_past_int((size_t)UINT32_MAX + 2); /* 2^32 + 1 */
    }

    static struct many_map m; /* a loop that never ends runs on after the test: so does this */
    size_t i, wrong = 0, first = 0;
    struct timespec used = {0};
    pthread_t t;
    char sink[4096];
    int saved, p[2];

    m.n = 65536 + 4096 + check_rand() % 4096;
    m.jobs = calloc(m.n, sizeof(*m.jobs));
    m.out = calloc(m.n, sizeof(*m.out));
    cr_assert(m.jobs && m.out, "calloc failed in the test");
    for (i = 0; i < m.n; i++) {
        m.jobs[i] =
            (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = check_rand() % 2};
        m.out[i] = (struct result){.value = 0x5e5e5e5e, .status = 77};
    }
    /* its stdout a pipe that this thread empties as it waits (a test may not open a file
     * for writing, done.h) */
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    cr_assert(saved >= 0 && pipe(p) == 0 && dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO,
              "dup() or pipe() failed in the test: %s", strerror(errno));
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    cr_assert_eq(pthread_create(&t, NULL, many_map_run, &m), 0,
                 "pthread_create failed in the test");
    while (!atomic_load(&m.done)) {
        poll(&(struct pollfd){.fd = p[0], .events = POLLIN}, 1, 2);
        while (read(p[0], sink, sizeof(sink)) > 0)
            ;
        /* the clock of a thread that has just ended is gone: then done is set */
        if (!atomic_load(&m.done) && atomic_load(&m.started) && clock_gettime(m.cid, &used) == 0 &&
            (used.tv_sec > 0 || used.tv_nsec >= 500000000))
            break;
    }
    if (atomic_load(&m.done)) { /* what is left in stdout's buffer fits in the emptied pipe */
        while (read(p[0], sink, sizeof(sink)) > 0)
            ;
        fflush(stdout);
        dup2(saved, STDOUT_FILENO); /* closes the pipe's last write end */
        close(p[0]);
    }
    close(saved);
    if (!atomic_load(&m.done)) {
        pthread_detach(t);
        cr_assert_fail("seq_map(%zu cooks of 0 or 1 round) was still running after %.1f s of "
                       "CPU (a few ms do them all): a loop that never ends. Count the jobs in "
                       "a size_t like n: a 16-bit index wraps to 0 at 65,536 before it "
                       "reaches n, and serves the tables again for ever",
                       m.n, (double)used.tv_sec + (double)used.tv_nsec / 1e9);
    }
    pthread_join(t, NULL);
    cr_assert(m.fits,
              "seq_map(%zu cooks), called from a thread with a %d KiB stack, ran past its end: "
              "memory sized by n on the stack (a VLA `struct result tmp[n]`, alloca()) kills a "
              "caller with more jobs than its stack holds; write each result into out[i]",
              m.n, MANY_STACK / 1024);
    CHECK_IMPL(m.rc, "seq_map()", "seq.c");
    cr_assert_eq(m.rc, 0, "seq_map(n=%zu, workers=1) returned %d, expected 0", m.n, m.rc);
    for (i = 0; i < m.n; i++)
        if (m.out[i].status != 0 || m.out[i].value != check_dish(m.jobs[i].seed, m.jobs[i].rounds))
            if (wrong++ == 0)
                first = i;
    cr_assert(wrong == 0,
              "seq_map(%zu cooks of 0 or 1 round) left %zu results wrong, the first out[%zu] "
              "(status %d, value %llu, expected status 0 and %llu): every job is run, however "
              "many there are; count them in a size_t like n (a 16-bit count stops at 65,535)",
              m.n, wrong, first, m.out[first].status, (unsigned long long)m.out[first].value,
              (unsigned long long)check_dish(m.jobs[first].seed, m.jobs[first].rounds));
    free(m.jobs);
    free(m.out);
}

/* ---- timer --------------------------------------------------------------------------------- */

static void start(struct stopwatch *sw)
{
    int rc = timer_start(sw);

    CHECK_IMPL(rc, "timer_start()", "timer.c");
    cr_assert_eq(rc, 0, "timer_start() returned %d, expected 0", rc);
}

static void stop(const struct stopwatch *sw, struct timing *t)
{
    int rc = timer_stop(sw, t);

    CHECK_IMPL(rc, "timer_stop()", "timer.c");
    cr_assert_eq(rc, 0, "timer_stop() returned %d, expected 0", rc);
}

/* Burn `sec` seconds of this thread's own CPU time, however busy the machine is. */
static void burn(double sec)
{
    double end = clock_sec(CLOCK_THREAD_CPUTIME_ID) + sec;
    volatile uint64_t x = 1;

    while (clock_sec(CLOCK_THREAD_CPUTIME_ID) < end)
        for (int i = 0; i < 1000; i++)
            x = dish_mix(x);
}

static void *burn_thread(void *arg)
{
    burn(*(double *)arg);
    return NULL;
}

/* The student's stopwatch around work(arg), into *t. */
static void timed(void (*work)(void *), void *arg, struct timing *t)
{
    struct stopwatch sw;

    start(&sw);
    work(arg);
    stop(&sw, t);
}

/* Sleeps *(long *)arg nanoseconds (under a second), EINTR or not. */
static void sleep_ns(void *arg)
{
    struct timespec nap = {.tv_nsec = *(const long *)arg};

    while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
        ;
}

Test(timer, sleep_wall, .timeout = 3)
{
    struct timing t;

    /* a busy machine wakes the sleeper late, never early: the upper bound is wide */
    timed(sleep_ns, &(long){100000000}, &t);
    cr_assert(t.wall >= 0.09 && t.wall <= 1.5,
              "timer around a 100 ms nanosleep: wall = %.4f s, "
              "expected 0.09-1.5 s (the wall clock runs while the waiter waits)",
              t.wall);
    /* and short work, to the nanosecond the clock gives: 20 sleeps of 0.5 ms, each at least
     * that long (a clock that moves in ticks of 1-4 ms reads many of them as 0) */
    for (int i = 0; i < 20; i++) {
        timed(sleep_ns, &(long){500000}, &t);
        cr_assert(t.wall >= 0.00049,
                  "timer around a 0.5 ms nanosleep: wall = %.6f s (sleep %d of 20): the wall "
                  "clock must count to the nanosecond; a clock that moves in ticks "
                  "(CLOCK_MONOTONIC_COARSE: 1-4 ms) reads short work as 0. Use CLOCK_MONOTONIC",
                  t.wall, i + 1);
    }
    /* and a clock that has not moved: a coarse clocksource (a VM's, ticking every few ms)
     * reads the same moment at start and stop, here CLOCK_MONOTONIC held still. That is a
     * reading of 0 s like any other, not a failed call (lab1.h fails only a failed call) */
    struct stopwatch sw;
    int rc;

    fault_clock_hold(1);
    start(&sw);
    t = (struct timing){.wall = -1, .cpu = -1};
    rc = timer_stop(&sw, &t);
    fault_disarm_all();
    CHECK_IMPL(rc, "timer_stop()", "timer.c");
    cr_assert(rc == 0 && t.wall == 0,
              "timer_start() then timer_stop() with CLOCK_MONOTONIC standing still (as a coarse "
              "clocksource reads the same moment twice): returned %d (%s), wall = %g s, "
              "expected 0 and wall = 0 s: a clock that has not moved is a valid reading of "
              "0 s, not an error (only a failed call is)",
              rc, rc < 0 ? strerror(-rc) : "no error", t.wall);
}

/* The time of day is not a stopwatch: an administrator, NTP or a laptop waking up can set
 * it back or forward at any moment. Here it is set back an hour while the stopwatch runs,
 * then forward a day; a stopwatch on CLOCK_MONOTONIC does not notice. */
Test(timer, clock_set_meanwhile, .timeout = 2)
{
    const double shifts[] = {-3600, 86400};

    for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
        struct timespec nap = {.tv_nsec = 20000000};
        struct stopwatch sw;
        struct timing t;

        start(&sw);
        fault_clock_shift(shifts[i]);
        nanosleep(&nap, NULL);
        stop(&sw, &t);
        fault_disarm_all();
        cr_assert(t.wall >= 0.015 && t.wall <= 1,
                  "timer around a 20 ms nanosleep while the time of day was set %s by %g s: "
                  "wall = %.4f s, expected about 0.02 s: measure on CLOCK_MONOTONIC, a clock "
                  "that never jumps, not CLOCK_REALTIME, gettimeofday() or time()",
                  shifts[i] < 0 ? "back" : "forward", fabs(shifts[i]), t.wall);
    }
}

/* CLOCK_MONOTONIC counts from about when the machine booted: on a server up 200 days it
 * reads 17 million seconds, where a float's step is 2 s (a double's is 4 ns). The test
 * clock is set so that each stopwatch starts 5 ms or less before a whole second and its
 * 20 ms nap ends after it: the stop's tv_nsec is below the start's, and the nanoseconds'
 * difference must borrow a second. The stopwatch's wall must lie between the nap and what
 * the test's own reads around it saw. */
static void uptime_before_a_second(double uptime)
{
    struct timespec ts;

    for (int i = 0; i < 100; i++) { /* a retry only if the test was preempted meanwhile */
        fault_disarm_all();
        clock_gettime(CLOCK_MONOTONIC, &ts);
        fault_clock_uptime(uptime + (double)((1995000000L - ts.tv_nsec) % 1000000000L) / 1e9);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (ts.tv_nsec >= 995000000L && ts.tv_nsec < 999000000L)
            return;
    }
}

Test(timer, long_uptime, .timeout = 3)
{
    const double uptime = 200 * 86400;

    for (int round = 1; round <= 3; round++) {
        struct timespec nap = {.tv_nsec = 20000000};
        struct stopwatch sw;
        struct timing t;
        double before, after;

        uptime_before_a_second(uptime);
        before = clock_sec(CLOCK_MONOTONIC);
        start(&sw);
        while (nanosleep(&nap, &nap) < 0 && errno == EINTR)
            ;
        stop(&sw, &t);
        after = clock_sec(CLOCK_MONOTONIC);
        fault_disarm_all();
        cr_assert(t.wall >= 0.02 && t.wall <= after - before + 1e-6,
                  "timer around a 20 ms nanosleep with CLOCK_MONOTONIC at %.3f s (a machine up "
                  "200 days; the nap crosses a whole second, so the stop's tv_nsec is below the "
                  "start's): wall = %.6f s, expected 0.02-%.6f s: take the difference of the "
                  "seconds and of the nanoseconds apart, in integers or a double, not a float "
                  "(whose step at 17 million is 2 s); a negative nanosecond difference borrows "
                  "a second (sec - 1, ns + 1e9), or is simply added as it is",
                  before, t.wall, after - before);
    }
    /* a long measurement, as a workload of seconds makes: the clock moves 2.5-4.5 s (drawn)
     * while the stopwatch runs, past the 2.147 s an int of nanoseconds holds */
    double jump = 2.5 + (double)(check_rand() % 2000) / 1000, before, after;
    struct stopwatch sw;
    struct timing t;

    fault_clock_uptime(uptime);
    before = clock_sec(CLOCK_MONOTONIC);
    start(&sw);
    fault_clock_uptime(uptime + jump);
    stop(&sw, &t);
    after = clock_sec(CLOCK_MONOTONIC);
    fault_disarm_all();
    cr_assert(t.wall >= jump && t.wall <= after - before + 1e-6,
              "timer around %.3f s on the wall clock (CLOCK_MONOTONIC from %.3f to %.3f s): "
              "wall = %.6f s, expected %.3f-%.6f s: keep a difference of seconds in a double "
              "or a 64-bit integer, never an int of nanoseconds (which holds 2.147 s at most)",
              jump, before, after, t.wall, jump, after - before);
}

Test(timer, sleep_cpu, .timeout = 2)
{
    struct timing t;

    timed(sleep_ns, &(long){100000000}, &t);
    cr_assert(t.cpu >= 0 && t.cpu < 0.05,
              "timer around a 100 ms nanosleep: cpu = %.4f s, "
              "expected 0-0.05 s (a sleeping waiter uses no CPU)",
              t.cpu);
}

static void burn_100ms(void *arg)
{
    (void)arg;
    burn(0.1);
}

Test(timer, busy_cpu, .timeout = 3)
{
    struct timing t;

    timed(burn_100ms, NULL, &t);
    cr_assert(t.cpu >= 0.09 && t.cpu <= 0.25,
              "timer around 0.1 s of cooking on one thread: "
              "cpu = %.4f s, expected 0.09-0.25 s",
              t.cpu);
    cr_assert(t.wall >= 0.09 && t.wall >= 0.8 * t.cpu,
              "timer around 0.1 s of cooking on one "
              "thread: wall = %.4f s, cpu = %.4f s, expected wall >= 0.09 s and not below the CPU "
              "time",
              t.wall, t.cpu);
}

/* CPU time spent in the kernel on this process's behalf (system time) is CPU time too: a
 * waiter that makes many system calls (sends, receives) uses it. 0.1 s of this thread's CPU
 * spent passing a byte through a pipe and back is mostly system time. */
static void pipe_100ms(void *arg)
{
    int *p = arg;
    char byte = 'x';
    double end = clock_sec(CLOCK_THREAD_CPUTIME_ID) + 0.1;

    while (clock_sec(CLOCK_THREAD_CPUTIME_ID) < end)
        for (int i = 0; i < 100; i++)
            if (write(p[1], &byte, 1) != 1 || read(p[0], &byte, 1) != 1)
                break;
}

Test(timer, system_cpu, .timeout = 3)
{
    struct timing t;
    struct rusage r0, r1;
    int p[2];

    cr_assert_eq(pipe(p), 0, "pipe failed in the test");
    getrusage(RUSAGE_SELF, &r0);
    timed(pipe_100ms, p, &t);
    getrusage(RUSAGE_SELF, &r1);
    close(p[0]);
    close(p[1]);
    double sys = (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                 (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    cr_assert(t.cpu >= 0.09 && t.cpu <= 0.3,
              "timer around 0.1 s of system calls (%.3f s of it system time, in the kernel): "
              "cpu = %.4f s, expected 0.09-0.3 s: CPU time is user plus system time "
              "(ru_utime + ru_stime)",
              sys, t.cpu);
    /* and the reaped children's: 5 s they spent in the kernel, none in user time (this
     * process has reaped no child: their ru_utime reads 0), count like any other (an
     * examiner's, round 71: children added only when their ru_utime is not 0) */
    struct stopwatch sw;

    start(&sw);
    fault_rusage_children_system(5);
    stop(&sw, &t);
    fault_rusage_children_system(0);
    cr_assert(t.cpu >= 4.99 && t.cpu <= 5.5,
              "a stopwatch while children that used 5 s of system time and no user time were "
              "reaped: cpu = %.3f s, expected 5 s: the children's ru_stime counts whatever "
              "their ru_utime reads",
              t.cpu);
}

static void two_threads_100ms(void *arg)
{
    double each = 0.1;
    pthread_t tid[2];

    (void)arg;
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&tid[i], NULL, burn_thread, &each), 0,
                     "pthread_create failed in the test");
    for (int i = 0; i < 2; i++)
        pthread_join(tid[i], NULL);
}

Test(timer, two_threads_cpu, .timeout = 3)
{
    struct timing t;

    timed(two_threads_100ms, NULL, &t);
    /* the threads burn a fixed CPU time each, so this holds on one free core or two */
    cr_assert(t.cpu >= 0.18 && t.cpu <= 0.4,
              "timer around 2 threads cooking 0.1 s of CPU each: "
              "cpu = %.4f s (wall %.4f s), expected 0.18-0.4 s: count every thread of the process",
              t.cpu, t.wall);
}

static void child_100ms(void *arg)
{
    int status;
    pid_t pid = fork();

    (void)arg;
    cr_assert(pid >= 0, "fork failed in the test: %s", strerror(errno));
    if (pid == 0) {
        burn(0.1);
        _exit(0); /* no asserts in a child */
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid failed in the test");
}

/* A child that spends 0.15 s of its CPU in the kernel: reading /dev/zero a megabyte at a
 * time is the kernel clearing memory, about 90% system time (ru_stime), little user time. */
static void child_kernel_150ms(void *arg)
{
    static char buf[1 << 20];
    int status;
    pid_t pid = fork();

    (void)arg;
    cr_assert(pid >= 0, "fork failed in the test: %s", strerror(errno));
    if (pid == 0) {
        double end = clock_sec(CLOCK_THREAD_CPUTIME_ID) + 0.15;
        int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

        while (fd >= 0 && clock_sec(CLOCK_THREAD_CPUTIME_ID) < end)
            if (read(fd, buf, sizeof(buf)) < 0)
                _exit(2);
        _exit(fd < 0 ? 2 : 0); /* no asserts in a child */
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid failed in the test");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the test's child could not read /dev/zero (harness error)");
}

/* The children's CPU is their user plus system time, as the process's own: a child that
 * cooked (user time) and one that spent its time in the kernel (system time) both count
 * in full. The floors are well below what the children burn (0.1 s, 0.15 s): CPU time is
 * not stretched by a busy machine, and a timer that leaves out the children's ru_stime sees
 * a small part of the second child's. */
Test(timer, waited_child_cpu, .timeout = 3)
{
    struct timing t;

    timed(child_kernel_150ms, NULL, &t);
    cr_assert(t.cpu >= 0.1 && t.cpu <= 0.45,
              "timer around a child process that spent 0.15 s of CPU in the kernel (reading "
              "/dev/zero: system time) and was waited for: cpu = %.4f s, expected 0.1-0.45 s: a "
              "child's CPU time is its user plus system time (ru_utime + ru_stime of "
              "RUSAGE_CHILDREN)",
              t.cpu);
    timed(child_100ms, NULL, &t);
    cr_assert(t.cpu >= 0.09 && t.cpu <= 0.3,
              "timer around a child process that cooked 0.1 s of "
              "CPU and was waited for: cpu = %.4f s, expected 0.09-0.3 s: count waited children "
              "(RUSAGE_CHILDREN)",
              t.cpu);
}

/* Only the children reaped between timer_start() and timer_stop() count: a child that
 * cooked 0.1 s and was waited for BEFORE the start is no CPU used meanwhile. RUSAGE_CHILDREN
 * already holds it at the start, so it must be read there too and cancel out. */
Test(timer, child_reaped_before, .timeout = 3)
{
    struct timing t;

    child_100ms(NULL);
    timed(sleep_ns, &(long){100000000}, &t);
    cr_assert(t.cpu >= 0 && t.cpu < 0.05,
              "timer around a 100 ms nanosleep, started after a child that cooked 0.1 s had been "
              "waited for: cpu = %.4f s, expected 0-0.05 s: read RUSAGE_CHILDREN at "
              "timer_start() too, so the children reaped before it cancel out",
              t.cpu);
}

/* A stopwatch is the struct the caller holds: everything timer_stop() needs is in *sw, so
 * two stopwatches can run at once, overlapping or nested (one around a whole run, one
 * around each round). A starts, 0.1 s of CPU is burnt, B starts, 0.05 s more, A stops, then
 * B: A saw all 0.15 s, B the last 0.05 s. A start kept in a file-static (shared by every
 * stopwatch) gives A only what came after B's start. */
Test(timer, two_at_once, .timeout = 3)
{
    struct stopwatch a, b, a_started;
    struct timing ta, tb, again;

    start(&a);
    memcpy(&a_started, &a, sizeof(a));
    burn(0.1);
    start(&b);
    burn(0.05);
    stop(&a, &ta);
    cr_assert(memcmp(&a, &a_started, sizeof(a)) == 0,
              "timer_stop() changed the stopwatch it was given (lab1.h: const struct "
              "stopwatch *sw): a stop reads the start and leaves it, so that every stop of "
              "one stopwatch measures from its timer_start(), not from the stop before");
    stop(&b, &tb);
    cr_assert(ta.cpu >= 0.14 && ta.cpu <= 0.5,
              "two stopwatches at once: A started, 0.1 s of CPU burnt, B started, 0.05 s more, "
              "A stopped: A's cpu = %.4f s, expected 0.14-0.5 s (all 0.15 s since A's start): "
              "keep each stopwatch's start in its own struct stopwatch, not in a variable "
              "every stopwatch shares",
              ta.cpu);
    cr_assert(tb.cpu >= 0.045 && tb.cpu <= ta.cpu - 0.08,
              "two stopwatches at once: B started after A had seen 0.1 s of CPU, then 0.05 s "
              "more: B's cpu = %.4f s, A's %.4f s, expected 0.045 s or more and at least "
              "0.08 s less than A's",
              tb.cpu, ta.cpu);
    cr_assert(ta.wall >= 0.14,
              "two stopwatches at once: A ran around 0.15 s of one thread's CPU, yet A's wall "
              "= %.4f s (B's %.4f s): A's wall time is measured from A's own start",
              ta.wall, tb.wall);
    stop(&a, &again);
    cr_assert(again.wall >= ta.wall && again.cpu >= ta.cpu,
              "a second timer_stop() of stopwatch A read wall %.4f s, cpu %.4f s, less than "
              "its first (%.4f s, %.4f s): each stop measures from timer_start(), and time "
              "only goes on",
              again.wall, again.cpu, ta.wall, ta.cpu);
}

/* The struct stopwatch is the caller's, and lab1.h names its fields: a caller may read them
 * (print when a run started, hand the start to another time function). Each is a struct
 * timespec, which <time.h> defines as whole seconds in tv_sec and 0 <= tv_nsec < 1e9: after
 * more than a second of CPU time, cpu is {1, 100000000}, not {0, 1100000000}. Two threads
 * burn 0.55 s of CPU each (about 0.55 s of wall time on two free cores), then the stopwatch
 * starts; its cpu must also be the CPU time the process had used by then, as the test's own
 * getrusage() reads it around timer_start() (a wide margin below: the clocks' steps). */
/* The process's CPU time (its own, and its reaped children's) in whole microseconds, as
 * getrusage() gives it. */
static long long process_cpu_us(void)
{
    struct rusage self, kids;

    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (long long)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                       kids.ru_stime.tv_sec) *
               1000000 +
           self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
           kids.ru_stime.tv_usec;
}

/* sw.cpu to the microsecond (getrusage()'s own unit): between the readings just before and
 * just after timer_start(), a few microseconds of rounding apart (a process CPU clock in
 * nanoseconds is as good); not whole milliseconds, which lose up to 1 ms a field (an
 * examiner's, round 71). Three tries, each of which must hold. */
static void check_cpu_to_the_us(void)
{
    for (int i = 0; i < 3; i++) {
        struct stopwatch sw;
        long long before, after, got;

        burn(0.002 + 0.0013 * i); /* microseconds that are no round number */
        before = process_cpu_us();
        start(&sw);
        after = process_cpu_us();
        got = (long long)sw.cpu.tv_sec * 1000000 + sw.cpu.tv_nsec / 1000;
        cr_assert(got >= before - 5 && got <= after + 5,
                  "timer_start() between readings of %lld and %lld us of the process's CPU time: "
                  "sw.cpu = {tv_sec %lld, tv_nsec %ld} = %lld us, expected that span (give or "
                  "take 5 us): keep getrusage()'s microseconds (tv_usec * 1000 ns), do not round "
                  "CPU time to milliseconds",
                  before, after, (long long)sw.cpu.tv_sec, (long)sw.cpu.tv_nsec, got);
    }
}

static double process_cpu(void)
{
    struct rusage self, kids;

    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
                    kids.ru_stime.tv_sec) +
           (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
                    kids.ru_stime.tv_usec) /
               1e6;
}

static int timespec_valid(const struct timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

/* Then the same clause where each carry counts: four readings add up (the process's and its reaped
 * children's, user and system), each with up to 999999 microseconds, so their sum can hold three
 * whole seconds, not one. fault.h holds getrusage() where each of its fields is a microsecond
 * short of a second (a long-running process whose children have used CPU): a start that carries
 * one second at most leaves 2999996000 nanoseconds in sw.cpu.tv_nsec. */
static void check_every_carry(void)
{
    struct stopwatch sw;
    struct timing t;
    int rc;

    fault_rusage_hold(1); /* held through the stop too: the readings never step back */
    rc = timer_start(&sw);
    CHECK_IMPL(rc, "timer_start()", "timer.c");
    cr_assert_eq(rc, 0, "timer_start() returned %d, expected 0", rc);
    cr_assert(timespec_valid(&sw.cpu),
              "sw.cpu = {tv_sec %lld, tv_nsec %ld} after timer_start() when getrusage()'s four CPU "
              "times (self, children; user, system) each read x.999999 s: carry every whole "
              "second into tv_sec (3 here), not just one: 0 <= tv_nsec < 1e9",
              (long long)sw.cpu.tv_sec, (long)sw.cpu.tv_nsec);
    rc = timer_stop(&sw, &t);
    fault_rusage_hold(0);
    cr_assert_eq(rc, 0, "timer_stop() returned %d, expected 0", rc);
    cr_assert(t.cpu >= 0 && t.cpu < 1,
              "timer_start() then timer_stop() right away, each CPU time read x.999999 s: cpu = "
              "%.6f s, expected the little spent between them (0 to 1 s)",
              t.cpu);
}

/* And a process tree that has used more CPU than an int of microseconds holds: 2147 s, 35
 * minutes, which a server up for a week, or the children a batch has reaped, pass. The runner's
 * getrusage() reads 2200 s more of the reaped children's user time (fault_rusage_children()):
 * sw.cpu must be the whole of it, a valid struct timespec; then a stopwatch across the 2147 s line
 * (a child of 10 s reaped while it ran: 2140 s, then 2150 s) measures those 10 s. */
static void check_past_int_us(void)
{
    struct stopwatch sw;
    struct timing t;
    double before, after, cpu;

    fault_rusage_children(2200);
    before = process_cpu();
    start(&sw);
    after = process_cpu();
    cpu = (double)sw.cpu.tv_sec + (double)sw.cpu.tv_nsec / 1e9;
    cr_assert(timespec_valid(&sw.cpu) && cpu >= before - 0.05 && cpu <= after + 0.05,
              "timer_start() after %.3f s of CPU (2200 s of it reaped children's): sw.cpu = {%lld, "
              "%ld}, expected %.3f-%.3f s, a valid timespec: past 2147 s of CPU, the "
              "microseconds no longer fit in an int (use a long long)",
              before, (long long)sw.cpu.tv_sec, (long)sw.cpu.tv_nsec, before - 0.05, after + 0.05);
    fault_rusage_children(2140);
    start(&sw);
    fault_rusage_children(2150);
    stop(&sw, &t);
    fault_rusage_children(0);
    cr_assert(t.cpu >= 9.99 && t.cpu <= 10.5,
              "a stopwatch from 2140 s to 2150 s of the process tree's CPU (a child of 10 s "
              "reaped meanwhile): cpu = %.3f s, expected 10 s: past 2147 s of CPU, the "
              "microseconds no longer fit in an int (use a long long)",
              t.cpu);
}

Test(timer, valid_timespecs, .timeout = 4)
{
    struct stopwatch sw;
    double each = 0.55, before, after, cpu;
    pthread_t tid[2];

    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&tid[i], NULL, burn_thread, &each), 0,
                     "pthread_create failed in the test");
    for (int i = 0; i < 2; i++)
        pthread_join(tid[i], NULL);
    while ((before = process_cpu()) < 1.05) /* the threads burnt 1.1 s: not taken on trust */
        burn(0.05);
    start(&sw);
    after = process_cpu();
    cr_assert(timespec_valid(&sw.cpu),
              "timer_start() after %.3f s of the process's CPU time: sw.cpu = {tv_sec %lld, "
              "tv_nsec %ld}, expected a valid struct timespec (tv_sec the whole seconds, "
              "0 <= tv_nsec < 1000000000): a caller may read it; carry each whole second of "
              "the nanoseconds (or microseconds) into tv_sec",
              before, (long long)sw.cpu.tv_sec, (long)sw.cpu.tv_nsec);
    cr_assert(timespec_valid(&sw.wall),
              "timer_start(): sw.wall = {tv_sec %lld, tv_nsec %ld}, expected a valid struct "
              "timespec (tv_sec the whole seconds, 0 <= tv_nsec < 1000000000), as "
              "clock_gettime() gives it",
              (long long)sw.wall.tv_sec, (long)sw.wall.tv_nsec);
    cpu = (double)sw.cpu.tv_sec + (double)sw.cpu.tv_nsec / 1e9;
    cr_assert(cpu >= before - 0.05 && cpu <= after + 0.05,
              "timer_start() after %.3f s of the process's CPU time (%.3f s just after it): "
              "sw.cpu = {tv_sec %lld, tv_nsec %ld} = %.3f s, expected %.3f-%.3f s: sw.cpu is the "
              "CPU time the process (all its threads, and its children once waited for) had "
              "used by then",
              before, after, (long long)sw.cpu.tv_sec, (long)sw.cpu.tv_nsec, cpu, before - 0.05,
              after + 0.05);
    check_cpu_to_the_us();
    check_every_carry();
    check_past_int_us();
}

/* timer_start() and timer_stop() as one kind of call: a reading of sw (into *t). */
static int start_reading(struct stopwatch *sw, struct timing *t)
{
    (void)t;
    return timer_start(sw);
}

static int stop_reading(struct stopwatch *sw, struct timing *t)
{
    return timer_stop(sw, t);
}

/* A whole reading counts its calls of one kind (getrusage(), or a clock's reading:
 * clock_gettime(), gettimeofday(), time()); then each of them fails in turn, with every one
 * after it (EFAULT), then alone (EINVAL), on a copy of sw, and the reading must return that
 * errno negated: the failed call's own, never one fixed in advance. And it must leave the
 * result it was given, *t, as it was, each field: a timer_stop() that stores the wall time
 * before its CPU reading fails has filled in half a result from a failed call. */
static void each_call_fails(const char *fn, enum fault_call kind, const char *what,
                            int (*reading)(struct stopwatch *, struct timing *),
                            struct stopwatch *sw)
{
    struct timing t;

    fault_arm(kind, 1, 0, 0); /* counts */
    int rc = reading(sw, &t);
    unsigned calls = fault_calls(kind);
    fault_disarm_all();
    CHECK_IMPL(rc, fn, "timer.c");
    cr_assert_eq(rc, 0, "%s returned %d, expected 0", fn, rc);
    /* the k-th call and every one after it (times 0); then the k-th alone (times 1), every
     * later one would succeed: the failed call's reading is lost all the same, -EFAULT, not a
     * reading taken by a call made again */
    for (unsigned times = 0; times <= 1; times++)
        for (unsigned k = 1; k <= calls; k++) {
            struct stopwatch copy = *sw;
            /* stderr unwritable: a failure logged to it before errno is read reads EBADF */
            int saved = stderr_unwritable();
            /* two errnos, so that a code of the reading's own (-EFAULT always) is no answer */
            int err = times ? EINVAL : EFAULT;

            t.wall = -7.25; /* no reading gives these: a field written shows */
            t.cpu = -7.5;
            fault_arm(kind, k, times, err);
            rc = reading(&copy, &t);
            unsigned more =
                fault_calls_after_failure(FAULT_CLOCK) + fault_calls_after_failure(FAULT_GETRUSAGE);
            fault_disarm_all();
            check_stderr_back(saved);
            cr_assert_eq(rc, -err,
                         "%s returned %d when its %s call number %u (of the %u it makes) failed "
                         "with %s, %s, stderr unwritable: expected -%s (%d). Check the return "
                         "of every %s; a failed one is its own -errno at once (read before any "
                         "other call, a print too; not a code of your own), never tried again "
                         "for a reading",
                         fn, rc, what, k, calls, err == EINVAL ? "EINVAL" : "EFAULT",
                         times ? "that one call alone" : "and every one after it",
                         err == EINVAL ? "EINVAL" : "EFAULT", -err,
                         kind == FAULT_GETRUSAGE ? "getrusage(), RUSAGE_CHILDREN's too"
                                                 : "clock_gettime(), each clock's");
            cr_assert(t.wall == -7.25 && t.cpu == -7.5,
                      "%s returned %d when its %s call %u of %u failed (%s), but wrote *t = "
                      "{wall %g, cpu %g}, was {-7.25, -7.5}: do not fill in the result from a "
                      "failed call; write *t only once every reading succeeded",
                      fn, rc, what, k, calls, err == EINVAL ? "EINVAL" : "EFAULT", t.wall, t.cpu);
            cr_assert(more == 0,
                      "%s, its %s call %u of %u failing (%s), made %u more readings (clock or "
                      "getrusage()) after it before returning: a failed call returns its -errno "
                      "at once; check each call's return right after it" CHECK_NOT_TIMING,
                      fn, what, k, calls, err == EINVAL ? "EINVAL" : "EFAULT", more);
        }
}

/* A reading that could not be made is no reading: each getrusage() call a timer_start() or
 * timer_stop() makes (counted in a first, whole reading: any number, in any order, with any
 * who; none at all for a CPU time read elsewhere) is failed in turn, that call and every one
 * after it (EFAULT), then that call alone (EINVAL), and the call must return that errno negated,
 * the one it failed with, never 0 with a struct rusage that was never filled. The same for each
 * reading of a clock it makes (clock_gettime(), any clock: the wall's, or a CPU time read
 * there), never 0 with a struct timespec that was never filled. A failed timer_stop() leaves
 * *t as it was, both fields (handout: do not fill in the result from a failed call). */
/* Readings on a thread of the test's own (check_heap_held()): a whole one, then each call
 * of each kind failing in turn. */
static void readings_failing(void *arg)
{
    static const enum fault_call kinds[] = {FAULT_GETRUSAGE, FAULT_CLOCK};
    struct stopwatch sw;
    struct timing t;
    int *rc = arg;

    *rc = timer_start(&sw) || timer_stop(&sw, &t);
    for (int r = 0; r < 20; r++)
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
            for (unsigned k = 1; k <= 6; k++) {
                fault_arm(kinds[i], k, 1, EFAULT);
                (void)(timer_start(&sw) || timer_stop(&sw, &t));
                fault_disarm_all();
            }
}

/* What readings keep once they are over, failed ones too: nothing (lab1.h: "nothing kept
 * elsewhere between the calls"), neither a buffer freed only on success nor one of the
 * thread's own left when it ends (an examiner's, round 71: both). */
static void readings_keep_nothing(void)
{
    struct stopwatch sw;
    struct timing t;
    int rc = 0;

    start(&sw); /* a one-time allocation falls here, before the readings measured */
    stop(&sw, &t);
    long held = check_heap_held(readings_failing, &rc, 0);

    cr_assert_eq(rc, 0, "timer_start() then timer_stop() on a thread returned %d, expected 0", rc);
    cr_assert(held < 64,
              "a thread that timed once, then made 480 readings that each failed (getrusage() "
              "or the clock, each call in turn), ended holding %ld bytes of the heap more "
              "than before: free on every path, a failed one too, and keep nothing of a "
              "thread's once it ends",
              held);
}

Test(timer, failed_reading, .timeout = 2)
{
    struct stopwatch sw;

    each_call_fails("timer_start()", FAULT_GETRUSAGE, "getrusage()", start_reading, &sw);
    each_call_fails("timer_stop()", FAULT_GETRUSAGE, "getrusage()", stop_reading, &sw);
    each_call_fails("timer_start()", FAULT_CLOCK, "clock reading", start_reading, &sw);
    each_call_fails("timer_stop()", FAULT_CLOCK, "clock reading", stop_reading, &sw);
    readings_keep_nothing();
}

/* ---- classify ------------------------------------------------------------------------------ */

/* Worker counts past any core count, shared by every metric's test: one drawn log-uniformly
 * (check_rand()) from each band 65..126, 2^10+1.., 2^16+1.., 2^22+1.. and 2^30+1..INT_MAX-1,
 * no power of two, so a cap at any count from 64 to 2^30 (INT_MAX, drawn apart, left alone or
 * not) is passed by every seed's counts (red team 12: amdahl capped at 64; red team 13: the same
 * in efficiency) */
#define BIG_WORKERS 5

static void big_workers(int n[BIG_WORKERS])
{
    static const int lo[BIG_WORKERS] = {6, 10, 16, 22, 30}, hi[BIG_WORKERS] = {7, 16, 22, 30, 31};

    for (int k = 0; k < BIG_WORKERS; k++) {
        int e = lo[k] + (int)(check_rand() % (uint64_t)(hi[k] - lo[k]));
        long long base = 1LL << e;

        /* 2^e + 1 .. 2^(e+1) - 2 */
        n[k] = (int)(base + 1 + (long long)(check_rand() % (uint64_t)(base - 2)));
    }
}

static enum bound do_classify(double wall, double cpu, int workers)
{
    struct timing t = {.wall = wall, .cpu = cpu};
    /* the answer, and the caller's next enum behind it: *b is one enum bound (an examiner's,
     * round 71: memcpy() of a double's 8 bytes into it) */
    enum bound b[2] = {(enum bound) - 1, (enum bound)0x5a5a5a5a};
    int rc = classify(&t, workers, &b[0]);

    CHECK_IMPL(rc, "classify()", "metrics.c");
    cr_assert_eq(rc, 0, "classify(wall=%g, cpu=%g, workers=%d) returned %d, expected 0", wall, cpu,
                 workers, rc);
    cr_assert_eq((int)b[1], 0x5a5a5a5a,
                 "classify(wall=%g, cpu=%g, workers=%d) wrote past its answer: *b is one enum "
                 "bound (%zu bytes), and the caller's memory right after it changed (0x%x, "
                 "was 0x5a5a5a5a); store the answer as an enum bound: *b = ...",
                 wall, cpu, workers, sizeof(enum bound), (unsigned)b[1]);
    return b[0];
}

static void check_bound(double wall, double cpu, int workers, enum bound want)
{
    enum bound b = do_classify(wall, cpu, workers);

    cr_assert_eq(b, want,
                 "classify(wall=%g, cpu=%g, workers=%d) = %s, expected %s "
                 "(CPU/wall per worker = %.3f)",
                 wall, cpu, workers,
                 b == BOUND_CPU  ? "BOUND_CPU"
                 : b == BOUND_IO ? "BOUND_IO"
                                 : "nothing",
                 want == BOUND_CPU ? "BOUND_CPU" : "BOUND_IO", cpu / wall / workers);
}

Test(classify, cpu_and_io, .timeout = 2)
{
    double big = rnd_in(1, 10), small = rnd_in(0.01, 0.09);

    check_bound(big, big * rnd_in(0.6, 1.0), 1, BOUND_CPU);     /* a long cook */
    check_bound(small, small * rnd_in(0.6, 1.0), 1, BOUND_CPU); /* a short cook */
    check_bound(big, big * rnd_in(0, 0.4), 1, BOUND_IO);        /* a long wait */
    check_bound(small, small * rnd_in(0, 0.4), 1, BOUND_IO);    /* a short wait */
    check_bound(small, small / 2, 1, BOUND_CPU);                /* exactly 0.5 */
    /* the double just below 0.5 (0.49999999999999994: exact in any double formula, wall 1)
     * is below it: no float ratio (which rounds it to 0.5), no tolerance */
    check_bound(1, nextafter(0.5, 0), 1, BOUND_IO);
    /* any wall > 0 is a wall: however short (no floor of a ns or a us) */
    check_bound(1e-300, 1e-300, 1, BOUND_CPU);
    check_bound(1e-300, 1e-301, 1, BOUND_IO);
    /* the smallest wall a double holds (4.9e-324): half of it is 0, so cpu / workers >=
     * wall / 2 reads a pure wait as BOUND_CPU; the ratio cpu / wall does not */
    check_bound(DBL_TRUE_MIN, 0, 1, BOUND_IO);
    check_bound(DBL_TRUE_MIN, DBL_TRUE_MIN, 1, BOUND_CPU);
    check_bound(big, 0, 1, BOUND_IO); /* a pure wait: no CPU */
    /* -0.0 is not < 0: a valid cpu of 0 (lab1.h: "those and no others"), no signbit() test */
    check_bound(big, -0.0, 1, BOUND_IO);
    check_bound(small, -0.0, 2, BOUND_IO);
    check_bound(DBL_TRUE_MIN, -0.0, 1, BOUND_IO);
    check_bound(INFINITY, -0.0, INT_MAX, BOUND_IO);
    /* infinite is no NaN, and lab1.h refuses only wall <= 0, cpu < 0 or a NaN */
    check_bound(big, INFINITY, 1, BOUND_CPU); /* cpu / wall = inf */
    check_bound(INFINITY, big, 1, BOUND_IO);  /* cpu / wall = 0 */
}

Test(classify, per_worker, .timeout = 2)
{
    double w = rnd_in(0.2, 5);
    int n = 2 + (int)(check_rand() % 7);

    check_bound(w, w * n * 0.9, n, BOUND_CPU);    /* n cooks, each busy 90% */
    check_bound(w, w * n * 0.3, n, BOUND_IO);     /* n waiters, each busy 30% */
    check_bound(w, w * 0.9, n, BOUND_IO);         /* one core's worth spread over n */
    check_bound(w, w, 2, BOUND_CPU);              /* exactly 0.5 per worker */
    check_bound(1, nextafter(1, 0), 2, BOUND_IO); /* just below: 0.49999999999999994 */
    check_bound(1, 1, INT_MAX, BOUND_IO);         /* any workers >= 1: no cap */
    /* many waiters each busy 30%: per worker, however many (no cap at a core count) */
    check_bound(w, w * 1000 * 0.3, 1000, BOUND_IO);
    check_bound(w, w * 1e6 * 0.3, 1000000, BOUND_IO);
    check_bound(1, INT_MAX, INT_MAX, BOUND_CPU);
    /* and every count between: each busy 49.9% is BOUND_IO however many they are, so a cap
     * at C below 0.998 x workers reads it as BOUND_CPU; each busy 50.1% is BOUND_CPU */
    int many[BIG_WORKERS];

    big_workers(many);
    for (int k = 0; k < BIG_WORKERS; k++) {
        check_bound(w, w * many[k] * 0.499, many[k], BOUND_IO);
        check_bound(w, w * many[k] * 0.501, many[k], BOUND_CPU);
    }
    /* a finite timing like any other, however large: cpu / (wall * workers) overflows the
     * product to inf here and reads 0 (BOUND_IO); divide, don't multiply */
    check_bound(DBL_MAX / 1.5, DBL_MAX / 1.5, 2, BOUND_CPU);
    /* and however small: cpu / workers first rounds the least double's half to 0 (BOUND_IO);
     * cpu / wall is 1, 0.5 a worker (an examiner's, round 71) */
    check_bound(DBL_TRUE_MIN, DBL_TRUE_MIN, 2, BOUND_CPU);
    check_bound(3 * DBL_TRUE_MIN, 3 * DBL_TRUE_MIN, 2, BOUND_CPU);
}

Test(classify, invalid, .timeout = 2)
{
    /* each list: the valid values first (each metric's special ones among them: cpu 0, an
     * infinity, one worker), then the refused ones; every timing with a refused wall, cpu or
     * workers is -EINVAL whatever the others hold: no early answer skips a check */
    static const double walls[] = {1, 0.5,  INFINITY, DBL_TRUE_MIN, DBL_MAX,
                                   0, -0.0, -1,       -INFINITY,    NAN};
    static const double cpus[] = {0,        -0.0, 0.1,       0.5, 1,
                                  INFINITY, -0.1, -INFINITY, NAN, -DBL_TRUE_MIN};
    static const int workers[] = {1, 2, INT_MAX, 0, -3, INT_MIN};
    const size_t walls_ok = 5, cpus_ok = 6, workers_ok = 3;
    enum bound b;

    for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++)
        for (size_t j = 0; j < sizeof(cpus) / sizeof(cpus[0]); j++)
            for (size_t k = 0; k < sizeof(workers) / sizeof(workers[0]); k++) {
                struct timing t = {.wall = walls[i], .cpu = cpus[j]};

                if (i < walls_ok && j < cpus_ok && k < workers_ok) {
                    /* and the valid ones are valid: each such timing gets a bound (cpu =
                     * -0.0 is not < 0; both infinite is the student's choice) */
                    if (isinf(walls[i]) && isinf(cpus[j]))
                        continue;
                    b = (enum bound) - 1;
                    int rc = classify(&t, workers[k], &b);

                    CHECK_IMPL(rc, "classify()", "metrics.c");
                    cr_assert(rc == 0 && (b == BOUND_CPU || b == BOUND_IO),
                              "classify(wall=%g, cpu=%g, workers=%d) returned %d (bound %d), "
                              "expected 0 and a bound: lab1.h refuses only wall <= 0, cpu < 0, "
                              "a NaN and workers < 1",
                              walls[i], cpus[j], workers[k], rc, (int)b);
                    continue;
                }
                int rc = classify(&t, workers[k], &b);

                CHECK_IMPL(rc, "classify()", "metrics.c");
                cr_assert_eq(rc, -EINVAL,
                             "classify(wall=%g, cpu=%g, workers=%d) returned %d, expected "
                             "-EINVAL (%d): a refused argument is refused whatever the others "
                             "hold",
                             walls[i], cpus[j], workers[k], rc, -EINVAL);
            }
    int rc = classify(NULL, 1, &b);

    cr_assert_eq(rc, -EINVAL, "classify(t=NULL) returned %d, expected -EINVAL", rc);
    /* nowhere to put the answer: refused too (handout: "a NULL pointer included") */
    struct timing ok = {.wall = 1, .cpu = 1};

    rc = classify(&ok, 1, NULL);
    cr_assert_eq(rc, -EINVAL,
                 "classify(wall=1, cpu=1, workers=1, b=NULL) returned %d, expected -EINVAL: a "
                 "NULL pointer for the answer is an invalid input like any other",
                 rc);
}

/* ---- speedup, efficiency ------------------------------------------------------------------- */

Test(speedup, ratio, .timeout = 2)
{
    for (int i = 0; i < 5; i++) {
        struct timing seq = {.wall = rnd_in(0.1, 10), .cpu = rnd_in(0, 1)};
        struct timing par = {.wall = rnd_in(0.1, 10), .cpu = rnd_in(0, 1)};
        double s = -1, want = seq.wall / par.wall;
        int rc = speedup(&seq, &par, &s);

        CHECK_IMPL(rc, "speedup()", "metrics.c");
        cr_assert(rc == 0 && close_to(s, want),
                  "speedup(seq.wall=%g, par.wall=%g) = %g "
                  "(returned %d), expected %g (seq.wall / par.wall)",
                  seq.wall, par.wall, s, rc, want);
    }

    /* any walls > 0 give an s, however short (no floor of a ns or a us); the last two have a
     * subnormal par.wall, whose 1 / par.wall is inf, though the ratio is not */
    const double tiny_walls[][2] = {
        {1e-300, 1e-300}, {1e-300, 1}, {1, 1e-300}, {1e-9, 1e-309}, {1e-310, 1e-320}};

    for (size_t i = 0; i < sizeof(tiny_walls) / sizeof(tiny_walls[0]); i++) {
        struct timing seq = {.wall = tiny_walls[i][0]}, par = {.wall = tiny_walls[i][1]};
        double s = -1, want = tiny_walls[i][0] / tiny_walls[i][1];
        int rc = speedup(&seq, &par, &s);

        cr_assert(rc == 0 && rel_close(s, want),
                  "speedup(seq.wall=%g, par.wall=%g) = %g (returned %d), expected %g: any walls "
                  "> 0 give an s, however short (lab1.h refuses only walls that are not > 0)",
                  seq.wall, par.wall, s, rc, want);
    }

    /* an infinite wall is > 0, and lab1.h refuses only walls that are not */
    const double inf_walls[][3] = {{INFINITY, 2, INFINITY}, {2, INFINITY, 0}};

    for (size_t i = 0; i < sizeof(inf_walls) / sizeof(inf_walls[0]); i++) {
        struct timing seq = {.wall = inf_walls[i][0]}, par = {.wall = inf_walls[i][1]};
        double s = -1, want = inf_walls[i][2];
        int rc = speedup(&seq, &par, &s);

        cr_assert(rc == 0 && s == want,
                  "speedup(seq.wall=%g, par.wall=%g) = %g (returned %d), expected %g: an "
                  "infinite wall is > 0 like any other (lab1.h refuses only walls that are "
                  "not), and seq.wall / par.wall decides",
                  seq.wall, par.wall, s, rc, want);
    }

    /* finite walls whose ratio is past DBL_MAX: s = inf, the ratio rounded like any other
     * (lab1.h: "any such walls give an s"; no -ERANGE, an examiner's, round 71) */
    {
        struct timing big = {.wall = 1e300}, tiny = {.wall = 1e-300};
        double s = -1;
        int rc = speedup(&big, &tiny, &s);

        cr_assert(rc == 0 && s == INFINITY,
                  "speedup(seq.wall=1e300, par.wall=1e-300) = %g (returned %d), expected inf: "
                  "any walls > 0 give an s, and a ratio past the largest double is inf",
                  s, rc);
    }
    /* the walls alone decide: a cpu that classify() would refuse (negative, NaN) is no
     * reason to refuse a speedup (an examiner's, round 71) */
    {
        const double cpus[] = {-1, NAN, -INFINITY};

        for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++) {
            struct timing seq = {.wall = 4, .cpu = cpus[i]}, par = {.wall = 2, .cpu = cpus[i]};
            double s = -1;
            int rc = speedup(&seq, &par, &s);

            cr_assert(rc == 0 && s == 2,
                      "speedup(seq = {wall 4, cpu %g}, par = {wall 2, cpu %g}) = %g (returned "
                      "%d), expected 2: lab1.h refuses only walls that are not > 0; the cpu "
                      "fields are not speedup()'s to check",
                      cpus[i], cpus[i], s, rc);
        }
    }
    /* the answer may land on a wall it reads (no restrict in lab1.h): read both walls first
     * (an examiner's, round 71: *s = seq->wall; *s /= par->wall) */
    {
        struct timing seq = {.wall = 6}, par = {.wall = 3};
        int rc = speedup(&seq, &par, &par.wall);

        cr_assert(rc == 0 && par.wall == 2,
                  "speedup(seq.wall=6, par.wall=3, s=&par.wall) left par.wall = %g (returned "
                  "%d), expected 2: the answer's pointer may be one of the walls (lab1.h has "
                  "no restrict); read both walls before you write *s",
                  par.wall, rc);
        seq.wall = 6, par.wall = 3;
        rc = speedup(&seq, &par, &seq.wall);
        cr_assert(rc == 0 && seq.wall == 2,
                  "speedup(seq.wall=6, par.wall=3, s=&seq.wall) left seq.wall = %g (returned "
                  "%d), expected 2: read both walls before you write *s",
                  seq.wall, rc);
    }

    /* both infinite: inf / inf has no value; lab1.h allows NaN or -EINVAL, nothing else
     * (equal walls are not always a speedup of 1) */
    struct timing seq = {.wall = INFINITY}, par = {.wall = INFINITY};
    double s = -1;
    int rc = speedup(&seq, &par, &s);

    cr_assert(rc == -EINVAL || (rc == 0 && isnan(s)),
              "speedup(seq.wall=inf, par.wall=inf) = %g (returned %d), expected NaN or -EINVAL "
              "(%d): inf / inf has no value, and lab1.h allows only those two answers (equal "
              "walls give 1 only when they are finite)",
              s, rc, -EINVAL);
}

Test(speedup, invalid, .timeout = 2)
{
    /* the valid walls first (the special ones among them: equal walls, an infinity), then
     * the refused ones; a refused wall is refused whatever the other one is */
    static const double walls[] = {1, 2,    0.5, INFINITY, 1e-300,    DBL_TRUE_MIN,
                                   0, -0.0, -1,  -2,       -INFINITY, NAN};
    const size_t walls_ok = 6;
    double s;

    for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++)
        for (size_t j = 0; j < sizeof(walls) / sizeof(walls[0]); j++) {
            if (i < walls_ok && j < walls_ok)
                continue;
            struct timing seq = {.wall = walls[i]}, par = {.wall = walls[j]};
            int rc = speedup(&seq, &par, &s);

            CHECK_IMPL(rc, "speedup()", "metrics.c");
            cr_assert_eq(rc, -EINVAL,
                         "speedup(seq.wall=%g, par.wall=%g) returned %d, expected "
                         "-EINVAL (%d): a wall that is not > 0 is refused whatever the other is",
                         walls[i], walls[j], rc, -EINVAL);
        }
    /* a NULL pointer is refused too (handout), each of the three, the others valid */
    struct timing a = {.wall = 2}, b = {.wall = 1};
    const struct timing *seqs[] = {NULL, &a, &a}, *pars[] = {&b, NULL, &b};
    double *outs[] = {&s, &s, NULL};
    const char *which[] = {"seq", "par", "s"};

    for (int k = 0; k < 3; k++) {
        int rc = speedup(seqs[k], pars[k], outs[k]);

        cr_assert_eq(rc, -EINVAL,
                     "speedup() with %s NULL (the other pointers valid, walls 2 and 1) returned "
                     "%d, expected -EINVAL (%d): a NULL pointer is an invalid input like any other",
                     which[k], rc, -EINVAL);
    }
}

static void check_efficiency(double s, int n, double want)
{
    double e = -1;
    int rc = efficiency(s, n, &e);

    CHECK_IMPL(rc, "efficiency()", "metrics.c");
    cr_assert(rc == 0 && rel_close(e, want),
              "efficiency(s=%g, workers=%d) = %g (returned %d), expected %g (s / workers; "
              "lab1.h refuses only s <= 0, a NaN and workers < 1)",
              s, n, e, rc, want);
}

Test(efficiency, per_worker, .timeout = 2)
{
    for (int i = 0; i < 5; i++) {
        double s = rnd_in(0.1, 16);
        int n = 1 + (int)(check_rand() % 16);

        check_efficiency(s, n, s / n);
    }
    double slow = rnd_in(0.1, 0.9), s_any = rnd_in(0.1, 16);
    int n = 1 + (int)(check_rand() % 16);

    check_efficiency(0.5, 2, 0.25);              /* a slowdown has an efficiency too */
    check_efficiency(slow, n, slow / n);         /* any 0 < s < 1 */
    check_efficiency(INFINITY, 2, INFINITY);     /* infinite is no NaN: s > 0 */
    check_efficiency(1e-300, 2, 5e-301);         /* any s > 0, however small */
    check_efficiency(4, INT_MAX, 4.0 / INT_MAX); /* any workers >= 1: no cap */
    /* and every count between (red team 13: capped at 64 but for INT_MAX) */
    int many[BIG_WORKERS];

    big_workers(many);
    for (int k = 0; k < BIG_WORKERS; k++) {
        check_efficiency(s_any, many[k], s_any / many[k]);
        check_efficiency(many[k], many[k], 1); /* a perfect speedup: 1 */
    }
}

/* fn(xs[i], ws[j]) for every i and j where xs[i] is refused (i >= x_ok) or ws[j] is (j >= w_ok):
 * -EINVAL whatever the other argument is; the valid values come first, each metric's special
 * ones among them, so that an early answer for one of them cannot skip the other's check. x is
 * what messages call the first argument. */
static void check_refuses_all(int (*fn)(double, int, double *), const char *name, const char *x,
                              const double *xs, size_t nx, size_t x_ok, const int *ws, size_t nw,
                              size_t w_ok)
{
    char call[32];
    double out;

    snprintf(call, sizeof(call), "%s()", name);
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < nw; j++) {
            if (i < x_ok && j < w_ok) {
                /* and the valid ones are valid: each pair gets an answer */
                int rc = fn(xs[i], ws[j], &out);

                CHECK_IMPL(rc, call, "metrics.c");
                cr_assert_eq(rc, 0, "%s(%s=%g, workers=%d) returned %d, expected 0: both are valid",
                             name, x, xs[i], ws[j], rc);
                continue;
            }
            int rc = fn(xs[i], ws[j], &out);

            CHECK_IMPL(rc, call, "metrics.c");
            cr_assert_eq(rc, -EINVAL, "%s(%s=%g, workers=%d) returned %d, expected -EINVAL (%d)",
                         name, x, xs[i], ws[j], rc, -EINVAL);
        }
    /* valid inputs, nowhere to put the answer: a NULL pointer is refused too (handout), not
     * written through (a crash here) */
    int rc = fn(xs[0], ws[0], NULL);

    cr_assert_eq(rc, -EINVAL,
                 "%s(%s=%g, workers=%d, NULL) returned %d, expected -EINVAL (%d): a NULL pointer "
                 "for the answer is an invalid input like any other",
                 name, x, xs[0], ws[0], rc, -EINVAL);
}

Test(efficiency, invalid, .timeout = 2)
{
    static const double s[] = {1, 2, 0.5, INFINITY, 1e-300, DBL_MAX, 0, -0.0, -1.5, -INFINITY, NAN};
    static const int w[] = {1, 2, INT_MAX, 0, -1, INT_MIN};

    check_refuses_all(efficiency, "efficiency", "s", s, sizeof(s) / sizeof(s[0]), 6, w,
                      sizeof(w) / sizeof(w[0]), 3);
}

/* ---- amdahl, parallel_fraction ------------------------------------------------------------- */

static double amdahl_of(double p, int n)
{
    return 1 / ((1 - p) + p / n);
}

static void check_amdahl(double p, int n, double want)
{
    double s = -1;
    int rc = amdahl(p, n, &s);

    CHECK_IMPL(rc, "amdahl()", "metrics.c");
    cr_assert(rc == 0 && close_to(s, want),
              "amdahl(p=%.17g, workers=%d) = %.17g (returned %d), "
              "expected %.17g",
              p, n, s, rc, want);
}

Test(amdahl, worked_example, .timeout = 2)
{
    check_amdahl(0.9, 10, 1 / (0.1 + 0.09)); /* 5.263...: the serial 10% dominates */
    check_amdahl(0.5, 2, 4.0 / 3);
}

Test(amdahl, limits, .timeout = 2)
{
    double p = rnd_in(0, 1);
    int n = 2 + (int)(check_rand() % 63);

    check_amdahl(1, n, n);    /* all parallel: n times faster */
    check_amdahl(0, n, 1);    /* all serial: no faster */
    check_amdahl(-0.0, n, 1); /* -0.0 is not < 0: all serial too, no signbit() test */
    check_amdahl(p, 1, 1);    /* one worker: no faster */
    check_amdahl(p, n, amdahl_of(p, n));
    check_amdahl(1, INT_MAX, INT_MAX); /* any workers >= 1: no cap */
    /* and every count between (red team 12, metrics_amdahl_capped: workers capped at 64 but
     * for INT_MAX) */
    int many[BIG_WORKERS];

    big_workers(many);
    for (int k = 0; k < BIG_WORKERS; k++) {
        check_amdahl(1, many[k], many[k]);
        check_amdahl(p, many[k], amdahl_of(p, many[k]));
    }
    check_amdahl(nextafter(1, 0), n, amdahl_of(nextafter(1, 0), n)); /* just inside */
    /* each call its own p: right after p = 1 on 2^30 workers (2^30), p = 1 - 5e-10 is 7e8, not
     * an answer kept from a call whose p was "the same" to 1e-9 (an examiner's, round 71) */
    check_amdahl(1, 1 << 30, 1 << 30);
    check_amdahl(1 - 5e-10, 1 << 30, amdahl_of(1 - 5e-10, 1 << 30));
    check_amdahl(1 - 5e-10, 1 << 30, amdahl_of(1 - 5e-10, 1 << 30)); /* and the same again */
}

Test(amdahl, invalid, .timeout = 2)
{
    /* just outside 0 <= p <= 1 too: the doubles next to 1 and to 0, no tolerance; and each
     * bad p with the special values of workers (one worker: S = 1) and each bad workers with
     * the special p (0: S = 1, 1: S = workers): every argument is checked before any answer */
    static const double p[] = {
        0,         1,   0.5,  0x1.fffffffffffffp-1, 0x1p-1074,  -0.0,    -0.01,
        1.01,      1.5, -0.5, 0x1.0000000000001p+0, -0x1p-1074, -1e-300, INFINITY,
        -INFINITY, NAN};
    static const int w[] = {1, 2, 4, INT_MAX, 0, -2, INT_MIN};

    check_refuses_all(amdahl, "amdahl", "p", p, sizeof(p) / sizeof(p[0]), 6, w,
                      sizeof(w) / sizeof(w[0]), 4);
}

static void check_fraction(double s, int n, double want)
{
    double p = -1;
    int rc = parallel_fraction(s, n, &p);

    CHECK_IMPL(rc, "parallel_fraction()", "metrics.c");
    cr_assert(rc == 0 && close_to(p, want),
              "parallel_fraction(s=%.17g, workers=%d) = %.17g "
              "(returned %d), expected %.17g",
              s, n, p, rc, want);
}

/* the same to 1e-12 of want: for s >= 1.5 and p >= 0.5, a few roundings in any formula */
static void check_fraction_tight(double s, int n, double want)
{
    double p = -1;
    int rc = parallel_fraction(s, n, &p);

    CHECK_IMPL(rc, "parallel_fraction()", "metrics.c");
    cr_assert(rc == 0 && fabs(p - want) <= 1e-12 * fabs(want),
              "parallel_fraction(s=%.17g, workers=%d) = %.17g (returned %d), expected %.17g "
              "(1 - 1/s) / (1 - 1/workers) for any workers >= 2: no cap",
              s, n, p, rc, want);
}

Test(parallel_fraction, inverts_amdahl, .timeout = 2)
{
    int n = 2 + (int)(check_rand() % 63);

    check_fraction(1, n, 0); /* no speedup: nothing ran in parallel */
    check_fraction(n, n, 1); /* perfect speedup: everything did */
    check_fraction(1 / (0.1 + 0.09), 10, 0.9);
    check_fraction(1.5, 2, 2.0 / 3);  /* two workers, the fewest that say anything */
    check_fraction(0.8, 4, -1.0 / 3); /* a slowdown: p below 0 (overhead, not work) */
    check_fraction(0.5, 2, -2);       /* twice as slow on two workers */
    check_fraction(3, 2, 4.0 / 3);    /* superlinear (caches): faster than n, p above 1 */
    check_fraction(1.5 * n, n, (1 - 1 / (1.5 * n)) / (1 - 1.0 / n));
    check_fraction(INFINITY, 2, 2);                  /* s > 0: 1/s = 0, p = 1 / (1 - 1/n) */
    check_fraction(INFINITY, n, 1 / (1 - 1.0 / n));  /* infinite is no NaN */
    check_fraction(2, 4096, 0.5 / (1 - 1.0 / 4096)); /* any workers >= 2: no cap */
    check_fraction(2, INT_MAX, 0.5 / (1 - 1.0 / INT_MAX));
    check_fraction(1e-300, 2, -2e300); /* any s > 0, however small: a huge slowdown */
    /* however large: (s - 1) * n / (s * (n - 1)) overflows to inf / inf (an examiner's, round
     * 71); 1/s does not */
    check_fraction(1e308, 2, 2);
    check_fraction(DBL_MAX, 3, 1.5);
    /* the same call twice in a row gets the same answer, and returns (a call that keeps
     * anything of the last, a lock among it, must give it back on every path) */
    check_fraction(3, 2, 4.0 / 3);
    check_fraction(3, 2, 4.0 / 3);
    for (int i = 0; i < 5; i++) {
        double p = rnd_in(0, 1);

        n = 2 + (int)(check_rand() % 63);
        check_fraction(amdahl_of(p, n), n, p);
    }
    /* and every count between, to 1e-12 (the answer moves by about 1/workers: a cap at C
     * moves it by 1/C - 1/workers, under close_to()'s 1e-9 from C = 2^29 or so) */
    int many[BIG_WORKERS];

    big_workers(many);
    for (int k = 0; k < BIG_WORKERS; k++) {
        double p = rnd_in(0.5, 1);

        check_fraction_tight(2, many[k], 0.5 / (1 - 1.0 / many[k]));
        check_fraction_tight(amdahl_of(p, many[k]), many[k], p);
    }
}

Test(parallel_fraction, invalid, .timeout = 2)
{
    /* each bad s with the special values of workers, and each bad workers (one worker says
     * nothing about p) with the special s (1: p = 0, s = workers: p = 1, inf) */
    static const double s[] = {1,      2, 4,    1.5, 0.5, 3,         INFINITY,
                               1e-300, 0, -0.0, -2,  -1,  -INFINITY, NAN};
    static const int w[] = {2, 4, INT_MAX, 1, 0, -4, INT_MIN};

    check_refuses_all(parallel_fraction, "parallel_fraction", "s", s, sizeof(s) / sizeof(s[0]), 8,
                      w, sizeof(w) / sizeof(w[0]), 3);
}
