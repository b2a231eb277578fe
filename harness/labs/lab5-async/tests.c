/* tests.c: lab 5 correctness: the event loop (fds, timers), sleeps, orders, gather, async_map. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <malloc.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "check.h"
#include "fault.h"
#include "kitchen.h"
#include "lab5.h"

/* CPU seconds of the calling thread only (Criterion's own threads do not count). */
static double thread_cpu(void)
{
    struct rusage u;

    getrusage(RUSAGE_THREAD, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static struct loop *new_loop(void)
{
    struct loop *l = NULL;
    int rc = loop_new(&l);

    CHECK_IMPL(rc, "loop_new()", "loop.c");
    cr_assert(rc == 0 && l,
              "loop_new(&l) returned %d (l = %p), expected 0 and a loop" CHECK_NOT_TIMING, rc,
              (void *)l);
    return l;
}

/* loop_run() to its end: 0, and no close() of a number that was not open meanwhile (a socket
 * closed twice: by then the number may be another order's, or another thread's file). */
static void run(struct loop *l, const char *what)
{
    unsigned bad = fault_bad_closes();
    int rc = loop_run(l);

    bad = fault_bad_closes() - bad;
    CHECK_IMPL(rc, "loop_run()", "loop.c");
    cr_assert_eq(rc, 0, "loop_run() %s returned %d (%s), expected 0" CHECK_NOT_TIMING, what, rc,
                 rc < 0 ? strerror(-rc) : "?");
    cr_assert_eq(
        bad, 0,
        "loop_run() %s: %u close() call(s) on a descriptor number that was not open "
        "(EBADF): a socket closed twice (closed on a failure, then again when the "
        "order ends?). By then the number may be another order's socket, or a file "
        "of another thread: close each descriptor once, and mark it closed (-1)" CHECK_NOT_TIMING,
        what, bad);
}

static void watch(struct loop *l, int fd, int events, loop_fd_cb cb, void *arg)
{
    int rc = loop_watch(l, fd, events, cb, arg);

    CHECK_IMPL(rc, "loop_watch()", "loop.c");
    cr_assert_eq(rc, 0, "loop_watch(fd=%d, events=%d) returned %d, expected 0" CHECK_NOT_TIMING, fd,
                 events, rc);
}

static void after(struct loop *l, double s, loop_timer_cb cb, void *arg)
{
    int rc = loop_after(l, s, cb, arg);

    CHECK_IMPL(rc, "loop_after()", "loop.c");
    cr_assert_eq(rc, 0, "loop_after(seconds=%g) returned %d, expected 0" CHECK_NOT_TIMING, s, rc);
}

static void pair(int sv[2])
{
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0,
                 "socketpair() failed in the test: %s", strerror(errno));
}

/* ---- loop: timers ------------------------------------------------------------------------- */

static void two_loops_at_once(void); /* a second loop while the first lives: its own */

Test(loop, empty_run, .timeout = 2)
{
    struct loop *l = new_loop();
    double t0 = check_now();

    run(l, "on an empty loop");
    cr_assert(check_now() - t0 < 0.5,
              "loop_run() on a loop with nothing watched and no timer took %.3f s: with nothing "
              "left to wait for it must return at once",
              check_now() - t0);
    loop_free(l);
    two_loops_at_once();
}

struct fired {
    int calls;
    double at;
    int order[64];
    double when[64];
    int n;
};

static void note_timer(struct loop *l, void *arg)
{
    struct fired *f = arg;

    (void)l;
    f->calls++;
    f->at = check_now();
}

Test(loop, timer_fires_once, .timeout = 3)
{
    double delay = 0.03 + (check_rand() % 30) / 1000.0, t0, due, back;
    struct fired f = {0};
    struct loop *l = new_loop();

    t0 = check_now();
    due = t0 + delay;
    after(l, delay, note_timer, &f);
    run(l, "with one timer");
    back = check_now();
    cr_assert_eq(f.calls, 1,
                 "loop_after(%.3f s): the callback ran %d times, expected once" CHECK_NOT_TIMING,
                 delay, f.calls);
    cr_assert(f.at >= due,
              "loop_after(%.3f s): the callback ran %.1f ms early: a timer must never fire "
              "before its time (round poll's timeout up, not down)" CHECK_NOT_TIMING,
              delay, 1000 * (due - f.at));
    cr_assert(f.at < due + 0.2, "loop_after(%.3f s): the callback ran %.0f ms late", delay,
              1000 * (f.at - due));
    cr_assert(back - f.at < 0.1,
              "loop_run() returned %.0f ms after the only timer fired: with nothing left it "
              "must return",
              1000 * (back - f.at));
    loop_free(l);
}

struct ordered {
    struct fired *f;
    int index;
};

static void count_timer(struct loop *l, void *arg); /* counts its calls in *(int *)arg */

static void note_order(struct loop *l, void *arg)
{
    struct ordered *o = arg;

    (void)l;
    o->f->when[o->f->n] = check_now();
    o->f->order[o->f->n++] = o->index;
}

/* Schedule n timers (delays in ms, in this order) on a new loop and run it: they must fire
 * by due time, ties in scheduling order (a stable sort), none early. With held set, the
 * clock stands still while they are scheduled (as a coarse clocksource reads the same over
 * many calls): equal delays are then the same due time, to the nanosecond. */
static void timers_fire_in_order(const int *delay_ms, int n, const char *how, int held, int warm)
{
    struct ordered o[64];
    int want[64];
    double due[64];
    struct fired f = {0};
    struct loop *l = new_loop();
    char list[400];
    size_t used = 0;
    int warmed = 0;

    /* warm: that many 0 s timers scheduled and run on the loop first (a long-lived loop),
     * 256 at a time: never many pending, so a timer queue that costs O(n) a timer (a sorted
     * array: lab5.h sets no order of growth) warms up as fast as a heap */
    for (int i = 0; i < warm; i++) {
        after(l, 0, count_timer, &warmed);
        if (i % 256 == 255 || i == warm - 1)
            run(l, "with warm-up timers");
    }
    cr_assert_eq(warmed, warm, "%d timers of 0 s: %d callbacks ran", warm, warmed);

    cr_assert(n <= 64, "timers_fire_in_order: %d timers (a test's bug)", n);
    for (int i = 0; i < n; i++) {
        o[i] = (struct ordered){.f = &f, .index = i};
        used += snprintf(list + used, sizeof(list) - used, "%s%d", i ? "," : "", delay_ms[i]);
    }
    fault_clock_hold(held);
    for (int i = 0; i < n; i++) {
        due[i] = check_now() + delay_ms[i] / 1000.0;
        after(l, delay_ms[i] / 1000.0, note_order, &o[i]);
    }
    fault_clock_hold(0);
    /* the order they must fire in: by delay, ties in scheduling order (a stable sort) */
    for (int i = 0; i < n; i++) {
        int k = i;

        while (k > 0 && delay_ms[want[k - 1]] > delay_ms[i]) {
            want[k] = want[k - 1];
            k--;
        }
        want[k] = i;
    }
    run(l, "with many timers");
    cr_assert_eq(f.n, n, "%d timers %s (delays in ms: %s): %d callbacks ran, expected %d", n, how,
                 list, f.n, n);
    for (int k = 0; k < n; k++) {
        int i = f.order[k];

        cr_assert_eq(i, want[k],
                     "%d timers %s (delays in ms, in the order scheduled: %s): callback #%d was "
                     "timer %d (%d ms), expected timer %d (%d ms): timers fire by due time, "
                     "ties first come first served (order the heap on the due time, then a "
                     "sequence number; in a binary heap kept in an array from 0, "
                     "the parent of i is (i - 1) / 2, its children 2i + 1 and 2i + 2)",
                     n, how, list, k, i, delay_ms[i], want[k], delay_ms[want[k]]);
        cr_assert(f.when[k] >= due[i], "timer %d (%d ms) fired %.2f ms early", i, delay_ms[i],
                  1000 * (due[i] - f.when[k]));
    }
    for (int k = 0; k < n; k++) /* values=reference: the order the timers fired in */
        check_observe((uint64_t)f.order[k], "callback_%d.timer", k);
    loop_free(l);
}

/* ... and to the microsecond: set while the clock stands still (fault_clock_hold), timers of
 * 0.9, 0.5 and 0.1 ms are due 0.4 ms apart, and fire 0.1 first, then 0.5, then 0.9 (lab5.h:
 * "seconds counts to the microsecond"). A heap that compares whole milliseconds (poll()'s
 * unit) finds at least two of the three due in the same millisecond, wherever the clock
 * stands, and fires those in the order they were set. */
static void submilli_in_order(void)
{
    static const double delay[3] = {0.0009, 0.0005, 0.0001};
    struct ordered o[3];
    struct fired f = {0};
    struct loop *l = new_loop();

    fault_clock_hold(1);
    for (int i = 0; i < 3; i++) {
        o[i] = (struct ordered){.f = &f, .index = i};
        after(l, delay[i], note_order, &o[i]);
    }
    fault_clock_hold(0);
    run(l, "with timers of 0.9, 0.5 and 0.1 ms");
    cr_assert(f.n == 3 && f.order[0] == 2 && f.order[1] == 1 && f.order[2] == 0,
              "timers of 0.9, 0.5 and 0.1 ms set at one moment (in that order) fired as timers "
              "#%d, #%d, #%d (%d callbacks), expected #2 (0.1 ms), #1, #0: compare due times "
              "to the microsecond, not in whole milliseconds",
              f.n > 0 ? f.order[0] : -1, f.n > 1 ? f.order[1] : -1, f.n > 2 ? f.order[2] : -1, f.n);
    loop_free(l);
}

/* Due time orders every timer, a 0 s one too: timers of 1 and 2 ms, then 5 ms later (the test
 * spins) one of 0 s, due the moment it is set, later than both. All three are due when the
 * first round looks: they fire by due time, 1 ms, 2 ms, then the 0 s one, never the 0 s one
 * first (a queue of "soon" timers run before the heap's). */
static void overdue_before_zero(void)
{
    static const double delay[3] = {0.001, 0.002, 0};
    struct ordered o[3];
    struct fired f = {0};
    struct loop *l = new_loop();

    for (int i = 0; i < 3; i++) {
        o[i] = (struct ordered){.f = &f, .index = i};
        if (i == 2)
            for (double t0 = check_now(); check_now() - t0 < 0.005;)
                ;
        after(l, delay[i], note_order, &o[i]);
    }
    run(l, "with timers of 1 and 2 ms, then 5 ms later one of 0 s");
    cr_assert(f.n == 3 && f.order[0] == 0 && f.order[1] == 1 && f.order[2] == 2,
              "timers of 1 and 2 ms, then 5 ms later one of 0 s, fired as timers #%d, #%d, #%d "
              "(%d callbacks), expected #0 (1 ms), #1 (2 ms), #2 (0 s, due last): every timer "
              "fires by its due time, a 0 s one too; keep them all in one order by due time, "
              "not the 0 s ones in a queue of their own run first",
              f.n > 0 ? f.order[0] : -1, f.n > 1 ? f.order[1] : -1, f.n > 2 ? f.order[2] : -1, f.n);
    loop_free(l);
}

/* Due times on both sides of a second of CLOCK_MONOTONIC: the clock held 0.970 s into a
 * second (fault_clock_uptime moves it there, fault_clock_hold stops it) while timers of 5 to
 * 55 ms are set, so three are due in that second and three in the next; then held again
 * 0.1 s on, every one of them past due, and the loop run: all fire in its first round, by due
 * time. A struct timespec compared as a.tv_sec < b.tv_sec || a.tv_nsec < b.tv_nsec finds
 * x.975 later than x+1.005 (and earlier too), and a timer of x.985 not yet due at x+1.070:
 * it waits for ever with the clock held (a spin: the test fails every wait from the 51st). */
static void straddle_in_order(const int *delay_ms, int n, const char *how)
{
    struct ordered o[8];
    struct fired f = {0};
    struct loop *l = new_loop();
    struct timespec ts;
    double t0 = 0;
    int rc;

    cr_assert(n <= 8, "straddle_in_order: %d timers (a test's bug)", n);
    /* tried again should the test lose the CPU between its reading and the hold */
    for (int tries = 0; tries < 100; tries++) {
        fault_clock_hold(0);
        fault_clock_uptime(0);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        fault_clock_uptime(86400 + 0.970 - ts.tv_nsec / 1e9);
        fault_clock_hold(1);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0 = ts.tv_sec + ts.tv_nsec / 1e9;
        if (ts.tv_nsec >= 970000000 && ts.tv_nsec < 974000000)
            break;
    }
    for (int i = 0; i < n; i++) {
        o[i] = (struct ordered){.f = &f, .index = i};
        after(l, delay_ms[i] / 1000.0, note_order, &o[i]);
    }
    fault_clock_hold(0);
    fault_clock_uptime(0);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fault_clock_uptime(t0 + 0.1 - (ts.tv_sec + ts.tv_nsec / 1e9));
    fault_clock_hold(1);
    fault_arm(FAULT_POLL, 51, 0, EIO); /* a loop that never fires them: out after 50 waits */
    rc = loop_run(l);
    fault_disarm_all();
    CHECK_IMPL(rc, "loop_run()", "loop.c");
    cr_assert(rc == 0 && f.n == n,
              "timers of %s ms set at x.970 s of CLOCK_MONOTONIC, run with the clock held at "
              "x+1.070 (all due): %d of %d fired, loop_run() = %d after 50 waits: one due "
              "before the second turned never was. Compare tv_nsec only when tv_sec is equal "
              "(or keep a double, or int64 ns)",
              how, f.n, n, rc);
    for (int k = 1; k < n; k++) /* the delays differ: each fires after a shorter one */
        cr_assert(delay_ms[f.order[k - 1]] < delay_ms[f.order[k]],
                  "timers of %s ms set at x.970 s of CLOCK_MONOTONIC, run with the clock held "
                  "at x+1.070 (all due): callback #%d was the %d ms timer, after the %d ms one. "
                  "a.tv_sec < b.tv_sec || a.tv_nsec < b.tv_nsec takes x+1.005 for earlier than "
                  "x.975: compare tv_nsec only when tv_sec is equal",
                  how, k, delay_ms[f.order[k]], delay_ms[f.order[k - 1]]);
    loop_free(l);
}

/* Due timers are never lost, memory or not: 20 timers due at once, run with the k-th
 * allocation of the run and every one after it failing (ENOMEM), k = 1, 2, ... until a run
 * has none that fails. A run either fires them, or fails with its -errno leaving what it did
 * not fire pending ("a failed run drops nothing", lab5.h); run again with memory, each fires
 * exactly once. An examiner's loop took the due timers out into a batch array it grew as it
 * went: a growth that failed dropped those taken (round 68). */
static void due_timers_without_memory(void)
{
    enum { T = 20 };

    for (unsigned k = 1; k <= 16; k++) {
        struct loop *l = new_loop();
        int fired[T] = {0}, rc, runs = 1, once = 0;

        for (int i = 0; i < T; i++)
            after(l, 0, count_timer, &fired[i]);
        fault_arm(FAULT_ALLOC, k, 0, ENOMEM);
        rc = loop_run(l);
        unsigned failed = fault_failed(FAULT_ALLOC);
        fault_disarm_all();
        for (; rc < 0 && runs < 10; runs++)
            rc = loop_run(l);
        loop_free(l);
        for (int i = 0; i < T; i++)
            once += fired[i] == 1;
        cr_assert(rc == 0 && once == T,
                  "20 timers due at once, loop_run() with its allocation %u and every one after "
                  "it failing (ENOMEM), then again with memory (%d run(s) in all, the last "
                  "returned %d): %d of the 20 fired exactly once: a run that cannot go on "
                  "returns its -errno with what it did not fire still pending (lab5.h: a failed "
                  "run drops nothing); never drop a due timer" CHECK_NOT_TIMING,
                  k, runs, rc, once);
        if (!failed)
            break; /* the run needed fewer than k allocations: every one has been failed */
    }
}

/* Ties made across rounds (lab5.h: timers due at the same moment run in the order they were
 * set), with CLOCK_MONOTONIC held (fault_clock_hold) and moved on 5 s at a time by a callback
 * (tie_clock_on()). First: 0 s timers "1" and "2", and "P" of 5 s; "2" sets "Q" of 5 s (due
 * with P: the clock stood still) and moves the clock on: P, set first, fires before Q (a tie
 * told apart by the heap's size when each was set puts Q first, an examiner's, round 70).
 * Then: one timer's callback sets three 0 s timers and three of 5 s; the third moves the clock
 * on: 1 to 6 in the order set (timers set in callbacks kept aside and numbered when moved
 * into the heap from the top fire last set first, an examiner's, round 70). */
static double tie_up;
static char tie_seen[16];
static int tie_n;

static void tie_clock_on(void)
{
    tie_up += 5;
    fault_clock_uptime(tie_up);
    fault_clock_hold(1);
}

static void tie_note(struct loop *l, void *arg)
{
    (void)l;
    if (tie_n < (int)sizeof(tie_seen) - 1)
        tie_seen[tie_n++] = *(const char *)arg;
    if (*(const char *)arg == '2') {
        after(l, 5, tie_note, "Q");
        tie_clock_on();
    }
    if (*(const char *)arg == '3')
        tie_clock_on();
}

static void tie_six(struct loop *l, void *arg)
{
    static const char *const name[] = {"1", "x", "3", "4", "5", "6"};

    (void)arg;
    for (int k = 0; k < 6; k++)
        after(l, k < 3 ? 0 : 5, tie_note, (void *)name[k]);
}

static void ties_across_rounds(void)
{
    struct loop *l = new_loop();

    tie_up = 0;
    tie_n = 0;
    memset(tie_seen, 0, sizeof(tie_seen));
    fault_clock_hold(1);
    after(l, 0, tie_note, "1");
    after(l, 0, tie_note, "2");
    after(l, 5, tie_note, "P");
    run(l, "with the clock held");
    cr_assert(strcmp(tie_seen, "12PQ") == 0,
              "CLOCK_MONOTONIC held: 0 s timers 1 and 2, then P of 5 s; 2's callback sets Q of 5 "
              "s (due with P) and the clock moves on 5 s: they fired in the order \"%s\", "
              "expected \"12PQ\": timers due at the same moment run in the order they were set "
              "(a running count of the timers set, never the heap's size)" CHECK_NOT_TIMING,
              tie_seen);
    tie_n = 0;
    memset(tie_seen, 0, sizeof(tie_seen));
    after(l, 0, tie_six, NULL);
    run(l, "with the clock held");
    fault_clock_hold(0);
    fault_clock_uptime(0);
    loop_free(l);
    cr_assert(strcmp(tie_seen, "1x3456") == 0,
              "CLOCK_MONOTONIC held: a timer's callback set three 0 s timers, then three of 5 "
              "s; the third moves the clock on 5 s: they fired in the order \"%s\" (x the second), "
              "expected \"1x3456\": timers set in one callback, tied, run in the order they "
              "were set" CHECK_NOT_TIMING,
              tie_seen);
}

Test(loop, timers_in_order, .timeout = 3)
{
    enum { N = 24 };
    int delay_ms[N];

    /* across a second of the clock, set in both orders (whichever side a comparison of a
     * new timer with an old one takes) */
    straddle_in_order((const int[]){5, 15, 25, 35, 45, 55}, 6, "5, 15, 25, 35, 45 and 55");
    straddle_in_order((const int[]){55, 45, 35, 25, 15, 5}, 6, "55, 45, 35, 25, 15 and 5");
    /* each one sooner than the last: every new timer climbs to the top of the heap, and a
     * sift-up that takes the wrong parent (i / 2) leaves the heap out of order (from 14) */
    for (int i = 0; i < N; i++)
        delay_ms[i] = 2 * (N - i);
    timers_fire_in_order(delay_ms, N, "each due sooner than the one before", 0, 0);
    /* small heaps, each due later than the one before: taking the first moves the last to
     * the top, and it must sift down past a node's only (left) child too (3 timers: the
     * first taken, the last on top of a lone left child due sooner) */
    for (int n = 3; n <= 8; n++) {
        for (int i = 0; i < n; i++)
            delay_ms[i] = 2 * (i + 1);
        timers_fire_in_order(delay_ms, n, "each due later than the one before", 0, 0);
    }
    for (int i = 0; i < N; i++)
        delay_ms[i] = 5 * (int)(check_rand() % 13); /* 0-60 ms, with ties */
    timers_fire_in_order(delay_ms, N, "in a random order", 0, 0);
    /* the same on a machine up for 40 days (fault_clock_uptime): CLOCK_MONOTONIC reads 3.5
     * million seconds, where a float keeps a due time only to the nearest 0.25 s (a double
     * or 64-bit nanoseconds to well under a microsecond): a due time kept in a float fires
     * these out of order there, and only by luck on a machine booted an hour ago */
    fault_clock_uptime(40 * 86400.0);
    for (int i = 0; i < N; i++)
        delay_ms[i] = 5 * (int)(check_rand() % 13);
    timers_fire_in_order(delay_ms, N, "in a random order, on a machine up for 40 days", 0, 0);
    fault_clock_uptime(0);
    submilli_in_order();
    overdue_before_zero();
    /* ties at the very same due time: the clock read the same moment for every loop_after()
     * (lab5.h: "Timers due at the same moment run in the order they were scheduled"); a
     * heap ordered on the due time alone puts them in the heap's order, not first come
     * first served. Delays of 0, 10 and 20 ms, most of them tied. */
    for (int i = 0; i < N; i++)
        delay_ms[i] = 10 * (int)(check_rand() % 3);
    timers_fire_in_order(delay_ms, N, "in a random order, scheduled at the same moment", 1, 0);
    /* and on a loop that has run 65,530 timers before them: 24 ties scheduled at one moment
     * span the 65,536th timer of its life, where a 16-bit sequence number wraps and puts
     * the later ones first (the loop lives as long as its caller: count in 64 bits) */
    for (int i = 0; i < N; i++)
        delay_ms[i] = 10;
    timers_fire_in_order(delay_ms, N, "at the same moment, after 65,530 timers on the loop", 1,
                         65530);
    due_timers_without_memory();
    ties_across_rounds();
}

struct chain {
    int left;
    int calls;
    int rc;
};

static void chain_step(struct loop *l, void *arg)
{
    struct chain *c = arg;

    c->calls++;
    if (--c->left > 0)
        c->rc = loop_after(l, 0.01, chain_step, c);
}

/* Timers scheduled by one callback, enough to make the heap of timers grow: each checks it
 * fired no earlier than its delay after the test read the clock, just before loop_after(). */
enum { SPAWN_N = 48 };

struct spawn;

struct spawned {
    struct spawn *s;
    double due;
};

struct spawn {
    int rc, fired, early;
    double worst;
    struct spawned t[SPAWN_N];
};

static void spawned_fires(struct loop *l, void *arg)
{
    struct spawned *t = arg;
    double early = t->due - check_now();

    (void)l;
    t->s->fired++;
    if (early > 0) {
        t->s->early++;
        if (early > t->s->worst)
            t->s->worst = early;
    }
}

static void spawn_many(struct loop *l, void *arg)
{
    struct spawn *s = arg;

    for (int i = 0; i < SPAWN_N && s->rc == 0; i++) {
        double delay = 0.02 + 0.0005 * i;

        s->t[i] = (struct spawned){.s = s, .due = check_now() + delay};
        s->rc = loop_after(l, delay, spawned_fires, &s->t[i]);
    }
}

/* A loop_after() that fails changes nothing: 64 timers scheduled one by one, each first with
 * every allocation refused (ENOMEM): it is taken at once (room was left) or refused with a
 * negative errno, and then scheduled again with memory to spare. Whatever size the heap
 * grows at, one growth fails with timers pending; a loop that kept realloc()'s NULL in place
 * of its heap has lost them (and crashes on the next one or in loop_run()). All 64 fire,
 * once each, in the order scheduled. */
static void after_fails_keeps_timers(void)
{
    enum { N = 64 };
    struct ordered o[N];
    struct fired f = {0};
    struct loop *l = new_loop();
    int refused = 0;

    for (int i = 0; i < N; i++) {
        int rc;

        o[i] = (struct ordered){.f = &f, .index = i};
        fault_arm(FAULT_ALLOC, 1, 0, ENOMEM);
        rc = loop_after(l, 0.0001 * i, note_order, &o[i]);
        fault_disarm_all();
        CHECK_IMPL(rc, "loop_after()", "loop.c");
        cr_assert(rc <= 0 && rc > -4096,
                  "loop_after() with no memory to spare returned %d: 0 or a negative errno", rc);
        if (rc < 0) {
            refused++;
            after(l, 0.0001 * i, note_order, &o[i]);
        }
    }
    run(l, "with 64 timers, some first refused by loop_after() for want of memory");
    loop_free(l);
    cr_assert_eq(f.n, N,
                 "64 timers scheduled one by one, each first with every allocation refused "
                 "(%d of the calls returned an error, the timer then scheduled again): %d "
                 "callbacks ran, expected 64. A loop_after() that fails changes nothing: keep "
                 "realloc()'s result in a temporary and replace the heap only when it is not "
                 "NULL (the old block is still valid then)",
                 refused, f.n);
    for (int k = 0; k < N; k++)
        cr_assert_eq(f.order[k], k,
                     "64 timers (0.1 ms apart), some first refused by loop_after() for want of "
                     "memory: callback #%d was timer %d, expected timer %d",
                     k, f.order[k], k);
}

Test(loop, timer_from_callback, .timeout = 3)
{
    struct chain c = {.left = 5};
    struct loop *l = new_loop();
    double t0 = check_now(), took;

    after(l, 0.01, chain_step, &c);
    run(l, "with a timer that schedules the next one");
    took = check_now() - t0;
    CHECK_IMPL(c.rc, "loop_after()", "loop.c");
    cr_assert_eq(c.rc, 0, "loop_after(0.01 s) from inside a timer callback returned %d", c.rc);
    cr_assert_eq(c.calls, 5,
                 "a chain of 5 timers of 10 ms, each scheduled by the previous one's callback: "
                 "%d ran, expected 5 (loop_run() must not stop while a timer is pending)",
                 c.calls);
    cr_assert(took >= 0.05 && took < 2, "a chain of 5 timers of 10 ms took %.3f s", took);
    loop_free(l);

    /* A 0 s timer's callback schedules 48 timers of 20 to 44 ms: the heap of timers grows,
     * and (fault_realloc_moves()) every realloc() moves it, as it may whenever the block
     * cannot grow where it is. A round that kept a pointer to the heap it had before the
     * callback reads the freed block and fires the new timers at once. */
    struct spawn sp = {0};

    l = new_loop();
    after(l, 0, spawn_many, &sp);
    fault_realloc_moves(1);
    int rc = loop_run(l);
    fault_disarm_all();
    CHECK_IMPL(rc, "loop_run()", "loop.c");
    cr_assert_eq(rc, 0, "loop_run() with a timer that schedules 48 more returned %d", rc);
    cr_assert_eq(sp.rc, 0, "loop_after() from inside a timer callback returned %d", sp.rc);
    cr_assert_eq(sp.fired, SPAWN_N,
                 "a 0 s timer's callback scheduled 48 timers of 20 to 44 ms: %d fired, expected "
                 "48" CHECK_NOT_TIMING,
                 sp.fired);
    cr_assert_eq(sp.early, 0,
                 "a 0 s timer's callback scheduled 48 timers of 20 to 44 ms, and the heap of "
                 "timers grew (realloc() moved it): %d of them fired early (the worst %.1f ms "
                 "early). A callback may grow the heap: after each callback read the next timer "
                 "from the loop's heap afresh (l->heap), never through a pointer taken before "
                 "the callback" CHECK_NOT_TIMING,
                 sp.early, 1000 * sp.worst);
    loop_free(l);
    after_fails_keeps_timers();

    /* 70,000 timers pending at once (past 2^16): the heap grows as long as memory lasts; a
     * heap of a fixed size refuses the timers past it (-ENOMEM with memory to spare). Each is
     * due 1 us before the one scheduled before it (70 ms of waiting in all): a heap takes
     * them in O(log n), and so does an array sorted latest first (each goes at its end),
     * which the handout allows; due in the order scheduled, every insert would move the
     * whole array and 70,000 of them would take seconds. */
    enum { MANY = 70000 };
    int fired = 0, refused = 0, first_rc = 0;

    l = new_loop();
    for (int i = 0; i < MANY; i++) {
        int r = loop_after(l, (MANY - i) * 1e-6, count_timer, &fired);

        if (r != 0 && !refused++)
            first_rc = r;
    }
    rc = loop_run(l);
    loop_free(l);
    cr_assert(refused == 0 && rc == 0 && fired == MANY,
              "%d timers of 0 to 70 ms pending at once: loop_after() refused %d of them (the first "
              "with %d), loop_run() returned %d, %d fired, expected none refused and all "
              "fired: the heap of timers has no fixed size, it grows (realloc()) while memory "
              "lasts",
              MANY, refused, first_rc, rc, fired);
}

/* A chain of short timers, each recording how late it fired. */
struct late {
    int left, rc, n;
    double due, lateness[32], delay[32];
};

/* The delays of the chain: none a whole number of milliseconds (poll() counts in ms, a due
 * time kept in whole ms fires up to 1 ms early), one under a millisecond. */
static double late_delay(int n)
{
    static const double base[4] = {0.0009, 0.0024, 0.0016, 0.0033};

    return base[n % 4] + (check_rand() % 8) / 100000.0;
}

/* Burn `s` seconds of wall time in a callback (work the round does before it schedules). */
static void busy_for(double s)
{
    double until = check_now() + s;

    while (check_now() < until)
        ;
}

static void late_step(struct loop *l, void *arg)
{
    struct late *c = arg;
    double now = check_now();

    c->lateness[c->n++] = now - c->due;
    if (--c->left > 0) {
        /* the callback works a while before it schedules the next timer: the next one's
         * delay counts from loop_after(), not from the round's start */
        busy_for(0.0015);
        c->delay[c->n] = late_delay(c->n);
        c->due = check_now() + c->delay[c->n];
        c->rc = loop_after(l, c->delay[c->n], late_step, c);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The waiter sleeps in poll() exactly until the first timer is due: a fixed poll timeout
 * (10 ms "to be safe") makes every timer late by up to that much. The median of 20 is
 * robust to a busy machine's odd late wakeup. Early is judged timer by timer: the test reads
 * the clock before loop_after() and the callback after the loop fired it, so a loop that
 * counts from the call, to the microsecond, is never early here, however busy the machine.
 * The delays are not whole milliseconds (0.9 to 3.4 ms), and each callback works 1.5 ms
 * before it schedules the next: a due time floored to whole ms, or counted from a clock read
 * once per round, fires early. */
/* A timer falls due while a watched descriptor stays ready (its callback reads nothing):
 * every round has an event, and the timer still fires, while the descriptor is watched. The
 * callback gives up after 100,000 rounds (far more than 10 ms of them on any machine: each
 * is a system call); a loop that runs timers only when poll() timed out runs the timer only
 * then, once the descriptor is no longer watched. An order of events, not a timing. */
struct busy_fd {
    int calls, timer_seen;
    double fired;
};

static void busy_fd_ready(struct loop *l, int fd, int events, void *arg)
{
    struct busy_fd *b = arg;

    (void)events;
    b->calls++;
    b->timer_seen = b->fired > 0;
    if (b->timer_seen || b->calls >= 100000)
        loop_unwatch(l, fd);
}

static void busy_fd_timer(struct loop *l, void *arg)
{
    (void)l;
    ((struct busy_fd *)arg)->fired = check_now();
}

/* When it fired (check_now()). */
static void note_fired(struct loop *l, void *arg)
{
    (void)l;
    *(double *)arg = check_now();
}

/* A callback that works 100 ms (by the test's clock), then notes it is done. */
static void work_100ms(struct loop *l, void *arg)
{
    double until = check_now() + 0.1;

    (void)l;
    while (check_now() < until)
        ;
    *(double *)arg = check_now();
}

/* "Late only by as much as the callbacks that ran in between took" (lab5.h, loop_after()): a
 * 0 s timer whose callback works 100 ms, beside a timer due 150 ms after it was set. The
 * loop's waits (fault.h: fault_latest_wake(), each counted from the loop thread's last
 * reading of the clock before it) must not sleep past that timer: after the callback, 50 ms
 * are left, not the 150 ms a clock read before it made of them (an examiner's loop, round 58,
 * read the clock once a round: 100 ms late). Counted from the readings, not timed: 5 ms of
 * room for a timeout rounded up to whole milliseconds. */
static void wait_after_slow_callback(void)
{
    struct loop *l = new_loop();
    double worked = 0, fired = 0;

    after(l, 0, work_100ms, &worked);
    after(l, 0.150, note_fired, &fired);
    double due_by = check_now() + 0.150;
    fault_arm(FAULT_POLL, 1, 0, 0); /* counts and notes the waits, fails none */
    run(l, "with a 0 s timer whose callback works 100 ms, and one of 150 ms");
    long long wake = fault_latest_wake();
    fault_disarm_all();
    loop_free(l);
    cr_assert(worked > 0 && fired > 0,
              "a 0 s timer whose callback works 100 ms and one of 150 ms: %s did not "
              "fire" CHECK_NOT_TIMING,
              worked > 0 ? "the 150 ms timer" : "the 0 s timer");
    double over = (double)wake / 1e9 - due_by;
    cr_assert(over < 0.005,
              "a 0 s timer's callback worked 100 ms; a timer of 150 ms was then due 50 ms "
              "later, but the loop's next wait was set to last until %.1f ms past it: its "
              "timeout counted from a clock read before the callback ran. Read the clock again "
              "after the round's callbacks, just before the wait (lab5.h: late only by as much "
              "as the callbacks in between took)" CHECK_NOT_TIMING,
              1000 * over);
}

static void timer_beside_ready_fd(void)
{
    struct loop *l = new_loop();
    struct busy_fd b = {0};
    int sv[2];

    pair(sv);
    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    watch(l, sv[0], LOOP_READ, busy_fd_ready, &b);
    after(l, 0.01, busy_fd_timer, &b);
    run(l, "with a 10 ms timer beside a socket that stays readable");
    loop_free(l);
    close(sv[0]);
    close(sv[1]);
    cr_assert(b.fired > 0 && b.timer_seen,
              "a 10 ms timer beside a watched socket that stays readable (its callback reads "
              "nothing): the timer %s after %d rounds of the socket's callback, which then "
              "stopped watching it: a round with ready descriptors still runs the timers that "
              "are due (compare them with the clock every round, not only when poll() timed "
              "out)" CHECK_NOT_TIMING,
              b.fired > 0 ? "fired only" : "had not fired", b.calls);
}

Test(loop, timers_on_time, .timeout = 3)
{
    struct late c = {.left = 20};
    struct loop *l = new_loop();
    double median, worst = 0;
    int early = -1;

    c.delay[0] = late_delay(0);
    c.due = check_now() + c.delay[0];
    after(l, c.delay[0], late_step, &c);
    run(l, "with a chain of 20 timers of 0.9 to 3.4 ms");
    CHECK_IMPL(c.rc, "loop_after()", "loop.c");
    cr_assert_eq(c.n, 20,
                 "a chain of 20 timers of 0.9 to 3.4 ms: %d fired, expected 20" CHECK_NOT_TIMING,
                 c.n);
    for (int i = 0; i < c.n; i++)
        if (c.lateness[i] < worst) {
            worst = c.lateness[i];
            early = i;
        }
    /* 20 us: room for a loop on another steady clock (CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME) */
    cr_assert(worst > -0.00002,
              "a timer of %.2f ms (link %d of a chain of 20, scheduled by a callback that had "
              "worked 1.5 ms first) fired %.2f ms early: never before it is due. Count the "
              "delay from the moment loop_after() is called (read the clock there, not once a "
              "round), and keep the due time exact, not in whole milliseconds" CHECK_NOT_TIMING,
              1000 * c.delay[early], early, -1000 * worst);
    qsort(c.lateness, c.n, sizeof(c.lateness[0]), cmp_double);
    median = (c.lateness[9] + c.lateness[10]) / 2;
    cr_assert(median < 0.003,
              "timers of 0.9 to 3.4 ms fired %.2f ms late (median of 20; worst %.2f ms): poll() "
              "must sleep until the first timer is due, not a fixed time",
              1000 * median, 1000 * c.lateness[19]);
    loop_free(l);
    timer_beside_ready_fd();
    wait_after_slow_callback();
}

/* ---- loop: descriptors -------------------------------------------------------------------- */

struct seen {
    int calls, fd, events, rc;
    void *arg;
    double at;
    char byte;
};

static void read_once(struct loop *l, int fd, int events, void *arg)
{
    struct seen *s = arg;

    s->calls++;
    s->fd = fd;
    s->events = events;
    s->arg = arg;
    s->at = check_now();
    if (recv(fd, &s->byte, 1, MSG_DONTWAIT) != 1) /* the test's own read must not block */
        s->byte = 0;
    s->rc = loop_unwatch(l, fd);
}

static int writer_fd;
static double wrote_at;

static void write_byte(struct loop *l, void *arg)
{
    (void)l;
    wrote_at = check_now();
    if (write(writer_fd, arg, 1) != 1)
        wrote_at = -1;
}

Test(loop, readable, .timeout = 3)
{
    struct seen s = {0};
    struct loop *l = new_loop();
    char byte = (char)('a' + check_rand() % 26);
    int sv[2];

    pair(sv);
    writer_fd = sv[1];
    watch(l, sv[0], LOOP_READ, read_once, &s);
    after(l, 0.03, write_byte, &byte);
    run(l, "with a socket that turns readable after 30 ms");
    cr_assert_eq(s.calls, 1,
                 "a socket watched for LOOP_READ, written to once after 30 ms, its callback "
                 "reading it and unwatching it: the callback ran %d times, expected once",
                 s.calls);
    cr_assert(s.at >= wrote_at,
              "the LOOP_READ callback ran %.1f ms before anything was written: call back "
              "only when poll() says the descriptor is ready",
              1000 * (wrote_at - s.at));
    cr_assert(s.fd == sv[0] && s.events == LOOP_READ && s.arg == &s && s.byte == byte,
              "the LOOP_READ callback got fd=%d events=%d arg=%p (read '%c'), expected fd=%d "
              "events=%d (LOOP_READ) arg=%p ('%c')",
              s.fd, s.events, s.arg, s.byte ? s.byte : '?', sv[0], LOOP_READ, (void *)&s, byte);
    cr_assert_eq(s.rc, 0, "loop_unwatch(fd=%d) inside its own callback returned %d", sv[0], s.rc);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);

    /* fd 0 is a descriptor like any other (lab5.h refuses fd < 0 only): a caller that closed
     * stdin gets 0 from its next socket(). A socket of a pair on 0 meanwhile, stdin put back
     * before any check. */
    struct seen z = {0};
    int p[2], saved_in = dup(0), rc;

    cr_assert(saved_in >= 0, "dup() failed in the test: %s", strerror(errno));
    pair(p);
    cr_assert(dup2(p[0], 0) == 0, "dup2() failed in the test: %s", strerror(errno));
    close(p[0]);
    l = new_loop();
    rc = loop_watch(l, 0, LOOP_READ, read_once, &z);
    if (rc == 0 && write(p[1], &byte, 1) == 1)
        rc = loop_run(l);
    loop_free(l);
    dup2(saved_in, 0);
    close(saved_in);
    close(p[1]);
    cr_assert_eq(rc, 0,
                 "loop_watch(fd=0, LOOP_READ) on a socket (then loop_run()) returned %d, expected "
                 "0: fd 0 is a descriptor like any other, lab5.h refuses only fd < 0 (a caller "
                 "that closed stdin gets 0 from its next socket())",
                 rc);
    cr_assert(z.calls == 1 && z.fd == 0 && z.events == LOOP_READ && z.byte == byte,
              "fd 0 (a socket) watched for LOOP_READ and written to: the callback ran %d times "
              "with fd=%d events=%d (read '%c'), expected once with fd=0 events=%d ('%c')",
              z.calls, z.fd, z.events, z.byte ? z.byte : '?', LOOP_READ, byte);
}

static void wrong_cb(struct loop *l, int fd, int events, void *arg)
{
    struct seen *s = arg;

    (void)events;
    s->calls++;
    loop_unwatch(l, fd);
}

/* A watch is called back every round its fd is ready (level-triggered, as poll() reports):
 * a socket with room to write, watched for LOOP_WRITE alone, by a callback that writes
 * nothing, five rounds running; a 300 ms timer ends a watch that is not called again. An
 * examiner's epoll loop made write-only watches edge-triggered (EPOLLET): one call, then none
 * (round 68), a lost wake-up for a callback that writes less than it could. */
struct again {
    int fd, calls;
};

static void again_cb(struct loop *l, int fd, int events, void *arg)
{
    (void)events;
    if (++((struct again *)arg)->calls == 5)
        loop_unwatch(l, fd);
}

static void again_stop(struct loop *l, void *arg)
{
    struct again *a = arg;

    if (a->calls < 5)
        loop_unwatch(l, a->fd);
}

static void write_watch_level(void)
{
    struct again a = {0};
    struct loop *l = new_loop();
    int sv[2];

    pair(sv);
    a.fd = sv[0];
    watch(l, sv[0], LOOP_WRITE, again_cb, &a);
    after(l, 0.3, again_stop, &a);
    run(l, "with a writable socket watched for LOOP_WRITE and a 300 ms timer");
    loop_free(l);
    close(sv[0]);
    close(sv[1]);
    cr_assert_eq(a.calls, 5,
                 "a socket with room to write, watched for LOOP_WRITE by a callback that writes "
                 "nothing (and unwatches on its 5th call): called %d times in 300 ms, expected 5, "
                 "one a round: a watch is called back every round its fd is ready, not only when "
                 "it becomes ready (no EPOLLET)" CHECK_NOT_TIMING,
                 a.calls);
}

Test(loop, writable, .timeout = 3)
{
    struct seen s = {0}, old = {0};
    struct loop *l = new_loop();
    int sv[2];

    pair(sv);
    watch(l, sv[0], LOOP_WRITE, wrong_cb, &old);
    /* watching again replaces the events, the callback and its argument */
    watch(l, sv[0], LOOP_READ | LOOP_WRITE, read_once, &s);
    run(l, "with a writable socket");
    cr_assert_eq(old.calls, 0,
                 "loop_watch(fd) twice: the first callback still ran (%d times); watching a "
                 "watched fd again replaces its callback",
                 old.calls);
    cr_assert(s.calls == 1 && s.events == LOOP_WRITE && s.fd == sv[0],
              "an empty socket watched for LOOP_READ | LOOP_WRITE: the callback ran %d times "
              "with events=%d, expected once with events=%d (LOOP_WRITE only: nothing to read)",
              s.calls, s.events, LOOP_WRITE);
    /* and the same events and callback with another arg: the arg is replaced all the same */
    struct seen first = {0}, second = {0};

    watch(l, sv[0], LOOP_WRITE, read_once, &first);
    watch(l, sv[0], LOOP_WRITE, read_once, &second);
    run(l, "with a writable socket watched twice, the same events and callback");
    cr_assert(first.calls == 0 && second.calls == 1,
              "loop_watch(fd, LOOP_WRITE, cb, a) then loop_watch(fd, LOOP_WRITE, cb, b), the "
              "same events and callback: the callback ran %d times with a and %d with b, "
              "expected 0 and once: watching again replaces the arg too, even when nothing else "
              "changes",
              first.calls, second.calls);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);

    /* readable and writable at once, watched for both: both bits, in one call (poll()
     * reports POLLIN | POLLOUT together; each maps to its bit, neither hides the other) */
    struct seen both = {0};

    l = new_loop();
    pair(sv);
    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    watch(l, sv[0], LOOP_READ | LOOP_WRITE, read_once, &both);
    run(l, "with a socket readable and writable");
    cr_assert(both.calls == 1 && both.events == (LOOP_READ | LOOP_WRITE),
              "a socket with a byte to read and room to write, watched for LOOP_READ | "
              "LOOP_WRITE: the callback ran %d times with events=%d, expected once with "
              "events=%d (both ready, both watched: both bits)",
              both.calls, both.events, LOOP_READ | LOOP_WRITE);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
    write_watch_level();
}

/* Two sockets readable (and writable) in one round, both watched for LOOP_READ; the first
 * callback watches the other for LOOP_WRITE instead. What the other gets is masked with
 * what it watches when it is called back, not with what it watched when poll() returned:
 * nothing this round (it was only reported readable), LOOP_WRITE the next. */
struct rewatch {
    int fd[2];
    int watched[2]; /* what each watches now */
    int calls, rc;
    int bad_fd, bad_events, bad_watched;
};

static void rewatch_cb(struct loop *l, int fd, int events, void *arg)
{
    struct rewatch *r = arg;
    int me = fd == r->fd[1];

    if ((!events || (events & ~r->watched[me])) && r->bad_fd < 0) { /* never 0 either */
        r->bad_fd = fd;
        r->bad_events = events;
        r->bad_watched = r->watched[me];
    }
    if (r->calls++ == 0) {
        r->rc = loop_watch(l, r->fd[!me], LOOP_WRITE, rewatch_cb, r);
        r->watched[!me] = LOOP_WRITE;
        return;
    }
    loop_unwatch(l, fd);
}

/* Two socket pairs a and b, a byte waiting on each read end (fds[0] = a[0], fds[1] =
 * b[0]), both watched for LOOP_READ with cb(arg): two fds readable in one round. */
static void two_readable(struct loop *l, int a[2], int b[2], int fds[2], loop_fd_cb cb, void *arg)
{
    pair(a);
    pair(b);
    fds[0] = a[0];
    fds[1] = b[0];
    cr_assert(write(a[1], "x", 1) == 1 && write(b[1], "y", 1) == 1, "write failed in the test");
    watch(l, a[0], LOOP_READ, cb, arg);
    watch(l, b[0], LOOP_READ, cb, arg);
}

/* Two readable sockets, never read: each callback watches the other again for LOOP_READ
 * (the same callback and arg: nothing changes but the call), and after 4 calls unwatches
 * its own. The watch is the same watch: the other's event of the round still comes. */
struct starve {
    int fd[2];
    int calls[2];
    int stopped[2];
    int most_alone; /* the most calls one had while the other had none */
    int rc;
};

static void starve_cb(struct loop *l, int fd, int events, void *arg)
{
    struct starve *s = arg;
    int me = fd == s->fd[1];

    (void)events;
    s->calls[me]++;
    if (!s->calls[!me] && s->calls[me] > s->most_alone)
        s->most_alone = s->calls[me];
    if (s->calls[me] >= 4) {
        loop_unwatch(l, fd);
        s->stopped[me] = 1;
        return;
    }
    if (!s->stopped[!me] && !s->rc)
        s->rc = loop_watch(l, s->fd[!me], LOOP_READ, starve_cb, s);
}

/* Two readable sockets watched with old_cb and one arg: whichever is called first
 * unwatches itself and watches the other again with new_cb and another arg. The other's
 * event of the round goes to what it watches when it is called back: new_cb, new arg. */
struct recb {
    int fd[2];
    int old_calls, new_calls, rc;
};

static void recb_new(struct loop *l, int fd, int events, void *arg)
{
    struct recb *r = (struct recb *)((char *)arg - 1); /* the new arg: one byte in */

    (void)events;
    r->new_calls++;
    loop_unwatch(l, fd);
}

static void recb_old(struct loop *l, int fd, int events, void *arg)
{
    struct recb *r = arg;

    (void)events;
    if (r->old_calls++)
        return (void)loop_unwatch(l, fd); /* the other, called back with the old watch */
    loop_unwatch(l, fd);
    r->rc = loop_watch(l, r->fd[fd == r->fd[0]], LOOP_READ, recb_new, (char *)r + 1);
}

/* A callback that changes the watches every round (an idle socket unwatched and watched
 * again: a connection closed, another opened) does not end the round for the fds ready after
 * it: two sockets stay readable, the first one's callback does that 20 rounds, the second's
 * must run in every one of them, from the first (rounds counted as the loop's waits,
 * FAULT_POLL). A dispatch that gives up the rest of the round's ready events whenever a
 * callback changed a watch ("they come again next round") starves the second for as long as
 * the first keeps at it (an examiner's, round 70). */
struct churn {
    int idle, a_calls, b_calls, b_first;
};

static void churn_idle(struct loop *l, int fd, int events, void *arg)
{
    (void)l, (void)fd, (void)events, (void)arg;
}

static void churn_a(struct loop *l, int fd, int events, void *arg)
{
    struct churn *c = arg;

    (void)events;
    loop_unwatch(l, c->idle);
    if (++c->a_calls == 20) {
        loop_unwatch(l, fd);
        return;
    }
    loop_watch(l, c->idle, LOOP_READ, churn_idle, NULL);
}

static void churn_b(struct loop *l, int fd, int events, void *arg)
{
    struct churn *c = arg;

    (void)events;
    if (c->b_first < 0)
        c->b_first = (int)fault_calls(FAULT_POLL);
    if (++c->b_calls == 20)
        loop_unwatch(l, fd);
}

static void churn_does_not_end_round(void)
{
    struct churn c = {.b_first = -1};
    struct loop *l = new_loop();
    int a[2], b[2], i[2];

    pair(a);
    pair(b);
    pair(i);
    c.idle = i[0];
    cr_assert(write(a[1], "x", 1) == 1 && write(b[1], "x", 1) == 1, "write failed in the test");
    watch(l, a[0], LOOP_READ, churn_a, &c);
    watch(l, b[0], LOOP_READ, churn_b, &c);
    watch(l, i[0], LOOP_READ, churn_idle, NULL);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count the waits: one a round */
    run(l, "with two readable sockets, the first one's callback unwatching and watching an "
           "idle one every round");
    unsigned waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    loop_free(l);
    for (int k = 0; k < 2; k++) {
        close(a[k]);
        close(b[k]);
        close(i[k]);
    }
    cr_assert(c.b_first == 1 && c.b_calls == 20 && waits <= 21,
              "two sockets readable, the first one's callback unwatching and watching an idle "
              "socket in each of 20 rounds: the second's callback first ran after %d waits "
              "(expected 1: the first round) and %d times in %u waits (expected 20 in 20): a "
              "callback that changes the watches does not end the round, the fds ready after "
              "it are called back in it too" CHECK_NOT_TIMING,
              c.b_first, c.b_calls, waits);
}

/* A callback may run another loop to completion (an async_gather() inside a callback: lab5.h
 * forbids only running or freeing its own loop): the outer round goes on with its own ready
 * events. Three sockets readable in one round of the outer loop; the first called back runs
 * an inner loop with three readable sockets of its own to its end and frees it; the other two are
 * called back in that same round: before the outer loop waits again (the waits counted,
 * FAULT_POLL: they see the count the inner run left). Ready events kept in one array per
 * thread, not per loop, are overwritten by the inner run (an examiner's, round 70). */
struct nested {
    int calls, after_inner, seen[3];
    int inner_fd[3], inner_calls;
};

static void nested_inner(struct loop *l, int fd, int events, void *arg)
{
    (void)events;
    ((struct nested *)arg)->inner_calls++;
    loop_unwatch(l, fd);
}

static void nested_outer(struct loop *l, int fd, int events, void *arg)
{
    struct nested *n = arg;

    (void)events;
    loop_unwatch(l, fd);
    if (n->calls == 0) {
        struct loop *in = new_loop();

        for (int k = 0; k < 3; k++)
            watch(in, n->inner_fd[k], LOOP_READ, nested_inner, n);
        run(in, "inside a callback of another loop");
        loop_free(in);
        n->after_inner = (int)fault_calls(FAULT_POLL);
    }
    if (n->calls < 3)
        n->seen[n->calls] = (int)fault_calls(FAULT_POLL);
    n->calls++;
}

static void loop_inside_callback(void)
{
    struct nested n = {0};
    struct loop *l = new_loop();
    int s[3][2], in[3][2];

    for (int k = 0; k < 3; k++) {
        pair(s[k]);
        cr_assert(write(s[k][1], "x", 1) == 1, "write failed in the test");
        watch(l, s[k][0], LOOP_READ, nested_outer, &n);
    }
    for (int k = 0; k < 3; k++) {
        pair(in[k]);
        cr_assert(write(in[k][1], "y", 1) == 1, "write failed in the test");
        n.inner_fd[k] = in[k][0];
    }
    fault_arm(FAULT_POLL, 0, 0, 0); /* count the waits */
    run(l, "with three readable sockets, the first called back running another loop");
    fault_disarm_all();
    loop_free(l);
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 3; j++) {
            close(in[j][k]);
            close(s[j][k]);
        }
    cr_assert(n.calls == 3 && n.inner_calls == 3 && n.seen[1] == n.after_inner &&
                  n.seen[2] == n.after_inner,
              "three sockets readable in one round, the first called back running another loop "
              "(three readable sockets) to its end: %d outer and %d inner callbacks ran (expected "
              "3 and 3), the other two outer ones after %d and %d waits, the inner run ending "
              "after %d: expected them in the same round, before the outer loop waits again: a "
              "round's ready events belong to its loop, not to the thread (no static or "
              "_Thread_local array a loop run inside a callback overwrites)" CHECK_NOT_TIMING,
              n.calls, n.inner_calls, n.seen[1], n.seen[2], n.after_inner);
}

Test(loop, rewatched_in_round, .timeout = 3)
{
    struct loop *l = new_loop();
    struct rewatch r = {.watched = {LOOP_READ, LOOP_READ}, .bad_fd = -1};
    int a[2], b[2];

    two_readable(l, a, b, r.fd, rewatch_cb, &r);
    run(l, "with two readable sockets, the first callback re-watching the other for LOOP_WRITE");
    cr_assert_eq(r.rc, 0, "loop_watch() of a watched fd inside a callback returned %d", r.rc);
    cr_assert(r.bad_fd < 0,
              "two sockets readable in one round, both watched for LOOP_READ; the first "
              "callback watched the other for LOOP_WRITE instead: fd %d was then called back "
              "with events=%d while it watched %d: mask the events with what the fd watches "
              "when you call it back, not with what it watched when poll() returned, and call "
              "nothing when that leaves none (events is never 0)",
              r.bad_fd, r.bad_events, r.bad_watched);
    cr_assert(r.calls == 3,
              "two sockets readable in one round, the first callback re-watching the other for "
              "LOOP_WRITE: %d callbacks ran, expected 3 (the first; then, next round, the "
              "first again (still readable) and the other (writable))",
              r.calls);
    for (int i = 0; i < 2; i++)
        close(a[i]), close(b[i]);
    loop_free(l);

    /* watching a watched fd again keeps its watch: an event of the round still reaches it */
    struct starve s = {.rc = 0};

    l = new_loop();
    two_readable(l, a, b, s.fd, starve_cb, &s);
    run(l, "with two readable sockets, each callback watching the other again");
    cr_assert_eq(s.rc, 0, "loop_watch() of a watched fd inside a callback returned %d", s.rc);
    cr_assert(s.most_alone <= 1 && s.calls[0] == 4 && s.calls[1] == 4,
              "two sockets readable in every round, both watched for LOOP_READ, each callback "
              "watching the other again for LOOP_READ: one was called %d times while the other "
              "(ready all along) was not called once; calls %d and %d, expected 4 each, both in "
              "every round: watching a watched fd again replaces its events, callback and arg, "
              "not the watch (keep its serial): its event of the round still comes",
              s.most_alone, s.calls[0], s.calls[1]);
    for (int i = 0; i < 2; i++)
        close(a[i]), close(b[i]);
    loop_free(l);

    /* watching it again with another callback and arg: the event of the round goes to them */
    struct recb c = {.rc = 0};

    l = new_loop();
    two_readable(l, a, b, c.fd, recb_old, &c);
    run(l, "with two readable sockets, the first callback watching the other with a new cb");
    cr_assert_eq(c.rc, 0, "loop_watch() of a watched fd inside a callback returned %d", c.rc);
    cr_assert(c.old_calls == 1 && c.new_calls == 1,
              "two sockets readable in one round; the first callback watched the other again "
              "with another callback and arg: the old callback ran %d times, the new one %d, "
              "expected 1 and 1: watching a watched fd again replaces its callback and arg at "
              "once, so its event of the round goes to the new ones (read cb and arg from the "
              "watch when you call it back, not when poll() returned)",
              c.old_calls, c.new_calls);
    for (int i = 0; i < 2; i++)
        close(a[i]), close(b[i]);
    loop_free(l);
    churn_does_not_end_round();
    loop_inside_callback();
}

struct two {
    int fd[2];
    int calls[2];
    int rc_other;
};

static void unwatch_both(struct loop *l, int fd, int events, void *arg)
{
    struct two *t = arg;
    int me = fd == t->fd[1];

    (void)events;
    t->calls[me]++;
    loop_unwatch(l, fd);
    t->rc_other = loop_unwatch(l, t->fd[!me]);
}

/* Two readable sockets; the first callback reads its byte, unwatches the other one and
 * watches a third socket with nothing to read (and stops the loop from a 0 s timer): the
 * third was not ready in that round, so it is never called back. */
struct swap {
    int fd[2];
    int idle;
    int calls;
    int idle_calls, idle_events;
};

static void swap_idle(struct loop *l, int fd, int events, void *arg)
{
    struct swap *s = arg;

    (void)l, (void)fd;
    s->idle_calls++;
    s->idle_events = events;
}

static void swap_stop(struct loop *l, void *arg)
{
    struct swap *s = arg;

    loop_unwatch(l, s->idle);
    loop_unwatch(l, s->fd[0]);
    loop_unwatch(l, s->fd[1]);
}

static void swap_first(struct loop *l, int fd, int events, void *arg)
{
    struct swap *s = arg;
    int me = fd == s->fd[1];
    char c;

    (void)events;
    if (s->calls++)
        return;
    if (read(fd, &c, 1) != 1)
        s->idle_events = -1;
    loop_unwatch(l, s->fd[!me]);
    loop_watch(l, s->idle, LOOP_READ, swap_idle, s);
    loop_after(l, 0, swap_stop, s);
}

Test(loop, unwatch_in_callback, .timeout = 3)
{
    struct loop *l = new_loop();
    struct two t = {0};
    int a[2], b[2], rc;

    two_readable(l, a, b, t.fd, unwatch_both, &t);
    run(l, "with two readable sockets");
    cr_assert_eq(t.calls[0] + t.calls[1], 1,
                 "two sockets readable at once; the first callback unwatches both: %d "
                 "callbacks ran, expected 1 (after loop_unwatch() returns, no more callbacks, "
                 "even for events already reported this round)",
                 t.calls[0] + t.calls[1]);
    cr_assert_eq(t.rc_other, 0, "loop_unwatch() of the other watched socket returned %d",
                 t.rc_other);
    rc = loop_unwatch(l, a[0]);
    CHECK_IMPL(rc, "loop_unwatch()", "loop.c");
    cr_assert_eq(rc, -ENOENT,
                 "loop_unwatch(fd=%d) of a fd no longer watched returned %d, "
                 "expected -ENOENT (%d)",
                 a[0], rc, -ENOENT);
    for (int i = 0; i < 2; i++)
        close(a[i]), close(b[i]);
    loop_free(l);

    /* the first callback unwatches the other ready socket and watches an idle one */
    struct swap s = {0};
    int c[2];

    l = new_loop();
    pair(c);
    s.idle = c[0];
    two_readable(l, a, b, s.fd, swap_first, &s);
    run(l, "with two readable sockets, the first callback watching a third, idle one");
    cr_assert(s.idle_calls == 0,
              "two sockets readable at once; the first callback unwatched the other and "
              "watched a third socket with nothing to read: that one was called back %d "
              "time(s) (events %d), expected never: call back only the events the round's wait "
              "reported for each fd still watched, never what a slot of pfd[] reused by a new "
              "watch still holds",
              s.idle_calls, s.idle_events);
    for (int i = 0; i < 2; i++)
        close(a[i]), close(b[i]), close(c[i]);
    loop_free(l);
}

/* A callback closes another ready socket and a new socket takes its number. */
struct reuse {
    int victim, victim_peer, fresh, fresh_peer;
    int calls_fresh;
    int err;
    int extra; /* watches of the new socket made and undone before its real one */
    int other; /* >= 0: an idle socket watched after both are gone, before the new one */
};

static void fresh_cb(struct loop *l, int fd, int events, void *arg)
{
    struct reuse *r = arg;

    (void)l;
    (void)fd;
    (void)events;
    r->calls_fresh++;
}

static void closer_cb(struct loop *l, int fd, int events, void *arg)
{
    struct reuse *r = arg;
    int sv[2];

    (void)events;
    loop_unwatch(l, fd);
    if (r->fresh >= 0)
        return;
    if (loop_unwatch(l, r->victim) == 0) { /* we came first: replace the other one */
        close(r->victim);
        close(r->victim_peer);
        if (r->other >= 0 && (r->err = loop_watch(l, r->other, LOOP_READ, fresh_cb, r)) != 0)
            return;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            r->err = errno;
            return;
        }
        if (sv[1] == r->victim) { /* the two ends are alike: take the one on that number */
            sv[1] = sv[0];
            sv[0] = r->victim;
        }
        if (sv[0] != r->victim) { /* the new socket on the old one's number */
            if (dup2(sv[0], r->victim) < 0) {
                r->err = errno;
                return;
            }
            close(sv[0]);
            sv[0] = r->victim;
        }
        r->fresh = sv[0];
        r->fresh_peer = sv[1];
        /* a long-lived loop: many watches of the number come and go before this one */
        for (int i = 0; i < r->extra && r->err == 0; i++) {
            r->err = loop_watch(l, sv[0], LOOP_READ, fresh_cb, r);
            if (r->err == 0)
                r->err = loop_unwatch(l, sv[0]);
        }
        if (r->err == 0)
            r->err = loop_watch(l, sv[0], LOOP_READ, fresh_cb, r);
    }
}

static void stop_fresh(struct loop *l, void *arg)
{
    struct reuse *r = arg;

    if (r->fresh >= 0)
        loop_unwatch(l, r->fresh);
    if (r->other >= 0)
        loop_unwatch(l, r->other);
}

/* Two readable sockets; whichever callback runs first unwatches and closes the other, puts
 * a new, empty socket on its number, and watches it: the old socket's event of the round
 * must not reach the new watch. With extra, the new socket is first watched and unwatched
 * that many times (as on a loop that has served 65,535 connections): 65,534 and 65,535 bring
 * a serial of 16 (or 8) bits round to the old watch's, with or without 0 skipped. */
static void reuse_once(int extra, bool other)
{
    struct loop *l = new_loop();
    struct reuse r = {.fresh = -1, .extra = extra, .other = -1};
    int a[2], b[2], o[2] = {-1, -1};

    pair(a);
    pair(b);
    if (other) {
        pair(o);
        r.other = o[0];
    }
    cr_assert(write(a[1], "x", 1) == 1 && write(b[1], "y", 1) == 1, "write failed in the test");
    /* whichever callback runs first closes the other socket and opens a new one */
    r.victim = b[0];
    r.victim_peer = b[1];
    watch(l, a[0], LOOP_READ, closer_cb, &r);
    watch(l, b[0], LOOP_READ, closer_cb, &r);
    after(l, 0.03, stop_fresh, &r);
    run(l, "with a socket closed and its number reused inside a callback");
    cr_assert_eq(r.err, 0,
                 "loop_watch() or loop_unwatch() of a new socket inside a callback failed: %d",
                 r.err);
    cr_assert_eq(r.calls_fresh, 0,
                 "a callback unwatched and closed fd %d, and a new empty socket got number %d "
                 "and was watched (after %d watches of it made and undone%s): its callback ran "
                 "%d times although nothing was ever written to it (an event of the old fd "
                 "went to the new watch: tell watches apart by more than their fd number, by a "
                 "serial that never comes round again: an unsigned int, not 16 bits, never set "
                 "back when nothing is watched)",
                 b[0], r.fresh, extra,
                 other ? "; nothing watched for a moment, then an idle socket watched first" : "",
                 r.calls_fresh);
    close(a[0]);
    close(a[1]);
    if (other)
        close(o[0]), close(o[1]);
    if (r.fresh >= 0)
        close(r.fresh), close(r.fresh_peer);
    loop_free(l);
}

Test(loop, reused_fd, .timeout = 3)
{
    reuse_once(0, false);
    reuse_once(65534, false);
    reuse_once(65535, false);
    /* nothing watched for a moment (both old sockets unwatched), then an idle socket and the
     * new one watched: serials that start again when nothing is watched give the new watch
     * the old one's (an examiner's, round 72) */
    reuse_once(0, true);
}

static void bad_cb(struct loop *l, int fd, int events, void *arg)
{
    (void)l, (void)fd, (void)events, (void)arg;
}

/* Delays lab5.h refuses (seconds < 0 or NaN), for loop_after() and async_sleep(): every
 * negative, not only those of a millisecond or more. Below one microsecond too (-1e-9, -5e-7,
 * -9.99e-7, -DBL_TRUE_MIN, -DBL_MIN): a check made after rounding or truncating to whole
 * microseconds or milliseconds (trunc(seconds * 1e6) < 0) takes them for 0 s. Then -DBL_MAX,
 * -inf, NaN, and two drawn for this run: one in (-1 us, 0), one of any size (a random
 * exponent, subnormals to -DBL_MAX). */
#define BAD_DELAYS 14
static void bad_delays(double d[BAD_DELAYS])
{
    const double fixed[BAD_DELAYS - 2] = {
        -0.001,        -5,       -1,    -1e-9,    -5e-7,     -9.99e-7,
        -DBL_TRUE_MIN, -DBL_MIN, -4e-4, -DBL_MAX, -INFINITY, NAN};
    uint64_t bits = check_rand();

    memcpy(d, fixed, sizeof(fixed));
    /* (0, 1) times 1 us, never 0 */
    d[BAD_DELAYS - 2] = -1e-6 * (double)((check_rand() >> 11) + 1) / 9007199254740993.0;
    /* the sign bit, an exponent of 0 to 0x7fe, a mantissa not 0: a finite negative */
    bits = (bits & ~(UINT64_C(0xfff) << 52)) | UINT64_C(1) << 63 |
           (uint64_t)(check_rand() % 0x7ff) << 52 | 1;
    memcpy(&d[BAD_DELAYS - 1], &bits, sizeof(bits));
}

static void bad_timer(struct loop *l, void *arg)
{
    (void)l, (void)arg;
}

/* Counts its calls in *(int *)arg and stops watching. */
static void kept_cb(struct loop *l, int fd, int events, void *arg)
{
    (void)events;
    (*(int *)arg)++;
    loop_unwatch(l, fd);
}

/* Timers that never come beside one of 20 ms, and a watchdog (a timerfd of 1.5 s) in case
 * the 20 ms one never fires either. Whichever fires first makes every wait fail from then
 * on (FAULT_POLL), the only way out of a loop that holds a timer that never comes. */
struct never {
    int never_fired, short_fired, watchdog, longest_wait;
};

static void never_fires(struct loop *l, void *arg)
{
    (void)l;
    ((struct never *)arg)->never_fired++;
}

static void short_fires(struct loop *l, void *arg)
{
    struct never *n = arg;

    (void)l;
    if (n->short_fired++ == 0 && !n->watchdog) {
        n->longest_wait = fault_longest_wait();
        fault_arm(FAULT_POLL, 1, 0, EIO);
    }
}

static void watchdog_fires(struct loop *l, int fd, int events, void *arg)
{
    struct never *n = arg;

    (void)events;
    n->watchdog = 1;
    loop_unwatch(l, fd);
    fault_arm(FAULT_POLL, 1, 0, EIO);
}

static void never_beside_short(void)
{
    struct itimerspec its = {.it_value = {.tv_sec = 1, .tv_nsec = 500000000}};
    struct never n = {0};
    struct loop *l = new_loop();
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), rc;

    cr_assert(tfd >= 0 && timerfd_settime(tfd, 0, &its, NULL) == 0,
              "timerfd failed in the test: %s", strerror(errno));
    watch(l, tfd, LOOP_READ, watchdog_fires, &n);
    after(l, INFINITY, never_fires, &n);
    after(l, 1e13, never_fires, &n);
    after(l, 1e300, never_fires, &n);
    after(l, 0.02, short_fires, &n);
    fault_arm(FAULT_POLL, 1, 0, 0); /* counts only: the longest wait */
    rc = loop_run(l);
    fault_disarm_all();
    CHECK_IMPL(rc, "loop_run()", "loop.c");
    cr_assert_eq(n.never_fired, 0,
                 "timers of inf, 1e13 and 1e300 s beside one of 20 ms: %d of them fired (within "
                 "%s): a timer that never comes never fires. A due time in int64 microseconds "
                 "(or ms) overflows: (int64_t)(1e13 * 1e6) is undefined, INT64_MIN on x86; keep "
                 "it a double, or clamp it" CHECK_NOT_TIMING,
                 n.never_fired, n.watchdog ? "1.5 s" : "20 ms");
    cr_assert(n.short_fired && !n.watchdog,
              "timers of inf, 1e13 and 1e300 s beside one of 20 ms: the 20 ms one had not "
              "fired after 1.5 s: a timer that never comes must not hold up the others. A due "
              "time in int64 microseconds overflows (INT64_MIN: first in the heap, and the "
              "wait until it wraps to for ever); keep it a double, or clamp it");
    cr_assert(n.longest_wait >= 0 && n.longest_wait <= 21,
              "timers of inf, 1e13 and 1e300 s beside one of 20 ms: the loop waited up to %d ms "
              "before the 20 ms one fired: poll()'s timeout is the time to the first timer due, "
              "the 20 ms one",
              n.longest_wait);
    loop_free(l);
    close(tfd);
}

/* A 30-day timer, then the monotonic clock moved on 25 days (fault_clock_uptime, as on a
 * machine up that long): it is not due yet. A timer of 50 ms set then looks whether it
 * fired, and moves the clock on to 31 days: now it is. poll() waits at most INT_MAX ms
 * (24.8 days): a wait that long must be waited again, never taken for the delay. */
struct far {
    int far_fired, early;
};

static void far_fires(struct loop *l, void *arg)
{
    (void)l;
    ((struct far *)arg)->far_fired++;
}

static void far_looks(struct loop *l, void *arg)
{
    struct far *f = arg;

    (void)l;
    f->early = f->far_fired;
    fault_clock_uptime(31 * 86400.0);
}

static void far_never_early(void)
{
    struct far f = {0};
    struct loop *l = new_loop();

    after(l, 30 * 86400.0, far_fires, &f);
    fault_clock_uptime(25 * 86400.0);
    after(l, 0.05, far_looks, &f);
    run(l, "with a 30-day timer, the clock moved on 25 days, then 31");
    fault_disarm_all();
    loop_free(l);
    cr_assert(!f.early && f.far_fired == 1,
              "a timer of 30 days, the monotonic clock then moved on 25 days: it %s, expected "
              "it to fire once, after the clock had moved on to 31 days: never early. A delay "
              "past INT_MAX ms (24.8 days) is waited for in pieces (poll() at most INT_MAX ms, "
              "then look again), not cut to INT_MAX ms",
              f.early       ? "had fired by then"
              : f.far_fired ? "fired more than once"
                            : "never fired");
}

Test(loop, invalid, .timeout = 4)
{
    struct loop *l = new_loop();
    int sv[2], rc;
    /* one bit beyond LOOP_READ | LOOP_WRITE drawn for this run (2 to 30), with READ, WRITE,
     * both or neither: a check of some bits (events & 12) instead of all of them misses it */
    int bit = 2 + (int)(check_rand() % 29), low = (int)(check_rand() % 4);
    char drawn[48];

    snprintf(drawn, sizeof(drawn), "events=1<<%d|%d", bit, low);
    const struct {
        int fd, events;
        loop_fd_cb cb;
        const char *what;
    } bad[] = {
        {-1, LOOP_READ, bad_cb, "fd=-1"},
        {INT_MIN, LOOP_READ, bad_cb, "fd=INT_MIN"},
        {0, 0, bad_cb, "events=0"},
        {0, 4, bad_cb, "events=4"},
        {0, LOOP_READ | 8, bad_cb, "events=LOOP_READ|8"},
        /* every bit past the two counts, not only 4 and 8 */
        {0, 16, bad_cb, "events=16"},
        {0, 1 << 30, bad_cb, "events=1<<30"},
        {0, LOOP_READ | 16, bad_cb, "events=LOOP_READ|16"},
        {0, LOOP_WRITE | 32, bad_cb, "events=LOOP_WRITE|32"},
        {0, 1 << bit | low, bad_cb, drawn},
        /* below 0 too: -1 has every bit set, INT_MIN the sign bit (a test of events > 3 lets
         * them through) */
        {0, -1, bad_cb, "events=-1"},
        {0, INT_MIN | LOOP_READ, bad_cb, "events=INT_MIN|LOOP_READ"},
        {0, LOOP_READ, NULL, "cb=NULL"},
    };
    double secs[BAD_DELAYS];
    const int unwatched[] = {-1, INT_MIN, 1 << 20, INT_MAX};

    bad_delays(secs);
    pair(sv);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = loop_watch(l, bad[i].fd < 0 ? bad[i].fd : sv[0], bad[i].events, bad[i].cb, NULL);
        CHECK_IMPL(rc, "loop_watch()", "loop.c");
        cr_assert_eq(rc, -EINVAL,
                     "loop_watch(%s) returned %d, expected -EINVAL (%d): lab5.h refuses fd < 0 "
                     "and events not a non-empty subset of LOOP_READ | LOOP_WRITE (test "
                     "events & ~(LOOP_READ | LOOP_WRITE), not events > 3: a negative int has "
                     "bits beyond them too)",
                     bad[i].what, rc, -EINVAL);
    }
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
        rc = loop_after(l, secs[i], bad_timer, NULL);
        CHECK_IMPL(rc, "loop_after()", "loop.c");
        cr_assert_eq(rc, -EINVAL,
                     "loop_after(seconds=%.9g) returned %d, expected -EINVAL (%d): lab5.h "
                     "refuses every seconds < 0, below a microsecond too (compare seconds "
                     "itself, !(seconds >= 0), not the delay rounded or truncated to whole "
                     "microseconds)",
                     secs[i], rc, -EINVAL);
    }
    rc = loop_after(l, 0.01, NULL, NULL);
    cr_assert_eq(rc, -EINVAL, "loop_after(cb=NULL) returned %d, expected -EINVAL", rc);
    rc = loop_after(NULL, 0.01, bad_timer, NULL);
    cr_assert_eq(rc, -EINVAL, "loop_after(l=NULL) returned %d, expected -EINVAL", rc);
    rc = loop_watch(NULL, sv[0], LOOP_READ, bad_cb, NULL);
    cr_assert_eq(rc, -EINVAL, "loop_watch(l=NULL) returned %d, expected -EINVAL", rc);
    rc = loop_unwatch(l, sv[0]);
    CHECK_IMPL(rc, "loop_unwatch()", "loop.c");
    cr_assert_eq(rc, -ENOENT,
                 "loop_unwatch(fd=%d) of a fd never watched returned %d, expected "
                 "-ENOENT (%d)",
                 sv[0], rc, -ENOENT);
    /* lab5.h: -ENOENT if it is not watched, whatever the number: a negative fd or one past
     * any table is not watched either (-EINVAL is loop_watch()'s word for fd < 0) */
    for (size_t i = 0; i < sizeof(unwatched) / sizeof(unwatched[0]); i++) {
        rc = loop_unwatch(l, unwatched[i]);
        cr_assert_eq(rc, -ENOENT,
                     "loop_unwatch(fd=%d) returned %d, expected -ENOENT (%d): lab5.h says "
                     "-ENOENT for any fd that is not watched, a negative or huge one too",
                     unwatched[i], rc, -ENOENT);
    }
    /* the same once something is watched (a table of watches exists): an fd past its end is
     * not watched either, and must not be looked up in it */
    watch(l, sv[0], LOOP_READ, bad_cb, NULL);
    for (size_t i = 0; i < sizeof(unwatched) / sizeof(unwatched[0]); i++) {
        rc = loop_unwatch(l, unwatched[i]);
        cr_assert_eq(rc, -ENOENT,
                     "with fd %d watched, loop_unwatch(fd=%d) returned %d, expected -ENOENT "
                     "(%d): lab5.h says -ENOENT for any fd that is not watched; check fd "
                     "against the size of your table before you index it",
                     sv[0], unwatched[i], rc, -ENOENT);
    }
    rc = loop_unwatch(l, sv[0]);
    cr_assert_eq(rc, 0, "loop_unwatch(fd=%d) of a watched fd returned %d, expected 0", sv[0], rc);
    /* the same refusals for an fd already watched: watching it again with no events (or
     * bits beyond LOOP_READ | LOOP_WRITE, or no callback) is -EINVAL and changes nothing:
     * not "stop watching" (that is loop_unwatch()), and its watch still calls back */
    int kept = 0;

    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    watch(l, sv[0], LOOP_READ, kept_cb, &kept);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (bad[i].fd < 0)
            continue;
        rc = loop_watch(l, sv[0], bad[i].events, bad[i].cb, NULL);
        cr_assert_eq(rc, -EINVAL,
                     "loop_watch(%s) of an fd already watched returned %d, expected -EINVAL "
                     "(%d): lab5.h refuses it whether or not the fd is watched (to stop "
                     "watching there is loop_unwatch())",
                     bad[i].what, rc, -EINVAL);
    }
    run(l, "with a readable socket watched, then watched again with refused arguments");
    cr_assert_eq(kept, 1,
                 "a readable socket watched, then loop_watch() of it again refused (events 0, "
                 "4, LOOP_READ|8, 16, 1<<30, LOOP_READ|16, LOOP_WRITE|32, %s, -1, "
                 "INT_MIN|LOOP_READ, cb NULL: -EINVAL): its callback ran %d "
                 "times, expected once: "
                 "a refused call changes nothing, the watch stands",
                 drawn + 7, kept);
    cr_assert_eq(read(sv[0], (char[1]){0}, 1), 1, "read failed in the test");
    /* the largest fd is an fd >= 0 like any other: its watch is made, or refused with a
     * negative errno (no table of INT_MAX + 1 entries fits: allocations refused here), but
     * the call returns. fd + 1 in an int is INT_MIN: a table grown by doubling towards it
     * spins for ever. */
    fault_arm(FAULT_ALLOC, 1, 0, ENOMEM);
    rc = loop_watch(l, INT_MAX, LOOP_READ, bad_cb, NULL);
    fault_disarm_all();
    cr_assert(rc <= 0 && rc > -4096, "loop_watch(fd=INT_MAX) returned %d: 0 or a negative errno",
              rc);
    if (rc == 0)
        loop_unwatch(l, INT_MAX);
    run(l, "after only refused calls (nothing to wait for)");
    close(sv[0]);
    close(sv[1]);
    loop_free(l);

    /* lab5.h refuses seconds < 0 or NaN, nothing else: an infinite delay is a timer that
     * never comes (and a loop holding it never runs out of things to wait for: not run) */
    l = new_loop();
    rc = loop_after(l, INFINITY, bad_timer, NULL);
    cr_assert_eq(rc, 0,
                 "loop_after(seconds=inf) returned %d, expected 0: lab5.h refuses only seconds "
                 "< 0 or NaN (an infinite delay is a timer that never fires)",
                 rc);
    rc = loop_after(l, 1e300, bad_timer, NULL);
    cr_assert_eq(rc, 0, "loop_after(seconds=1e300) returned %d, expected 0", rc);
    loop_free(l); /* pending timers dropped uncalled */
    /* and -0.0 is not below 0: a 0 s timer, as 0.0 is (its sign bit is no test of < 0) */
    int fired = 0;

    l = new_loop();
    rc = loop_after(l, -0.0, count_timer, &fired);
    cr_assert_eq(rc, 0,
                 "loop_after(seconds=-0.0) returned %d, expected 0: -0.0 == 0.0, not below "
                 "0 (compare seconds < 0, never its sign bit)",
                 rc);
    run(l, "with a timer of -0.0 s");
    loop_free(l);
    cr_assert_eq(fired, 1, "a timer of -0.0 s fired %d times, expected once", fired);
    never_beside_short();
    far_never_early();
}

static void unwatch_fd(struct loop *l, void *arg)
{
    loop_unwatch(l, *(int *)arg);
}

/* loop_run() in a thread of its own, for a wait the test ends itself (pthread_cancel: the
 * wait in poll() or epoll_wait() is a cancellation point). rc stays 1 while it runs. */
struct far_wait {
    struct loop *l;
    int rc;
    _Atomic pid_t tid; /* the thread running loop_run() */
    int wait_ms;       /* the timeout it sleeps with (-1: none); -2: not seen asleep */
};

static void *far_run(void *arg)
{
    struct far_wait *f = arg;

    f->tid = (pid_t)syscall(SYS_gettid);
    f->rc = loop_run(f->l);
    return NULL;
}

/* The timeout, in ms (-1: none), of the wait thread `tid` of this process sleeps in
 * (poll(), ppoll(), epoll_wait() or epoll_pwait(), from /proc/self/task/TID/syscall), or -2
 * when it is in none of them (running, or /proc cannot say). */
static int wait_timeout_of(pid_t tid)
{
    long nr;
    unsigned long a[6];

    if (check_thread_syscall((int)tid, &nr, a) < 4)
        return -2;
#ifdef SYS_poll
    if (nr == SYS_poll)
        return (int)a[2];
#endif
#ifdef SYS_epoll_wait
    if (nr == SYS_epoll_wait)
        return (int)a[3];
#endif
    if (nr == SYS_epoll_pwait)
        return (int)a[3];
    if (nr == SYS_ppoll) { /* the timespec lies in this process, the thread asleep on it */
        const struct timespec *t = (const struct timespec *)a[2];

        return !t ? -1 : t->tv_sec >= INT_MAX / 1000 ? INT_MAX : (int)(t->tv_sec * 1000);
    }
    return -2;
}

/* CPU seconds the thread running loop_run() used over `secs` of waiting; -1: it returned. */
static double far_wait_cpu(struct far_wait *f, double secs)
{
    pthread_t t;
    clockid_t clk;
    struct timespec a, b;

    f->rc = 1;
    cr_assert_eq(pthread_create(&t, NULL, far_run, f), 0, "pthread_create failed in the test");
    usleep(100000); /* into its wait; or it returned already: no wait to measure */
    f->wait_ms = -2;
    for (int i = 0; i < 20 && f->rc == 1 && f->wait_ms == -2; i++)
        if ((f->wait_ms = wait_timeout_of(f->tid)) == -2)
            usleep(5000);
    if (f->rc != 1 || pthread_getcpuclockid(t, &clk) != 0) {
        pthread_join(t, NULL);
        return -1;
    }
    clock_gettime(clk, &a);
    usleep((useconds_t)(secs * 1e6));
    clock_gettime(clk, &b);
    if (f->rc == 1)
        pthread_cancel(t);
    pthread_join(t, NULL);
    return f->rc == 1 ? (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 : -1;
}

/* The waits (poll() or epoll_wait() calls) loop_run() makes with *fd watched for `events`
 * and a timer that unwatches it 200 ms on: one or two for a loop that sleeps. */
static unsigned waits_watching(struct loop *l, int *fd, int events, const char *what)
{
    unsigned waits;

    watch(l, *fd, events, bad_cb, NULL);
    after(l, 0.2, unwatch_fd, fd);
    fault_arm(FAULT_POLL, 1, 0, 0); /* counts the waits */
    run(l, what);
    waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    return waits;
}

/* A socket watched for writing only, that cannot be written (its send buffer full) but has
 * data to read, and a timer that gives up on it after 200 ms: the wait asks the kernel for
 * the events watched and no other (POLLOUT, not POLLIN too), or poll() returns at once with
 * an event nobody watches, every round: a spin. Counted in waits, not CPU: one or two.
 * first: 0, or the events it is watched for before (LOOP_READ): watching it again for
 * LOOP_WRITE replaces them (lab5.h), so the wait asks for POLLOUT alone, not the old
 * POLLIN added to it (an examiner's, round 64). */
static void write_watch_asks_write(int first)
{
    struct loop *l = new_loop();
    char buf[4096] = {0};
    unsigned waits;
    int sv[2];

    pair(sv);
    cr_assert(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0, "fcntl() failed in the test");
    while (write(sv[0], buf, sizeof(buf)) > 0)
        ;
    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    if (first)
        watch(l, sv[0], first, bad_cb, NULL);
    waits = waits_watching(l, &sv[0], LOOP_WRITE,
                           "waiting 200 ms for a timer, a full socket watched for writing (with "
                           "data to read)");
    cr_assert(waits <= 10,
              "loop_run() waiting 200 ms for a timer, with a socket watched for LOOP_WRITE only "
              "%sthat cannot be written but has data to read, waited %u times (expected 1 or 2): "
              "ask poll() for the events watched and no others (POLLOUT alone for LOOP_WRITE%s), "
              "or it returns at once every round with an event nobody watches, a spin",
              first ? "(watched for LOOP_READ before, then watched again) " : "", waits,
              first ? "; watching a watched fd again replaces its events, adds none" : "");
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
}

/* A TCP socket holding one urgent byte (MSG_OOB: poll() says POLLPRI, not POLLIN), watched for
 * LOOP_READ, and a timer that gives up on it after 200 ms: LOOP_READ asks POLLIN alone, or
 * every wait returns at once with POLLPRI, which no callback hears: a spin (an examiner's,
 * round 67). Counted in waits: one or two. */
static void read_watch_asks_no_pri(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint16_t port;
    int lfd = check_listen(1, &port), c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s;

    a.sin_port = htons(port);
    cr_assert(c >= 0 && connect(c, (struct sockaddr *)&a, sizeof(a)) == 0,
              "the test could not connect to its own listener: %s", strerror(errno));
    s = accept(lfd, NULL, NULL);
    cr_assert(s >= 0, "accept failed in the test: %s", strerror(errno));
    close(lfd);
    cr_assert_eq(send(c, "!", 1, MSG_OOB), 1, "send(MSG_OOB) failed in the test");
    struct pollfd p = {.fd = s, .events = POLLPRI};
    cr_assert(poll(&p, 1, 2000) == 1, "the urgent byte did not arrive in 2 s");

    struct loop *l = new_loop();
    unsigned waits;

    waits = waits_watching(l, &s, LOOP_READ,
                           "waiting 200 ms for a timer, a socket with an urgent byte watched for "
                           "reading");
    cr_assert(waits <= 10,
              "loop_run() waiting 200 ms for a timer, with a TCP socket watched for LOOP_READ "
              "that holds only an urgent byte (poll() says POLLPRI), waited %u times (expected "
              "1 or 2): ask poll() for POLLIN alone for LOOP_READ, not POLLPRI too, or every "
              "wait returns at once with an event nobody watches, a spin" CHECK_NOT_TIMING,
              waits);
    close(s);
    close(c);
    loop_free(l);
}

Test(loop, no_busy_wait, .timeout = 4)
{
    struct loop *l = new_loop();
    double t0, c0, wall, cpu;
    int sv[2];

    pair(sv);
    /* a socket that never turns readable, and a timer that gives up on it after 300 ms */
    watch(l, sv[0], LOOP_READ, bad_cb, NULL);
    after(l, 0.3, unwatch_fd, &sv[0]);
    c0 = thread_cpu();
    t0 = check_now();
    run(l, "waiting 300 ms for a timer and an idle socket");
    wall = check_now() - t0;
    cpu = thread_cpu() - c0;
    cr_assert(wall >= 0.29, "loop_run() waiting for a 300 ms timer returned after %.3f s", wall);
    cr_assert(cpu <= 0.1 * wall,
              "loop_run() waiting 300 ms for a timer and an idle socket used %.3f s of CPU "
              "(CPU/wall %.2f, want <= 0.10): sleep in poll() until the next timer is due, do "
              "not spin with a zero timeout",
              cpu, cpu / wall);
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
    write_watch_asks_write(0);
    write_watch_asks_write(LOOP_READ);
    read_watch_asks_no_pri();

    /* a timer 10^7 s away (116 days): its wait in ms is past INT_MAX, what poll() takes */
    int fired = 0;
    struct far_wait f = {.l = new_loop()};

    after(f.l, 1e7, count_timer, &fired);
    cpu = far_wait_cpu(&f, 0.5);
    CHECK_IMPL(f.rc, "loop_run()", "loop.c");
    cr_assert(cpu >= 0,
              "loop_run() with a timer 10^7 s away returned %d at once (the timer "
              "fired %d times): it waits until the timer is due",
              f.rc, fired);
    cr_assert(cpu <= 0.02,
              "loop_run() waiting for a timer 10^7 s away (about 116 days) used %.3f s of CPU "
              "in 0.5 s: a wait of more than INT_MAX ms does not fit poll()'s int (a cast "
              "makes it negative, or 0: a spin); wait at most INT_MAX ms and look again",
              cpu);
    cr_assert(f.wait_ms != -1,
              "loop_run() with a timer 10^7 s away (about 116 days) pending sleeps in its wait "
              "with no timeout (-1, for ever): that timer would never fire; wait at most "
              "INT_MAX ms (about 24.8 days) and look again");

    /* the only timer further still: 10^17 s (a wait in ms past any long long) or never */
    static const double farther[] = {1e17, INFINITY};
    for (int i = 0; i < 2; i++) {
        struct far_wait g = {.l = new_loop()};
        unsigned waits;

        after(g.l, farther[i], count_timer, &fired);
        fault_arm(FAULT_POLL, 1, 0, 0); /* counts the waits */
        cpu = far_wait_cpu(&g, 0.05);
        waits = fault_calls(FAULT_POLL);
        fault_disarm_all();
        CHECK_IMPL(g.rc, "loop_run()", "loop.c");
        cr_assert(cpu >= 0,
                  "loop_run() with its only timer %g s away returned %d at once (the timer "
                  "fired %d times): it waits until the timer is due",
                  farther[i], g.rc, fired);
        cr_assert(waits <= 10,
                  "loop_run() with its only timer %g s away waited %u times in about 0.2 s "
                  "(expected 1 or 2): the wait to the timer, in ms, is past what a long long "
                  "(or int64_t) holds: a cast before the clamp is undefined (LLONG_MIN on "
                  "x86, taken for \"due already\": a 0 ms wait, a spin); clamp the wait as a "
                  "double to at most INT_MAX ms, then convert it",
                  farther[i], waits);
    }
}

/* With no timer pending, the loop waits in poll() with no timeout (-1) and wakes once, when
 * a descriptor turns ready. A loop that polls a few ms at a time "to be safe" uses next to
 * no CPU, but wakes 20 (a 50 ms cap) to 1000 (1 ms) times a second, every waiter in the
 * kernel's run queue again each time. The test counts this process's wake-ups (voluntary
 * context switches, check_wakeups()) while the loop waits 1.5 s for a timerfd. */
struct idle {
    int calls;
    long wakes_at;
};

static void idle_cb(struct loop *l, int fd, int events, void *arg)
{
    struct idle *s = arg;
    uint64_t expirations;

    (void)events;
    s->wakes_at = check_wakeups(0);
    s->calls++;
    if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
        s->calls += 100;
    loop_unwatch(l, fd);
}

Test(loop, sleeps_without_timers, .timeout = 5)
{
    struct itimerspec its = {.it_value = {.tv_sec = 1, .tv_nsec = 500000000}};
    struct idle s = {0};
    struct loop *l = new_loop();
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    long w0, wakes;
    double t0, took;

    cr_assert(tfd >= 0, "timerfd_create failed in the test: %s", strerror(errno));
    watch(l, tfd, LOOP_READ, idle_cb, &s);
    cr_assert_eq(timerfd_settime(tfd, 0, &its, NULL), 0, "timerfd_settime failed in the test");
    t0 = check_now();
    w0 = check_wakeups(0);
    run(l, "with one descriptor that turns readable after 1.5 s and no timer");
    took = check_now() - t0;
    close(tfd);
    loop_free(l);
    cr_assert(s.calls == 1 && took >= 1.4,
              "a timerfd that turns readable after 1.5 s, watched for LOOP_READ: the callback "
              "ran %d times, loop_run() returned after %.3f s",
              s.calls, took);
    wakes = s.wakes_at - w0;
    cr_assert(wakes <= 6,
              "loop_run() waiting 1.5 s for one descriptor, no timer pending, woke %ld times "
              "(this process's voluntary context switches), expected 1 or 2: with no timer "
              "pending poll() waits with no timeout (-1), not a few ms at a time",
              wakes);
}

/* ---- loop: a world that interrupts, hangs up and keeps timers coming --------------------- */

static void count_timer(struct loop *l, void *arg)
{
    (void)l;
    (*(int *)arg)++;
}

/* Records the events it was called with (bit 4: called at all) and stops watching. */
static void note_events(struct loop *l, int fd, int events, void *arg)
{
    *(int *)arg |= events | 4;
    loop_unwatch(l, fd);
}

/* Records how many waits loop_run() had made when the timer fired. */
static void note_waits(struct loop *l, void *arg)
{
    (void)l;
    *(unsigned *)arg = fault_calls(FAULT_POLL);
}

/* Counts its calls in *(int *)arg and reads what is there without blocking; stays watched. */
static void count_reads(struct loop *l, int fd, int events, void *arg)
{
    char buf[8];

    (void)l;
    (void)events;
    (*(int *)arg)++;
    (void)recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
}

/* Unwatches the fd in *(int *)arg: the loop then has nothing left. */
static void unwatch_it(struct loop *l, void *arg)
{
    loop_unwatch(l, *(int *)arg);
}

/* An interrupted wait found nothing ready: a round whose wait failed (EINTR) calls back no
 * descriptor. A socket with one byte is ready in the first wait, its callback reads it; the
 * next three waits are interrupted, then a wait finds nothing until a 30 ms timer unwatches
 * it: one callback, never the previous round's ready events again. */
static void interrupted_wait_reports_nothing(void)
{
    struct loop *l = new_loop();
    int sv[2], calls = 0;

    pair(sv);
    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    watch(l, sv[0], LOOP_READ, count_reads, &calls);
    after(l, 0.03, unwatch_it, &sv[0]);
    fault_arm(FAULT_POLL, 2, 3, EINTR);
    run(l, "with a readable socket read in the first round, its next three waits interrupted");
    fault_disarm_all();
    loop_free(l);
    close(sv[0]);
    close(sv[1]);
    cr_assert_eq(calls, 1,
                 "loop_run() with a socket holding one byte, read by its callback in the first "
                 "round, then three waits interrupted by a signal (EINTR): the callback ran %d "
                 "times, expected once: an interrupted wait reported nothing ready, so its round "
                 "calls back no descriptor (not the previous round's ready events again)",
                 calls);
}

/* Signals that keep coming: each wait longer than FAULT_LATE_MS (30 ms) is cut there with
 * EINTR, for 40 waits (1.2 s). A 60 ms timer is due after two waits (60 ms cut at 30, then
 * the 30 ms left): the wait after an interruption is for the time the timer has left, read
 * from the clock again, never the timeout computed before it, which every signal starts
 * anew (the timer then fires only once the signals stop: after the 40 cut waits). */
static void signals_keep_coming(void)
{
    struct loop *l = new_loop();
    unsigned waits = 0;

    after(l, 0.06, note_waits, &waits);
    fault_arm(FAULT_POLL, 1, 40, FAULT_EINTR_LATE);
    run(l, "with a timer of 60 ms, every wait longer than 30 ms interrupted at 30 ms (EINTR)");
    fault_disarm_all();
    cr_assert(waits > 0 && waits <= 40,
              "loop_run() with a timer of 60 ms, while signals interrupted every wait of more "
              "than 30 ms at 30 ms (EINTR, 40 times): the timer fired after %u waits, only once "
              "the signals stopped (expected 2, at most 40): after an interrupted wait, compute "
              "the timeout again from the clock (the time the first timer has left), not the "
              "one computed before the wait, which every signal starts anew",
              waits);
    loop_free(l);
}

/* However many signals come, an interrupted wait is no failure (lab5.h): 10,000 waits in a
 * row fail with EINTR at once (a storm of signals), then the waits work again. A loop that
 * gives up after some number of interruptions (a "signal storm is an error" cap) returns
 * -EINTR with its timer never fired. */
static void signal_storm(void)
{
    enum { STORM = 10000 };
    struct loop *l = new_loop();
    int fired = 0, rc;

    after(l, 0.01, count_timer, &fired);
    fault_arm(FAULT_POLL, 1, STORM, EINTR);
    rc = loop_run(l);
    unsigned failed = fault_failed(FAULT_POLL);
    fault_disarm_all();
    loop_free(l);
    cr_assert(rc == 0 && fired == 1,
              "loop_run() with a 10 ms timer, its first %u waits interrupted by signals "
              "(EINTR, %u of them failed so) returned %d (%s) and the timer fired %d time(s), "
              "expected 0 and once: an interrupted wait is no failure however many come, "
              "wait again (no cap on the retries)",
              (unsigned)STORM, failed, rc, rc < 0 ? strerror(-rc) : "no error", fired);
}

/* A signal handler installed without SA_RESTART makes poll() (or epoll_wait()) fail with
 * EINTR: nothing went wrong, the wait has to be made again. Here the first three do; then
 * signals_keep_coming(). */
Test(loop, interrupted, .timeout = 4)
{
    struct loop *l = new_loop();
    int fired = 0, got = 0, sv[2], rc;

    pair(sv);
    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    watch(l, sv[0], LOOP_READ, note_events, &got);
    after(l, 0.02, count_timer, &fired);
    after(l, 0.05, count_timer, &fired);
    fault_arm(FAULT_POLL, 1, 3, EINTR);
    rc = loop_run(l);
    fault_disarm_all();
    CHECK_IMPL(rc, "loop_run()", "loop.c");
    cr_assert_eq(rc, 0,
                 "loop_run() with its first %u waits interrupted by a signal (poll() failing "
                 "with EINTR) returned %d (%s), expected 0: an interrupted wait is no failure, "
                 "wait again",
                 fault_failed(FAULT_POLL), rc, rc < 0 ? strerror(-rc) : "?");
    cr_assert(fired == 2 && (got & LOOP_READ),
              "loop_run() with its first waits interrupted (EINTR): %d of 2 timers fired, the "
              "readable socket was %scalled back",
              fired, got & LOOP_READ ? "" : "not ");
    loop_free(l);

    /* a wait that fails for real (ENOMEM: no memory for poll()'s table) is loop_run()'s
     * failure: it returns -ENOMEM, with the socket still watched and the timer pending;
     * then the same loop, run again, goes on with them (lab5.h: a failed run drops
     * nothing), however many runs failed before */
    l = new_loop();
    got = 0;
    fired = 0;
    watch(l, sv[0], LOOP_READ, note_events, &got);
    after(l, 0.001, count_timer, &fired);
    int fails = 1 + (int)(check_rand() % 3);
    for (int f = 0; f < fails; f++) {
        fault_arm(FAULT_POLL, 1, 3, ENOMEM);
        rc = loop_run(l);
        fault_disarm_all();
        cr_assert_eq(rc, -ENOMEM,
                     "loop_run() whose wait failed with ENOMEM (%u of its waits) returned %d "
                     "(%s), expected -ENOMEM (%d): EINTR is waited again, any other failure of "
                     "poll() is loop_run()'s -errno",
                     fault_failed(FAULT_POLL), rc, rc < 0 ? strerror(-rc) : "no error", -ENOMEM);
    }
    rc = loop_run(l);
    cr_assert(rc == 0 && fired == 1 && (got & LOOP_READ),
              "loop_run() failed %d time(s) (its wait: ENOMEM), then, run again on the same "
              "loop, returned %d (%s) with its 1 ms timer fired %d time(s) and its readable "
              "socket %scalled back, expected 0, once and called back: a failed run drops "
              "nothing and leaves the loop ready to run again (a \"running\" flag is cleared on "
              "every way out of loop_run())" CHECK_NOT_TIMING,
              fails, rc, rc < 0 ? strerror(-rc) : "no error", fired, got & LOOP_READ ? "" : "not ");
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
    signals_keep_coming();
    interrupted_wait_reports_nothing();
    signal_storm();
}

/* A byte a call, until EOF: then the callback unwatches and notes loop_unwatch()'s result. */
struct byte_reader {
    int calls, bytes, eof, unwatch_rc;
};

static void read_a_byte(struct loop *l, int fd, int events, void *arg)
{
    struct byte_reader *b = arg;
    char c;
    ssize_t r = read(fd, &c, 1);

    (void)events;
    b->calls++;
    if (r == 1) {
        b->bytes++;
        return;
    }
    b->eof = r == 0;
    b->unwatch_rc = loop_unwatch(l, fd);
}

/* A UDP socket connected to a loopback port nobody listens on, after a datagram: the ICMP
 * "port unreachable" leaves an error pending, which poll() reports as POLLERR alone (no
 * POLLIN: no datagram to read). -1 if the test could not make one. */
static int udp_with_error(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), fd;

    if (probe < 0)
        return -1;
    int named = bind(probe, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                getsockname(probe, (struct sockaddr *)&a, &len) == 0;

    close(probe); /* its port: nobody listens there now */
    fd = named ? socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) : -1;
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || send(fd, "x", 1, 0) != 1) {
        close(fd);
        return -1;
    }
    for (int i = 0; i < 200; i++) { /* the ICMP error comes back at once, on loopback */
        struct pollfd p = {.fd = fd, .events = POLLIN};

        if (poll(&p, 1, 10) == 1 && (p.revents & POLLERR) && !(p.revents & POLLIN))
            return fd;
    }
    close(fd);
    return -1;
}

/* A pipe whose writer has closed polls as POLLHUP, without POLLIN; one whose reader has
 * closed, as POLLERR. Both are "ready": a read returns 0, a write fails. The contract says
 * an error or hang-up sets every watched bit; a loop that looks only at POLLIN and POLLOUT
 * never calls back (and poll() reports the hang-up again at once, forever). */
Test(loop, hangup_reported, .timeout = 3)
{
    int fds0 = check_open_fds();
    struct loop *l = new_loop();
    int rd[2], wr[2], both[2], nv[2], full[2], got_r = 0, got_w = 0, got_b = 0, got_nv = 0;
    int got_full = 0, data[2], got_d = 0, half[2], got_half = 0;
    int epoll = check_open_fds() > fds0; /* loop_new() opened an epoll fd */
    unsigned waits;

    cr_assert(pipe(rd) == 0 && pipe(wr) == 0 && pipe(both) == 0 && pipe(nv) == 0 &&
                  pipe2(full, O_NONBLOCK) == 0 && pipe(data) == 0,
              "pipe failed in the test");
    /* half[0]: a socket whose peer shut down its writing (EOF to read: POLLIN, POLLRDHUP)
     * and whose own sending is full (no POLLOUT): a half-close, no hang-up: readable only */
    pair(half);
    for (char buf[4096] = {0}; send(half[0], buf, sizeof(buf), MSG_DONTWAIT) > 0;)
        ;
    cr_assert_eq(shutdown(half[1], SHUT_WR), 0, "shutdown failed in the test: %s", strerror(errno));
    /* data[0]: a byte still to read, its writer gone: POLLIN and POLLHUP at once */
    cr_assert_eq(write(data[1], "x", 1), 1, "write failed in the test");
    close(data[1]);
    /* full[1]: filled up, then its reader closed: poll() says POLLERR alone (no POLLOUT:
     * there is no room; no POLLHUP: that is for a reader) */
    for (char buf[4096] = {0}; write(full[1], buf, sizeof(buf)) > 0;)
        ;
    close(full[0]);
    close(rd[1]);   /* rd[0]: its writer gone */
    close(wr[0]);   /* wr[1]: its reader gone */
    close(both[1]); /* both[0]: its writer gone, watched for both events */
    watch(l, rd[0], LOOP_READ, note_events, &got_r);
    watch(l, wr[1], LOOP_WRITE, note_events, &got_w);
    watch(l, both[0], LOOP_READ | LOOP_WRITE, note_events, &got_b);
    watch(l, data[0], LOOP_READ | LOOP_WRITE, note_events, &got_d);
    watch(l, full[1], LOOP_WRITE, note_events, &got_full);
    watch(l, half[0], LOOP_READ | LOOP_WRITE, note_events, &got_half);
    /* nv[0]: watched, then closed behind the loop's back (poll() says POLLNVAL, an error
     * without POLLIN: every watched bit); nothing opens a descriptor until the run ends,
     * so its number is not reused meanwhile */
    watch(l, nv[0], LOOP_READ, note_events, &got_nv);
    close(nv[0]);
    close(nv[1]);
    after(l, 0.3, unwatch_fd, &rd[0]); /* the test's way out if nothing is called back */
    after(l, 0.3, unwatch_fd, &wr[1]);
    after(l, 0.3, unwatch_fd, &both[0]);
    after(l, 0.3, unwatch_fd, &data[0]);
    after(l, 0.3, unwatch_fd, &nv[0]);
    after(l, 0.3, unwatch_fd, &full[1]);
    after(l, 0.3, unwatch_fd, &half[0]);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    run(l, "with a hung-up pipe watched for LOOP_READ and a broken one for LOOP_WRITE");
    waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    close(rd[0]);
    close(wr[1]);
    close(both[0]);
    close(data[0]);
    close(full[1]);
    close(half[0]);
    close(half[1]);
    loop_free(l);
    /* an examiner's, round 72: POLLRDHUP asked for and taken for a hang-up */
    cr_assert(got_half == (LOOP_READ | 4),
              "a socket whose peer had shut down its writing (shutdown(SHUT_WR): poll() says "
              "POLLIN and POLLRDHUP) and whose own sending was full (no POLLOUT), watched for "
              "LOOP_READ | LOOP_WRITE, got events=%d%s, expected %d: a half-close is no "
              "hang-up (the socket can still be written once there is room): LOOP_WRITE only "
              "when POLLOUT, POLLERR or POLLHUP says so, never for POLLRDHUP",
              got_half & 3, got_half ? "" : " (never called back)", LOOP_READ);
    cr_assert(got_full == (LOOP_WRITE | 4),
              "a full pipe whose reader had closed, watched for LOOP_WRITE (poll() says POLLERR "
              "alone: no POLLOUT, no POLLHUP) got events=%d%s, expected %d: an error sets "
              "every watched bit, POLLERR as much as POLLHUP and POLLNVAL (left unmapped it is "
              "an event of no bits that wakes poll() at once, again and again: a spin)",
              got_full & 3, got_full ? "" : " (never called back)", LOOP_WRITE);
    cr_assert(waits <= 20,
              "loop_run() waited %u times (poll() or epoll_wait() calls) in 300 ms with a "
              "watched descriptor closed behind its back (POLLNVAL), 2 or 3 expected: it "
              "spins. POLLNVAL is an error: it sets every watched bit (and the callback "
              "hears of it), it is never an event of no bits that wakes poll() again at once",
              waits);
    /* with epoll a closed descriptor leaves the epoll set by itself: no event, no call */
    cr_assert(epoll || got_nv == (LOOP_READ | 4),
              "a pipe watched for LOOP_READ and closed behind the loop's back (poll() says "
              "POLLNVAL, not POLLIN) got events=%d%s, expected %d: an error sets every "
              "watched bit",
              got_nv & 3, got_nv ? "" : " (never called back)", LOOP_READ);
    cr_assert(got_r & LOOP_READ,
              "a pipe whose writer had closed, watched for LOOP_READ (poll() says POLLHUP, not "
              "POLLIN): %s; a hang-up or an error sets every watched bit",
              got_r ? "called back without LOOP_READ" : "never called back");
    cr_assert(got_w & LOOP_WRITE,
              "a pipe whose reader had closed, watched for LOOP_WRITE (poll() says POLLERR): %s; "
              "a hang-up or an error sets every watched bit",
              got_w ? "called back without LOOP_WRITE" : "never called back");
    /* every WATCHED bit, and only those: note_events adds 4 to say it was called */
    cr_assert(got_r == (LOOP_READ | 4) && got_w == (LOOP_WRITE | 4),
              "a hung-up pipe watched for LOOP_READ got events=%d, a broken one watched for "
              "LOOP_WRITE events=%d, expected %d and %d: a hang-up sets every WATCHED bit, "
              "never one not asked for",
              got_r & 3, got_w & 3, LOOP_READ, LOOP_WRITE);
    cr_assert(got_b == (LOOP_READ | LOOP_WRITE | 4),
              "a hung-up pipe watched for LOOP_READ | LOOP_WRITE (poll() says POLLHUP alone) "
              "got events=%d%s, expected %d: a hang-up sets EVERY watched bit, LOOP_WRITE "
              "too, so a callback that writes meets the error",
              got_b & 3, got_b ? "" : " (never called back)", LOOP_READ | LOOP_WRITE);
    /* with data still to read too (POLLIN and POLLHUP): the hang-up still sets every watched
     * bit, not only when no other event came with it (an examiner's, round 67) */
    cr_assert(got_d == (LOOP_READ | LOOP_WRITE | 4),
              "a pipe with a byte still to read and its writer gone (poll() says POLLIN and "
              "POLLHUP), watched for LOOP_READ | LOOP_WRITE, got events=%d%s, expected %d: a "
              "hang-up sets every watched bit whatever else came with it" CHECK_NOT_TIMING,
              got_d & 3, got_d ? "" : " (never called back)", LOOP_READ | LOOP_WRITE);

    /* a hang-up is reported, not acted on: a pipe with two bytes left and its writer gone
     * (POLLIN and POLLHUP each round) is called back until its reader has read both and the
     * EOF, and it is still watched until the callback unwatches it (lab5.h: "every time fd
     * is ready ... until loop_unwatch()") */
    struct byte_reader b = {.unwatch_rc = 1};
    int two[2];

    cr_assert(pipe(two) == 0 && write(two[1], "ab", 2) == 2, "pipe failed in the test");
    close(two[1]);
    l = new_loop();
    watch(l, two[0], LOOP_READ, read_a_byte, &b);
    after(l, 0.3, unwatch_fd, &two[0]); /* the test's way out */
    run(l, "with a pipe holding 2 bytes, its writer gone");
    loop_free(l);
    close(two[0]);
    cr_assert(b.calls == 3 && b.bytes == 2 && b.eof && b.unwatch_rc == 0,
              "a pipe holding 2 bytes, its writer gone (poll() says POLLIN and POLLHUP), "
              "watched for LOOP_READ by a callback that reads one byte a call and unwatches at "
              "EOF: %d calls, %d bytes, EOF %s, its loop_unwatch() returned %d; expected 3 "
              "calls, 2 bytes, the EOF and 0: a hang-up is the callback's to act on; the loop "
              "calls back every round the fd is ready and never unwatches it by itself",
              b.calls, b.bytes, b.eof ? "seen" : "never seen", b.unwatch_rc);

    /* an error alone on a LOOP_READ watch (POLLERR, no POLLIN): LOOP_READ ("data, EOF or an
     * error"), so the callback's recv() meets the error (ECONNREFUSED) */
    int udp = udp_with_error(), got_udp = 0;

    cr_assert(udp >= 0, "the test could not make a UDP socket with an error pending (an ICMP "
                        "port unreachable on loopback): a harness error");
    l = new_loop();
    watch(l, udp, LOOP_READ, note_events, &got_udp);
    after(l, 0.3, unwatch_fd, &udp);
    run(l, "with a UDP socket whose datagram met no listener");
    loop_free(l);
    close(udp);
    cr_assert(got_udp == (LOOP_READ | 4),
              "a connected UDP socket whose datagram met no listener (an ICMP port "
              "unreachable: poll() says POLLERR alone), watched for LOOP_READ, got "
              "events=%d%s, expected %d: an error sets every watched bit, LOOP_READ too "
              "(lab5.h: readable is \"data, EOF or an error\")",
              got_udp & 3, got_udp ? "" : " (never called back)", LOOP_READ);
}

/* A chain of timers, each 0.5 ms after the one before it: its callback sets the next, until
 * *arg (a count down) reaches 0. */
static void half_ms_chain(struct loop *l, void *arg)
{
    int *left = arg;

    if (--*left > 0 && loop_after(l, 0.0005, half_ms_chain, arg) != 0)
        *left = -1000; /* the test's own step failed: judged as no chain */
}

/* poll() takes whole milliseconds. A loop that rounds the time to the next timer down
 * wakes a fraction of a millisecond early, finds nothing due, and polls again with a
 * timeout of 0, over and over until the moment comes: a spin. Timers at odd fractions
 * of a millisecond; the test counts the loop's waits. */
Test(loop, wakes_once_per_timer, .timeout = 3)
{
    enum { N = 8 };
    struct loop *l = new_loop();
    unsigned waits;
    int fired = 0;

    /* far apart: a busy machine's lateness seldom lets two fall due in one wait, which
     * would spare a loop that wakes twice a timer its second wait */
    for (int i = 0; i < N; i++)
        after(l, 0.0327 * (i + 1) + 0.0004, count_timer, &fired);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    run(l, "with 8 timers");
    waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    loop_free(l);
    cr_assert_eq(fired, N, "8 timers: %d fired", fired);
    /* one wait a timer, and a few to spare: a loop that wakes twice a timer (rounded down:
     * early; or the timers judged by a clock read before the wait: the one that woke it
     * is not due yet by that reading) waits 16 times or more */
    cr_assert(waits <= N + N / 2 + 1,
              "loop_run() waited %u times (poll() or epoll_wait() calls) for 8 timers 32.7 ms "
              "apart, where one wait a timer is enough: it wakes early, or does not see the "
              "timer that woke it as due, and polls again. Round the timeout up to whole ms "
              "(ceil), never down: 0.4 ms to go is a 1 ms timeout, not 0; and read the clock "
              "after the wait to tell which timers are due, not before it",
              waits);

    /* under a ms away, too: 40 timers one after the other, each 0.5 ms after the last, are 40
     * waits of 1 ms (poll() sleeps whole ms), a few more at most; a loop that takes "less than
     * a ms" for "due" polls with timeout 0 until each is due, thousands of times */
    enum { CHAIN = 40 };
    int left = CHAIN;

    l = new_loop();
    after(l, 0.0005, half_ms_chain, &left);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    run(l, "with a chain of 40 timers 0.5 ms apart");
    waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    loop_free(l);
    cr_assert_eq(left, 0,
                 "a chain of 40 timers 0.5 ms apart (each set by the one before): "
                 "%d did not fire",
                 left);
    cr_assert(waits <= 3 * CHAIN,
              "loop_run() waited %u times (poll() or epoll_wait() calls) for 40 timers, each 0.5 "
              "ms after the one before: a timer less than a ms away is not due yet; wait for it "
              "with a timeout of 1 ms (rounded up), never 0 (a spin until it is due). Timeout 0 "
              "only for a timer due already",
              waits);

    /* rounded up, and no further: a timeout a ms longer than the time to the timer makes
     * every timer late. One timer 20.5 ms away at a time, five times: the longest timeout
     * the loop's waits asked for (recorded by the wrapper) may be the time from the start of
     * loop_run() to the latest the timer can be due, rounded up (plus 0.05 ms for the
     * rounding of two clocks), never more; the loop read its clock after that start */
    for (int k = 0; k < 5; k++) {
        double t1, t2, most;
        int longest;

        l = new_loop();
        fired = 0;
        after(l, 0.0205, count_timer, &fired);
        t1 = check_now(); /* loop_after() read its clock before this: due by t1 + 20.5 ms */
        fault_arm(FAULT_POLL, 0, 0, 0);
        t2 = check_now();
        run(l, "with one timer 20.5 ms away");
        longest = fault_longest_wait();
        fault_disarm_all();
        loop_free(l);
        most = ceil((t1 + 0.0205 - t2) * 1000 + 0.05);
        cr_assert(fired == 1 && longest >= 0 && longest <= most,
                  "a timer 20.5 ms away (%d fired): loop_run() waited with a timeout of up to "
                  "%d ms (poll() or epoll_wait()), when the timer was due at most %.2f ms after "
                  "it began: the timeout is the time to the first timer rounded up to whole "
                  "ms (ceil), not a ms more: a longer one makes every timer late",
                  fired, longest, 1000 * (t1 + 0.0205 - t2));
    }
}

struct zchain {
    int n, at_io;
    int wfd; /* written to by link 10 */
};

static void zchain_step(struct loop *l, void *arg)
{
    struct zchain *c = arg;

    if (++c->n == 10 && write(c->wfd, "x", 1) != 1)
        c->at_io = -2;
    if (c->n < 200)
        loop_after(l, 0, zchain_step, c);
}

static void zchain_io(struct loop *l, int fd, int events, void *arg)
{
    struct zchain *c = arg;

    (void)events;
    c->at_io = c->n;
    loop_unwatch(l, fd);
}

/* Notes in *arg how many waits the loop had made when the timer ran. */
static void note_round(struct loop *l, void *arg)
{
    (void)l;
    *(unsigned *)arg = fault_calls(FAULT_POLL);
}

/* A short chain of 0 s timers, each set from the last one's callback: each notes the waits
 * (poll() or epoll_wait() calls, counted) made when it ran. */
struct hchain {
    int n;
    unsigned at[3];
};

static void hchain_step(struct loop *l, void *arg)
{
    struct hchain *c = arg;

    c->at[c->n++] = fault_calls(FAULT_POLL);
    if (c->n < 3)
        after(l, 0, hchain_step, c);
}

/* Lets the clock run again after 1.5 s unless told the loop is done: how a 0 s timer that
 * only a moving clock makes due shows, without the test waiting for ever. */
struct unhold {
    atomic_int done, released;
};

static void *unhold_later(void *arg)
{
    struct unhold *u = arg;

    for (int ms = 0; ms < 1500 && !atomic_load(&u->done); ms++)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    if (!atomic_load(&u->done)) {
        atomic_store(&u->released, 1);
        fault_clock_hold(0);
    }
    return NULL;
}

/* Timer A of the "one reading" check: notes the waits made so far, then moves the clock,
 * held still, 50 ms on (past timer B's due time) while the round is still running. */
static void note_round_move_clock(struct loop *l, void *arg)
{
    note_round(l, arg);
    fault_clock_uptime(0.05);
    fault_clock_hold(1); /* held again, at the true time + 50 ms */
}

/* "0 means: in the next round". A timer callback that schedules a 0 s timer, which
 * schedules another, ... must not keep the loop in one round: a descriptor that turns
 * ready (link 10 writes to a socket) gets its turn within a link or two. */
Test(loop, zero_timer_next_round, .timeout = 3)
{
    struct loop *l = new_loop();
    struct zchain c = {.n = 0, .at_io = -1};
    int sv[2];

    pair(sv);
    c.wfd = sv[1];
    watch(l, sv[0], LOOP_READ, zchain_io, &c);
    after(l, 0, zchain_step, &c);
    fault_arm(FAULT_POLL, 0, 0, 0); /* notes the longest timeout a wait asked for */
    run(l, "with a chain of 200 zero-second timers and a readable socket");
    int longest = fault_longest_wait();
    fault_disarm_all();
    close(sv[0]);
    close(sv[1]);
    loop_free(l);
    cr_assert_eq(c.n, 200, "a chain of 200 zero-second timers: %d ran", c.n);
    /* each wait of the chain has a 0 s timer due already: a timeout of 0 (lab5.h), not a
     * minimum of 1 ms, which makes each link a ms late (an examiner's, round 65) */
    cr_assert(longest <= 0,
              "a chain of 200 zero-second timers (each set from the last one's callback): a "
              "wait asked for a timeout of %d ms while a timer was due already: with a timer "
              "due, the round's wait has a timeout of 0 (lab5.h), not at least 1 ms, which "
              "makes every link of the chain a ms late; count the timeout from a clock read "
              "after the callbacks, and keep it at least 0, not 1" CHECK_NOT_TIMING,
              longest);
    cr_assert(c.at_io >= 10 && c.at_io <= 13,
              "a socket that turned readable at link 10 of a chain of zero-second timers (each "
              "set from the last one's callback) was called back at link %d: a timer set with "
              "0 s runs in the next round, after a poll(); run only the timers due at one "
              "reading of the clock, taken after the wait",
              c.at_io);

    /* and the other half of "the timers due at that reading": every one of them runs in that
     * round, before the next wait. 10 timers of 1-10 ms, all past due before loop_run()
     * starts (the test waits 20 ms), run in its first round: each notes how many waits
     * (poll() or epoll_wait() calls, counted) the loop had made when it ran. */
    enum { N = 10 };
    unsigned at[N], first;

    l = new_loop();
    for (int i = 0; i < N; i++) {
        at[i] = 0;
        after(l, 0.001 * (i + 1), note_round, &at[i]);
    }
    for (double t0 = check_now(); check_now() - t0 < 0.02;)
        ;
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    run(l, "with 10 timers all past due");
    fault_disarm_all();
    loop_free(l);
    first = at[0];
    for (int i = 0; i < N; i++)
        cr_assert(at[i] == first && first >= 1,
                  "10 timers (1-10 ms), all past due when loop_run() began: timer %d ran after "
                  "wait %u, timer 1 after wait %u (waits counted: poll() or epoll_wait() "
                  "calls): every timer due when a round begins runs in that round, before the "
                  "next wait, not one a round",
                  i + 1, at[i], first);

    /* and a 0 s timer is due the moment it is set, when the clock still reads that moment:
     * here it stands still (fault_clock_hold, as a coarse clocksource reads the same over
     * many calls) while the loop runs. Due is when <= now, not when < now. */
    struct unhold u = {0};
    pthread_t t;
    int fired = 0;

    l = new_loop();
    fault_clock_hold(1);
    after(l, 0, count_timer, &fired);
    cr_assert_eq(pthread_create(&t, NULL, unhold_later, &u), 0, "pthread_create failed");
    run(l, "with a 0 s timer, the clock standing still");
    atomic_store(&u.done, 1);
    pthread_join(t, NULL);
    fault_disarm_all();
    loop_free(l);
    cr_assert(fired == 1 && !atomic_load(&u.released),
              "a 0 s timer with the clock standing still (as a coarse clock reads the same "
              "over many calls) ran %d times%s: it is due the moment it is set; fire the "
              "timers whose time is now or past (when <= now, not when < now)",
              fired,
              atomic_load(&u.released) ? ", and only once the test let the clock run "
                                         "again after 1.5 s"
                                       : "");

    /* and with the clock standing still, a 0 s timer a timer callback sets is due at the
     * round's own reading, yet waits for the next round all the same: a chain of 3, each run
     * after a later wait than the one that set it (a round stops at the timers set before it
     * began, or it runs the whole chain, even an endless one, without a wait) */
    struct hchain h = {0};

    l = new_loop();
    fault_clock_hold(1);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    after(l, 0, hchain_step, &h);
    run(l, "with a chain of 3 zero-second timers, the clock standing still");
    fault_clock_hold(0);
    fault_disarm_all();
    loop_free(l);
    cr_assert_eq(h.n, 3, "a chain of 3 zero-second timers, the clock standing still: %d ran", h.n);
    for (int i = 1; i < 3; i++)
        cr_assert(h.at[i] > h.at[i - 1],
                  "a chain of 0 s timers, each set from the last one's callback, the clock "
                  "standing still (as a coarse clock reads the same over many calls): link %d "
                  "ran after wait %u, the link that set it after wait %u (waits counted: poll() "
                  "or epoll_wait() calls): a timer a timer callback sets, even for 0 s and due "
                  "at the round's reading, waits for the next round; a round runs only the "
                  "timers set before it began (their sequence numbers tell)",
                  i + 1, h.at[i], h.at[i - 1]);

    /* and "at one reading of the clock": a timer set before the round that falls due only
     * while an earlier timer's callback runs waits for the next round too. The clock stands
     * still: timer A (0 s) is due, B (10 ms) is not; A's callback moves the clock 50 ms on
     * (held there). B must run after a later wait than A: a fire() that reads the clock
     * again before each timer runs it in A's round, and slow callbacks keep the fds waiting */
    unsigned at_a = 0, at_b = 0;

    l = new_loop();
    fault_clock_hold(1);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    after(l, 0, note_round_move_clock, &at_a);
    after(l, 0.010, note_round, &at_b);
    run(l, "with a 0 s timer whose callback moves the clock past a 10 ms one");
    fault_disarm_all();
    loop_free(l);
    cr_assert(at_a >= 1 && at_b > at_a,
              "timers A (0 s) and B (10 ms), the clock held, then moved 50 ms on in A's "
              "callback: B ran after wait %u, A after wait %u: fire the timers due at one "
              "reading of the clock, after the wait (not read again per timer); B waits for the "
              "next round",
              at_b, at_a);
}

/* Every descriptor under a limit on open files lowered to `limit` (256 at most), taken by the
 * test: the code under test can open none. Returns the errno that stopped the taking (EMFILE:
 * the table is full, as the test wants); release_fds() gives them back. */
struct held_fds {
    int fd[256];
    int n;
};

static int take_all_fds(rlim_t limit, struct held_fds *h)
{
    struct rlimit rl = {.rlim_cur = limit, .rlim_max = limit};

    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit failed in the test");
    h->n = 0;
    while (h->n < 256 && (h->fd[h->n] = fcntl(2, F_DUPFD_CLOEXEC, 0)) >= 0)
        h->n++;
    return errno;
}

static void release_fds(struct held_fds *h)
{
    for (int i = 0; i < h->n; i++)
        close(h->fd[i]);
    h->n = 0;
}

/* Out of memory in loop_new(): the k-th allocation fails (k = 1 to 4, and every one after it),
 * 4 calls each after a warm-up (a loop made and freed). The call returns 0 (a loop, freed at
 * once: a loop_new() that allocates nothing just succeeds) or a negative errno (-ENOMEM, or the
 * backend's), and leaves the descriptors and the heap as it found them: an epoll fd made before
 * the allocation that failed is closed again, the loop allocated before it freed. Then with no
 * descriptor free (the limit on open files lowered to 64, every one in use: epoll_create1()
 * fails with EMFILE, as a descriptor-hungry caller can make it): the same. */
static void new_loops(unsigned k, int calls, int *rc)
{
    for (int c = 0; c < calls; c++) {
        struct loop *l = NULL;

        if (k)
            fault_arm(FAULT_ALLOC, k, 0, ENOMEM);
        *rc = loop_new(&l);
        fault_disarm_all();
        CHECK_IMPL(*rc, "loop_new()", "loop.c");
        if (*rc == 0) {
            cr_assert(l, "loop_new(&l) returned 0 but left l NULL");
            loop_free(l);
        } else {
            cr_assert(*rc < 0 && *rc > -4096, "loop_new() returned %d: 0 or a negative errno", *rc);
        }
    }
}

Test(loop, new_fails, .timeout = 3)
{
    enum { CALLS = 4 };
    struct held_fds held;
    int err, rc;

    new_loops(0, 1, &rc); /* warms up the allocator */
    for (unsigned k = 1; k <= 4; k++) {
        int before = check_open_fds(), after_free;
        size_t heap = check_heap_in_use();

        new_loops(k, CALLS, &rc);
        long kept = (long)check_heap_in_use() - (long)heap;
        after_free = check_open_fds();
        cr_assert_eq(after_free, before,
                     "loop_new() with allocation %u failing (ENOMEM) returned %d and left %d "
                     "descriptor(s) open: undo what was made before the failure",
                     k, rc, after_free - before);
        cr_assert(kept < 64,
                  "%d x loop_new() with allocation %u failing (ENOMEM; it returned %d): %ld more "
                  "bytes of the heap in use: free what was allocated before the failure",
                  CALLS, k, rc, kept);
    }
    err = take_all_fds(64, &held);
    size_t heap = check_heap_in_use();
    new_loops(0, CALLS, &rc);
    long kept = (long)check_heap_in_use() - (long)heap;
    release_fds(&held);
    cr_assert_eq(err, EMFILE, "the test could not fill the descriptor table: %s", strerror(err));
    cr_assert(kept < 64,
              "%d x loop_new() with not one descriptor free (it returned %d%s): %ld more bytes of "
              "the heap in use: when epoll_create1() fails, free the loop before returning its "
              "-errno",
              CALLS, rc, rc == -EMFILE ? ", -EMFILE" : "", kept);
}

static void count_threads(struct loop *l, void *arg)
{
    (void)l;
    *(int *)arg = check_threads();
}

/* A loop set up on one thread may be run on another (lab5.h ties callbacks to the thread
 * that calls loop_run(), nothing to the one that made the loop): 3 timers set on the test's
 * thread, the loop run on a thread of its own, joined within 2 s. An examiner's loop kept its
 * timers' scheduling order in a _Thread_local counter: on the other thread none was ever due
 * (round 68). */
struct elsewhere {
    struct loop *l;
    int rc;
    atomic_int over;
};

static void *run_elsewhere(void *arg)
{
    struct elsewhere *e = arg;

    e->rc = loop_run(e->l);
    atomic_store(&e->over, 1);
    return NULL;
}

static void run_on_another_thread(void)
{
    struct elsewhere e = {.l = new_loop()};
    int fired = 0;
    pthread_t tid;

    for (int i = 0; i < 3; i++)
        after(e.l, 0.001 * i, count_timer, &fired);
    cr_assert_eq(pthread_create(&tid, NULL, run_elsewhere, &e), 0, "pthread_create failed");
    cr_assert(check_await(&e.over, 2),
              "a loop with 3 timers (0, 1 and 2 ms) set on one thread and run on another: "
              "loop_run() had not returned after 2 s (%d fired): a loop is not tied to the thread "
              "that made it; keep its state, the timers' order too, in the loop (no "
              "_Thread_local, no static)" CHECK_NOT_TIMING,
              fired);
    pthread_join(tid, NULL);
    loop_free(e.l);
    cr_assert(e.rc == 0 && fired == 3,
              "a loop with 3 timers set on one thread and run on another: loop_run() returned "
              "%d, %d timers fired, expected 0 and 3",
              e.rc, fired);
}

Test(loop, one_thread, .timeout = 4)
{
    int before = check_threads(), during = -1;
    struct loop *l = new_loop();

    after(l, 0.01, count_threads, &during);
    run(l, "with one timer");
    cr_assert_eq(during, before,
                 "this process had %d threads before the loop and %d while a callback ran: an "
                 "event loop runs every callback on the one thread that called loop_run()",
                 before, during);
    loop_free(l);
    run_on_another_thread();
}

struct many {
    int *fds, *peers, *calls;
    int n;       /* fds watched */
    int nready;  /* fds[0..nready) are made readable; the rest stay idle, watched */
    int written; /* fds[0..written) have had their byte written */
    int called;  /* callbacks run */
    int wave;    /* bytes written by each step of the timer */
    int after;   /* steps since the last wave with callbacks still to come */
    int left;    /* fds given up on: readable, never called back */
};

static void many_cb(struct loop *l, int fd, int events, void *arg)
{
    struct many *m = arg;
    char c;

    (void)events;
    for (int i = 0; i < m->n; i++)
        if (m->fds[i] == fd)
            m->calls[i]++;
    m->called++;
    if (read(fd, &c, 1) != 1)
        c = 0;
    loop_unwatch(l, fd);
}

/* Each round of the loop (a 1 ms timer again and again): the next wave of fds made readable,
 * while callbacks unwatch the fds of earlier waves from anywhere in the loop's tables. Once
 * every byte is written, a loop that polls every watched fd calls each readable one back in
 * the very next round: then the idle fds are unwatched and the loop ends. After 5 rounds
 * with readable fds still not called back, they were lost: the test unwatches every fd
 * left (so the loop ends, and the test tells which fd, not a timeout). */
static void many_step(struct loop *l, void *arg)
{
    struct many *m = arg;

    if (m->written < m->nready) {
        for (int k = 0; k < m->wave && m->written < m->nready; k++, m->written++)
            if (write(m->peers[m->written], "x", 1) != 1)
                m->calls[m->written] = -1000; /* the test's write failed: reads as wrong */
    } else if (m->called >= m->nready || ++m->after >= 5) {
        for (int i = 0; i < m->n; i++)
            if (m->calls[i] <= 0 && loop_unwatch(l, m->fds[i]) == 0)
                m->left += i < m->nready;
        return;
    }
    after(l, 0.001, many_step, m);
}

static void shuffle(int *a, int *b, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(check_rand() % (uint64_t)(i + 1)), t = a[i];

        a[i] = a[j], a[j] = t;
        if (b)
            t = b[i], b[i] = b[j], b[j] = t;
    }
}

/* Many fds that stay ready round after round (nobody reads them): every one is called back,
 * whatever its place in the loop's tables, and again in later rounds (twice at least in 20:
 * a one-shot watch is called once). A round that takes at most so many ready events
 * (a fixed maxevents) and always scans from the start calls the first ones back every round
 * and the rest never. A 0 s timer counts the rounds (each one it sets waits for the next). */
struct stay_ready {
    int *fds, *calls;
    int n, rounds;
};

static void stay_ready_cb(struct loop *l, int fd, int events, void *arg)
{
    (void)l;
    (void)fd;
    (void)events;
    (*(int *)arg)++;
}

static void stay_ready_round(struct loop *l, void *arg)
{
    struct stay_ready *s = arg;

    if (++s->rounds < 20) {
        after(l, 0, stay_ready_round, s);
        return;
    }
    for (int i = 0; i < s->n; i++)
        loop_unwatch(l, s->fds[i]);
}

static void all_ready_all_called(int *fds, int *peers, int *calls, int n)
{
    struct stay_ready s = {.fds = fds, .calls = calls, .n = n};
    struct loop *l = new_loop();
    int never = 0, first = -1;

    for (int i = 0; i < n; i++) {
        calls[i] = 0;
        cr_assert(write(peers[i], "x", 1) == 1, "write failed in the test");
        watch(l, fds[i], LOOP_READ, stay_ready_cb, &calls[i]);
    }
    after(l, 0, stay_ready_round, &s);
    run(l, "with 400 watched sockets, all readable all the time");
    loop_free(l);
    for (int i = 0; i < n; i++)
        if (calls[i] < 2 && never++ == 0)
            first = i;
    cr_assert_eq(never, 0,
                 "%d sockets watched, all readable for 20 rounds (nobody reads them): %d of "
                 "them were called back less than twice (the first watched of them: #%d, fd "
                 "%d, %d time(s)). A watched fd is called back every time it is ready, until "
                 "loop_unwatch(): take every ready event of the round (never a fixed count "
                 "from the start of the table, which starves the fds after it), and keep "
                 "watching an fd after its callback",
                 n, never, first, first >= 0 ? fds[first] : -1, first >= 0 ? calls[first] : 0);
}

static void high_fd_cb(struct loop *l, int fd, int events, void *arg)
{
    (void)events;
    (*(int *)arg)++;
    loop_unwatch(l, fd);
}

/* A descriptor numbered past 16,383 is watched like any other: lab5.h refuses only fd < 0, and
 * a process whose soft open-file limit is raised to its hard one (as async_gather() does)
 * gets such numbers. The spec gives this test a limit of 20,000: a pipe's read end is moved to
 * the highest number it allows and made readable; it must be called back once. A watch table
 * of a fixed 16,384 entries (redis' setsize) refuses it (an examiner's, round 70). Where the
 * grader's own hard limit is lower, there is no such number to try. */
static void high_fd_watched(void)
{
    struct rlimit rl, was;
    int p[2], fd, calls = 0, rc;
    struct loop *l;

    if (getrlimit(RLIMIT_NOFILE, &was) != 0 || was.rlim_max < 16400)
        return;
    rl = was;
    rl.rlim_cur = rl.rlim_max;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit failed in the test");
    fd = rl.rlim_max > 1000000 ? 999999 : (int)rl.rlim_max - 1;
    cr_assert(pipe(p) == 0 && dup2(p[0], fd) == fd && write(p[1], "x", 1) == 1,
              "pipe/dup2 failed in the test");
    close(p[0]);
    l = new_loop();
    rc = loop_watch(l, fd, LOOP_READ, high_fd_cb, &calls);
    cr_assert_eq(
        rc, 0,
        "loop_watch(fd=%d, LOOP_READ) with the soft open-file limit raised to %llu "
        "returned %d (%s), expected 0: any fd >= 0 can be watched, however high (size "
        "the table by the fds watched, growing it as needed, not a fixed count)" CHECK_NOT_TIMING,
        fd, (unsigned long long)rl.rlim_max, rc, rc < 0 ? strerror(-rc) : "?");
    run(l, "with one readable pipe numbered past 16,383 watched");
    cr_assert_eq(calls, 1,
                 "a readable pipe numbered %d, watched: its callback ran %d times, "
                 "expected once" CHECK_NOT_TIMING,
                 fd, calls);
    loop_free(l);
    close(fd);
    close(p[1]);
    setrlimit(RLIMIT_NOFILE, &was);
}

Test(loop, many_fds, .timeout = 5)
{
    enum { N = 400, READY = 320, FIRST = 80, WAVE = 20 };
    static int fds[N], peers[N], calls[N], order[N];
    struct many m = {
        .fds = fds, .peers = peers, .calls = calls, .n = N, .nready = READY, .wave = WAVE};
    struct loop *l = new_loop();
    int sv[2];

    for (int i = 0; i < N; i++) {
        pair(sv);
        fds[i] = sv[0];
        peers[i] = sv[1];
        calls[i] = 0;
        order[i] = i;
    }
    /* watched in one shuffled order, made readable in another: 80 before the loop runs, the
     * rest in waves of 20, one a round; 80 stay idle (watched, never readable) to the end */
    shuffle(fds, peers, N);
    shuffle(order, NULL, N);
    for (int i = 0; i < N; i++)
        watch(l, fds[order[i]], LOOP_READ, many_cb, &m);
    for (; m.written < FIRST; m.written++)
        cr_assert(write(peers[m.written], "x", 1) == 1, "write failed in the test");
    after(l, 0, many_step, &m);
    run(l, "with 400 watched sockets");
    for (int i = 0; i < N; i++) {
        cr_assert(i >= READY || calls[i] != 0,
                  "400 sockets watched, 320 made readable in waves (%d before the loop ran, "
                  "then %d a round), each callback reading its fd and unwatching it, 80 idle: "
                  "fd %d's callback never ran (%d of the 320 never did), though it was "
                  "readable (and still watched) for 5 rounds after the last wave. Every "
                  "watched fd must be in the pollfd array, and every entry whose revents is "
                  "set called back: scan all npfd entries, not the first n (poll()'s return), "
                  "and when an fd is unwatched from the middle and the last entry moves into "
                  "its hole, update the moved fd's slot",
                  FIRST, WAVE, fds[i], m.left);
        cr_assert_eq(calls[i], i < READY,
                     "400 sockets watched, 320 made readable once, each callback unwatching "
                     "its fd, 80 never readable: fd %d's callback ran %d times, expected %s",
                     fds[i], calls[i], i < READY ? "once" : "never");
    }
    loop_free(l);
    all_ready_all_called(fds, peers, calls, N);
    for (int i = 0; i < N; i++) {
        close(fds[i]);
        close(peers[i]);
    }
    high_fd_watched();
}

Test(loop, no_fd_leak, .timeout = 2)
{
    int before = check_open_fds(), after_free;

    for (int i = 0; i < 3; i++) {
        struct loop *l = new_loop();

        after(l, 0, bad_timer, NULL);
        run(l, "with one timer");
        loop_free(l);
    }
    after_free = check_open_fds();
    cr_assert_eq(after_free, before,
                 "3 x loop_new(), loop_run(), loop_free(): %d descriptors open before, %d "
                 "after: loop_free() must close what loop_new() opened (the epoll fd)",
                 before, after_free);

    /* and nothing of the caller's: a loop freed while it still watches a socket, with a
     * timer pending, leaves the socket open and calls nothing */
    struct loop *l = new_loop();
    int sv[2], fired = 0;

    pair(sv);
    watch(l, sv[0], LOOP_READ, bad_cb, NULL);
    after(l, 0, count_timer, &fired);
    loop_free(l);
    cr_assert(fcntl(sv[0], F_GETFD) != -1,
              "loop_free() of a loop that watched fd %d closed it: watched descriptors are the "
              "caller's, they stay open",
              sv[0]);
    cr_assert_eq(fired, 0,
                 "loop_free() with a timer pending called it: pending timers are "
                 "dropped without a call");
    close(sv[0]);
    close(sv[1]);
}

/* The time of day is not a timer's clock: an administrator or NTP may set it at any
 * moment. Set forward an hour while a 100 ms timer is pending: a loop that reads
 * CLOCK_REALTIME finds the timer due at once (set back, it would fire an hour late); on
 * CLOCK_MONOTONIC nothing moves. Then the machine suspended an hour while the timer is
 * pending (CLOCK_BOOTTIME alone an hour on, as after a suspend): a loop that reads
 * CLOCK_BOOTTIME finds it due at once too, while poll() waits on CLOCK_MONOTONIC. Early
 * is no busy machine's doing. */
Test(loop, clock_set_meanwhile, .timeout = 3)
{
    static const struct {
        const char *how, *instead;
        double shift, slept;
    } cases[] = {
        {"the time of day set forward an hour", "CLOCK_REALTIME, gettimeofday() or time()", 3600,
         0},
        {"the machine suspended an hour (CLOCK_BOOTTIME an hour past CLOCK_MONOTONIC)",
         "CLOCK_BOOTTIME (which counts a suspend) or the time of day", 0, 3600},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fired f = {0};
        struct loop *l = new_loop();
        double due = check_now() + 0.1;
        int rc;

        after(l, 0.1, note_timer, &f);
        fault_clock_shift(cases[i].shift);
        fault_clock_suspend(cases[i].slept);
        rc = loop_run(l);
        fault_disarm_all();
        CHECK_IMPL(rc, "loop_run()", "loop.c");
        cr_assert_eq(rc, 0, "loop_run() with a 100 ms timer returned %d", rc);
        cr_assert_eq(f.calls, 1, "loop_after(0.1 s): the callback ran %d times, expected once",
                     f.calls);
        cr_assert(f.at >= due,
                  "a 100 ms timer, %s meanwhile: it fired %.1f ms early: time timers on "
                  "CLOCK_MONOTONIC (lab5.h), a clock that never jumps, not %s",
                  cases[i].how, 1000 * (due - f.at), cases[i].instead);
        loop_free(l);
    }
}

static void count_fd(struct loop *l, int fd, int events, void *arg)
{
    (void)events;
    (*(int *)arg)++;
    loop_unwatch(l, fd);
}

/* A loop_watch() that fails watches nothing: its k-th allocation refused (k = 1 to 4, on a
 * fresh loop and a descriptor numbered past 200, so that the tables must grow), it returns a
 * negative errno, and then loop_unwatch() of that fd is -ENOENT, and watching it again works
 * (its callback runs). A watch noted in the table before the allocation that failed, and not
 * undone, reads as watched: unwatching it moves a slot that is not there. */
static void watch_fails_watches_nothing(int fd)
{
    for (unsigned k = 1; k <= 4; k++) {
        struct loop *l = new_loop();
        int calls = 0, rc, rc_un, rc_again;

        fault_arm(FAULT_ALLOC, k, 0, ENOMEM);
        rc = loop_watch(l, fd, LOOP_READ, count_fd, &calls);
        fault_disarm_all();
        CHECK_IMPL(rc, "loop_watch()", "loop.c");
        if (rc == 0) { /* no k-th allocation: nothing more to refuse */
            loop_free(l);
            break;
        }
        rc_un = loop_unwatch(l, fd);
        rc_again = loop_watch(l, fd, LOOP_READ, count_fd, &calls);
        if (rc_again == 0)
            run(l, "with a readable descriptor watched after a failed loop_watch()");
        loop_free(l);
        cr_assert(rc < 0 && rc > -4096 && rc_un == -ENOENT && rc_again == 0 && calls == 1,
                  "loop_watch(fd=%d) on a fresh loop with allocation %u failing (ENOMEM) returned "
                  "%d; then loop_unwatch(fd) returned %d (expected -ENOENT: a failed watch "
                  "watches nothing), loop_watch(fd) again %d (expected 0) and the readable fd's "
                  "callback ran %d time(s) (expected 1): undo what loop_watch() noted before the "
                  "allocation that failed",
                  fd, k, rc, rc_un, rc_again, calls);
    }
}

/* Each loop_new() makes a loop of its own: a second loop, made while the first lives with a
 * watch and a timer, is new and empty (its run returns at once and calls nothing of the
 * first's); each then runs its own watch and timer only, and freeing the second leaves the
 * first whole. One loop in a static (or its heap of timers, its table of watches), handed
 * out or cleared again by every loop_new(), loses the first loop's. */
static void two_loops_at_once(void)
{
    int sa[2], sb[2], calls_a = 0, calls_b = 0, fired_a = 0, fired_b = 0, fds, rc;
    struct loop *a = new_loop(), *b;
    double t0;

    pair(sa);
    pair(sb);
    cr_assert_eq(write(sa[1], "x", 1), 1, "write failed in the test");
    cr_assert_eq(write(sb[1], "x", 1), 1, "write failed in the test");
    /* with loop_watch() still a stub (step 1 of the handout: timers only), timers only */
    rc = loop_watch(a, sa[0], LOOP_READ, count_fd, &calls_a);
    fds = rc != -ENOSYS;
    cr_assert(!fds || rc == 0, "loop_watch(fd=%d, LOOP_READ) returned %d, expected 0", sa[0], rc);
    after(a, 0.01, count_timer, &fired_a);
    b = new_loop();
    cr_assert(b != a,
              "loop_new() made a second loop while the first is alive and returned the same "
              "loop (%p): each loop_new() makes a new loop (allocate it, never a static)",
              (void *)b);
    t0 = check_now();
    run(b, "on a second loop, new and empty, made while the first has a watch and a timer");
    cr_assert(check_now() - t0 < 0.5 && calls_a == 0 && fired_a == 0,
              "loop_run() on a second loop, new and empty, took %.3f s and ran %d fd callback(s) "
              "and %d timer(s) of the first loop (alive, with a 10 ms timer%s): expected at "
              "once, and none: each loop has its own watches and timers",
              check_now() - t0, calls_a, fired_a, fds ? " and a readable socket watched" : "");
    if (fds)
        watch(b, sb[0], LOOP_READ, count_fd, &calls_b);
    after(b, 0.02, count_timer, &fired_b);
    run(b, "on the second of two loops alive at once");
    loop_free(b);
    cr_assert(calls_b == fds && fired_b == 1 && calls_a == 0 && fired_a == 0,
              "two loops alive at once, each with a timer%s: running the second ran its fd "
              "callback %d time(s) and its timer %d, and the first's %d and %d: expected %d, "
              "1, 0 and 0",
              fds ? " and a readable socket watched" : "", calls_b, fired_b, calls_a, fired_a, fds);
    run(a, "on the first of two loops, the second freed");
    loop_free(a);
    cr_assert(calls_a == fds && fired_a == 1,
              "two loops alive at once, each with a timer%s; the second run and freed: running "
              "the first then ran its fd callback %d time(s) and its timer %d, expected %d and "
              "1: a loop made later (or freed) must not touch another loop's watches and timers "
              "(no loop state in statics)",
              fds ? " and a readable socket watched" : "", calls_a, fired_a, fds);
    close(sa[0]);
    close(sa[1]);
    close(sb[0]);
    close(sb[1]);
}

/* The descriptor is the caller's (lab5.h): the loop leaves its flags as they were, a
 * blocking socket blocking (a loop that makes it O_NONBLOCK and never puts it back turns the
 * caller's next read() into EAGAIN). */
static void fd_flags_kept(int fd, int before, const char *what)
{
    int now = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);

    cr_assert_eq(now, before,
                 "a caller's socket, %s: its file status flags went from %#o to %#o%s: the "
                 "descriptor is the caller's, loop_watch() and loop_unwatch() leave its flags "
                 "as they were (lab5.h)",
                 what, (unsigned)before, (unsigned)now,
                 (now & O_NONBLOCK) && !(before & O_NONBLOCK) ? " (O_NONBLOCK left on)" : "");
    /* and its descriptor flags: the test's socket has no FD_CLOEXEC (an examiner's, round
     * 72: a loop that set it "so the loop's fds do not leak into an exec()") */
    cr_assert_eq(fdfl, 0,
                 "a caller's socket without FD_CLOEXEC, %s: its descriptor flags are now %#x%s: "
                 "the descriptor is the caller's, loop_watch() and loop_unwatch() leave every "
                 "flag of it as it was, FD_CLOEXEC too (the caller's exec() would close it)",
                 what, (unsigned)fdfl, fdfl & FD_CLOEXEC ? " (FD_CLOEXEC set)" : "");
}

/* Unwatching a descriptor that stays open (and readable) takes it out of the backend too:
 * an epoll loop that leaves it in the epoll set (no EPOLL_CTL_DEL) is woken by it on every
 * round, a spin, and cannot watch it again (EPOLL_CTL_ADD fails with EEXIST). Then a watch
 * that fails (watch_fails_watches_nothing()). */
Test(loop, unwatch_open_fd, .timeout = 3)
{
    struct loop *l = new_loop();
    int sv[2], calls = 0, fired = 0, rc;
    unsigned waits;

    pair(sv);
    int flags = fcntl(sv[0], F_GETFL);
    cr_assert_eq(fcntl(sv[0], F_SETFD, 0), 0, "fcntl failed in the test"); /* no FD_CLOEXEC */
    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    watch(l, sv[0], LOOP_READ, count_fd, &calls);
    /* while watched too: the caller may read it meanwhile (round 68: an examiner's loop made
     * it O_NONBLOCK at loop_watch() and put the flag back at loop_unwatch()) */
    fd_flags_kept(sv[0], flags, "while watched");
    rc = loop_unwatch(l, sv[0]);
    CHECK_IMPL(rc, "loop_unwatch()", "loop.c");
    cr_assert_eq(rc, 0, "loop_unwatch(fd=%d) of a watched fd returned %d, expected 0", sv[0], rc);
    fd_flags_kept(sv[0], flags, "watched, then unwatched");
    after(l, 0.1, count_timer, &fired);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    run(l, "with a 100 ms timer and a readable socket watched, then unwatched");
    waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    cr_assert(fired == 1 && calls == 0,
              "a readable socket watched, then unwatched, and a 100 ms timer: the timer "
              "fired %d times, the socket's callback ran %d times, expected 1 and 0",
              fired, calls);
    cr_assert(waits <= 5,
              "a readable socket watched, then unwatched (still open), and a 100 ms timer: "
              "the loop waited %u times in 100 ms, expected 1 or 2: an unwatched fd must not "
              "wake the loop (with epoll: EPOLL_CTL_DEL it in loop_unwatch())",
              waits);
    rc = loop_watch(l, sv[0], LOOP_READ, count_fd, &calls);
    CHECK_IMPL(rc, "loop_watch()", "loop.c");
    cr_assert_eq(rc, 0,
                 "loop_watch(fd=%d) of a socket watched before, then unwatched, returned %d "
                 "(%s), expected 0: an unwatched fd can be watched again (with epoll: "
                 "EPOLL_CTL_DEL it in loop_unwatch(), or the next EPOLL_CTL_ADD fails with "
                 "EEXIST)",
                 sv[0], rc, rc < 0 ? strerror(-rc) : "?");
    run(l, "with a readable socket watched again");
    cr_assert_eq(calls, 1,
                 "a readable socket watched again after loop_unwatch(): its callback ran %d "
                 "times, expected once",
                 calls);
    loop_free(l);
    fd_flags_kept(sv[0], flags, "watched again, called back, and its loop freed");
    int high = fcntl(sv[0], F_DUPFD, 200);

    cr_assert(high >= 0, "fcntl(F_DUPFD) failed in the test: %s", strerror(errno));
    watch_fails_watches_nothing(high);
    close(high);
    close(sv[0]);
    close(sv[1]);
}

/* ---- memory: what a call allocates, it frees ----------------------------------------------- */

/* How many calls each heap check makes after HEAP_WARM first ones (which may set up what
 * the C library and the test's wrappers keep for good: about 500 bytes over the first three
 * loops), and how many bytes in use the counted calls may add: the smallest block malloc()
 * gives is 32 bytes, so one block kept per call is HEAP_CALLS * 32 = 1024, four times the
 * allowance. */
enum { HEAP_WARM = 8, HEAP_CALLS = 32, HEAP_SLACK = 256 };

static void heap_read_once(struct loop *l, int fd, int events, void *arg)
{
    char c;

    (void)events;
    (*(int *)arg)++;
    cr_assert_eq(read(fd, &c, 1), 1, "read failed in the test");
    loop_unwatch(l, fd);
}

/* One loop's life: two sockets watched (one ready), a timer, run to the end, freed; and a
 * loop freed unrun with a socket watched and two timers pending. */
static void heap_one_loop(void)
{
    int a[2], b[2], calls = 0, fired = 0;
    struct loop *l = new_loop();

    pair(a);
    pair(b);
    cr_assert_eq(write(a[1], "x", 1), 1, "write failed in the test");
    watch(l, a[0], LOOP_READ, heap_read_once, &calls);
    watch(l, b[0], LOOP_READ, heap_read_once, &calls);
    after(l, 0.001, count_timer, &fired);
    after(l, 0, count_timer, &fired);
    cr_assert_eq(write(b[1], "y", 1), 1, "write failed in the test");
    run(l, "with two readable sockets and two timers");
    cr_assert(calls == 2 && fired == 2,
              "two readable sockets and two timers: %d socket callbacks and %d timers ran, "
              "expected 2 and 2",
              calls, fired);
    loop_free(l);
    l = new_loop();
    watch(l, a[0], LOOP_READ, heap_read_once, &calls);
    after(l, 0.5, count_timer, &fired);
    after(l, 1, count_timer, &fired);
    loop_free(l);
    cr_assert(calls == 2 && fired == 2, "loop_free() called a callback or a pending timer");
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

/* One loop with n pipes all readable in one round, run on a thread of its own: 100 need an
 * array of ready events of more than 100 entries, far past the 256 bytes a heap check
 * allows. On a thread of its own, as a glibc thread's cache of freed blocks (tcache, which
 * mallinfo2() counts as in use) goes back to the heap when the thread ends: a loop's arrays
 * grown step by step leave none of their smaller blocks counted. The first one (2 pipes)
 * only makes the heap for threads, as the C library keeps it. */
enum { WIDE_N = 100 };

struct wide {
    int n, calls, rc;
};

static void wide_read_once(struct loop *l, int fd, int events, void *arg)
{
    char c;

    (void)events;
    *(int *)arg += read(fd, &c, 1) == 1;
    loop_unwatch(l, fd);
}

static void *wide_loop(void *arg)
{
    struct wide *w = arg;
    int p[WIDE_N][2], opened = 0;
    struct loop *l = NULL;

    w->rc = loop_new(&l);
    for (; opened < w->n && w->rc == 0; opened++) {
        if (pipe(p[opened]) != 0 || write(p[opened][1], "x", 1) != 1) {
            w->rc = -1000; /* the test's own failure */
            break;
        }
        w->rc = loop_watch(l, p[opened][0], LOOP_READ, wide_read_once, &w->calls);
    }
    if (w->rc == 0)
        w->rc = loop_run(l);
    if (l)
        loop_free(l);
    for (int i = 0; i < opened; i++)
        close(p[i][0]), close(p[i][1]);
    return NULL;
}

static void heap_wide_loop(int n)
{
    struct wide w = {.n = n};
    pthread_t t;

    cr_assert_eq(pthread_create(&t, NULL, wide_loop, &w), 0, "pthread_create failed in the test");
    pthread_join(t, NULL);
    cr_assert(w.rc != -1000, "pipe or write failed in the test");
    CHECK_IMPL(w.rc, "loop_new(), loop_watch() or loop_run()", "loop.c");
    cr_assert(w.rc == 0 && w.calls == n,
              "a loop with %d readable pipes (on a thread of its own): the loop's calls "
              "returned %d, %d callbacks ran, expected 0 and %d",
              n, w.rc, w.calls, n);
}

/* loop_free() frees the loop: everything loop_new(), loop_watch(), loop_after() and
 * loop_run() allocated for it (the table of watches, the timers, the array of a round's
 * ready events), whether it ran or not. The last counted loop has 100 fds ready in one
 * round: an array of ready events kept in a file-static (shared by every loop, never
 * freed) keeps what that round grew it to. */
/* A loop whose waits fail: three runs that return -ENOMEM (the wait failed) and one
 * whose first three waits are interrupted (EINTR: waited again), then freed. A failed run
 * drops nothing (lab5.h), the array of a round's ready events included: one allocated
 * afresh each round and freed after the callbacks leaks at every wait that fails (an
 * examiner's, round 72). */
static void heap_failed_runs(void)
{
    int sv[2], calls = 0, fired = 0, rc;
    struct loop *l = new_loop();

    pair(sv);
    watch(l, sv[0], LOOP_READ, heap_read_once, &calls);
    after(l, 0.001, count_timer, &fired);
    for (int i = 0; i < 3; i++) {
        fault_arm(FAULT_POLL, 1, 1, ENOMEM);
        rc = loop_run(l);
        fault_disarm_all();
        cr_assert_eq(rc, -ENOMEM,
                     "loop_run() whose wait failed with ENOMEM returned %d (%s), expected "
                     "-ENOMEM (%d)",
                     rc, rc < 0 ? strerror(-rc) : "no error", -ENOMEM);
    }
    cr_assert_eq(write(sv[1], "x", 1), 1, "write failed in the test");
    fault_arm(FAULT_POLL, 1, 3, EINTR);
    rc = loop_run(l);
    fault_disarm_all();
    cr_assert(rc == 0 && calls == 1 && fired == 1,
              "loop_run() after 3 failed runs, its first 3 waits interrupted (EINTR), returned "
              "%d with %d socket callback(s) and %d timer(s) run, expected 0, 1 and 1",
              rc, calls, fired);
    loop_free(l);
    close(sv[0]);
    close(sv[1]);
}

Test(loop, frees_its_memory, .timeout = 4)
{
    size_t heap = 0;

    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM) {
            heap_wide_loop(2);
            heap = check_heap_in_use();
        }
        heap_one_loop();
        heap_failed_runs();
    }
    heap_wide_loop(WIDE_N);
    long kept = (long)check_heap_in_use() - (long)heap;
    cr_assert(kept < HEAP_SLACK,
              "%d loops (loop_new(), two sockets watched, two timers, loop_run(), loop_free(); "
              "one freed unrun with a socket watched and timers pending; one whose waits "
              "failed, 3 runs of -ENOMEM and 3 waits interrupted), then one with 100 pipes "
              "ready in one round, kept %ld more bytes of the heap in use (a failed run keeps "
              "nothing either): "
              "loop_free() frees every array the loop allocated, the one loop_run() fills with "
              "a round's ready events included (each loop's own, never a file-static: two "
              "loops in two threads would share it)",
              HEAP_CALLS, kept);
}

static void heap_no_done(struct loop *l, struct result *res, void *arg)
{
    (void)l;
    (void)res;
    (*(int *)arg)++;
}

/* A sleep refused (seconds < 0 or NaN, l or res NULL) returns -EINVAL and leaves nothing
 * behind: no timer on the loop (loop_run() has nothing to wait for, done is never called)
 * and nothing of the heap (what async_sleep() allocated before loop_after() refused it is
 * freed). */
/* Only seconds < 0 or NaN are refused (lab5.h): a sleep past what one poll() waits (INT_MAX
 * ms, 24.8 days) is taken, its wait made in pieces by the loop (loop::invalid's 30-day timer); an
 * examiner's async_sleep() refused those with -EINVAL (round 68). Scheduled, then dropped
 * with the loop, never run. */
static void long_sleeps_taken(void)
{
    /* +inf too: no NaN, not below 0, a sleep that never wakes (an examiner's, round 71:
     * refused with !isfinite()) */
    static const double secs[] = {2147483.648, 30 * 86400.0, 1e9, INFINITY};
    struct loop *l = new_loop();
    struct result r[4];
    int dones = 0;

    for (int i = 0; i < 4; i++) {
        int rc = async_sleep(l, secs[i], &r[i], heap_no_done, &dones);

        CHECK_IMPL(rc, "async_sleep()", "async.c");
        cr_assert_eq(rc, 0,
                     "async_sleep(seconds=%.9g, %.1f days) returned %d (%s), expected 0: lab5.h "
                     "refuses only seconds < 0 or NaN; a delay longer than one poll() can wait "
                     "(INT_MAX ms, 24.8 days) is the loop's to wait in pieces" CHECK_NOT_TIMING,
                     secs[i], secs[i] / 86400, rc, rc < 0 ? strerror(-rc) : "no error");
    }
    loop_free(l);
    cr_assert_eq(dones, 0, "4 long sleeps dropped with their loop (never run) called done %d times",
                 dones);
}

Test(async_sleep, refused, .timeout = 3)
{
    double bad[BAD_DELAYS];
    struct loop *l = new_loop();
    struct result r;
    size_t heap = 0;
    int dones = 0, rc;

    bad_delays(bad); /* every negative (below a microsecond too), -inf, NaN */
    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM)
            heap = check_heap_in_use();
        for (int i = 0; i < BAD_DELAYS; i++) {
            rc = async_sleep(l, bad[i], &r, heap_no_done, &dones);
            CHECK_IMPL(rc, "async_sleep()", "async.c");
            cr_assert_eq(rc, -EINVAL,
                         "async_sleep(seconds=%.9g) returned %d (%s), expected -EINVAL: lab5.h "
                         "refuses every seconds < 0, below a microsecond too (compare seconds "
                         "itself, !(seconds >= 0), not the delay in whole microseconds)",
                         bad[i], rc, rc < 0 ? strerror(-rc) : "no error");
        }
    }
    long kept = (long)check_heap_in_use() - (long)heap;
    cr_assert(kept < HEAP_SLACK,
              "%d x async_sleep() with seconds below 0 or NaN (each -EINVAL) kept %ld "
              "more bytes of the heap in use: a refused sleep frees what it allocated (check "
              "seconds before malloc(), or free the sleeper when loop_after() refuses it)",
              BAD_DELAYS * HEAP_CALLS, kept);
    rc = async_sleep(l, 0.001, NULL, heap_no_done, &dones);
    cr_assert_eq(rc, -EINVAL, "async_sleep(res=NULL) returned %d (%s), expected -EINVAL", rc,
                 rc < 0 ? strerror(-rc) : "no error");
    rc = async_sleep(NULL, 0.001, &r, heap_no_done, &dones);
    cr_assert_eq(rc, -EINVAL, "async_sleep(l=NULL) returned %d (%s), expected -EINVAL", rc,
                 rc < 0 ? strerror(-rc) : "no error");
    run(l, "after refused sleeps only");
    cr_assert_eq(dones, 0,
                 "loop_run() after sleeps that were all refused (-EINVAL) called done %d "
                 "times: a refused sleep schedules nothing",
                 dones);
    loop_free(l);
    /* and -0.0 is not below 0: a sleep of 0 s, as 0.0 is (its sign bit is no test of < 0) */
    l = new_loop();
    dones = 0;
    r = (struct result){.status = 77, .value = 777};
    rc = async_sleep(l, -0.0, &r, heap_no_done, &dones);
    cr_assert_eq(rc, 0,
                 "async_sleep(seconds=-0.0) returned %d (%s), expected 0: -0.0 == 0.0, not "
                 "below 0 (compare seconds < 0, never its sign bit)",
                 rc, rc < 0 ? strerror(-rc) : "no error");
    run(l, "with a sleep of -0.0 s");
    loop_free(l);
    cr_assert(dones == 1 && r.status == 0,
              "a sleep of -0.0 s: done ran %d times, status %d, expected once with status 0", dones,
              r.status);
    long_sleeps_taken();
}

/* A connect() refused at once (fault.h: FAULT_CONNECT), with the order's allocations from
 * the k-th on refused (k = 1 to 4; ENOMEM), each on a fresh loop (whose timers and tables
 * must grow for the report of the refusal): the order either could not start (-errno, done
 * never called) or is under way (0, then done once from the loop). Either way it keeps
 * nothing once the loop is freed: no descriptor, and no more of the heap, however many
 * calls (the socket closed at the refusal, the order's state freed on the failure after it). */
static void refused_without_memory_keeps_nothing(uint16_t port)
{
    struct result r;
    int before = check_open_fds(), dones, rc, failed = 0, wrong = 0, wrong_rc = 0, wrong_dones = 0;
    unsigned wrong_k = 0;
    size_t heap = 0;

    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM)
            heap = check_heap_in_use();
        for (unsigned k = 1; k <= 4; k++) {
            struct loop *l = new_loop();

            dones = 0;
            fault_arm(FAULT_CONNECT, 1, 1, ECONNREFUSED);
            fault_arm(FAULT_ALLOC, k, 0, ENOMEM);
            rc = async_order(l, port, check_rand(), &r, heap_no_done, &dones);
            fault_disarm_all();
            int early = dones;

            if (loop_run(l) != 0 || early != 0 || dones != (rc == 0) || rc > 0) {
                wrong++;
                wrong_k = k, wrong_rc = rc, wrong_dones = dones;
            }
            loop_free(l);
            failed += rc < 0;
            if (rc == 0) /* no k-th allocation: nothing more to refuse */
                break;
        }
    }
    long kept = (long)check_heap_in_use() - (long)heap;
    cr_assert_eq(
        wrong, 0,
        "async_order() whose connect() was refused at once, with its allocations from "
        "the %u-th on failing (ENOMEM), returned %d and done ran %d time(s) (or loop_run() "
        "did not return 0): expected 0 and done once from loop_run(), or -errno and "
        "done never",
        wrong_k, wrong_rc, wrong_dones);
    cr_assert(kept < HEAP_SLACK,
              "async_order() whose connect() was refused at once, with its allocations from "
              "the k-th on failing (ENOMEM; k = 1, 2, ... until one started, %d times over; "
              "%d calls returned -errno), kept %ld more bytes of the heap in use once each "
              "loop was freed: when the 0 s timer that would report the refusal cannot be "
              "scheduled, the order could not start: free its state before you return "
              "-errno, on this path as on every other",
              HEAP_CALLS, failed, kept);
    cr_assert_eq(check_open_fds(), before,
                 "async_order() whose connect() was refused at once, with its allocations "
                 "failing (ENOMEM), left %d descriptor(s) open once each loop was freed",
                 check_open_fds() - before);
}

/* An order that gets no socket (socket() fails: EMFILE, ENFILE) returns its -errno, never
 * calls done, and keeps nothing: neither a descriptor nor what it allocated for the order. */
Test(async_order, socket_fails, .timeout = 3)
{
    const int errs[] = {EMFILE, ENFILE};
    uint16_t port = check_kitchen_port();
    struct loop *l = new_loop();
    struct result r;
    int before = check_open_fds(), dones = 0, rc;
    size_t heap = 0;

    /* l or res NULL: -EINVAL, nothing started, done never called (lab5.h: "-EINVAL for l or
     * res NULL"; a result that goes to done alone is no result) */
    rc = async_order(NULL, port, check_rand(), &r, heap_no_done, &dones);
    CHECK_IMPL(rc, "async_order()", "async.c");
    cr_assert_eq(rc, -EINVAL, "async_order(l=NULL) returned %d (%s), expected -EINVAL (%d)", rc,
                 rc < 0 ? strerror(-rc) : "no error", -EINVAL);
    rc = async_order(l, port, check_rand(), NULL, heap_no_done, &dones);
    cr_assert_eq(rc, -EINVAL,
                 "async_order(res=NULL, with a done callback) returned %d (%s), expected -EINVAL "
                 "(%d): lab5.h refuses res NULL, done or not",
                 rc, rc < 0 ? strerror(-rc) : "no error", -EINVAL);
    run(l, "after orders refused with -EINVAL");
    cr_assert(dones == 0 && check_open_fds() == before,
              "async_order() refused with -EINVAL (l or res NULL): done was called %d time(s), "
              "%d descriptor(s) stayed open: a call refused starts nothing",
              dones, check_open_fds() - before);

    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM)
            heap = check_heap_in_use();
        for (int i = 0; i < 2; i++) {
            fault_arm(FAULT_SOCKET, 1, 0, errs[i]);
            rc = async_order(l, port, check_rand(), &r, heap_no_done, &dones);
            fault_disarm_all();
            CHECK_IMPL(rc, "async_order()", "async.c");
            cr_assert_eq(rc, -errs[i],
                         "async_order() with socket() failing (%s) returned %d (%s), expected "
                         "%d: an order that cannot start returns socket()'s -errno",
                         strerror(errs[i]), rc, rc < 0 ? strerror(-rc) : "no error", -errs[i]);
        }
    }
    long kept = (long)check_heap_in_use() - (long)heap;
    cr_assert(kept < HEAP_SLACK,
              "%d x async_order() with socket() failing (each returning its -errno) kept %ld "
              "more bytes of the heap in use: an order that cannot start frees what it "
              "allocated before it returns",
              2 * HEAP_CALLS, kept);
    cr_assert_eq(check_open_fds(), before,
                 "async_order() with socket() failing left %d descriptor(s) open",
                 check_open_fds() - before);
    run(l, "after orders that could not start");
    cr_assert_eq(dones, 0,
                 "orders that could not start (socket() failing): loop_run() called done %d "
                 "times: an order that returns -errno never calls done",
                 dones);
    loop_free(l);
    /* out of memory after the socket was made: the k-th allocation refused (k = 1 to 4), each
     * on a fresh loop (whose tables must grow to watch the socket) */
    for (unsigned k = 1; k <= 4; k++) {
        dones = 0;
        before = check_open_fds();
        l = new_loop();
        fault_arm(FAULT_ALLOC, k, 0, ENOMEM);
        rc = async_order(l, port, check_rand(), &r, heap_no_done, &dones);
        fault_disarm_all();
        run(l, "after an order with an allocation refused");
        loop_free(l);
        if (rc == 0) /* no k-th allocation: nothing more to refuse */
            break;
        cr_assert(rc < 0 && dones == 0 && check_open_fds() == before,
                  "async_order() with allocation %u failing (ENOMEM) returned %d, done was "
                  "called %d time(s) (expected 0) and %d descriptor(s) stayed open once the loop "
                  "was freed: an order that cannot start closes the socket it made (a failed "
                  "loop_watch() included) and returns -errno",
                  k, rc, dones, check_open_fds() - before);
    }
    refused_without_memory_keeps_nothing(port);
}

/* ---- async_sleep -------------------------------------------------------------------------- */

/* Every done callback, in the order they came; arg points at a slot of an array of
 * pointers to the log, so the slot tells which task it was. */
struct done_log {
    int calls;
    double at[64];
    struct result *res[64];
    struct result seen[64]; /* *res as done found it */
    void *arg[64];
};

static void log_done(struct loop *l, struct result *res, void *arg)
{
    struct done_log *d = *(struct done_log **)arg;

    (void)l;
    if (d->calls < 64) {
        d->at[d->calls] = check_now();
        d->res[d->calls] = res;
        d->seen[d->calls] = *res;
        d->arg[d->calls] = arg;
    }
    d->calls++;
}

/* A timer callback that holds the loop 30 ms (blocking, as no real callback may), then notes
 * when it let go (check_now()) in *arg. */
static void hold_30ms(struct loop *l, void *arg)
{
    struct timespec ms30 = {.tv_nsec = 30000000};

    (void)l;
    nanosleep(&ms30, NULL);
    *(double *)arg = check_now();
}

/* A thread of the test: the monotonic clock, held still (fault_clock_hold), runs again 50 ms
 * on (a real 50 ms). */
static void *clock_runs_after_50ms(void *arg)
{
    struct timespec ms50 = {0, 50 * 1000 * 1000};

    (void)arg;
    nanosleep(&ms50, NULL);
    fault_clock_hold(0);
    return NULL;
}

Test(async_sleep, wakes_on_time, .timeout = 3)
{
    const double secs[] = {0.04, 0.01, 0.025};
    struct done_log d = {0}, *dp[3] = {&d, &d, &d};
    struct result res[3];
    struct loop *l = new_loop();
    double t0 = check_now();
    int rc;

    for (int i = 0; i < 3; i++) {
        res[i] = (struct result){.value = 12345, .status = 77};
        rc = async_sleep(l, secs[i], &res[i], log_done, &dp[i]);
        CHECK_IMPL(rc, "async_sleep()", "async.c");
        cr_assert_eq(rc, 0, "async_sleep(%.3f s) returned %d, expected 0", secs[i], rc);
    }
    cr_assert_eq(d.calls, 0, "async_sleep() called done before the loop ran");
    fault_arm(FAULT_POLL, 1, 0, 0); /* counts the waits */
    run(l, "with 3 sleeps (40, 10, 25 ms)");
    unsigned waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    /* each wait lasts until a sleep is due (one each, however busy the machine): a sleep
     * that yields to the loop with 0 s timers until its time has come waits thousands */
    cr_assert(waits <= 12,
              "3 sleeps (40, 10, 25 ms): the loop waited %u times in its 40 ms (expected 3 or "
              "so): a sleep is one timer due after its seconds, so that the loop sleeps in "
              "poll() until then; a 0 s timer set again until the time has come makes every "
              "wait return at once, a spin",
              waits);
    cr_assert_eq(d.calls, 3, "3 sleeps with a done callback: done ran %d times, expected 3",
                 d.calls);
    for (int k = 0; k < 3; k++) {
        int i = (int)((struct done_log **)d.arg[k] - dp), want = k == 0 ? 1 : k == 1 ? 2 : 0;

        cr_assert(i >= 0 && i < 3, "done #%d got arg=%p, not the arg given to async_sleep()", k,
                  d.arg[k]);
        cr_assert_eq(i, want,
                     "sleeps of 40, 10, 25 ms: done #%d was the %.0f ms one, expected "
                     "the %.0f ms one",
                     k, 1000 * secs[i], 1000 * secs[want]);
        cr_assert(d.res[k] == &res[i], "done got res=%p, expected %p (the sleep's own)",
                  (void *)d.res[k], (void *)&res[i]);
        cr_assert(d.at[k] >= t0 + secs[i], "the %.0f ms sleep woke %.1f ms early", 1000 * secs[i],
                  1000 * (t0 + secs[i] - d.at[k]));
        /* it began after t0 and woke before its done ran: it cannot have woken later than
         * the test saw, however busy the machine (5 ms for a coarse clock) */
        double seen = 1e6 * (d.at[k] - t0 - secs[i]);
        cr_assert(res[i].status == 0 && (double)res[i].value <= seen + 5000,
                  "the %.0f ms sleep wrote status=%d value=%llu, expected status 0 and the "
                  "microseconds it woke late (the test saw it done %.0f us after its time)",
                  1000 * secs[i], res[i].status, (unsigned long long)res[i].value, seen);
        cr_assert(d.seen[k].status == res[i].status && d.seen[k].value == res[i].value,
                  "the %.0f ms sleep's done found status=%d value=%llu in its res, which then "
                  "became status=%d value=%llu: write the result first, then call done",
                  1000 * secs[i], d.seen[k].status, (unsigned long long)d.seen[k].value,
                  res[i].status, (unsigned long long)res[i].value);
    }
    rc = async_sleep(l, -1, &res[0], NULL, NULL);
    cr_assert_eq(rc, -EINVAL, "async_sleep(seconds=-1) returned %d, expected -EINVAL", rc);

    /* The time of day set forward an hour while a 20 ms sleep waits (fault_clock_shift):
     * how late it woke is measured on a clock that never jumps, so it is still no later than
     * the test saw. Only the value is judged here: a sleep that woke early is the loop's
     * (loop::clock_set_meanwhile), and its value is 0. */
    res[0] = (struct result){.value = 12345, .status = 77};
    t0 = check_now();
    d.calls = 0;
    rc = async_sleep(l, 0.02, &res[0], log_done, &dp[0]);
    cr_assert_eq(rc, 0, "async_sleep(0.02 s) returned %d, expected 0", rc);
    fault_clock_shift(3600);
    rc = loop_run(l);
    fault_disarm_all();
    double seen = 1e6 * (check_now() - t0 - 0.02);
    cr_assert_eq(rc, 0, "loop_run() with a 20 ms sleep returned %d", rc);
    cr_assert(res[0].status == 0 && (double)res[0].value <= (seen > 0 ? seen : 0) + 5000,
              "a 20 ms sleep, the time of day set forward an hour meanwhile: it wrote status=%d "
              "value=%llu us late, expected status 0 and at most the %.0f us the test saw: "
              "measure how late it woke on CLOCK_MONOTONIC, a clock that never jumps, not "
              "CLOCK_REALTIME, gettimeofday() or time()",
              res[0].status, (unsigned long long)res[0].value, seen > 0 ? seen : 0);

    /* And no less late than it was: a 0.05 ms sleep behind a 0 s timer whose callback holds
     * the loop 30 ms wakes at least (the callback's end) - (the sleep's due time) late, which
     * the test bounds from its own clock, to 0.3 ms: the value counts microseconds, 1e6 a
     * second, from `seconds` after the call (a due time rounded up to whole ms, as poll()
     * counts, reports 0.95 ms too little). */
    double held_until = 0;
    res[0] = (struct result){.value = 12345, .status = 77};
    d.calls = 0;
    after(l, 0, hold_30ms, &held_until);
    rc = async_sleep(l, 0.00005, &res[0], log_done, &dp[0]);
    double due_by = check_now() + 0.00005;
    cr_assert_eq(rc, 0, "async_sleep(0.00005 s) returned %d, expected 0", rc);
    run(l, "with a 0.05 ms sleep behind a 0 s timer that holds the loop 30 ms");
    double least = 1e6 * (held_until - due_by) - 300;
    cr_assert(res[0].status == 0 && (double)res[0].value >= least,
              "a 0.05 ms sleep behind a 0 s timer whose callback held the loop 30 ms wrote "
              "status=%d value=%llu, expected status 0 and at least %.0f: it woke that many "
              "microseconds late or more (the test saw the hold end then); value counts "
              "microseconds, not ms, after the time due: `seconds` from the call, to the "
              "microsecond (not rounded to whole ms)",
              res[0].status, (unsigned long long)res[0].value, least);

    /* Late by less than a ms: the monotonic clock held still (fault_clock_hold) while a 1 ms
     * sleep is set, then held again 1.6 ms on: the sleep is due at once and wakes 0.6 ms late
     * to the nanosecond, whatever the machine does; it reports that, in microseconds (never
     * 0 for "under poll()'s resolution") */
    {
        struct timespec ts;
        double t1, t2 = 0, want = 0;

        res[0] = (struct result){.value = 12345, .status = 77};
        fault_clock_hold(1);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t1 = ts.tv_sec + ts.tv_nsec / 1e9;
        rc = async_sleep(l, 0.001, &res[0], NULL, NULL);
        cr_assert_eq(rc, 0, "async_sleep(0.001 s) returned %d, expected 0", rc);
        for (int tries = 0; tries < 100 && !(want >= 400 && want <= 800); tries++) {
            fault_clock_hold(0);
            fault_clock_uptime(0);
            clock_gettime(CLOCK_MONOTONIC, &ts);
            fault_clock_uptime(t1 + 0.0016 - (ts.tv_sec + ts.tv_nsec / 1e9));
            fault_clock_hold(1);
            clock_gettime(CLOCK_MONOTONIC, &ts);
            t2 = ts.tv_sec + ts.tv_nsec / 1e9;
            want = 1e6 * (t2 - t1 - 0.001);
        }
        rc = loop_run(l);
        fault_disarm_all();
        cr_assert_eq(rc, 0, "loop_run() with a 1 ms sleep returned %d", rc);
        cr_assert(res[0].status == 0 && (double)res[0].value >= want - 5 &&
                      (double)res[0].value <= want + 5,
                  "a 1 ms sleep that woke %.0f us late (the monotonic clock held still, then "
                  "moved on %.3f ms) wrote status=%d value=%llu, expected status 0 and %.0f: "
                  "the microseconds late, however few (under a ms too: never rounded to 0)",
                  want, 1e3 * (t2 - t1), res[0].status, (unsigned long long)res[0].value, want);
    }

    /* Never early, to the fraction of a ms: a 10.9 ms sleep set while the monotonic clock holds
     * still (t1), then the clock held at t1 + 10.5 ms for 50 ms (a thread of the test lets it
     * run again): the sleep is not due yet, whatever the machine does; a sleep asked of the
     * loop rounded down to whole ms (10) wakes there, early */
    {
        struct timespec ts;
        pthread_t th;
        double t1, early_at;

        res[0] = (struct result){.value = 12345, .status = 77};
        d.calls = 0;
        fault_clock_hold(1);
        t1 = check_now();
        rc = async_sleep(l, 0.0109, &res[0], log_done, &dp[0]);
        cr_assert_eq(rc, 0, "async_sleep(0.0109 s) returned %d, expected 0", rc);
        fault_clock_hold(0);
        fault_clock_uptime(0);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        fault_clock_uptime(t1 + 0.0105 - (ts.tv_sec + ts.tv_nsec / 1e9));
        fault_clock_hold(1);
        early_at = check_now();
        cr_assert_eq(pthread_create(&th, NULL, clock_runs_after_50ms, NULL), 0,
                     "pthread_create failed in the test");
        rc = loop_run(l);
        pthread_join(th, NULL);
        fault_disarm_all();
        cr_assert(rc == 0 && d.calls == 1,
                  "loop_run() with a 10.9 ms sleep returned %d, done ran "
                  "%d times, expected 0 and once",
                  rc, d.calls);
        cr_assert(d.at[0] >= t1 + 0.0109,
                  "a 10.9 ms sleep woke when the monotonic clock read %.2f ms after its call (the "
                  "clock held still at %.2f ms for 50 ms): %.2f ms early. Ask the loop for "
                  "`seconds` as they are (loop_after() rounds poll()'s wait up, never the due "
                  "time down), not rounded to whole ms",
                  1e3 * (d.at[0] - t1), 1e3 * (early_at - t1), 1e3 * (t1 + 0.0109 - d.at[0]));
    }

    /* However late: the monotonic clock reads 5,000 s on (fault_clock_uptime, as after a
     * loop held up that long) once a 1 ms sleep is set. It wakes 5,000 s late: 5e9 us, more
     * than 32 bits hold (2^32 us is 71.6 minutes). */
    res[0] = (struct result){.value = 12345, .status = 77};
    rc = async_sleep(l, 0.001, &res[0], log_done, &dp[0]);
    cr_assert_eq(rc, 0, "async_sleep(0.001 s) returned %d, expected 0", rc);
    fault_clock_uptime(5000);
    rc = loop_run(l);
    fault_disarm_all();
    cr_assert_eq(rc, 0, "loop_run() with a 1 ms sleep returned %d", rc);
    cr_assert(res[0].status == 0 && res[0].value >= UINT64_C(4999000000) &&
                  res[0].value <= UINT64_C(5100000000),
              "a 1 ms sleep that woke 5,000 s late (the monotonic clock moved on that far) wrote "
              "status=%d value=%llu, expected status 0 and about 5000000000 (microseconds): "
              "keep the lateness in 64 bits, a uint64_t, all the way to res->value",
              res[0].status, (unsigned long long)res[0].value);
    loop_free(l);
}

/* ---- async_order -------------------------------------------------------------------------- */

static void count_done(struct loop *l, struct result *res, void *arg)
{
    (void)l;
    (void)res;
    (*(int *)arg)++;
}

/* The voluntary context switches of the test's thread while orders() placed its orders (the
 * async_order() calls, before loop_run()): each a sleep outside any wait. */
static long orders_start_sleeps;

static long thread_sleeps(void)
{
    struct rusage u;

    getrusage(RUSAGE_THREAD, &u);
    return u.ru_nvcsw;
}

/* Start n orders on one loop, run it; returns the wall time. */
static double orders(uint16_t port, const uint64_t *items, size_t n, struct result *res, int *done)
{
    struct loop *l = new_loop();
    double t0 = check_now();

    *done = 0;
    orders_start_sleeps = thread_sleeps();
    for (size_t i = 0; i < n; i++) {
        int rc;

        res[i] = (struct result){.value = 0, .status = 77};
        rc = async_order(l, port, items[i], &res[i], count_done, done);
        CHECK_IMPL(rc, "async_order()", "async.c");
        cr_assert_eq(rc, 0, "async_order(port=%u, item=%llu) returned %d (%s), expected 0", port,
                     (unsigned long long)items[i], rc, rc < 0 ? strerror(-rc) : "?");
    }
    orders_start_sleeps = thread_sleeps() - orders_start_sleeps;
    cr_assert_eq(*done, 0,
                 "async_order() called done before returning (%d times): done comes "
                 "only from loop_run()",
                 *done);
    run(l, "with orders in flight");
    loop_free(l);
    return check_now() - t0;
}

/* Every order came back with status 0 and the reply of the kitchen on `port`: the kitchen
 * checks them all, on one connection. */
enum { CHECKED_MAX = 64 };
static void check_replies(const char *what, uint16_t port, const uint64_t *items, size_t n,
                          const struct result *res, int done)
{
    uint64_t values[CHECKED_MAX];
    unsigned char ok[CHECKED_MAX];

    cr_assert(n <= CHECKED_MAX, "check_replies: %zu orders (a test's bug)", n);
    cr_assert_eq(done, (int)n, "%s: done ran %d times for %zu orders, expected once each", what,
                 done, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert(res[i].status == 0,
                  "%s: order %zu (item=%llu) got status=%d value=%llu, expected status 0", what, i,
                  (unsigned long long)items[i], res[i].status, (unsigned long long)res[i].value);
        values[i] = res[i].value;
    }
    check_kitchen_says(port, n, items, values, ok);
    for (size_t i = 0; i < n; i++)
        cr_assert(ok[i], "%s: order %zu (item=%llu) got value=%llu: " CHECK_NOT_REPLY, what, i,
                  (unsigned long long)items[i], (unsigned long long)res[i].value);
    for (size_t i = 0; i < n; i++) /* observed, for a test marked values=reference */
        check_observe_result(i, &res[i], port != check_kitchen_port(), ok[i]);
}

Test(async_order, one_order, .timeout = 3)
{
    uint64_t item[1] = {check_rand()};
    struct result res[1];
    int done, before = check_open_fds(), after_run;

    orders(check_kitchen_port(), item, 1, res, &done);
    check_replies("one async_order()", check_kitchen_port(), item, 1, res, done);
    after_run = check_open_fds();
    cr_assert_eq(after_run, before,
                 "one async_order(item=%llu): %d descriptors open before, %d "
                 "after: close the socket when the order is done",
                 (unsigned long long)item[0], before, after_run);

    /* a connect() that completes at once, as a non-blocking one may (fault.h: FAULT_AT_ONCE):
     * it returns 0 and leaves errno as an earlier call left it; the order is connected, not
     * failed: judge connect() by what it returns, errno only after a -1 */
    item[0] = check_rand();
    fault_arm(FAULT_CONNECT, 1, 1, FAULT_AT_ONCE);
    orders(check_kitchen_port(), item, 1, res, &done);
    fault_disarm_all();
    cr_assert(done == 1 && res[0].status == 0,
              "async_order(item=%llu) whose connect() returned 0 at once (connected, errno left "
              "%s from an earlier call): done ran %d times with status %d, expected once with "
              "0: connect() succeeded; read errno only when it returned -1 (then EINPROGRESS "
              "is a connection under way)",
              (unsigned long long)item[0], strerror(FAULT_STALE_ERRNO), done, res[0].status);
    check_replies("an async_order() whose connect() completed at once", check_kitchen_port(), item,
                  1, res, done);
}

/* A kitchen of the test's own, in the mode `c` says (kitchen.h). */
static void kitchen_of_its_own(struct kitchen *k, const struct kitchen_conf *c)
{
    const char *bin = check_env("KITCHEN_BIN");
    int rc;

    cr_assert(bin && *bin, "no KITCHEN_BIN in the environment (run the tests with make check)");
    rc = kitchen_start(bin, c, k);
    cr_assert_eq(rc, 0, "the test could not start a kitchen (%s): %s", bin, strerror(-rc));
}

/* TCP sockets whose remote end is 127.0.0.1:`port` in a state only the side that closed
 * first goes through (FIN_WAIT1 04, FIN_WAIT2 05, TIME_WAIT 06, CLOSING 07), from
 * /proc/net/tcp (a line's 3rd field is the remote address, 0100007F:PORT in hex, its 4th
 * the state). */
static int client_closed_first(uint16_t port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512], rem[64], want[32];
    unsigned st;
    int n = 0;

    if (!f)
        return -1;
    snprintf(want, sizeof(want), "0100007F:%04X", port);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, " %*s %*s %63s %x", rem, &st) == 2 && st >= 4 && st <= 7 &&
            !strcmp(rem, want))
            n++;
    fclose(f);
    return n;
}

/* The kitchen closes each connection after its reply (here 30 ms after it); the waiter
 * reads until it has (recv() returns 0) and only then closes. A waiter that closes as soon
 * as it has the newline closes first, and its side of every order sits in TIME_WAIT for a minute,
 * holding an ephemeral port: 10,000 orders a run exhaust them. */
Test(async_order, kitchen_closes_first, .timeout = 4)
{
    enum { N = 6 };
    uint64_t items[N];
    struct result res[N];
    struct kitchen k;
    int done, waits, before;

    for (int i = 0; i < N; i++)
        items[i] = check_rand();
    struct kitchen_conf c = {.latency_ms = 20, .hold_ms = 30}; /* hangs up 30 ms late */

    kitchen_of_its_own(&k, &c);
    before = client_closed_first(k.port); /* an old connection to a port now reused */
    orders(k.port, items, N, res, &done);
    waits = client_closed_first(k.port) - before;
    check_replies("6 async_order()", k.port, items, N, res, done);
    kitchen_stop(&k);
    if (before < 0)
        cr_skip_test("cannot read /proc/net/tcp here: %s", strerror(errno));
    cr_assert_eq(waits, 0,
                 "6 orders: %d of the waiter's connections to the kitchen were closed by the "
                 "waiter before the kitchen hung up (FIN_WAIT or TIME_WAIT): read until "
                 "recv() returns 0 (the kitchen hangs up after its reply), then close",
                 waits);
}

/* An order sent and waiting for its reply waits for LOOP_READ only: a connected socket is
 * writable all the time, so one still watched for LOOP_WRITE makes every poll() return at
 * once, and the loop spins for as long as the kitchen takes. Four orders to a kitchen that
 * replies after 150 ms: the test counts the loop's waits (poll() or epoll_wait() calls). */
Test(async_order, waits_asleep, .timeout = 4)
{
    enum { N = 4 };
    uint64_t items[N];
    struct result res[N];
    struct kitchen k;
    unsigned waits;
    int done;

    for (int i = 0; i < N; i++)
        items[i] = check_rand();
    struct kitchen_conf c = {.latency_ms = 150};

    kitchen_of_its_own(&k, &c);
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    orders(k.port, items, N, res, &done);
    waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    check_replies("4 async_order() to a kitchen replying after 150 ms", k.port, items, N, res,
                  done);
    kitchen_stop(&k);
    cr_assert(waits <= 10 * N + 10,
              "4 orders to a kitchen that replies after 150 ms: the loop waited %u times "
              "(poll() or epoll_wait() calls), expected a few per order: once the line is "
              "sent, watch for LOOP_READ only; a connected socket is always writable, and a "
              "watch that keeps LOOP_WRITE wakes every poll() at once (a spin)",
              waits);
}

Test(async_order, concurrent, .timeout = 6)
{
    enum { N = 40 };
    uint64_t items[N];
    struct result res[N];
    int done;
    double took;

    unsigned waits;
    long sleeps;

    for (int i = 0; i < N; i++)
        items[i] = i < 2 ? (i ? UINT64_MAX : 0) : check_rand();
    sleeps = thread_sleeps();
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    took = orders(check_kitchen_port(), items, N, res, &done);
    waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    sleeps = thread_sleeps() - sleeps - orders_start_sleeps;
    check_replies("40 async_order() on one loop", check_kitchen_port(), items, N, res, done);
    /* The loop's thread gives up the CPU of its own will (a voluntary context switch,
     * counted by the kernel, not timed) only in its waits, at most once each bar a rare
     * wake-up with nothing ready; placing an order (a non-blocking connect()) never: a nap,
     * a blocking call or a sleep there or in a callback is one more each order. */
    cr_assert(orders_start_sleeps < N / 4,
              "40 async_order() calls (before loop_run()) slept %ld times (voluntary context "
              "switches, counted by the kernel): starting an order never sleeps (no "
              "nanosleep(), usleep(), no blocking call), however short: the loop's thread "
              "sleeps only in poll() or epoll_wait()",
              orders_start_sleeps);
    cr_assert(sleeps - (long)waits < N / 2,
              "40 orders on one loop: loop_run()'s thread slept %ld times (voluntary context "
              "switches, counted by the kernel) in %u waits: it sleeps only in poll() or "
              "epoll_wait(), once a wait at most; a callback never sleeps (no nanosleep(), "
              "usleep(), no blocking call), however short",
              sleeps, waits);
    /* one after another cannot take less than 2 s, however quiet the machine; at once
     * takes well under 1 s however busy */
    cr_assert(took < 1.0,
              "40 orders of 50 ms each on one loop took %.3f s: one after another takes 2 s, "
              "all in flight at once about 0.05 s. Never block inside a callback (no blocking "
              "recv(), no waiting loop): return to the loop and let it call you back",
              took);
}

/*
 * A kitchen whose door is jammed: a listener whose accept queue is full drops new SYNs,
 * so connecting to it takes a second or more (the SYN is sent again after 1 s). A
 * blocking connect() stalls the whole loop for that long; a non-blocking one is just one
 * more order in flight while the others are served.
 */
struct jam {
    int listen_fd;
    double good_at;
    int good_done, stuck_done;
    struct result good, stuck;
};

static void jam_good(struct loop *l, struct result *r, void *arg)
{
    struct jam *j = arg;

    (void)l;
    (void)r;
    j->good_at = check_now();
    j->good_done++;
}

static void jam_stuck(struct loop *l, struct result *r, void *arg)
{
    (void)l;
    (void)r;
    ((struct jam *)arg)->stuck_done++;
}

/* Close the jammed door: the SYN sent again is then refused, and that order ends. */
static void jam_close(struct loop *l, void *arg)
{
    struct jam *j = arg;

    (void)l;
    close(j->listen_fd);
    j->listen_fd = -1;
}

static uint16_t jammed_door(int *lfd, int fill[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint16_t port;

    *lfd = check_listen(0, &port);
    a.sin_port = htons(port);
    for (int k = 0; k < 2; k++) { /* never accepted: the queue stays full */
        fill[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        cr_assert(fill[k] >= 0, "socket() failed in the test: %s", strerror(errno));
        connect(fill[k], (struct sockaddr *)&a, sizeof(a));
    }
    usleep(50000);
    return port;
}

Test(async_order, connect_does_not_block, .timeout = 8)
{
    struct jam j = {0};
    int fill[2];
    uint16_t door = jammed_door(&j.listen_fd, fill);
    uint64_t item = check_rand();
    struct loop *l = new_loop();
    double t0 = check_now();
    int rc;

    rc = async_order(l, check_kitchen_port(), item, &j.good, jam_good, &j);
    CHECK_IMPL(rc, "async_order()", "async.c");
    cr_assert_eq(rc, 0, "async_order() to the kitchen returned %d, expected 0" CHECK_NOT_TIMING,
                 rc);
    rc = async_order(l, door, item, &j.stuck, jam_stuck, &j);
    cr_assert_eq(rc, 0,
                 "async_order() to a kitchen slow to answer the door returned %d, "
                 "expected 0 (the connection is only under way)" CHECK_NOT_TIMING,
                 rc);
    cr_assert(check_now() - t0 < 0.2,
              "async_order() took %.3f s to return while connecting to a kitchen slow to answer "
              "the door: connect() must not block (a non-blocking socket: EINPROGRESS, then "
              "wait for LOOP_WRITE)",
              check_now() - t0);
    after(l, 0.3, jam_close, &j);
    run(l, "with one order to a jammed door");
    cr_assert_eq(j.good_done, 1,
                 "the order to the working kitchen: done ran %d times" CHECK_NOT_TIMING,
                 j.good_done);
    cr_assert(j.good.status == 0 && check_reply_ok(check_kitchen_port(), item, j.good.value),
              "the order to the working kitchen: status %d value %llu, expected 0 and the "
              "kitchen's reply (%s)" CHECK_NOT_TIMING,
              j.good.status, (unsigned long long)j.good.value,
              j.good.status ? "it never came" : CHECK_NOT_REPLY);
    cr_assert(j.good_at - t0 < 0.25,
              "the order to the working kitchen took %.3f s while another order was still "
              "connecting: one slow connect() held up the whole loop",
              j.good_at - t0);
    cr_assert(j.stuck_done == 1 && j.stuck.status < 0,
              "the order to a door that closed while it connected: done ran %d times, status "
              "%d, expected once with a negative errno",
              j.stuck_done, j.stuck.status);
    close(fill[0]);
    close(fill[1]);
    loop_free(l);
}

static void special_kitchen(struct kitchen *k, int split, int close_early, int cut)
{
    struct kitchen_conf c = {
        .latency_ms = 50, .split = split, .close_early = close_early, .cut = cut};

    kitchen_of_its_own(k, &c);
}

Test(async_order, partial_reply, .timeout = 4)
{
    enum { N = 4 };
    uint64_t items[N];
    struct result res[N];
    struct kitchen k;
    int done;

    for (int i = 0; i < N; i++)
        items[i] = check_rand() | 1ULL << 63; /* replies of many digits */
    special_kitchen(&k, 1, 0, 0);
    fault_arm(FAULT_READ, 0, 0, 0); /* count only */
    orders(k.port, items, N, res, &done);
    unsigned recvs = fault_calls(FAULT_READ);
    fault_disarm_all();
    check_replies("4 async_order() with every reply arriving one byte at a time (1 ms apart)",
                  k.port, items, N, res, done);
    kitchen_stop(&k);
    /* a recv() that finds nothing yet (EAGAIN) ends the callback: the loop says when more
     * came. A right order calls recv() a few times a byte at most (the byte, an EAGAIN, the
     * hang-up's 0); an examiner's retried recv() on EAGAIN inside the callback once its reply
     * had begun (round 68): the loop stuck in one order, thousands of calls a millisecond */
    size_t bytes = 0;

    for (int i = 0; i < N; i++)
        bytes += (size_t)snprintf(NULL, 0, "%llu\n", (unsigned long long)res[i].value);
    cr_assert(recvs <= 3 * bytes + 4 * N,
              "4 async_order() whose replies (%zu bytes in all) came one byte at a time, 1 ms "
              "apart: %u recv() calls, expected at most 3 a byte: a recv() that returns EAGAIN "
              "ends the callback, and the loop calls it back when more came; retrying it at once "
              "is a spin that holds up every other order and timer" CHECK_NOT_TIMING,
              bytes, recvs);
    /* and the other way: every send() and recv() moves one byte, as a socket may */
    for (int i = 0; i < N; i++)
        items[i] = check_rand() | 1ULL << 63;
    fault_arm(FAULT_WRITE, 1, 0, FAULT_SHORT);
    fault_arm(FAULT_READ, 1, 0, FAULT_SHORT);
    orders(check_kitchen_port(), items, N, res, &done);
    fault_disarm_all();
    check_replies("4 async_order() with every send() and recv() moving one byte: send the "
                  "rest of the line on the next LOOP_WRITE",
                  check_kitchen_port(), items, N, res, done);
}

/* *res as async_order() left it when it returned: the caller's 77/777, untouched (lab5.h:
 * neither *res nor done before async_order() returns, not even a mark of "pending"). */
static void untouched_at_return(const struct result *r, const char *what)
{
    cr_assert(r->status == 77 && r->value == 777,
              "async_order() %s wrote *res before it returned (status %d, value %llu where the "
              "caller had 77 and 777): *res is the order's outcome, written only from "
              "loop_run() when the order ends (lab5.h: neither *res nor done before "
              "async_order() returns), no mark of \"pending\" either: keep even an immediate "
              "error in the order and write *res in the 0 s timer that finishes it",
              what, r->status, (unsigned long long)r->value);
}

Test(async_order, refused, .timeout = 3)
{
    uint64_t item = check_rand();
    struct result res;
    int done, before = check_open_fds(), after_run, rc;
    struct loop *l;

    /* a free port, then port 0 (no kitchen's, and refused as any other: no -EINVAL) */
    for (int k = 0; k < 2; k++) {
        uint16_t nobody = k == 0 ? check_free_port() : 0;

        l = new_loop();
        done = 0;
        res = (struct result){.value = 777, .status = 77};
        rc = async_order(l, nobody, item, &res, count_done, &done);
        CHECK_IMPL(rc, "async_order()", "async.c");
        untouched_at_return(&res, "to a port nobody listens on");
        cr_assert_eq(rc, 0,
                     "async_order(port=%u (nobody listening)) returned %d: once the order is "
                     "under way, its failure is reported in res, not by the return value",
                     nobody, rc);
        cr_assert_eq(done, 0,
                     "async_order(port=%u (nobody listening)) called done before "
                     "returning: report even an immediate failure from the loop (a 0 s timer)",
                     nobody);
        run(l, "with a refused order");
        loop_free(l);
        cr_assert(done == 1 && res.status == -ECONNREFUSED && res.value == 0,
                  "async_order(port=%u (nobody listening)), the caller's res holding value 777: "
                  "done ran %d times, status %d value %llu, expected once with -ECONNREFUSED "
                  "(%d) and value 0: after a non-blocking connect, the error is in "
                  "getsockopt(SO_ERROR); a failed order's value is 0 (the handout), written "
                  "whatever res held before",
                  nobody, done, res.status, (unsigned long long)res.value, -ECONNREFUSED);
        after_run = check_open_fds();
        cr_assert_eq(after_run, before,
                     "a refused async_order(): %d descriptors open before, %d "
                     "after",
                     before, after_run);
    }

    /* a connect() that fails at once (it may, even non-blocking): the order was under way, a
     * failed connection is its outcome (lab5.h: -ECONNREFUSED in *res), so 0, then done from
     * the loop; never done() inside async_order() */
    int early;
    l = new_loop();
    done = 0;
    res = (struct result){.value = 777, .status = 77};
    fault_arm(FAULT_CONNECT, 1, 1, ECONNREFUSED);
    rc = async_order(l, check_kitchen_port(), item, &res, count_done, &done);
    fault_disarm_all();
    early = done;
    struct result at_return = res;
    run(l, "after an order whose connect() failed at once");
    loop_free(l);
    cr_assert_eq(early, 0,
                 "async_order() whose connect() failed at once (ECONNREFUSED) called "
                 "done before returning: report even an immediate failure from the loop (a 0 s "
                 "timer)");
    untouched_at_return(&at_return, "whose connect() failed at once (ECONNREFUSED)");
    cr_assert(rc == 0 && done == 1 && res.status == -ECONNREFUSED,
              "async_order() whose connect() failed at once (ECONNREFUSED) returned %d, then "
              "done ran %d times with status %d, expected 0, then done once with -ECONNREFUSED "
              "(%d): a refused connection is the order's outcome (lab5.h: -errno for a failed "
              "connection, in *res), even when connect() says so at once; only an order that "
              "could not start (no socket) returns -errno: keep the error, close the socket and "
              "finish the order from a 0 s timer",
              rc, done, res.status, -ECONNREFUSED);
    /* a connect() that fails at once with EAGAIN (on Linux: no local port free, the ports in
     * TIME_WAIT): a failure, not a connection under way (only EINPROGRESS is), so -EAGAIN,
     * either returned (it could not start: no done, *res untouched) or as the order's
     * outcome from the loop; never a socket watched that will not connect (-EPIPE) */
    l = new_loop();
    done = 0;
    res = (struct result){.value = 777, .status = 77};
    fault_arm(FAULT_CONNECT, 1, 1, EAGAIN);
    rc = async_order(l, check_kitchen_port(), item, &res, count_done, &done);
    fault_disarm_all();
    early = done;
    at_return = res;
    run(l, "after an order whose connect() failed at once with EAGAIN");
    loop_free(l);
    cr_assert(early == 0 && ((rc == 0 && done == 1 && res.status == -EAGAIN) ||
                             (rc == -EAGAIN && done == 0 && at_return.status == 77)),
              "async_order() whose connect() failed at once with EAGAIN (no local port free) "
              "returned %d, done ran %d times (%d before it returned) with status %d, expected "
              "-EAGAIN (%d), returned (no done) or in *res from the loop: only EINPROGRESS "
              "means a connection under way; any other error of connect() is its failure",
              rc, done, early, res.status, -EAGAIN);
    /* a connection the kitchen resets (its first recv() fails with ECONNRESET, fault.h): a
     * failed connection, whose outcome is its -errno, not a hang-up (-EPROTO); and each failure
     * its own -errno (EIO, ETIMEDOUT too), not one fixed code for every failed recv() */
    static const int recv_errs[] = {ECONNRESET, EIO, ETIMEDOUT};
    static const char *const recv_err_names[] = {"ECONNRESET", "EIO", "ETIMEDOUT"};

    for (size_t e = 0; e < sizeof(recv_errs) / sizeof(recv_errs[0]); e++) {
        l = new_loop();
        done = 0;
        res.status = 77;
        rc = async_order(l, check_kitchen_port(), item, &res, count_done, &done);
        fault_arm(FAULT_READ, 1, 1, recv_errs[e]);
        run(l, "with an order whose recv() fails");
        fault_disarm_all();
        loop_free(l);
        cr_assert(rc == 0 && done == 1 && res.status == -recv_errs[e],
                  "async_order() whose first recv() failed with %s returned %d, then done ran "
                  "%d times with status %d, expected 0, then done once with -%s (%d): a failed "
                  "recv() is a failed connection whose status is its own -errno (lab5.h), "
                  "whatever the errno, not one code for all; nor a kitchen that hung up "
                  "(recv() returning 0: -EPROTO before the newline)",
                  recv_err_names[e], rc, done, res.status, recv_err_names[e], -recv_errs[e]);
    }
    /* ... after the whole line came too: the order ends at the hang-up, and a reset is none
     * (lab5.h), however whole the reply looked (the kitchen writes its line in one send(), so
     * the first recv() has it all; the second, where the hang-up's 0 would come, fails). An
     * examiner's order took a reset after a newline for the hang-up (round 68). */
    l = new_loop();
    done = 0;
    res.status = 77;
    rc = async_order(l, check_kitchen_port(), item, &res, count_done, &done);
    fault_arm(FAULT_READ, 2, 1, ECONNRESET);
    run(l, "with an order whose second recv() fails");
    fault_disarm_all();
    loop_free(l);
    cr_assert(rc == 0 && done == 1 && res.status == -ECONNRESET,
              "async_order() whose first recv() took the whole reply line and whose second "
              "failed with ECONNRESET returned %d, then done ran %d times with status %d, "
              "expected 0, then done once with -ECONNRESET (%d): a reply ends at the hang-up "
              "(recv() returning 0), and a reset is no hang-up (lab5.h), even after a newline",
              rc, done, res.status, -ECONNRESET);
    /* a kitchen that accepts and resets the connection (SO_LINGER 0) before the loop runs:
     * the socket is writable with SO_ERROR ECONNRESET, before any line went out; a failed
     * connection, -ECONNRESET, not the -EPIPE of a send() after the error was read and
     * dropped */
    {
        uint16_t rport;
        int lfd = check_listen(4, &rport), cfd = -1;
        struct pollfd lp = {.fd = lfd, .events = POLLIN};
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        struct timespec ms5 = {.tv_nsec = 5000000};

        l = new_loop();
        done = 0;
        res = (struct result){.value = 777, .status = 77};
        rc = async_order(l, rport, item, &res, count_done, &done);
        if (rc == 0 && poll(&lp, 1, 1000) == 1)
            cfd = accept(lfd, NULL, NULL);
        if (cfd >= 0) {
            setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            close(cfd); /* a reset */
            nanosleep(&ms5, NULL);
        }
        run(l, "with an order the kitchen reset before its line went out");
        loop_free(l);
        close(lfd);
        cr_assert(rc == 0 && cfd >= 0 && done == 1 && res.status == -ECONNRESET,
                  "async_order() to a kitchen that reset the connection before the line went out "
                  "returned %d, then done ran %d times with status %d, expected 0, then done "
                  "once with -ECONNRESET (%d): when the socket is writable, any error SO_ERROR "
                  "holds (not ECONNREFUSED alone) is the failed connection's -errno; reading it "
                  "clears it, so a send() after it fails otherwise (-EPIPE)",
                  rc, done, res.status, -ECONNRESET);
    }
    /* a recv() or send() that a signal interrupts (EINTR, nothing moved) is no failure: it is
     * made again (at once, or when the loop says ready again), and the order ends served:
     * here the first three recv()s, then the first three send()s, of three orders fail so */
    for (int k = 0; k < 2; k++) {
        uint64_t three[3] = {item, check_rand(), check_rand()};
        struct result r3[3];
        int d3 = 0;

        fault_arm(k == 0 ? FAULT_READ : FAULT_WRITE, 1, 3, EINTR);
        orders(check_kitchen_port(), three, 3, r3, &d3);
        fault_disarm_all();
        check_replies(k == 0 ? "3 async_order() whose first three recv()s were interrupted by a "
                               "signal (EINTR): an interrupted recv() is made again, not a "
                               "failed connection"
                             : "3 async_order() whose first three send()s were interrupted by a "
                               "signal (EINTR, nothing sent): an interrupted send() is made "
                               "again, not a failed connection",
                      check_kitchen_port(), three, 3, r3, d3);
    }
    /* a send() that fails for good (EPIPE: the kitchen gone) is a failed connection too, its
     * outcome -EPIPE; not a full socket (EAGAIN) to try again when writable. The first 50
     * sends fail: an order that takes every failure for EAGAIN sends its line at the 51st
     * try (no spin for ever) and ends served, status 0. */
    unsigned sends;

    l = new_loop();
    done = 0;
    res.status = 77;
    fault_arm(FAULT_WRITE, 1, 50, EPIPE);
    rc = async_order(l, check_kitchen_port(), item, &res, count_done, &done);
    run(l, "with an order whose send() fails with EPIPE");
    sends = fault_calls(FAULT_WRITE);
    fault_disarm_all();
    loop_free(l);
    cr_assert(rc == 0 && done == 1 && res.status == -EPIPE,
              "async_order() whose send() failed with EPIPE (the kitchen gone) returned %d, then "
              "done ran %d times with status %d after %u send()s, expected 0, then done once "
              "with -EPIPE (%d): a failed send() is a failed connection (lab5.h: -errno); only "
              "EAGAIN (EWOULDBLOCK) means a full socket, to try again when it is writable",
              rc, done, res.status, sends, -EPIPE);
    /* no socket at all: it could not start */
    l = new_loop();
    done = 0;
    fault_arm(FAULT_SOCKET, 1, 1, EMFILE);
    rc = async_order(l, check_kitchen_port(), item, &res, count_done, &done);
    fault_disarm_all();
    run(l, "after an order that could not get a socket");
    loop_free(l);
    cr_assert(rc == -EMFILE && done == 0,
              "async_order() when socket() fails with EMFILE returned %d and done ran %d times, "
              "expected -EMFILE (%d) and never done: it could not start",
              rc, done, -EMFILE);
    after_run = check_open_fds();
    cr_assert_eq(after_run, before,
                 "async_order()s that failed at once: %d descriptors open "
                 "before, %d after",
                 before, after_run);
}

/* A kitchen of the test's own, on a thread: it takes one order, answers `line` whatever
 * was ordered, and hangs up. */
struct one_reply {
    int lfd;
    uint16_t port;
    const char *line;
    size_t line_len; /* its bytes (a NUL among them too) */
    pthread_t tid;
    bool listen_more; /* after the order's newline, wait 100 ms for bytes that follow it */
    double late_s;    /* the reply that late: CLOCK_MONOTONIC moved on that much first */
    char got[64];     /* what the order sent */
    size_t len;
    atomic_bool hold;     /* after the line, reply only once `go` is set (2 s at most) */
    atomic_bool got_line; /* the order's line came */
    atomic_bool go;       /* ... and the test let the reply go */
    atomic_int peer_port; /* the order's own port (network order), once accepted */
};

static void *one_reply_run(void *arg)
{
    struct one_reply *f = arg;
    struct timeval tmo = {.tv_sec = 1};
    char got[64];
    size_t len = 0;
    int fd = accept(f->lfd, NULL, NULL);

    if (fd < 0)
        return NULL;
    {
        struct sockaddr_in peer;
        socklen_t plen = sizeof(peer);

        if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0)
            atomic_store(&f->peer_port, peer.sin_port);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
    while (len < sizeof(got) && !memchr(got, '\n', len)) {
        ssize_t r = recv(fd, got + len, sizeof(got) - len, 0);

        if (r <= 0)
            break;
        len += (size_t)r;
    }
    for (struct pollfd p = {.fd = fd, .events = POLLIN};
         f->listen_more && len < sizeof(got) && poll(&p, 1, 100) > 0;) {
        ssize_t r = recv(fd, got + len, sizeof(got) - len, 0);

        if (r <= 0)
            break;
        len += (size_t)r;
    }
    memcpy(f->got, got, len);
    f->len = len;
    atomic_store(&f->got_line, true);
    for (int i = 0; atomic_load(&f->hold) && !atomic_load(&f->go) && i < 2000; i++)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    if (f->late_s > 0) /* as if the kitchen had taken that long (fault_disarm_all() undoes it) */
        fault_clock_uptime(f->late_s);
    (void)send(fd, f->line, f->line_len, MSG_NOSIGNAL);
    close(fd);
    return NULL;
}

/* The reply line's first `len` bytes (0: up to its NUL). */
static void one_reply_start_n(struct one_reply *f, const char *line, size_t len, bool listen_more,
                              double late_s)
{
    memset(f, 0, sizeof(*f));
    f->line = line;
    f->line_len = len ? len : strlen(line);
    f->listen_more = listen_more;
    f->late_s = late_s;
    f->lfd = check_listen(4, &f->port);
    cr_assert_eq(pthread_create(&f->tid, NULL, one_reply_run, f), 0,
                 "pthread_create failed in the test");
}

static void one_reply_start(struct one_reply *f, const char *line, bool listen_more, double late_s)
{
    one_reply_start_n(f, line, 0, listen_more, late_s);
}

static void one_reply_stop(struct one_reply *f)
{
    shutdown(f->lfd, SHUT_RDWR); /* wakes an accept() still waiting */
    pthread_join(f->tid, NULL);
    close(f->lfd);
}

/* A timer of the test's, set again every ms until the order's line reaches a holding
 * one_reply kitchen: then it lets the reply go, waits until the reply and the hang-up are in
 * the order's socket (POLLRDHUP), and leaves errno ERANGE, as any call of a callback may (a
 * strtoull() past 2^64 - 1). The order's next calls succeed (recv() of the reply, recv() of
 * 0): errno is still ERANGE when it parses. */
static void stale_erange_step(struct loop *l, void *arg)
{
    struct one_reply *f = arg;
    static int tries;
    int port, fd = -1;

    if (!atomic_load(&f->got_line)) {
        if (++tries < 2000)
            after(l, 0.001, stale_erange_step, f);
        return;
    }
    tries = 0;
    port = atomic_load(&f->peer_port);
    for (int i = 0; i < 1024 && fd < 0; i++) {
        struct sockaddr_in a;
        socklen_t alen = sizeof(a);

        if (getsockname(i, (struct sockaddr *)&a, &alen) == 0 && a.sin_family == AF_INET &&
            a.sin_port == port)
            fd = i;
    }
    atomic_store(&f->go, true);
    for (int i = 0; fd >= 0 && i < 2000; i++) {
        struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};

        if (poll(&p, 1, 1) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
            break;
    }
    errno = ERANGE;
}

Test(async_order, kitchen_hangs_up, .timeout = 4)
{
    enum { N = 3 };
    static const char *const how[] = {
        "hangs up without replying", "sends the whole number, then hangs up without the newline",
        "sends the reply line, then a second line", "sends '-', ' ' or '+' before the number"};
    uint64_t items[N];
    struct result res[N];
    struct kitchen k;
    int done;

    for (int cut = 0; cut < 4; cut++) {
        for (int i = 0; i < N; i++)
            items[i] = check_rand() / 3 * 3 + (uint64_t)i; /* each of the three garbles */
        struct kitchen_conf c = {.latency_ms = 20,
                                 .close_early = cut == 0,
                                 .cut = cut == 1,
                                 .trail = cut == 2,
                                 .garble = cut == 3};

        kitchen_of_its_own(&k, &c);
        orders(k.port, items, N, res, &done);
        kitchen_stop(&k);
        cr_assert_eq(done, N, "3 orders to a kitchen that %s: done ran %d times, expected 3",
                     how[cut], done);
        for (int i = 0; i < N; i++)
            cr_assert(res[i].status == -EPROTO && res[i].value == 0,
                      "async_order(item=%llu) to a kitchen that %s: status %d value %llu, "
                      "expected -EPROTO (%d) with value 0: a reply is one whole number line, "
                      "nothing before or after it; recv() returning 0 before the newline is a "
                      "protocol error; a failed order's value is 0, never the number read so far",
                      (unsigned long long)items[i], how[cut], res[i].status,
                      (unsigned long long)res[i].value, -EPROTO);
    }

    /* a number past 2^64 - 1 is no reply (strtoull() says ERANGE and gives 2^64 - 1: those
     * below); 2^64 - 1 itself, 20 digits, is one. Nor is a line without digits, or with a blank
     * before them (strtoull() skips it), or in another base than 10 (strtoull(..., 0) reads "0x1f"
     * as 31 and "017" as 15): "017" is 17, decimal with a leading zero (workload.h: the reply in
     * decimal; lab5.h: a leading zero no error, "007" is 7). */
    static const struct {
        const char *line, *shown;
        int status;     /* expected */
        uint64_t value; /* with status 0 */
        size_t len;     /* the bytes sent, a NUL among them (0: up to the NUL) */
    } lines[] = {{"18446744073709551615\n", "18446744073709551615\\n", 0, UINT64_MAX},
                 {"\n", "\\n (an empty line)", -EPROTO, 0},
                 {"ERR\n", "ERR\\n", -EPROTO, 0},
                 {"12 34\n", "12 34\\n (two numbers)", -EPROTO, 0},
                 {"\t7\n", "\\t7\\n (a tab before the number)", -EPROTO, 0},
                 {"7\r\n", "7\\r\\n (a carriage return after the number)", -EPROTO, 0},
                 {"8 \n", "8 \\n (a blank after the number)", -EPROTO, 0},
                 {"0x1f\n", "0x1f\\n (hexadecimal)", -EPROTO, 0},
                 {"017\n", "017\\n (a leading zero, still decimal)", 0, 17},
                 {"0\n", "0\\n (zero, a number like any other)", 0, 0},
                 /* bytes after the newline, a NUL first: the reply is the bytes received,
                  * not a C string (strlen() stops at the NUL) */
                 {"7\n\0"
                  "99",
                  "7\\n, a NUL byte, 99 (bytes after the line)", -EPROTO, 0, 5},
                 /* longer than any reply line: KITCHEN_LINE_MAX bytes with no newline yet */
                 {"12345678901234567890123456789012",
                  "12345678901234567890123456789012 (32 bytes, no newline, then closed: longer "
                  "than any reply)",
                  -EPROTO, 0},
                 {"123456789012345678901234567890123456789\n",
                  "123456789012345678901234567890123456789\\n (40 bytes: longer than any reply)",
                  -EPROTO, 0}};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct one_reply f;
        struct result r = {.status = 77};
        int n = 0;

        one_reply_start_n(&f, lines[i].line, lines[i].len, false, 0);
        orders(f.port, items, 1, &r, &n);
        one_reply_stop(&f);
        cr_assert(n == 1 && r.status == lines[i].status &&
                      r.value == (r.status ? 0 : lines[i].value),
                  "async_order() to a kitchen that replies \"%s\": done ran %d times, status %d "
                  "value %llu, expected once with %s%s: a reply is one line of decimal digits, "
                  "a number of 0 to 2^64 - 1 (strtoull() with base 10, after checking the first "
                  "byte is a digit; it sets errno to ERANGE past 2^64 - 1); a failed order's "
                  "value is 0 (workload.h), never the number parsed so far",
                  lines[i].shown, n, r.status, (unsigned long long)r.value,
                  lines[i].status ? "-EPROTO and value 0" : "status 0 and value ",
                  lines[i].status        ? ""
                  : lines[i].value == 17 ? "17 (a leading zero is no error: 007 is 7)"
                  : lines[i].value == 0  ? "0 (strtoull()'s 0 is a number: its end pointer "
                                           "tells whether digits were read)"
                                         : "18446744073709551615");
    }
    /* past 2^64 - 1, the test library's list (lab 1's serve() meets the same) and one drawn
     * for this run: 2^64, wraps by more than one carry (a check of next < v reads
     * "30000000000000000000" as 11553255926290448384), 20 digits uniform past 2^64 - 1 */
    for (size_t i = 0; i <= CHECK_REPLIES_PAST_MAX; i++) {
        char drawn[24];
        const char *line =
            i < CHECK_REPLIES_PAST_MAX ? check_replies_past_max[i] : check_reply_past_max(drawn);
        struct one_reply f;
        struct result r = {.status = 77};
        int n = 0;

        one_reply_start(&f, line, false, 0);
        orders(f.port, items, 1, &r, &n);
        one_reply_stop(&f);
        cr_assert(n == 1 && r.status == -EPROTO && r.value == 0,
                  "async_order() to a kitchen that replies \"%.*s\\n\" (past 2^64 - 1): done ran "
                  "%d times, status %d value %llu, expected once with -EPROTO and value 0: a "
                  "reply is a number of 0 to 2^64 - 1; strtoull() with base 10 sets errno to "
                  "ERANGE past it (set errno to 0 before), and a parser of your own must refuse "
                  "v * 10 + d > UINT64_MAX before it computes it (v > (UINT64_MAX - d) / 10): "
                  "a check that the value only grew (next < v) misses wraps by more than one "
                  "carry",
                  (int)strcspn(line, "\n"), line, n, r.status, (unsigned long long)r.value);
    }
    /* a NUL byte inside the line, before its '\n', the test library's list (lab 1's serve()
     * meets the same) and one drawn for this run: strtoull() stops at the NUL, so a parser that
     * takes the line for a C string (*end == '\0') reads "12\0x\n" as 12. Whole, then with
     * every recv() of the order moving one byte (the NUL in an earlier piece than the '\n':
     * every byte received is checked, not only the last recv()'s) */
    for (size_t k = 0; k < 2 * (CHECK_REPLIES_NUL + 1); k++) {
        size_t i = k % (CHECK_REPLIES_NUL + 1);
        bool bytewise = k > CHECK_REPLIES_NUL;
        char drawn[24], drawn_shown[32];
        size_t len =
            i < CHECK_REPLIES_NUL ? check_replies_nul[i].len : check_reply_nul(drawn, drawn_shown);
        const char *line = i < CHECK_REPLIES_NUL ? check_replies_nul[i].bytes : drawn,
                   *shown = i < CHECK_REPLIES_NUL ? check_replies_nul[i].shown : drawn_shown;
        struct one_reply f;
        struct result r = {.status = 77};
        int n = 0;

        one_reply_start_n(&f, line, len, false, 0);
        if (bytewise) {
            fault_arm(FAULT_READ, 1, 0, FAULT_SHORT); /* this thread's recv()s: one byte each */
            fault_arm_this_thread(FAULT_READ);
        }
        orders(f.port, items, 1, &r, &n);
        fault_disarm_all();
        one_reply_stop(&f);
        cr_assert(n == 1 && r.status == -EPROTO && r.value == 0,
                  "async_order() to a kitchen that replies \"%s\" (%zu bytes, a NUL byte before "
                  "the newline)%s: done ran %d times, status %d value %llu, expected once with "
                  "-EPROTO and value 0: a NUL is no digit, and strtoull() stops at it; check "
                  "that the digits end where the line does, by count (end == the '\\n'), not "
                  "with *end == '\\0', whichever recv() brought them",
                  shown, len, bytewise ? ", every recv() moving one byte" : "", n, r.status,
                  (unsigned long long)r.value);
    }
    /* strtoull() sets errno only on a failure: errno is read after it only if set to 0 before
     * it. Here errno is ERANGE when the order's reply "42\n" is parsed (a callback before it
     * left it so, as the parse of a reply past 2^64 - 1 does), with no failing call since. */
    {
        struct one_reply f;
        struct result r = {.status = 77};
        int n = 0;
        struct loop *l;

        one_reply_start(&f, "42\n", false, 0);
        atomic_store(&f.hold, true);
        l = new_loop();
        cr_assert_eq(async_order(l, f.port, items[0], &r, count_done, &n), 0,
                     "async_order() to a kitchen of the test's failed to start");
        after(l, 0, stale_erange_step, &f);
        run(l, "with an order whose reply comes after a callback left errno ERANGE");
        loop_free(l);
        one_reply_stop(&f);
        cr_assert(n == 1 && r.status == 0 && r.value == 42,
                  "async_order() to a kitchen that replies \"42\\n\", parsed while errno still "
                  "read ERANGE from before (a reply past 2^64 - 1 parsed just before, no failing "
                  "call since): done ran %d times, status %d value %llu, expected once with "
                  "status 0 and value 42: a successful call leaves errno as it was, so set errno "
                  "to 0 before strtoull() and read ERANGE only then",
                  n, r.status, (unsigned long long)r.value);
    }

    /* a whole number line longer than 21 bytes has leading zeros; below KITCHEN_LINE_MAX it
     * is judged like "017\n" (17), never by its length: a reply buffer of fewer than
     * KITCHEN_LINE_MAX bytes refuses it as "longer than any reply" */
    for (size_t len = 26; len <= 29; len += 3) {
        char line[KITCHEN_LINE_MAX];
        struct one_reply f;
        struct result r = {.status = 77};
        int n = 0;

        memset(line, '0', len - 3);
        memcpy(line + len - 3, "17\n", 4);
        one_reply_start_n(&f, line, len, false, 0);
        orders(f.port, items, 1, &r, &n);
        one_reply_stop(&f);
        cr_assert(n == 1 && r.status == 0 && r.value == 17,
                  "async_order() to a kitchen that replies %zu zeros then \"17\\n\" (%zu bytes, "
                  "under KITCHEN_LINE_MAX): done ran %d times, status %d value %llu, expected "
                  "once with status 0 and value 17, as for \"017\\n\": a reply line is any line "
                  "shorter than "
                  "KITCHEN_LINE_MAX bytes (workload.h), 20 digits or more: receive it into a "
                  "buffer of KITCHEN_LINE_MAX bytes, not one sized for 20 digits",
                  len - 3, len, n, r.status, (unsigned long long)r.value);
    }
    /* a reply however late is a reply: a kitchen that answers a minute after the order (the
     * monotonic clock moved on 60 s while the order waited) */
    struct one_reply f;
    struct result r = {.status = 77};
    int n = 0;

    one_reply_start(&f, "4242\n", false, 60);
    orders(f.port, items, 1, &r, &n);
    one_reply_stop(&f);
    fault_disarm_all(); /* the clock true again */
    cr_assert(n == 1 && r.status == 0 && r.value == 4242,
              "async_order() to a kitchen that replies \"4242\\n\" a minute after the order "
              "(CLOCK_MONOTONIC moved on 60 s meanwhile): done ran %d times, status %d value "
              "%llu, expected once with status 0 and value 4242: an order has no time limit "
              "(lab5.h: read until the kitchen hangs up); a slow kitchen is no failure",
              n, r.status, (unsigned long long)r.value);
}

/* The order is its line and nothing more, however send() splits it: the first send()
 * takes one byte, the next must send the rest, from where the first stopped, for the
 * rest's length (not the whole line's: that sends bytes from past its end). */
Test(async_order, partial_send, .timeout = 4)
{
    uint64_t item = check_rand() | 1ULL << 63; /* a line of 20 bytes */
    struct result r = {.status = 77};
    struct one_reply f;
    char want[32];
    int n = 0;

    snprintf(want, sizeof(want), "%llu\n", (unsigned long long)item);
    one_reply_start(&f, "7\n", true, 0);
    fault_arm(FAULT_WRITE, 1, 1, FAULT_SHORT); /* the first send() moves one byte */
    fault_count_sigpipe(1);
    orders(f.port, &item, 1, &r, &n);
    unsigned risks = fault_sigpipe_risks();
    fault_disarm_all();
    one_reply_stop(&f);
    /* a kitchen that resets the connection between two sends (here, after the first byte)
     * would meet each such send with SIGPIPE, which kills the whole process: counted, as the
     * reset itself cannot be timed to land there every run */
    cr_assert_eq(risks, 0,
                 "async_order() made %u send()s (or write()s to its socket) without "
                 "MSG_NOSIGNAL: sent to a connection the kitchen reset, each raises SIGPIPE, "
                 "which kills the whole process (a handler is not allowed); with the flag the "
                 "send fails EPIPE, an error to return" CHECK_NOT_TIMING,
                 risks);
    cr_assert(n == 1 && r.status == 0 && r.value == 7,
              "async_order() whose first send() took one byte: done ran %d times, status %d "
              "value %llu, expected once with 7: on the next LOOP_WRITE, send the rest",
              n, r.status, (unsigned long long)r.value);
    cr_assert(f.len == strlen(want) && !memcmp(f.got, want, f.len),
              "async_order(item=%llu) whose first send() took one byte: the kitchen received "
              "%zu bytes, expected the %zu of \"%llu\\n\" and nothing after: send from "
              "out + sent, outlen - sent bytes" CHECK_NOT_TIMING,
              (unsigned long long)item, f.len, strlen(want), (unsigned long long)item);
}

/* Orders whose every close() is interrupted once it has freed the descriptor, as Linux
 * reports a close() a signal cut short (fault.h, FAULT_CLOSED_EINTR): the number is closed
 * all the same, so an order that closes it again on EINTR closes a number that is not open
 * (EBADF), or, in a program with threads, whatever file took it meanwhile (lab5.h: closes
 * its socket once). Each order still ends, done once, no descriptor left open. */
static void orders_close_interrupted(const uint64_t *items)
{
    enum { M = 4 };
    struct result res[M];
    int done = 0, before = check_open_fds(), rc;
    struct loop *l = new_loop();
    unsigned bad, closes;

    for (int i = 0; i < M; i++) {
        res[i] = (struct result){.value = 0, .status = 77};
        rc = async_order(l, check_kitchen_port(), items[i], &res[i], count_done, &done);
        cr_assert_eq(rc, 0, "async_order(item=%llu) returned %d (%s), expected 0",
                     (unsigned long long)items[i], rc, rc < 0 ? strerror(-rc) : "?");
    }
    bad = fault_bad_closes();
    fault_arm(FAULT_CLOSE, 1, 0, FAULT_CLOSED_EINTR);
    rc = loop_run(l);
    closes = fault_calls(FAULT_CLOSE);
    fault_disarm_all();
    bad = fault_bad_closes() - bad;
    loop_free(l);
    cr_assert_eq(rc, 0, "loop_run() with 4 orders, every close() interrupted (EINTR), returned %d",
                 rc);
    cr_assert(bad == 0 && done == M && check_open_fds() == before,
              "4 async_order() on one loop, every close() reporting EINTR after it had closed the "
              "descriptor (as Linux does when a signal interrupts close()): %u close() call(s) of "
              "%u were of a number that was not open (EBADF), done ran %d times (expected %d), "
              "%d descriptor(s) left open: close() frees the descriptor even when it fails with "
              "EINTR, so never call it again: by then the number may be another order's socket",
              bad, closes, done, M, check_open_fds() - before);
    /* and the close() that said EINTR changes nothing of the order's outcome: each reply came
     * whole before it, so each order is served, status 0 with its reply */
    check_replies("4 async_order() whose close() reported EINTR (the descriptor freed all the "
                  "same, the reply read whole before it): a close() that fails is no failure "
                  "of the order, its status is the reply's",
                  check_kitchen_port(), items, M, res, done);
}

Test(async_order, no_fd_leak, .timeout = 4)
{
    enum { N = 40 };
    uint64_t items[N];
    struct result res[N];
    int done, before = check_open_fds(), after_run;

    for (int i = 0; i < N; i++)
        items[i] = check_rand();
    orders(check_kitchen_port(), items, N, res, &done);
    check_replies("40 async_order()", check_kitchen_port(), items, N, res, done);
    after_run = check_open_fds();
    cr_assert_eq(after_run, before,
                 "40 orders on one loop: %d descriptors open before, %d after (%d leaked): "
                 "close each order's socket when it is done, on every path; 10,000 orders "
                 "would run out of descriptors",
                 before, after_run, after_run - before);
    /* descriptor 0 is a descriptor like any other: with the caller's stdin closed, the first
     * order's socket is 0, watched, read and closed like any other */
    int saved = check_stdin_aside();
    orders(check_kitchen_port(), items, 3, res, &done);
    bool open0 = check_stdin_back(saved);
    check_replies("3 async_order() with descriptor 0 free (stdin closed)", check_kitchen_port(),
                  items, 3, res, done);
    cr_assert(!open0,
              "3 orders with descriptor 0 free (the caller had closed its stdin): the socket "
              "an order got as 0 was still open after the loop: 0 is a valid descriptor, close "
              "whatever socket() returned (fd >= 0; -1 alone means none)");
    orders_close_interrupted(items);
}

/* Inside done(), the order is over: its socket is closed already (lab5.h: "Then closes its
 * socket and calls done"). A done() that starts the next order (as async_gather()'s does)
 * would otherwise hold one descriptor more than the orders in flight. */
struct fds_in_done {
    int calls, open_in_done;
    struct result seen; /* *res as done found it */
};

static void note_fds(struct loop *l, struct result *res, void *arg)
{
    struct fds_in_done *f = arg;

    (void)l;
    f->calls++;
    f->open_in_done = check_open_fds();
    f->seen = *res;
}

Test(async_order, closed_before_done, .timeout = 3)
{
    const struct {
        uint16_t port;
        const char *what;
    } cases[2] = {{check_kitchen_port(), "an order"},
                  {check_free_port(), "a refused order (nobody listening)"}};

    for (int c = 0; c < 2; c++) {
        struct fds_in_done f = {0};
        struct result res = {.status = 77};
        struct loop *l = new_loop();
        int before = check_open_fds(), rc; /* the loop's own (an epoll fd) counted */
        rc = async_order(l, cases[c].port, check_rand(), &res, note_fds, &f);
        CHECK_IMPL(rc, "async_order()", "async.c");
        cr_assert_eq(rc, 0, "async_order(%s) returned %d (%s), expected 0", cases[c].what, rc,
                     rc < 0 ? strerror(-rc) : "?");
        run(l, "with one order");
        loop_free(l);
        cr_assert_eq(f.calls, 1, "async_order(%s): done ran %d times, expected once", cases[c].what,
                     f.calls);
        cr_assert_eq(f.open_in_done, before,
                     "async_order(%s): %d descriptors open inside its done(), %d before the "
                     "order: unwatch and close the socket first, then call done() (a done() "
                     "that starts the next order would hold one descriptor too many)",
                     cases[c].what, f.open_in_done, before);
        /* lab5.h: "and then write *res ... Then closes its socket and calls done": done()
         * reads the final result (lab 6's hybrid cooks the meal from it) */
        cr_assert(f.seen.status == res.status && f.seen.value == res.value,
                  "async_order(%s): its done() found status=%d value=%llu in *res, which then "
                  "became status=%d value=%llu: write *res first, then call done",
                  cases[c].what, f.seen.status, (unsigned long long)f.seen.value, res.status,
                  (unsigned long long)res.value);
        cr_assert(c == 0 ? res.status == 0 : res.status == -ECONNREFUSED,
                  "async_order(%s): status=%d, expected %s", cases[c].what, res.status,
                  c == 0 ? "0" : "-ECONNREFUSED");
    }
}

Test(async_order, without_done, .timeout = 3)
{
    uint64_t items[2] = {check_rand(), check_rand()};
    uint16_t ports[2] = {check_kitchen_port(), check_free_port()};
    struct result res[2] = {{.status = 77}, {.status = 77}}, nap = {.status = 77};
    struct loop *l = new_loop();
    unsigned char ok = 0;

    /* lab5.h: "then closes its socket and calls done(l, res, arg) if done is not NULL" */
    for (int i = 0; i < 2; i++) {
        int rc = async_order(l, ports[i], items[i], &res[i], NULL, NULL);

        CHECK_IMPL(rc, "async_order()", "async.c");
        cr_assert_eq(rc, 0, "async_order(port=%u, done=NULL) returned %d (%s), expected 0",
                     ports[i], rc, rc < 0 ? strerror(-rc) : "?");
    }
    /* and a sleep's: "then call done(l, res, arg) if done is not NULL" */
    int rc = async_sleep(l, 0.005, &nap, NULL, NULL);
    CHECK_IMPL(rc, "async_sleep()", "async.c");
    cr_assert_eq(rc, 0, "async_sleep(0.005 s, done=NULL) returned %d (%s), expected 0", rc,
                 rc < 0 ? strerror(-rc) : "?");
    run(l, "with two orders and a sleep whose done is NULL (one order to the kitchen, one "
           "refused)");
    loop_free(l);
    cr_assert_eq(nap.status, 0,
                 "async_sleep(0.005 s, done=NULL) left status=%d, expected 0: done may be NULL "
                 "(lab5.h: \"call done if done is not NULL\"); the result is written all the "
                 "same",
                 nap.status);
    cr_assert(res[0].status == 0,
              "async_order(item=%llu, done=NULL) to the kitchen got status=%d, expected 0: "
              "done may be NULL (lab5.h: \"calls done if done is not NULL\"); the result is "
              "written all the same",
              (unsigned long long)items[0], res[0].status);
    check_kitchen_says(ports[0], 1, items, &res[0].value, &ok);
    cr_assert(ok, "async_order(item=%llu, done=NULL) got value=%llu: " CHECK_NOT_REPLY,
              (unsigned long long)items[0], (unsigned long long)res[0].value);
    cr_assert_eq(res[1].status, -ECONNREFUSED,
                 "a refused async_order(done=NULL) got status=%d, expected -ECONNREFUSED (%d)",
                 res[1].status, -ECONNREFUSED);

    /* A sleep without done ends as one with it: its state freed (async_gather() runs every
     * TASK_SLEEP so). 0 s sleeps on one loop, each run to its end: no more of the heap. */
    size_t heap = 0;

    l = new_loop();
    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM)
            heap = check_heap_in_use();
        rc = async_sleep(l, 0, &nap, NULL, NULL);
        cr_assert_eq(rc, 0, "async_sleep(0 s, done=NULL) returned %d (%s), expected 0", rc,
                     rc < 0 ? strerror(-rc) : "?");
        run(l, "with a sleep of 0 s whose done is NULL");
    }
    long kept = (long)check_heap_in_use() - (long)heap;
    loop_free(l);
    cr_assert(kept < HEAP_SLACK,
              "%d x async_sleep(0 s, done=NULL), each run to its end on one loop, kept %ld more "
              "bytes of the heap in use: a sleep whose done is NULL ends all the same (its "
              "result written, its state freed); free it whether or not done is called",
              HEAP_CALLS, kept);
}

/* ---- async_gather ------------------------------------------------------------------------- */

static const char *kind_name(enum task_kind k)
{
    return k == TASK_SLEEP ? "sleep" : k == TASK_ORDER ? "order" : k == TASK_COOK ? "cook" : "?";
}

static void gather(const struct task *t, size_t n, struct result *out, size_t cap, const char *what)
{
    int rc = async_gather(t, n, out, cap);

    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, 0,
                 "async_gather(%s) returned %d (%s), expected 0: a task that fails, even at its "
                 "start, has its own out[i].status, and the others still run" CHECK_NOT_TIMING,
                 what, rc, rc < 0 ? strerror(-rc) : "?");
    for (size_t i = 0; i < n; i++)
        if (out[i].status == -ENOSYS)
            CHECK_IMPL(out[i].status, t[i].kind == TASK_ORDER ? "async_order()" : "async_sleep()",
                       "async.c");
}

/* Every task done with status 0 and its value: a cook's dish, an order's reply (the
 * kitchen checks the orders, all on one connection), a sleep's anything. A sleep of a
 * negative delay is skipped: it fails, and the caller checks it. */
static void check_tasks(const char *what, const struct task *t, size_t n, const struct result *out)
{
    uint64_t *items = calloc(n ? n : 1, sizeof(*items)),
             *values = calloc(n ? n : 1, sizeof(*values));
    unsigned char *ok = calloc(n ? n : 1, 1);
    size_t m = 0, k = 0;

    cr_assert(items && values && ok, "out of memory in the test");
    for (size_t i = 0; i < n; i++) {
        uint64_t want = t[i].kind == TASK_COOK ? check_dish(t[i].seed, t[i].rounds) : out[i].value;

        if (t[i].kind == TASK_SLEEP && t[i].seconds < 0)
            continue;
        cr_assert(out[i].status == 0 && out[i].value == want,
                  "%s: out[%zu] (a %s, seed=%llu) = status %d value %llu, expected status 0 "
                  "value %llu" CHECK_NOT_TIMING,
                  what, i, kind_name(t[i].kind), (unsigned long long)t[i].seed, out[i].status,
                  (unsigned long long)out[i].value, (unsigned long long)want);
        if (t[i].kind == TASK_ORDER) {
            cr_assert(t[i].port == check_kitchen_port(), "check_tasks: orders to another "
                                                         "kitchen (a test's bug)");
            items[m] = t[i].seed;
            values[m++] = out[i].value;
        }
    }
    check_kitchen_says(check_kitchen_port(), m, items, values, ok);
    for (size_t i = 0; i < n; i++)
        if (t[i].kind == TASK_ORDER)
            cr_assert(ok[k++],
                      "%s: out[%zu] (an order, item=%llu) = value %llu: " CHECK_NOT_REPLY
                          CHECK_NOT_TIMING,
                      what, i, (unsigned long long)t[i].seed, (unsigned long long)out[i].value);
    /* observed (values=reference): a sleep's value is anything; a cook's dish and a reply of
     * the grading's kitchen are the reference's too (a cook's rounds: check_rounds_for_ms) */
    for (size_t i = 0; i < n; i++) {
        check_observe((uint64_t)(int64_t)out[i].status, "out[%zu].status", i);
        if (t[i].kind != TASK_SLEEP)
            check_observe(out[i].value, "out[%zu].value", i);
    }
    free(items);
    free(values);
    free(ok);
}

/* n has no bound: the state of n tasks comes from the heap, never the stack. 20,000
 * one-round cooking tasks gathered on a thread whose stack is 64 KiB (plenty for any call
 * that keeps its per-task state on the heap): a variable-length array of 8 or 16 bytes a task
 * (160 or 320 KB) runs off the end of that stack, as one of 700,000 would off a default 8 MiB.
 * Few enough that a timer queue kept as a sorted array (O(n) a timer, no heap) is no slower
 * than the test's time allows: the contract sets no order of growth. */
enum { STACK_TASKS = 20000, STACK_KIB = 64 };

struct stack_gather {
    struct task *t;
    struct result *out;
    int rc;
};

static void *stack_gather_run(void *arg)
{
    struct stack_gather *g = arg;

    g->rc = async_gather(g->t, STACK_TASKS, g->out, 0);
    return NULL;
}

static void many_cooks_small_stack(void)
{
    struct stack_gather g = {.t = calloc(STACK_TASKS, sizeof(struct task)),
                             .out = calloc(STACK_TASKS, sizeof(struct result))};
    pthread_attr_t attr;
    pthread_t tid;

    cr_assert(g.t && g.out, "calloc failed in the test");
    for (size_t i = 0; i < STACK_TASKS; i++)
        g.t[i] = (struct task){.kind = TASK_COOK, .seed = check_rand(), .rounds = 1};
    cr_assert(pthread_attr_init(&attr) == 0 &&
                  pthread_attr_setstacksize(&attr, STACK_KIB * 1024) == 0 &&
                  pthread_create(&tid, &attr, stack_gather_run, &g) == 0,
              "the test could not start a thread with a %d KiB stack", STACK_KIB);
    pthread_join(tid, NULL);
    pthread_attr_destroy(&attr);
    CHECK_IMPL(g.rc, "async_gather()", "async.c");
    cr_assert_eq(g.rc, 0, "async_gather(%d cooking tasks of one round) returned %d", STACK_TASKS,
                 g.rc);
    for (size_t i = 0; i < STACK_TASKS; i++)
        cr_assert(g.out[i].status == 0 && g.out[i].value == dish_mix(g.t[i].seed),
                  "async_gather(%d cooking tasks of one round): out[%zu] = status %d value %llu, "
                  "expected status 0 and %llu",
                  STACK_TASKS, i, g.out[i].status, (unsigned long long)g.out[i].value,
                  (unsigned long long)dish_mix(g.t[i].seed));
    free(g.t);
    free(g.out);
}

/* Four orders, the gather's k-th allocation refused (k = 1, 2, ...): when that left one order
 * that could not start (-ENOMEM) and served the three others, the gather ran its tasks and
 * one failed on its own: async_gather() returns 0 (lab5.h: "A failed task has its own
 * out[i].status ... and async_gather() still returns 0"), not the order's -ENOMEM (an
 * examiner's, round 71). */
static void orders_without_memory(void)
{
    enum { N = 4 };
    struct task t[N];

    for (int i = 0; i < N; i++)
        t[i] =
            (struct task){.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    for (unsigned k = 1; k <= 64; k++) {
        struct result out[N];
        int rc, nomem = 0, served = 0;
        unsigned refused;

        fault_arm(FAULT_ALLOC, k, 1, ENOMEM);
        rc = async_gather(t, N, out, 0);
        refused = fault_failed(FAULT_ALLOC);
        fault_disarm_all();
        if (!refused)
            break;
        for (int i = 0; i < N; i++) {
            nomem += out[i].status == -ENOMEM;
            served += out[i].status == 0;
        }
        if (nomem != 1 || served != N - 1)
            continue; /* the gather failed as a whole, or more than one order with it */
        cr_assert_eq(rc, 0,
                     "async_gather(4 orders) with its allocation %u refused (ENOMEM): one order "
                     "could not start (status -ENOMEM) and the 3 others were served, yet it "
                     "returned %d (%s), expected 0: a failed task has its own status, and the "
                     "gather that ran its tasks still returns 0",
                     k, rc, rc < 0 ? strerror(-rc) : "?");
    }
}

/* Out of memory while the gather sets its tasks up: its k-th allocation refused (k = 1, 2,
 * ... until none is left to refuse), over two cooking tasks and a sleep. A gather that returns
 * 0 has finished every task: each out[i] holds its outcome, a dish (the right one) or a
 * -errno (-ENOMEM: that task could not start), never a task still under way (-EINPROGRESS,
 * or whatever out[i] held before). */
static void gather_without_memory(void)
{
    uint64_t rounds = 1 + check_rand() % 1000;
    struct task t[3] = {
        {.kind = TASK_COOK, .seed = check_rand(), .rounds = rounds},
        {.kind = TASK_SLEEP, .seconds = 0},
        {.kind = TASK_COOK, .seed = check_rand(), .rounds = rounds},
    };

    for (unsigned k = 1; k <= 64; k++) {
        struct result out[3];
        unsigned refused;
        int rc;

        for (int i = 0; i < 3; i++)
            out[i] = (struct result){.status = 77, .value = 777};
        fault_arm(FAULT_ALLOC, k, 0, ENOMEM);
        rc = async_gather(t, 3, out, 0);
        refused = fault_failed(FAULT_ALLOC);
        fault_disarm_all();
        CHECK_IMPL(rc, "async_gather()", "async.c");
        if (!refused)
            break; /* no k-th allocation: nothing more to refuse */
        if (rc < 0)
            continue; /* the gather failed as a whole (its loop, -ENOMEM): no task owed */
        for (int i = 0; i < 3; i++)
            cr_assert(
                (out[i].status == 0 &&
                 (t[i].kind != TASK_COOK || out[i].value == check_dish(t[i].seed, t[i].rounds))) ||
                    (out[i].status < 0 && out[i].status != -EINPROGRESS &&
                     out[i].status != -ENOSYS),
                "async_gather(cook, sleep 0, cook) with its allocation %u refused (ENOMEM) "
                "returned 0, and out[%d] (a %s) = status %d value %llu: a gather that "
                "returns 0 has finished every task, and each has its own outcome; check "
                "what starting a task returns (loop_after() too: its heap may not grow): "
                "one that could not start gets that -errno as its status",
                k, i, kind_name(t[i].kind), out[i].status, (unsigned long long)out[i].value);
    }
    orders_without_memory();
}

/* Kinds none of the first `known` ones (0 .. known - 1), for async_gather()'s tasks and
 * async_map()'s jobs: each gets -EINVAL (lab5.h), whichever side it is on. Below them
 * (-1, INT_MIN: a check of kind > TASK_COOK alone runs them as its last kind; an enum of
 * small values is unsigned to GCC, but an int copy of it is not), just past them, 42, INT_MAX,
 * and two drawn for this run: one of any int that is no kind, one negative. */
#define OTHER_KINDS 7
static void other_kinds(int k[OTHER_KINDS], int known)
{
    uint32_t any = (uint32_t)known + (uint32_t)(check_rand() % ((1ULL << 32) - (uint64_t)known));

    k[0] = -1;
    k[1] = INT_MIN;
    k[2] = known;
    k[3] = 42;
    k[4] = INT_MAX;
    k[5] = (int)(int32_t)any; /* known .. INT_MAX, or INT_MIN .. -1 */
    k[6] = -1 - (int)(check_rand() % ((uint64_t)INT_MAX + 1)); /* INT_MIN .. -1 */
}

Test(async_gather, mixed_tasks, .timeout = 8)
{
    enum { N = 8 + OTHER_KINDS };
    uint16_t port = check_kitchen_port();
    /* two kinds of failed tasks: a sleep refused at its start (async_sleep(): -EINVAL for a
     * negative delay) before the others, and kinds gather does not know after them, each
     * with a delay, a port, a seed and rounds that would make it a good task of any kind.
     * A task's fields of other kinds hold what the caller left there (lab5.h: seconds is a
     * TASK_SLEEP's, port a TASK_ORDER's, rounds a TASK_COOK's): a cook with a negative or a
     * 0.5-1.5 s `seconds` still cooks at once, an order with rounds is not cooked */
    struct task t[N] = {
        {.kind = TASK_SLEEP, .seconds = -1, .rounds = check_rand()},
        {.kind = TASK_ORDER,
         .port = port,
         .seed = check_rand(),
         .seconds = -1,
         .rounds = 1 + check_rand() % 1000},
        {.kind = TASK_SLEEP, .seconds = 0.03, .port = port, .seed = check_rand()},
        {.kind = TASK_COOK,
         .seed = check_rand(),
         .rounds = 1 + check_rand() % 10000,
         .seconds = -1.0 - (double)(check_rand() % 1000),
         .port = port},
        {.kind = TASK_ORDER, .port = port, .seed = check_rand()},
        {.kind = TASK_SLEEP, .seconds = 0},
        {.kind = TASK_COOK,
         .seed = check_rand(),
         .rounds = check_rand() % 3,
         .seconds = 0.5 + (double)(check_rand() % 1000) / 1000},
        {.kind = TASK_ORDER, .port = port, .seed = check_rand(), .seconds = 1e9},
    };
    int other[OTHER_KINDS];
    char what[320];
    size_t len;
    struct result out[N];
    double t0, took;
    int before = check_open_fds(), after_run;

    other_kinds(other, TASK_COOK + 1);
    len = (size_t)snprintf(what, sizeof(what),
                           "sleep -1 s, order, sleep 30 ms, cook (seconds < 0), order, "
                           "sleep 0, cook (seconds 0.5-1.5), order (seconds 1e9), then tasks "
                           "of unknown kinds");
    for (int i = 0; i < OTHER_KINDS; i++) {
        t[8 + i] = (struct task){.kind = (enum task_kind)other[i],
                                 .seconds = 0,
                                 .port = port,
                                 .seed = check_rand(),
                                 .rounds = 1 + check_rand() % 100};
        len += (size_t)snprintf(what + len, sizeof(what) - len, " %d", other[i]);
    }
    for (int i = 0; i < N; i++)
        out[i] = (struct result){.status = 77, .value = 777};
    t0 = check_now();
    gather(t, N, out, 0, what);
    took = check_now() - t0;
    cr_assert_eq(out[0].status, -EINVAL,
                 "async_gather(%s): the sleep of -1 s got status %d, expected -EINVAL (%d): "
                 "async_sleep() refuses it, and that is this task's own failure" CHECK_NOT_TIMING,
                 what, out[0].status, -EINVAL);
    check_tasks(what, t, 8, out); /* a cook's status and dish too, whatever its seconds */
    for (int i = 0; i < OTHER_KINDS; i++)
        cr_assert_eq(out[8 + i].status, -EINVAL,
                     "async_gather(%s): the task of unknown kind %d got status %d, expected "
                     "-EINVAL (%d): TASK_SLEEP, TASK_ORDER and TASK_COOK are the kinds, each "
                     "compared for itself; any other int, below 0 too, is unknown (never run "
                     "as the last kind that is left)" CHECK_NOT_TIMING,
                     what, other[i], out[8 + i].status, -EINVAL);
    cr_assert(took < 0.3,
              "async_gather(%s) took %.3f s: the orders and the sleep run at the same time, "
              "about 0.05 s in all",
              what, took);
    after_run = check_open_fds();
    cr_assert_eq(after_run, before,
                 "async_gather(%s): %d descriptors open before, %d after" CHECK_NOT_TIMING, what,
                 before, after_run);
}

/* Each of n orders to a test kitchen answered with its fake reply (check_fake_reply). */
static void fake_replies_in(const char *what, const struct task *t, const struct result *out, int n)
{
    for (int i = 0; i < n; i++) {
        CHECK_IMPL(out[i].status, "async_order()", "async.c");
        cr_assert(out[i].status == 0 && out[i].value == check_fake_reply(t[i].seed),
                  "async_gather(%s): out[%d] = status %d value %llu, expected status 0 and the "
                  "kitchen's reply %llu",
                  what, i, out[i].status, (unsigned long long)out[i].value,
                  (unsigned long long)check_fake_reply(t[i].seed));
        /* the fake reply's key is drawn anew each run: that the kitchen knew it */
        check_observe(out[i].value == check_fake_reply(t[i].seed),
                      "out[%d].value_is_the_kitchen's_reply", i);
    }
}

/* The threads ref_cook() ran on (workload_on_cook): how many cooks, and how many of them on
 * a thread other than cook_home. */
static pthread_t cook_home;
static atomic_int cooks_seen, cooks_away;

static void note_cook_thread(uint64_t seed)
{
    (void)seed;
    atomic_fetch_add(&cooks_seen, 1);
    if (!pthread_equal(pthread_self(), cook_home))
        atomic_fetch_add(&cooks_away, 1);
}

Test(async_gather, cooking_blocks_the_loop, .timeout = 5)
{
    uint64_t rounds = check_rounds_for_ms(150);
    struct task t[5] = {
        {.kind = TASK_SLEEP, .seconds = 0.01},
        {.kind = TASK_SLEEP, .seconds = 0.02},
        {.kind = TASK_COOK, .seed = check_rand(), .rounds = rounds},
        {.kind = TASK_SLEEP, .seconds = 0.04},
        {.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()},
    };
    const char *what = "sleeps of 10, 20, 40 ms, a 150 ms cook, an order";
    struct result out[5];
    double c0 = thread_cpu(), cook;

    cook_home = pthread_self();
    workload_on_cook(note_cook_thread);
    gather(t, 5, out, 0, what);
    workload_on_cook(NULL);
    cook = thread_cpu() - c0; /* about the cooking's CPU time */
    check_tasks(what, t, 5, out);
    /* one waiter on one thread: the dish cooks in a callback of the loop, on the caller's
     * thread, never handed to a thread of its own ("run_in_executor" is lab 6's answer) */
    cr_assert(atomic_load(&cooks_seen) >= 1 && atomic_load(&cooks_away) == 0,
              "async_gather(%s): %d of %d ref_cook() calls ran on a thread other than the "
              "caller's: a TASK_COOK runs in a callback of the loop, on the loop's one thread "
              "(lab5.h), and blocks it while it cooks; cooking beside the loop on threads of "
              "its own is lab 6's hybrid, not lab 5",
              what, atomic_load(&cooks_away), atomic_load(&cooks_seen));
    /* each TASK_COOK is one ref_cook() on the loop, the same dish twice too: cooking is the
     * CPU work this gather stands for, never taken from a table of dishes cooked before */
    {
        uint64_t seed = check_rand(), r = 1 + check_rand() % 1000;
        struct task same[2] = {
            {.kind = TASK_COOK, .seed = seed, .rounds = r},
            {.kind = TASK_COOK, .seed = seed, .rounds = r},
        };
        struct result two[2];

        atomic_store(&cooks_seen, 0);
        workload_on_cook(note_cook_thread);
        gather(same, 2, two, 0, "the same dish twice");
        workload_on_cook(NULL);
        check_tasks("the same dish twice", same, 2, two);
        cr_assert_eq(atomic_load(&cooks_seen), 2,
                     "async_gather(the same dish twice) called ref_cook() %d times, expected 2: "
                     "each TASK_COOK runs ref_cook(seed, rounds) in a callback of the loop, a "
                     "dish cooked before too (no table of dishes kept: cooking is the work, and "
                     "a table shared by gathers on other threads is a data race)",
                     atomic_load(&cooks_seen));
    }
    for (int i = 0; i < 4; i++) {
        double late, want;

        if (t[i].kind != TASK_SLEEP)
            continue;
        late = out[i].value / 1e6;
        want = 0.8 * (cook - t[i].seconds) - 0.01;
        cr_assert(late >= want,
                  "async_gather(%s): the %.0f ms sleep woke %.1f ms late, expected at least "
                  "%.0f ms late: the cook ran %.0f ms in a callback, and while it cooks the one "
                  "waiter serves nobody (a sleep's value is how late it woke, in microseconds)",
                  what, 1000 * t[i].seconds, 1000 * late, 1000 * want, 1000 * cook);
    }
}

static void inflight_refilled(void);
static void refilled_after_failure(void);

Test(async_gather, inflight_cap, .timeout = 8)
{
    enum { N = 12 };
    struct task t[N];
    struct result out[N];
    double t0, took;

    for (int i = 0; i < N; i++)
        t[i] =
            (struct task){.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    t0 = check_now();
    gather(t, N, out, 4, "12 orders, max_inflight=4");
    took = check_now() - t0;
    check_tasks("async_gather(12 orders, max_inflight=4)", t, N, out);
    cr_assert(took >= 0.14 && took < 3.0,
              "async_gather(12 orders of 50 ms, max_inflight=4) took %.3f s, expected 3 waves "
              "of 4 (0.15 s): start an order only while fewer than max_inflight are in flight, "
              "and the next one as each finishes",
              took);
    inflight_refilled();
    refilled_after_failure();
}

Test(async_gather, start_fails, .timeout = 4)
{
    enum { N = 4 };
    uint16_t port = check_kitchen_port();
    struct task t[N];
    struct result out[N];
    uint64_t items[N], values[N];
    unsigned char ok[N];
    int failed = 0, rc;
    size_t m = 0;

    for (int i = 0; i < N; i++)
        t[i] = (struct task){.kind = TASK_ORDER, .port = port, .seed = check_rand()};
    /* max_inflight = 1: the second socket() refused, so one order cannot start */
    fault_arm(FAULT_SOCKET, 2, 1, EMFILE);
    rc = async_gather(t, N, out, 1);
    fault_disarm_all();
    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, 0,
                 "async_gather(4 orders, max_inflight=1, the second socket() failing with "
                 "EMFILE) returned %d, expected 0: a failed task has its own status",
                 rc);
    for (int i = 0; i < N; i++) {
        if (out[i].status == -EMFILE) {
            failed++;
            continue;
        }
        cr_assert_eq(out[i].status, 0,
                     "async_gather(4 orders, max_inflight=1, the second socket() failing with "
                     "EMFILE): out[%d] = status %d, expected 0 (or -EMFILE for the order that "
                     "could not start)%s",
                     i, out[i].status,
                     out[i].status == -EINPROGRESS
                         ? ": it never started; an order that could not start is not in flight, "
                           "so it holds no place under max_inflight"
                         : "");
        items[m] = t[i].seed;
        values[m++] = out[i].value;
    }
    cr_assert(failed <= 1,
              "async_gather(4 orders, max_inflight=1, the second socket() failing with "
              "EMFILE): %d orders got -EMFILE, expected at most the one whose socket() failed",
              failed);
    check_kitchen_says(port, m, items, values, ok);
    for (size_t i = 0; i < m; i++)
        cr_assert(ok[i],
                  "async_gather(4 orders, the second socket() failing): an order "
                  "(item=%llu) got value=%llu: " CHECK_NOT_REPLY,
                  (unsigned long long)items[i], (unsigned long long)values[i]);
    gather_without_memory();
}

/*
 * A kitchen of the test's own, on a thread: it holds every connection, unanswered, until
 * none has come for 100 ms and each has sent its line (or 3 s have passed), then answers them all
 * (check_fake_reply()) and closes them. Until it answers no order can end, so the most it
 * held at once is how many orders the code put in flight at once, however busy the
 * machine.
 */
enum { HK_MAX = 32 };

struct holding_kitchen {
    int lfd;
    uint16_t port;
    int all;      /* > 0: answer at once when this many orders are held, each line whole */
    int quiet_ms; /* how long no new order must come (0: 100 ms) */
    int most;
    int nlog;
    uint64_t log[HK_MAX]; /* the items answered, in the order answered */
    atomic_int stop;
    pthread_t tid;
};

struct hk_conn {
    int fd;
    size_t len;
    char line[32];
};

static uint64_t hk_answer(struct hk_conn *h)
{
    char reply[32];
    uint64_t item;
    int len;

    h->line[h->len] = '\0';
    item = strtoull(h->line, NULL, 10);
    len = snprintf(reply, sizeof(reply), "%llu\n", (unsigned long long)check_fake_reply(item));
    (void)send(h->fd, reply, (size_t)len, MSG_NOSIGNAL);
    close(h->fd);
    return item;
}

static void *hk_run(void *arg)
{
    struct holding_kitchen *k = arg;
    struct hk_conn h[HK_MAX];
    int n = 0;
    double last = check_now();

    while (!atomic_load(&k->stop)) {
        struct pollfd p = {.fd = k->lfd, .events = POLLIN};
        int whole = 0;

        poll(&p, 1, 5);
        if (p.revents & POLLIN) {
            int fd = accept(k->lfd, NULL, NULL);

            if (fd >= 0 && n < HK_MAX) {
                h[n++] = (struct hk_conn){.fd = fd};
                if (n > k->most)
                    k->most = n;
                last = check_now();
            } else if (fd >= 0) {
                close(fd);
            }
        }
        for (int i = 0; i < n; i++) {
            if (!memchr(h[i].line, '\n', h[i].len) && h[i].len < sizeof(h[i].line) - 1) {
                ssize_t r = recv(h[i].fd, h[i].line + h[i].len, sizeof(h[i].line) - 1 - h[i].len,
                                 MSG_DONTWAIT);

                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    close(h[i].fd); /* the client hung up: forget it */
                    h[i--] = h[--n];
                    continue;
                }
                if (r > 0)
                    h[i].len += (size_t)r;
            }
            whole += memchr(h[i].line, '\n', h[i].len) != NULL;
        }
        double quiet = (k->quiet_ms ? k->quiet_ms : 100) / 1000.0, since = check_now() - last;
        bool full = k->all && n >= k->all && whole == n; /* all it waits for, each line whole */

        if (n == 0 || (!full && (since < quiet || (whole < n && since < 3))))
            continue;
        for (int i = 0; i < n; i++) {
            uint64_t item = hk_answer(&h[i]);

            if (k->nlog < HK_MAX)
                k->log[k->nlog++] = item;
        }
        n = 0;
    }
    for (int i = 0; i < n; i++)
        close(h[i].fd);
    return NULL;
}

/* The holding kitchen started on a port of its own (k->port), and stopped: its thread joined,
 * its listening socket closed. */
static void hk_open(struct holding_kitchen *k)
{
    k->lfd = check_listen(64, &k->port);
    cr_assert_eq(pthread_create(&k->tid, NULL, hk_run, k), 0, "pthread_create failed in the test");
}

static void hk_close(struct holding_kitchen *k)
{
    atomic_store(&k->stop, 1);
    pthread_join(k->tid, NULL);
    close(k->lfd);
}

/*
 * A kitchen of the test's own, on a thread, that holds one order (item `held`) unanswered and
 * answers every other as soon as its line is whole. It lets the held one go when all the
 * others have been answered, or when nothing has happened for 2 s (no connection, no answer):
 * an async_gather() that starts orders only in batches waits for the held one before it
 * starts any more, and only the idle time lets it go on. `before` counts the other orders
 * answered while the held one waited: with slots refilled as they free up, all of them.
 */
struct refill_kitchen {
    int lfd, others, before, idle_release;
    uint16_t port;
    uint64_t held;
    atomic_int stop;
    pthread_t tid;
};

static void *rk_run(void *arg)
{
    struct refill_kitchen *k = arg;
    struct hk_conn h[HK_MAX];
    int n = 0, answered = 0, hold = -1, released = 0;
    double last = check_now();

    while (!atomic_load(&k->stop)) {
        struct pollfd p = {.fd = k->lfd, .events = POLLIN};

        poll(&p, 1, 2);
        if (p.revents & POLLIN) {
            int fd = accept(k->lfd, NULL, NULL);

            if (fd >= 0 && n < HK_MAX) {
                h[n++] = (struct hk_conn){.fd = fd};
                last = check_now();
            } else if (fd >= 0) {
                close(fd);
            }
        }
        for (int i = 0; i < n; i++) {
            if (i == hold)
                continue;
            if (!memchr(h[i].line, '\n', h[i].len) && h[i].len < sizeof(h[i].line) - 1) {
                ssize_t r = recv(h[i].fd, h[i].line + h[i].len, sizeof(h[i].line) - 1 - h[i].len,
                                 MSG_DONTWAIT);

                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                    close(h[i].fd); /* the client hung up: forget it */
                    h[i] = h[--n];
                    if (hold == n)
                        hold = i;
                    i--;
                    continue;
                }
                if (r > 0)
                    h[i].len += (size_t)r;
                if (!memchr(h[i].line, '\n', h[i].len))
                    continue;
            }
            h[i].line[h[i].len] = '\0';
            if (!released && strtoull(h[i].line, NULL, 10) == k->held) {
                hold = i; /* kept, unanswered */
                continue;
            }
            hk_answer(&h[i]);
            answered++;
            if (!released)
                k->before = answered;
            last = check_now();
            h[i] = h[--n];
            if (hold == n)
                hold = i;
            i--;
        }
        if (hold >= 0 && (answered >= k->others || check_now() - last > 2)) {
            k->idle_release = answered < k->others;
            released = 1;
            hk_answer(&h[hold]);
            h[hold] = h[--n];
            hold = -1;
            last = check_now();
        }
    }
    for (int i = 0; i < n; i++)
        close(h[i].fd);
    return NULL;
}

/* max_inflight is how many orders are in flight at once, each slot refilled as it frees up,
 * not the size of a batch: the kitchen holds the first order's reply and answers the five
 * others at once. While the first one waits, the other slot serves them all, one after
 * another. Judged by what the kitchen saw, not by the time it took. */
static void inflight_refilled(void)
{
    enum { N = 6, CAP = 2 };
    struct refill_kitchen k = {.others = N - 1};
    struct task t[N];
    struct result out[N];
    const char *what = "6 orders, max_inflight=2, to a kitchen that holds the first one's "
                       "reply and answers the others at once";

    k.lfd = check_listen(64, &k.port);
    for (int i = 0; i < N; i++)
        t[i] = (struct task){.kind = TASK_ORDER, .port = k.port, .seed = check_rand()};
    k.held = t[0].seed;
    cr_assert_eq(pthread_create(&k.tid, NULL, rk_run, &k), 0, "pthread_create failed in the test");
    int rc = async_gather(t, N, out, CAP);
    atomic_store(&k.stop, 1);
    pthread_join(k.tid, NULL);
    close(k.lfd);
    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, 0, "async_gather(%s) returned %d (%s), expected 0", what, rc,
                 rc < 0 ? strerror(-rc) : "?");
    fake_replies_in(what, t, out, N);
    cr_assert(k.before == N - 1,
              "async_gather(%s): while the first order waited, the kitchen got and answered "
              "%d of the 5 others%s, expected all 5: keep max_inflight orders in flight, and "
              "start the next one as soon as any finishes (its done callback), not only when "
              "the whole batch has" CHECK_NOT_TIMING,
              what, k.before,
              k.idle_release ? " (then nothing more came for 2 s, and it let the first go)" : "");
}

/* A slot is refilled whichever way its order ended: max_inflight 1, the first order refused
 * (nobody listens on its port), the two after it to the kitchen. The refused order's done
 * callback is the only place the second can start from; a gather that refills only after a
 * success starts neither and still returns 0. Judged by results, not time. */
static void refilled_after_failure(void)
{
    enum { N = 3 };
    uint16_t port = check_kitchen_port();
    struct task t[N] = {
        {.kind = TASK_ORDER, .port = check_free_port(), .seed = check_rand()},
        {.kind = TASK_ORDER, .port = port, .seed = check_rand()},
        {.kind = TASK_ORDER, .port = port, .seed = check_rand()},
    };
    struct result out[N];
    const char *what = "3 orders, max_inflight=1, the first refused (nobody listening)";

    gather(t, N, out, 1, what);
    cr_assert_eq(out[0].status, -ECONNREFUSED,
                 "async_gather(%s): out[0] = status %d, expected -ECONNREFUSED (%d)", what,
                 out[0].status, -ECONNREFUSED);
    for (int i = 1; i < N; i++)
        cr_assert(out[i].status == 0 && check_reply_ok(port, t[i].seed, out[i].value),
                  "async_gather(%s): out[%d] = status %d value %llu, expected status 0 and the "
                  "kitchen's reply%s",
                  what, i, out[i].status, (unsigned long long)out[i].value,
                  out[i].status == -EINPROGRESS
                      ? ": it never started; a failed order frees its slot as a served one "
                        "does, so start the next order from the done callback of every order "
                        "that ends, whatever its status"
                      : "");
}

/* async_gather() never has more than max_inflight orders in flight: counted by the kitchen,
 * which answers none until no new one comes. With `sleeps`, two 1 ms sleeps among the 6
 * orders: a sleep holds no place under max_inflight, and its end frees none either (an
 * examiner's gather ended each sleep through the orders' own done callback, so every sleep
 * that ended let one more order in; round 67). */
static void held_to_cap(bool sleeps)
{
    enum { N = 8, CAP = 2 };
    struct holding_kitchen k = {0};
    struct task t[N];
    struct result out[N];
    int n = sleeps ? N : N - 2;
    const char *what = sleeps ? "6 orders and 2 sleeps of 1 ms among them, max_inflight=2, to a "
                                "kitchen that answers only when no new order comes for 100 ms"
                              : "6 orders, max_inflight=2, to a kitchen that answers only when no "
                                "new order comes for 100 ms";

    hk_open(&k);
    for (int i = 0; i < n; i++)
        t[i] = sleeps && (i == 1 || i == 4)
                   ? (struct task){.kind = TASK_SLEEP, .seconds = 0.001}
                   : (struct task){.kind = TASK_ORDER, .port = k.port, .seed = check_rand()};
    int rc = async_gather(t, n, out, CAP);
    hk_close(&k);
    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, 0,
                 "async_gather(%s) returned %d (%s), expected 0: a task that fails, even at its "
                 "start, has its own out[i].status, and the others still run" CHECK_NOT_TIMING,
                 what, rc, rc < 0 ? strerror(-rc) : "?");
    if (!sleeps)
        fake_replies_in(what, t, out, n);
    for (int i = 0; sleeps && i < n; i++)
        cr_assert(out[i].status == 0 &&
                      (t[i].kind == TASK_SLEEP || out[i].value == check_fake_reply(t[i].seed)),
                  "async_gather(%s): out[%d] = status %d value %llu, expected status "
                  "0%s" CHECK_NOT_TIMING,
                  what, i, out[i].status, (unsigned long long)out[i].value,
                  t[i].kind == TASK_SLEEP ? " (a sleep)" : " and the kitchen's reply");
    cr_assert(k.most <= CAP,
              "async_gather(%s): the kitchen held %d orders at once, expected at most %d: "
              "start an order only while FEWER than max_inflight are in flight%s",
              what, k.most, CAP,
              sleeps ? "; a sleep is never in flight, and its end frees no place for an order "
                       "(end a sleep with a callback of its own, not the orders' one)"
                     : "");
}

/* Orders waiting for a place wait asleep: 6 orders to the kitchen (~50 ms each), one in flight
 * at a time (max_inflight 1), the loop's waits counted (FAULT_POLL, counts only). An order's
 * end starts the next (from its done); each order takes a few waits (connected, sent,
 * replied, hung up). An examiner's gather looked for a free place in a 0 s timer set again
 * every round while orders waited: ~300 ms of waits that return at once (round 68). */
static void waiting_orders_sleep(void)
{
    enum { N = 6 };
    struct task t[N];
    struct result out[N];

    for (int i = 0; i < N; i++)
        t[i] =
            (struct task){.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    fault_arm(FAULT_POLL, 0, 0, 0); /* count only */
    int rc = async_gather(t, N, out, 1);
    unsigned waits = fault_calls(FAULT_POLL);
    fault_disarm_all();
    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, 0, "async_gather(6 orders, max_inflight 1) returned %d" CHECK_NOT_TIMING, rc);
    cr_assert(waits <= 20 * N,
              "async_gather(6 orders of ~50 ms to the kitchen, max_inflight 1): the loop waited "
              "%u times, expected a few an order (at most %d in all): the orders waiting for a "
              "place wait asleep, and an order that ends starts the next (from its done), never "
              "a 0 s timer that looks again every round (a spin)" CHECK_NOT_TIMING,
              waits, 20 * N);
}

Test(async_gather, at_most_max_inflight, .timeout = 5)
{
    held_to_cap(false);
    held_to_cap(true);
    waiting_orders_sleep();
}

/* "orders start ... in task order": one in flight at a time (max_inflight = 1), among
 * other tasks, to the holding kitchen, which logs the items in the order it answers them. */
Test(async_gather, orders_in_task_order, .timeout = 5)
{
    enum { N = 7 };
    struct holding_kitchen k = {0};
    struct task t[N];
    struct result out[N];
    uint64_t want[N];
    int m = 0;
    const char *what = "4 orders, a sleep, a cook and a sleep between them, max_inflight=1";
    char got_list[128] = "", want_list[128] = "";
    size_t gl = 0, wl = 0;

    hk_open(&k);
    for (int i = 0; i < N; i++) {
        if (i == 1 || i == 4)
            t[i] = (struct task){.kind = TASK_SLEEP, .seconds = 0.001 * i};
        else if (i == 3)
            t[i] = (struct task){.kind = TASK_COOK, .seed = check_rand(), .rounds = 100};
        else
            t[i] = (struct task){.kind = TASK_ORDER, .port = k.port, .seed = check_rand()};
    }
    int rc = async_gather(t, N, out, 1);
    hk_close(&k);
    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, 0,
                 "async_gather(%s) returned %d (%s), expected 0: a task that fails, even at its "
                 "start, has its own out[i].status, and the others still run" CHECK_NOT_TIMING,
                 what, rc, rc < 0 ? strerror(-rc) : "?");
    for (int i = 0; i < N; i++)
        if (t[i].kind == TASK_ORDER) {
            CHECK_IMPL(out[i].status, "async_order()", "async.c");
            want[m++] = t[i].seed;
            wl += snprintf(want_list + wl, sizeof(want_list) - wl, "%s%d", wl ? "," : "", i);
        }
    for (int j = 0; j < k.nlog; j++)
        for (int i = 0; i < N; i++)
            if (t[i].kind == TASK_ORDER && t[i].seed == k.log[j])
                gl += snprintf(got_list + gl, sizeof(got_list) - gl, "%s%d", gl ? "," : "", i);
    cr_assert(k.nlog == m && !memcmp(k.log, want, sizeof(want[0]) * (size_t)m),
              "async_gather(%s): the kitchen got the orders of tasks %s, in that order, "
              "expected %s: orders start in task order",
              what, got_list[0] ? got_list : "(none)", want_list);
}

/* "Sleeps and cooking start at once (cooking in a 0-second timer's callback); orders start as
 * soon as fewer than max_inflight are in flight": the orders connect before the first dish
 * begins, so the kitchen's latency runs while the loop cooks. Each ref_cook(), as it starts,
 * notes the connect()s made so far (the fault wrapper counts them): an order of events on
 * the loop's one thread, not a timing. */
static int connects_at_first_cook = -1, waits_at_first_cook = -1;

static void note_connects(uint64_t seed)
{
    (void)seed;
    if (connects_at_first_cook < 0) {
        connects_at_first_cook = (int)fault_calls(FAULT_CONNECT);
        waits_at_first_cook = (int)fault_calls(FAULT_POLL);
    }
}

Test(async_gather, orders_before_cooking, .timeout = 4)
{
    uint16_t port = check_kitchen_port();
    struct task t[4] = {
        {.kind = TASK_COOK, .seed = check_rand(), .rounds = 1000},
        {.kind = TASK_ORDER, .port = port, .seed = check_rand()},
        {.kind = TASK_COOK, .seed = check_rand(), .rounds = 1000},
        {.kind = TASK_ORDER, .port = port, .seed = check_rand()},
    };
    const char *what = "a cook, an order, a cook, an order, max_inflight=0";
    struct result out[4];

    connects_at_first_cook = waits_at_first_cook = -1;
    fault_arm(FAULT_CONNECT, 1, 0, 0); /* count the connect()s, fail none */
    fault_arm(FAULT_POLL, 1, 0, 0);    /* and the loop's waits */
    workload_on_cook(note_connects);
    gather(t, 4, out, 0, what);
    workload_on_cook(NULL);
    fault_disarm_all();
    for (int i = 0; i < 4; i++)
        cr_assert(out[i].status == 0 && (t[i].kind == TASK_ORDER ||
                                         out[i].value == check_dish(t[i].seed, t[i].rounds)),
                  "async_gather(%s): out[%d] (a %s) = status %d value %llu, expected status 0 "
                  "and its %s",
                  what, i, kind_name(t[i].kind), out[i].status, (unsigned long long)out[i].value,
                  t[i].kind == TASK_ORDER ? "reply" : "dish");
    cr_assert(connects_at_first_cook >= 2,
              "async_gather(%s): the first dish began with %d connect() made, expected both "
              "orders' (2) before it: orders start at once (0 in flight, fewer than "
              "max_inflight), while the gather sets up, not from a timer after the cooking ones, "
              "so the kitchen cooks the orders while the loop cooks the dishes",
              what, connects_at_first_cook < 0 ? 0 : connects_at_first_cook);
    /* the dish cooks in a 0 s timer's callback, so inside loop_run(), after the round's wait
     * (lab5.h: a round is one wait, then the callbacks): never before the loop runs, where
     * it would hold the orders' first bytes and replies until every dish is done */
    cr_assert(waits_at_first_cook >= 1,
              "async_gather(%s): the first dish began before the loop's first wait (%d "
              "poll()/epoll_wait() calls made), expected it in a 0 s timer's callback, inside "
              "loop_run() (lab5.h: cooking in a 0-second timer's callback; a round is one "
              "wait, then the callbacks): a dish cooked while the gather sets up runs before "
              "any order is sent or any sleep can wake",
              what, waits_at_first_cook < 0 ? 0 : waits_at_first_cook);

    /* a sleep first, max_inflight=1: sleeps are not in flight (lab5.h: only orders wait for
     * the cap), so the order still connects before the dish begins */
    struct task t2[3] = {
        {.kind = TASK_SLEEP, .seconds = 0.02},
        {.kind = TASK_ORDER, .port = port, .seed = check_rand()},
        {.kind = TASK_COOK, .seed = check_rand(), .rounds = 1000},
    };

    what = "a 20 ms sleep, an order, a cook, max_inflight=1";
    connects_at_first_cook = -1;
    fault_arm(FAULT_CONNECT, 1, 0, 0);
    workload_on_cook(note_connects);
    gather(t2, 3, out, 1, what);
    workload_on_cook(NULL);
    fault_disarm_all();
    cr_assert(out[1].status == 0 && out[2].status == 0 && connects_at_first_cook >= 1,
              "async_gather(%s): the order ended with status %d, the cook %d, and the dish "
              "began with %d connect() made, expected the order's (1) before it: only orders "
              "count against max_inflight; a sleep (or a dish) is never in flight, and no order "
              "waits for it",
              what, out[1].status, out[2].status,
              connects_at_first_cook < 0 ? 0 : connects_at_first_cook);
}

/* A door that never opens: a listener the test never accept()s from. Each order connects
 * (the kernel finishes the handshake into the accept queue), sends its line and waits for a
 * reply that never comes, holding its socket, until the door closes (the queued
 * connections are reset and those orders fail, the later ones are refused). A thread of
 * the test counts the descriptors open meanwhile: the most, less those open before, is the
 * most orders in flight at once. */
struct door {
    int lfd, base, most, target;
    atomic_int over; /* async_gather() returned */
    pthread_t tid;
};

static void *door_watch(void *arg)
{
    struct door *d = arg;
    struct timespec ms5 = {.tv_nsec = 5000000};
    double reached = 0, give_up = check_now() + 3;

    while (check_now() < give_up && !atomic_load(&d->over)) {
        int n = check_open_fds() - d->base;

        if (n > d->most)
            d->most = n;
        if (!reached && n >= d->target)
            reached = check_now();
        if (reached && check_now() - reached > 0.3) /* none may follow: look a while more */
            break;
        nanosleep(&ms5, NULL);
    }
    close(d->lfd);
    return NULL;
}

/* n orders to a door that never opens, by async_gather() with max_inflight `cap`, or by
 * async_map() with `*map_workers` when that is not NULL: the most descriptors open at once,
 * less those open before, is the most orders in flight at once (order of events: no order can
 * end before the door closes, `target` in flight or 3 s on). *said: bytes the call wrote on
 * stderr. */
static int door_run(size_t n, size_t cap, const int *map_workers, int target, const char *what,
                    ssize_t *said)
{
    struct task *t = calloc(n, sizeof(*t));
    struct job *j = calloc(n, sizeof(*j));
    struct result *out = calloc(n, sizeof(*out));
    struct door d = {.target = target};
    int err = memfd_create("stderr", MFD_CLOEXEC), saved_err = dup(2), rc;
    const char *fn = map_workers ? "async_map" : "async_gather";
    uint16_t port;
    char buf[512];

    cr_assert(t && j && out, "out of memory in the test");
    cr_assert(err >= 0 && saved_err >= 0, "memfd_create() or dup() failed in the test: %s",
              strerror(errno));
    d.lfd = check_listen(4096, &port);
    for (size_t i = 0; i < n; i++) {
        t[i] = (struct task){.kind = TASK_ORDER, .port = port, .seed = check_rand()};
        j[i] = (struct job){.kind = JOB_ORDER, .port = port, .seed = t[i].seed};
    }
    d.base = check_open_fds();
    cr_assert(dup2(err, 2) == 2, "dup2() failed in the test: %s", strerror(errno));
    cr_assert_eq(pthread_create(&d.tid, NULL, door_watch, &d), 0,
                 "pthread_create failed in the test");
    rc = map_workers ? async_map(j, n, out, *map_workers) : async_gather(t, n, out, cap);
    atomic_store(&d.over, 1);
    pthread_join(d.tid, NULL);
    fflush(stderr);
    dup2(saved_err, 2);
    close(saved_err);
    *said = pread(err, buf, sizeof(buf) - 1, 0);
    if (*said > 0) {
        buf[*said] = '\0';
        fprintf(stderr, "%s(%s) said on stderr: %s", fn, what, buf);
    }
    close(err);
    free(t);
    free(j);
    free(out);
    CHECK_IMPL(rc, map_workers ? "async_map()" : "async_gather()", "async.c");
    cr_assert_eq(rc, 0,
                 "%s(%s, to a kitchen that never answers the door) returned %d (%s), expected 0 "
                 "(each order fails on its own)",
                 fn, what, rc, rc < 0 ? strerror(-rc) : "?");
    return d.most;
}

static int door_gather(size_t n, size_t cap, const char *what, ssize_t *said)
{
    return door_run(n, cap, NULL, (int)n, what, said);
}

/* The hard limit on open files leaves room for n orders and the test's own descriptors. */
static void need_open_files(int n)
{
    struct rlimit rl;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit failed in the test");
    cr_assert(rl.rlim_max >= (rlim_t)n + 64,
              "the hard limit on open files is %llu here: this test needs %d",
              (unsigned long long)rl.rlim_max, n + 64);
}

Test(async_gather, default_cap, .timeout = 8)
{
    enum { N = 1200 };
    ssize_t said;
    int most;

    need_open_files(N);
    most = door_run(N, 0, NULL, ASYNC_MAX_INFLIGHT, "1200 orders, max_inflight=0", &said);
    cr_assert(most <= ASYNC_MAX_INFLIGHT + 2,
              "async_gather(1200 orders, max_inflight=0) had %d descriptors open at once (the "
              "orders in flight), expected at most ASYNC_MAX_INFLIGHT (%d): max_inflight = 0 "
              "means the default cap, not all at once",
              most, ASYNC_MAX_INFLIGHT);
}

/* "The open-file soft limit is raised to the hard limit; if even that leaves room for fewer
 * orders ...": the room is counted after the raise. Soft limit 64 under a hard limit of
 * thousands: 200 orders all go in flight at once, and nothing is said. */
Test(async_gather, room_after_raise, .timeout = 8)
{
    enum { N = 200 };
    struct rlimit rl;
    char what[128];
    ssize_t said;
    int most;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit failed in the test");
    cr_assert(rl.rlim_max >= N + 64,
              "the hard limit on open files is %llu here: this test needs %d",
              (unsigned long long)rl.rlim_max, N + 64);
    rl.rlim_cur = 64;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit failed in the test");
    snprintf(what, sizeof(what), "%d orders, max_inflight=0, open files: soft limit 64, hard %llu",
             N, (unsigned long long)rl.rlim_max);
    most = door_gather(N, 0, what, &said);
    cr_assert(most >= N,
              "async_gather(%s) had %d orders in flight at once, expected all %d%s: raise the soft "
              "limit first, then count the room under the raised limit, not the old one",
              what, most, N, said > 0 ? ", and said on stderr the limit was too low" : "");

    /* and where the descriptors cannot be counted (no /proc: opendir() fails, fault.h's
     * FAULT_OPENDIR): the room is a guess then, never the gather's failure (lab5.h lists
     * what it returns: -EINVAL, -EMFILE, the loop's -errno) */
    static const int errs[] = {ENOENT, EACCES};
    enum { M = 6 };
    struct task t[M];
    struct result out[M];

    for (size_t e = 0; e < sizeof(errs) / sizeof(errs[0]); e++) {
        for (size_t i = 0; i < M; i++)
            t[i] = i % 3 == 2 ? (struct task){.kind = TASK_COOK, .seed = check_rand(), .rounds = 5}
                              : (struct task){.kind = TASK_ORDER,
                                              .port = check_kitchen_port(),
                                              .seed = check_rand()};
        snprintf(what, sizeof(what), "4 orders and 2 cooks, every opendir() failing with %s",
                 errs[e] == ENOENT ? "ENOENT (no /proc)" : "EACCES");
        fault_arm(FAULT_OPENDIR, 1, 0, errs[e]);
        fault_arm_this_thread(FAULT_OPENDIR);
        gather(t, M, out, 0, what);
        fault_disarm_all();
        check_tasks(what, t, M, out);
    }
}

/* "orders start as soon as fewer than max_inflight are in flight": any max_inflight, also one
 * above ASYNC_MAX_INFLIGHT (the default for 0, no ceiling). */
Test(async_gather, cap_above_default, .timeout = 8)
{
    enum { N = 1500, CAP = 2000 };
    ssize_t said;
    int most;
    const char *what = "1500 orders, max_inflight=2000";

    need_open_files(N);
    most = door_gather(N, CAP, what, &said);
    cr_assert(most >= N,
              "async_gather(%s) had %d orders in flight at once, expected all %d: max_inflight "
              "is the caller's cap, whatever it is; ASYNC_MAX_INFLIGHT (%d) is only what 0 "
              "means, not a ceiling",
              what, most, N, ASYNC_MAX_INFLIGHT);
    /* past 32 bits too: max_inflight is a size_t, taken as it is */
    most = door_gather(6, ((size_t)1 << 32) + 2, "6 orders, max_inflight=2^32+2", &said);
    cr_assert(most >= 6,
              "async_gather(6 orders, max_inflight=2^32+2) had %d orders in flight at once, "
              "expected all 6: keep max_inflight a size_t all the way (an int keeps its low 32 "
              "bits: 2)",
              most);
}

static void gather_orders(size_t n, struct result *out, const char *what, double *took)
{
    struct task *t = calloc(n, sizeof(*t));
    double t0;

    cr_assert(t, "calloc failed in the test");
    for (size_t i = 0; i < n; i++)
        t[i] =
            (struct task){.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    t0 = check_now();
    gather(t, n, out, 0, what);
    *took = check_now() - t0;
    check_tasks(what, t, n, out);
    free(t);
}

/* The holding kitchen in a child process of its own, forked before the walk below lowers this
 * process's limit on open files: the connections it accepts count against its own limit, never
 * against the one the code under test is measured by. SIGUSR1 ends it (blocked until its
 * handler is in place); it then writes on the pipe *res how many orders it held at once. */
static struct holding_kitchen kid_k;

static void kid_stop(int sig)
{
    (void)sig;
    atomic_store(&kid_k.stop, 1);
}

static pid_t kitchen_in_child(int all, int quiet_ms, uint16_t *port, int *res)
{
    int p[2], lfd = check_listen(64, port);
    sigset_t usr1, old;
    pid_t pid;

    cr_assert(pipe(p) == 0, "pipe failed in the test: %s", strerror(errno));
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, &old);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        kid_k = (struct holding_kitchen){.lfd = lfd, .all = all, .quiet_ms = quiet_ms};
        atomic_init(&kid_k.stop, 0);
        signal(SIGUSR1, kid_stop);
        pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
        hk_run(&kid_k);
        _exit(write(p[1], &kid_k.most, sizeof(kid_k.most)) == (ssize_t)sizeof(kid_k.most) ? 0 : 1);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(p[1]);
    close(lfd);
    cr_assert(pid > 0, "fork failed in the test: %s", strerror(errno));
    *res = p[0];
    return pid;
}

/*
 * "a message on stderr says so (and only then)": the message and what the kitchen held at
 * once agree at every hard limit, walked down one descriptor at a time from 24 above those
 * open (the room an implementation keeps for itself is its own: the walk finds its edge)
 * until not one order can start (-EMFILE). 8 orders with max_inflight 5 each time, so 5 are
 * wanted in flight: where the kitchen held 5 at once nothing may be said, where it held fewer
 * the message must be there. The edge, where the room just fits the 5, is where a "room >
 * wanted" (not >=) speaks wrongly; between 5 and 8, a room counted for every order, not for
 * max_inflight. The kitchen answers as soon as it holds 5, else once none has come for 30 ms;
 * it is a child process, whose accepted connections take none of the room being measured.
 */
static void message_only_when_fewer(void)
{
    enum { N = 8, WANT = 5 };
    int err = memfd_create("stderr-walk", MFD_CLOEXEC), saved_err = dup(2);
    int top = check_open_fds() + 24;
    struct task t[N];
    struct result out[N];

    cr_assert(err >= 0 && saved_err >= 0, "memfd_create() or dup() failed in the test: %s",
              strerror(errno));
    for (int limit = top; limit > 0; limit--) {
        struct rlimit rl = {.rlim_cur = (rlim_t)limit, .rlim_max = (rlim_t)limit};
        int most = -1, res, rc;
        uint16_t port;
        pid_t kid = kitchen_in_child(WANT, 30, &port, &res);
        off_t before;

        for (int i = 0; i < N; i++)
            t[i] = (struct task){.kind = TASK_ORDER, .port = port, .seed = check_rand()};
        fflush(stderr);
        before = lseek(err, 0, SEEK_END);
        dup2(err, 2);
        rc = setrlimit(RLIMIT_NOFILE, &rl) == 0 ? async_gather(t, N, out, WANT) : -EPERM;
        fflush(stderr);
        dup2(saved_err, 2);
        kill(kid, SIGUSR1);
        if (read(res, &most, sizeof(most)) != (ssize_t)sizeof(most))
            most = -1;
        close(res);
        while (waitpid(kid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (rc < 0)
            break; /* -EMFILE: not one order could start; or the limit could not be lowered */
        bool said = lseek(err, 0, SEEK_END) > before;

        cr_assert(most >= 0, "the test's kitchen (a child process) said nothing (a harness error)");
        cr_assert(said == (most < WANT),
                  "async_gather(8 orders, max_inflight 5) with a hard limit of %d open files: "
                  "the kitchen held %d of them at once, and the message on stderr was %s: it "
                  "says so only when fewer orders than wanted in flight (here min(8, 5) = 5) "
                  "are, and always then (where the room just fits them: room >= wanted, "
                  "nothing to say; the room wanted is for max_inflight, not every order)",
                  limit, most, said ? "written" : "not written");
    }
    close(err);
    close(saved_err);
}

/* The run's hard limit is 16384 here (nofile= in the spec, when the grader's own allows it):
 * raised "to the hard limit", all the way, not to a round 4096. */
Test(async_gather, raises_soft_limit, .timeout = 5)
{
    static struct result out[300];
    struct rlimit rl;
    double took;
    char what[128], said[256];
    ssize_t said_len;
    /* stderr goes to a file of the test's meanwhile: each call here has room for its orders
     * under the raised limit, so nothing to say (lab5.h: a message "only then") */
    int err = memfd_create("stderr", MFD_CLOEXEC), saved_err;

    cr_assert(err >= 0, "memfd_create() failed in the test: %s", strerror(errno));

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit failed in the test");
    cr_assert(rl.rlim_max >= 1000,
              "the hard limit on open files is %llu here: this test needs "
              "1000",
              (unsigned long long)rl.rlim_max);
    /* raised whether or not these orders need it ("The open-file soft limit is raised to
     * the hard limit"): 2 orders fit under 64, 300 do not */
    static const int orders[] = {2, 300};
    for (int k = 0; k < 2; k++) {
        rl.rlim_cur = 64;
        cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit failed in the test");
        snprintf(what, sizeof(what), "%d orders, open files: soft limit 64, hard limit %llu",
                 orders[k], (unsigned long long)rl.rlim_max);
        saved_err = check_stderr_aside();
        dup2(err, STDERR_FILENO);
        gather_orders(orders[k], out, what, &took);
        check_stderr_back(saved_err);
        getrlimit(RLIMIT_NOFILE, &rl);
        cr_assert(rl.rlim_cur == rl.rlim_max,
                  "async_gather(%s) took %.3f s and left the soft limit at %llu: raise the soft "
                  "limit to the hard limit, however high (setrlimit; lab5.h), also when the "
                  "orders would fit under it",
                  what, took, (unsigned long long)rl.rlim_cur);
    }
    /* and with no order at all (sleeps and cooking hold no descriptor): the contract
     * raises it all the same */
    const struct task none[3] = {{.kind = TASK_SLEEP, .seconds = 0.002},
                                 {.kind = TASK_COOK, .seed = check_rand(), .rounds = 1000},
                                 {.kind = TASK_SLEEP, .seconds = 0}};
    rl.rlim_cur = 64;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit failed in the test");
    snprintf(what, sizeof(what), "2 sleeps and a cook, no order, open files: soft limit 64");
    saved_err = check_stderr_aside();
    dup2(err, STDERR_FILENO);
    gather(none, 3, out, 0, what);
    check_stderr_back(saved_err);
    check_tasks(what, none, 3, out);
    getrlimit(RLIMIT_NOFILE, &rl);
    cr_assert(rl.rlim_cur == rl.rlim_max,
              "async_gather(%s) left the soft limit at %llu (hard limit %llu): lab5.h raises "
              "the soft limit to the hard limit on every call, also when no task is an order",
              what, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);

    off_t wrote = lseek(err, 0, SEEK_END);

    said_len = pread(err, said, sizeof(said) - 1, 0);
    close(err);
    while (said_len > 0 && said[said_len - 1] == '\n')
        said_len--;
    cr_assert(wrote <= 0,
              "async_gather() with 2 orders, then 300, then none, each with room for its orders "
              "once the soft limit (64) was raised to the hard limit (%llu), wrote on stderr "
              "%lld bytes (\"%.*s\"): lab5.h says a message comes when even the hard limit leaves "
              "room for fewer orders than wanted in flight, and only then (not for raising the "
              "limit)",
              (unsigned long long)rl.rlim_max, (long long)wrote, (int)(said_len > 0 ? said_len : 0),
              said);
}

/* "Each order in flight holds a socket": one descriptor an order. A hard limit that leaves
 * room for 100 orders and 60 descriptors more (whatever the code keeps for itself) puts all
 * 100 wanted in flight at once, and says nothing: a room counted at two descriptors an
 * order halves them, and speaks of a limit too low. */
static void orders_that_fit_say_nothing(void)
{
    enum { N = 100, SPARE = 60 };
    struct rlimit rl;
    char what[128];
    ssize_t said;
    int most, limit = check_open_fds() + N + SPARE;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit failed in the test");
    cr_assert(rl.rlim_max >= (rlim_t)limit,
              "the hard limit on open files is %llu here: this test needs %d",
              (unsigned long long)rl.rlim_max, limit);
    rl.rlim_cur = rl.rlim_max = (rlim_t)limit;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit failed in the test");
    snprintf(what, sizeof(what), "%d orders, max_inflight=%d, hard limit %d with %d open", N, N,
             limit, limit - N - SPARE);
    most = door_gather(N, N, what, &said);
    cr_assert(most >= N && said <= 0,
              "async_gather(%s) had %d orders in flight at once, expected all %d, and %s on "
              "stderr, expected nothing: the limit leaves room for %d descriptors, and each "
              "order in flight holds one (its socket), not two",
              what, most, N, said > 0 ? "said the limit was too low" : "said nothing", N + SPARE);
}

Test(async_gather, low_hard_limit, .timeout = 9)
{
    static struct result out[300];
    struct rlimit rl = {.rlim_cur = 100, .rlim_max = 100};
    double took;
    int before, after_run, held[30][2];

    int err = memfd_create("stderr", MFD_CLOEXEC), saved_err = dup(2);
    char said[256];
    ssize_t said_len;

    orders_that_fit_say_nothing();
    /* stderr goes to a file of the test's meanwhile: "a message on stderr says so" */
    cr_assert(err >= 0 && saved_err >= 0 && dup2(err, 2) == 2,
              "memfd_create() or dup2() failed in the test: %s", strerror(errno));
    /* the caller's own descriptors count against the limit too: hold 40 of them */
    for (int i = 0; i < 20; i++)
        cr_assert_eq(pipe(held[i]), 0, "pipe failed in the test");
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit failed in the test");
    /* "if even that leaves room for fewer orders than wanted in flight ... a message says
     * so": only then. 200 sleeps and 3 orders want room for 3, which there is: nothing to
     * say (the sleeps hold no descriptor) */
    enum { QUIET = 203 };
    static struct task quiet[QUIET];
    const char *quiet_what =
        "200 sleeps of 0 s and 3 orders, hard limit 100, 40 descriptors in use";
    ssize_t quiet_len;

    for (int i = 0; i < QUIET; i++)
        quiet[i] = i % 67 == 66 ? (struct task){.kind = TASK_ORDER,
                                                .port = check_kitchen_port(),
                                                .seed = check_rand()}
                                : (struct task){.kind = TASK_SLEEP, .seconds = 0};
    gather(quiet, QUIET, out, 0, quiet_what);
    check_tasks(quiet_what, quiet, QUIET, out);
    fflush(stderr);
    quiet_len = lseek(err, 0, SEEK_END);
    /* the room is counted on every call: 20 more in use since the last one */
    for (int i = 20; i < 30; i++)
        cr_assert_eq(pipe(held[i]), 0, "pipe failed in the test");
    before = check_open_fds();
    gather_orders(300, out,
                  "300 orders with a hard limit of 100 open files, 60 of them in use by the "
                  "caller (40 at its last call: count them again on every call)",
                  &took);
    after_run = check_open_fds();
    for (int i = 0; i < 30; i++) {
        close(held[i][0]);
        close(held[i][1]);
    }
    fflush(stderr);
    dup2(saved_err, 2);
    close(saved_err);
    said_len = pread(err, said, sizeof(said) - 1, 0);
    close(err);
    cr_assert_eq(after_run, before,
                 "async_gather(300 orders, hard limit 100): %d descriptors "
                 "open before, %d after",
                 before, after_run);
    int shown = (int)(said_len > 0 ? (quiet_len < said_len ? quiet_len : said_len) : 0);

    while (shown > 0 && said[shown - 1] == '\n')
        shown--;
    cr_assert(quiet_len == 0,
              "async_gather(%s) wrote %zd bytes on stderr (\"%.*s\"): the message is for room "
              "for fewer orders than wanted in flight, and these 3 orders fit: count the orders, "
              "not every task (sleeps and cooking hold no descriptor)",
              quiet_what, quiet_len, shown, said);
    cr_assert(said_len > quiet_len,
              "async_gather(300 orders, hard limit 100, 60 descriptors in use) wrote nothing "
              "on stderr: when even the hard limit leaves room for fewer orders than wanted "
              "in flight, fewer are started at a time and a message on stderr says so");
    message_only_when_fewer();
}

/* "-EMFILE when not one more descriptor can be opened": the limit on open files lowered to
 * 32, and every descriptor under it in use. */
Test(async_gather, no_tasks, .timeout = 5)
{
    struct task t[1] = {{.kind = TASK_SLEEP, .seconds = 0}};
    struct result out[1] = {{.value = 0x5e5e5e5e, .status = 77}};
    int before = check_open_fds(), rc = async_gather(NULL, 0, NULL, 0), rc0, rc1, rc2;

    CHECK_IMPL(rc, "async_gather()", "async.c");
    rc0 = async_gather(t, 0, out, 0);
    cr_assert(rc == 0 && rc0 == 0 && out[0].value == 0x5e5e5e5e && out[0].status == 77,
              "async_gather(NULL, 0, NULL, 0) returned %d, async_gather(tasks, 0, out, 0) %d "
              "(out[0] {value %llu, status %d}): n = 0 is nothing to do, whatever the arrays: "
              "return 0 and write nothing; -EINVAL is for NULL arrays with n > 0 (test n "
              "first)",
              rc, rc0, (unsigned long long)out[0].value, out[0].status);
    rc1 = async_gather(NULL, 1, out, 0);
    rc2 = async_gather(t, 1, NULL, 0);
    cr_assert(rc1 == -EINVAL && rc2 == -EINVAL,
              "async_gather(tasks=NULL, n=1) returned %d, async_gather(out=NULL, n=1) %d, "
              "expected -EINVAL (%d) for both",
              rc1, rc2, -EINVAL);
    cr_assert_eq(check_open_fds(), before,
                 "async_gather() with no tasks left %d descriptors open (%d before)",
                 check_open_fds(), before);
    many_cooks_small_stack(); /* and n far from 0: no bound either */
}

/* async_gather() failing keeps nothing: its own allocations (from the k-th on) refused, so
 * that loop_new() (or what gather allocates before it) fails, for tasks that hold nothing
 * while the loop runs (a kind gather does not know, a sleep it refuses). It returns 0 or
 * the -errno it met; the heap and the descriptors are as before, however many calls. */
static void gather_fails_keeps_nothing(void)
{
    struct task t[2] = {{.kind = (enum task_kind)42}, {.kind = TASK_SLEEP, .seconds = -1}};
    struct result out[2];
    int before = check_open_fds(), rc, failed = 0;
    size_t heap = 0;

    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM)
            heap = check_heap_in_use();
        for (unsigned k = 1; k <= 4; k++) {
            fault_arm(FAULT_ALLOC, k, 0, ENOMEM);
            rc = async_gather(t, 2, out, 0);
            fault_disarm_all();
            CHECK_IMPL(rc, "async_gather()", "async.c");
            cr_assert(rc <= 0,
                      "async_gather(2 tasks) with allocation %u on failing (ENOMEM) returned "
                      "%d: 0 or a negative errno",
                      k, rc);
            failed += rc < 0;
        }
    }
    long kept = (long)check_heap_in_use() - (long)heap;
    cr_assert(kept < HEAP_SLACK,
              "%d x async_gather(2 tasks) with its allocations from the k-th on failing "
              "(ENOMEM; k = 1 to 4, %d calls failed) kept %ld more bytes of the heap in use: "
              "when loop_new() fails, free what gather allocated before it (the array of its "
              "tasks' state) before returning the loop's -errno (and a loop_new() that fails "
              "frees what it allocated itself)",
              4 * HEAP_CALLS, failed, kept);
    cr_assert_eq(check_open_fds(), before,
                 "async_gather() with its allocations failing (ENOMEM) left %d descriptor(s) "
                 "open",
                 check_open_fds() - before);
}

/* One gather of `sleeps` sleeps of 50 ms whose loop fails (every wait refused, EIO); the
 * number of calls that did not return -EIO is added to *bad. */
static void gather_failing_loop(int sleeps, int *bad)
{
    struct task t[2] = {{.kind = TASK_SLEEP, .seconds = 0.05},
                        {.kind = TASK_SLEEP, .seconds = 0.05}};
    struct result out[2];

    fault_arm(FAULT_POLL, 1, 0, EIO);
    *bad += async_gather(t, (size_t)sleeps, out, 0) != -EIO;
    fault_disarm_all();
}

/* An order refused at once (connect() says ECONNREFUSED: its outcome waits for the loop, in
 * a 0 s timer) is still in flight when the loop fails: the gather frees it as it closes any
 * other (gather_loop_error_closes_orders), with no descriptor to tell it is there. */
static void gather_loop_error_frees_refused(void)
{
    struct task t = {.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    struct result out;
    size_t h0 = 0;
    int bad = 0;

    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM)
            h0 = check_heap_in_use();
        fault_arm(FAULT_CONNECT, 1, 1, ECONNREFUSED);
        fault_arm(FAULT_POLL, 1, 0, EIO);
        bad += async_gather(&t, 1, &out, 0) != -EIO;
        fault_disarm_all();
    }
    long kept = (long)check_heap_in_use() - (long)h0;
    cr_assert(bad == 0 && kept < HEAP_SLACK,
              "%d x async_gather(1 order refused at once by connect()) with every wait of its "
              "loop failing (EIO): %d returned other than -EIO, and %ld more bytes of the heap "
              "in use after them: an order refused at once is in flight until the loop reports "
              "it; when the loop fails, free it with the others still in flight",
              HEAP_CALLS, bad, kept);
}

/* A gather whose loop fails still frees its loop (loop_free()): the heap in use after 32
 * such gathers of 1 sleep, and after 32 of 2 sleeps. What a sleep still pending when the
 * loop failed holds (its state, a timer's argument the loop drops uncalled) is kept alike by
 * every sleep, so the 2-sleep gathers keep twice what the 1-sleep ones keep; a loop left
 * unfreed is kept once a gather, whatever its tasks: 2 x (1 sleep) - (2 sleeps) is what each
 * gather kept besides its sleeps, 0 when the loop is freed. */
static void gather_loop_error_frees_loop(void)
{
    size_t h0, h1, h2;
    int bad = 0;

    for (int c = 0; c < HEAP_WARM; c++) {
        gather_failing_loop(1, &bad);
        gather_failing_loop(2, &bad);
    }
    h0 = check_heap_in_use();
    for (int c = 0; c < HEAP_CALLS; c++)
        gather_failing_loop(1, &bad);
    h1 = check_heap_in_use();
    for (int c = 0; c < HEAP_CALLS; c++)
        gather_failing_loop(2, &bad);
    h2 = check_heap_in_use();
    long one = (long)h1 - (long)h0, two = (long)h2 - (long)h1, kept = 2 * one - two;
    cr_assert_eq(bad, 0,
                 "async_gather(1 or 2 sleeps of 50 ms) with every wait of its loop failing (EIO) "
                 "returned other than -EIO in %d of %d calls",
                 bad, 2 * (HEAP_WARM + HEAP_CALLS));
    cr_assert(kept < HEAP_SLACK,
              "%d x async_gather(1 sleep) with every wait of its loop failing (EIO) kept %ld "
              "more bytes of the heap in use, then %d x async_gather(2 sleeps) %ld: %ld bytes "
              "kept besides the sleeps still pending: a gather whose loop_run() failed still "
              "frees its loop (loop_free(), then the rest of its own) before it returns the "
              "loop's -errno",
              HEAP_CALLS, one, HEAP_CALLS, two, kept);
    gather_loop_error_frees_refused();
}

/* A loop that fails is the gather's failure: every wait of its loop refused (poll() and
 * epoll_wait() fail with EIO), a gather of two sleeps returns the loop's -errno, -EIO, not 0
 * (0 tells the caller every out[i] is written, and the sleeps never ended). */
static void gather_returns_loop_error(void)
{
    struct task t[2] = {{.kind = TASK_SLEEP, .seconds = 0}, {.kind = TASK_SLEEP, .seconds = 0.05}};
    struct result out[2];
    int before = check_open_fds(), rc;

    fault_arm(FAULT_POLL, 1, 0, EIO);
    rc = async_gather(t, 2, out, 0);
    fault_disarm_all();
    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, -EIO,
                 "async_gather(2 sleeps of 0 and 50 ms) with every wait of its loop failing "
                 "(poll() fails with EIO, so loop_run() returns -EIO) returned %d (%s), expected "
                 "-EIO (%d): lab5.h says gather returns the loop's -errno; a task has its own "
                 "status, but a loop that failed leaves tasks unfinished",
                 rc, rc < 0 ? strerror(-rc) : "success", -EIO);
    cr_assert_eq(check_open_fds(), before,
                 "async_gather() whose loop failed (EIO) left %d descriptor(s) open",
                 check_open_fds() - before);
    gather_loop_error_frees_loop();
}

/* And with orders in flight when the loop fails: no callback of theirs will ever run again,
 * so their sockets are the gather's to close ("No descriptor stays open afterwards",
 * lab5.h): 3 orders to the kitchen and a sleep, every wait failing (EIO); with every order in
 * flight at once (max_inflight 0), then one at a time (1), where ending the one in flight as
 * an order that finished would start the next ones, after the loop has failed. */
static void gather_loop_error_closes_orders(void)
{
    enum { N = 3 };
    struct task t[N + 1];
    struct result out[N + 1];

    for (int i = 0; i < N; i++)
        t[i] =
            (struct task){.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    t[N] = (struct task){.kind = TASK_SLEEP, .seconds = 0.05};
    for (size_t cap = 0; cap <= 1; cap++) {
        int before = check_open_fds(), rc;

        fault_arm(FAULT_POLL, 1, 0, EIO);
        rc = async_gather(t, N + 1, out, cap);
        fault_disarm_all();
        CHECK_IMPL(rc, "async_gather()", "async.c");
        cr_assert_eq(rc, -EIO,
                     "async_gather(3 orders and a sleep, max_inflight %zu) with every wait of its "
                     "loop failing (EIO) returned %d (%s), expected -EIO (%d), the loop's -errno",
                     cap, rc, rc < 0 ? strerror(-rc) : "success", -EIO);
        cr_assert_eq(check_open_fds(), before,
                     "async_gather(3 orders and a sleep, max_inflight %zu) whose loop failed (EIO) "
                     "while orders were in flight left %d descriptor(s) open: no callback of "
                     "theirs runs again, so the gather closes what its orders opened, and starts "
                     "no order after the loop failed (lab5.h: no descriptor stays open "
                     "afterwards)",
                     cap, check_open_fds() - before);
    }
}

/* A loop that cannot be made is the gather's failure, with the loop's own -errno: loop_new()
 * refused (FAULT_LOOP_NEW) with ENOMEM, EMFILE (an epoll backend with no descriptor free) and
 * ENFILE in turn, a gather of two sleeps returns each as it came, not one error of its own
 * making for all ("or the loop's -errno", lab5.h). */
static void gather_returns_loop_new_error(void)
{
    static const int errs[] = {ENOMEM, EMFILE, ENFILE};
    struct task t[2] = {{.kind = TASK_SLEEP, .seconds = 0}, {.kind = TASK_SLEEP, .seconds = 0}};
    struct result out[2];
    int before = check_open_fds(), rc;

    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
        fault_arm(FAULT_LOOP_NEW, 1, 0, errs[i]);
        rc = async_gather(t, 2, out, 0);
        unsigned failed = fault_failed(FAULT_LOOP_NEW);
        fault_disarm_all();
        CHECK_IMPL(rc, "async_gather()", "async.c");
        cr_assert(rc == -errs[i],
                  "async_gather(2 sleeps) whose loop_new() returned %d (%s; %u call%s "
                  "refused) returned %d (%s), expected %d: the loop's -errno as it came, not "
                  "one of gather's own",
                  -errs[i], strerror(errs[i]), failed, failed == 1 ? "" : "s", rc,
                  rc < 0 ? strerror(-rc) : "success", -errs[i]);
    }
    cr_assert_eq(check_open_fds(), before,
                 "async_gather() whose loop_new() failed left %d descriptor(s) open",
                 check_open_fds() - before);
}

Test(async_gather, no_descriptor_left, .timeout = 3)
{
    enum { N = 3 };
    struct held_fds held;
    struct task t[N];
    struct result out[N];
    int err, rc;

    for (int i = 0; i < N; i++)
        t[i] =
            (struct task){.kind = TASK_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    err = take_all_fds(200, &held);
    rc = async_gather(t, N, out, 0);
    release_fds(&held);
    cr_assert_eq(err, EMFILE, "the test could not fill the descriptor table: %s", strerror(err));
    CHECK_IMPL(rc, "async_gather()", "async.c");
    cr_assert_eq(rc, -EMFILE,
                 "async_gather(3 orders) with not one more descriptor to open (limit 200, all in "
                 "use) returned %d (%s), expected -EMFILE (%d): say so by the return value, "
                 "instead of starting orders that cannot get a socket",
                 rc, rc < 0 ? strerror(-rc) : "0", -EMFILE);
    gather_fails_keeps_nothing();
    gather_returns_loop_error();
    gather_loop_error_closes_orders();
    gather_returns_loop_new_error();
}

/* ---- async_map ---------------------------------------------------------------------------- */

/* async_map runs every job's I/O through async_order(). */
static const struct check_map lab_map = {.cook_fn = "async_order()",
                                         .cook_file = "async.c",
                                         .order_fn = "async_order()",
                                         .order_file = "async.c"};

static void do_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    int rc = async_map(jobs, n, out, workers);

    CHECK_IMPL(rc, "async_map()", "async.c");
    cr_assert_eq(rc, 0, "async_map(n=%zu, workers=%d) returned %d, expected 0", n, workers, rc);
}

/* "`workers` is ignored": 6 orders with workers=1 go in flight together, as async_gather()
 * puts them (max_inflight 0). The holding kitchen answers none until no new one has come for
 * 100 ms, so the most it held at once is how many the code had in flight at once, judged by
 * order of events, not time: an executor that takes workers for max_inflight holds 1. */
static void orders_at_once_whatever_workers(void)
{
    enum { M = 6 };
    struct holding_kitchen k = {0};
    struct job oj[M];
    struct result oo[M];
    const char *what = "async_map(6 orders, workers=1) to a kitchen that answers only when no "
                       "new order comes for 100 ms";

    hk_open(&k);
    for (int i = 0; i < M; i++)
        oj[i] = (struct job){.kind = JOB_ORDER, .port = k.port, .seed = check_rand()};
    int rc = async_map(oj, M, oo, 1);
    hk_close(&k);
    CHECK_IMPL(rc, "async_map()", "async.c");
    cr_assert_eq(rc, 0, "%s returned %d, expected 0", what, rc);
    for (int i = 0; i < M; i++) {
        CHECK_IMPL(oo[i].status, "async_order()", "async.c");
        cr_assert(oo[i].status == 0 && oo[i].value == check_fake_reply(oj[i].seed),
                  "%s: out[%d] = status %d value %llu, expected status 0 and the kitchen's reply "
                  "%llu",
                  what, i, oo[i].status, (unsigned long long)oo[i].value,
                  (unsigned long long)check_fake_reply(oj[i].seed));
    }
    cr_assert(k.most >= 3,
              "%s: the kitchen held at most %d orders at once, expected all 6: `workers` is "
              "ignored (lab5.h), one waiter serves every table at once (async_gather() with "
              "max_inflight 0), not `workers` of them",
              what, k.most);
}

Test(async_map, results_in_order, .timeout = 4)
{
    static const char kinds[] = "ocoocoocoo";
    static const int workers[] = {1, 0, 8, -3};
    struct job jobs[10];
    struct result out[10];
    char what[96];

    check_make_jobs(jobs, 10, kinds, 20000);
    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        memset(out, 0, sizeof(out));
        do_map(jobs, 10, out, workers[w]);
        snprintf(what, sizeof(what), "async_map(10 jobs: 7 orders and 3 cooks, workers=%d)",
                 workers[w]);
        check_results(&lab_map, what, jobs, kinds, out, 10);
    }
    orders_at_once_whatever_workers();
}

/* "max_inflight 0: every order in flight at once, up to ASYNC_MAX_INFLIGHT, whatever `workers`
 * says": 1200 orders by async_map() to a door that never opens keep at most 1000 in flight,
 * with workers 4 as with any: n is no cap, and neither is a workers above 1000 (an examiner's,
 * round 71: workers passed on as max_inflight when it is larger). */
Test(async_map, default_cap, .timeout = 8)
{
    enum { N = 1200 };
    static const int workers[] = {4, N};
    ssize_t said;
    int most;

    need_open_files(N);
    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        char what[64];

        snprintf(what, sizeof(what), "1200 orders, workers=%d", workers[w]);
        most = door_run(N, 0, &workers[w], ASYNC_MAX_INFLIGHT, what, &said);
        cr_assert(most <= ASYNC_MAX_INFLIGHT + 2,
                  "async_map(%s) had %d descriptors open at once (the orders in flight), "
                  "expected at most ASYNC_MAX_INFLIGHT (%d): async_gather() with max_inflight "
                  "0, the default cap, not n (all at once) nor workers, however many",
                  what, most, ASYNC_MAX_INFLIGHT);
    }
}

/* async_map() whose async_gather() fails (-EMFILE: the limit on open files lowered to 200
 * and every descriptor under it in use) returns that failure and keeps nothing of the heap:
 * the tasks it made for gather are freed on that path too. */
static void map_fails_keeps_nothing(void)
{
    enum { N = 3 };
    struct held_fds held;
    struct job jobs[N];
    struct result out[N];
    int err, rc = 0;
    size_t heap = 0;
    long kept;

    for (int i = 0; i < N; i++)
        jobs[i] =
            (struct job){.kind = JOB_ORDER, .port = check_kitchen_port(), .seed = check_rand()};
    err = take_all_fds(200, &held);
    for (int c = 0; c < HEAP_WARM + HEAP_CALLS; c++) {
        if (c == HEAP_WARM)
            heap = check_heap_in_use();
        rc = async_map(jobs, N, out, 1);
    }
    kept = (long)check_heap_in_use() - (long)heap;
    release_fds(&held);
    cr_assert_eq(err, EMFILE, "the test could not fill the descriptor table: %s", strerror(err));
    CHECK_IMPL(rc, "async_map()", "async.c");
    cr_assert(kept < HEAP_SLACK,
              "%d x async_map(3 orders) with not one more descriptor to open (async_gather() "
              "failing with -EMFILE, async_map() returning %d) kept %ld more bytes of the heap "
              "in use: free the tasks array made for async_gather() whether it succeeds or "
              "fails",
              HEAP_CALLS, rc, kept);
}

/* async_map() that goes well keeps nothing of the heap either: a cooking task's state (its
 * timer's slot) is freed once it has cooked, as an order's is once it is done (an examiner's
 * gather malloc()ed a slot per cooking task and never freed it, round 58). Cooking only: 8
 * tiny jobs a call. */
static void map_keeps_nothing(void)
{
    enum { N = 8 };
    struct job jobs[N];
    struct result out[N];
    size_t heap = 0;
    int rc = 0;

    for (int i = 0; i < N; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 5};
    for (int c = 0; c < HEAP_WARM + HEAP_CALLS && rc == 0; c++) {
        if (c == HEAP_WARM)
            heap = check_heap_in_use();
        rc = async_map(jobs, N, out, 1);
    }
    long kept = (long)check_heap_in_use() - (long)heap;
    cr_assert_eq(rc, 0, "async_map(%d cook jobs) returned %d (%s), expected 0", N, rc,
                 rc < 0 ? strerror(-rc) : "?");
    cr_assert(kept < HEAP_SLACK,
              "%d x async_map(%d cook jobs), each returning 0, kept %ld more bytes of the heap in "
              "use: free what the gather made for each task once it is done, a cooking task's "
              "state too (its timer's slot), not only an order's" CHECK_NOT_TIMING,
              HEAP_CALLS, N, kept);
}

Test(async_map, no_jobs, .timeout = 2)
{
    struct job jobs[1] = {{.kind = JOB_COOK, .seed = check_rand(), .rounds = 5}};
    struct result out[1] = {{.value = 0x5e5e5e5e, .status = 77}};
    int rc = async_map(jobs, 0, out, 1), rc1, rc2;

    CHECK_IMPL(rc, "async_map()", "async.c");
    cr_assert(rc == 0 && out[0].value == 0x5e5e5e5e && out[0].status == 77,
              "async_map(n=0) returned %d and wrote out[0]: with no jobs, return 0 and write "
              "nothing",
              rc);
    rc1 = async_map(NULL, 1, out, 1);
    rc2 = async_map(jobs, 1, NULL, 1);
    cr_assert(rc1 == -EINVAL && rc2 == -EINVAL,
              "async_map(jobs=NULL, n=1) returned %d, async_map(out=NULL, n=1) %d, expected "
              "-EINVAL (%d) for both",
              rc1, rc2, -EINVAL);
    /* a kind async_map() does not run (JOB_POISON) is that job's -EINVAL, not a crash */
    struct job two[2] = {{.kind = JOB_POISON, .seed = 2},
                         {.kind = JOB_COOK, .seed = check_rand(), .rounds = 5}};
    struct result res[2];
    uint64_t d;
    rc = async_map(two, 2, res, 1);
    ref_cook(two[1].seed, 5, &d);
    cr_assert(rc == 0 && res[0].status == -EINVAL && res[1].status == 0 && res[1].value == d,
              "async_map(a JOB_POISON job, a cook job) returned %d, statuses %d and %d: a kind "
              "it does not run gets -EINVAL in its own slot, the others run, and it returns 0",
              rc, res[0].status, res[1].status);
    map_fails_keeps_nothing();
    map_keeps_nothing();
    check_empty_calls_keep_nothing(async_map, 1, "async_map"); /* nor memory */
}

Test(async_map, failed_order, .timeout = 3)
{
    static const char kinds[] = "oxco";
    struct job jobs[4];
    struct result out[4];

    check_make_jobs(jobs, 4, kinds, 20000);
    do_map(jobs, 4, out, 1);
    check_refused(&lab_map, "async_map(4 jobs, jobs[1] refused)", jobs, out, 1, ECONNREFUSED);
    check_results(&lab_map, "async_map(4 jobs, one refused): the others", jobs, kinds, out, 4);

    /* the kinds async_map() does not run (lab5.h: JOB_COOK and JOB_ORDER; "any other kind gets
     * status -EINVAL"): a meal (an order, then cooking: lab 6's), a poisoned job, kinds no
     * job has (below 0 too, other_kinds()), each with a seed, rounds and a port that would
     * make it a good cook or order; each fails in its own slot, and the cook and the order
     * beside them run */
    enum { NO = 2 + OTHER_KINDS, N = NO + 2 };
    uint16_t port = check_kitchen_port();
    int kinds_no[OTHER_KINDS];
    char names[NO][24];
    struct job other[N] = {
        {.kind = JOB_MEAL, .seed = check_rand(), .rounds = 1 + check_rand() % 100, .port = port},
        {.kind = JOB_POISON, .seed = check_rand() & ~1ULL},
    };
    struct result res[N];
    const char *what = "async_map(a JOB_MEAL, a JOB_POISON, jobs of kinds -1, INT_MIN, JOB_MEAL + "
                       "1, 42, INT_MAX and two drawn, a cook, an order)";

    other_kinds(kinds_no, JOB_MEAL + 1);
    snprintf(names[0], sizeof(names[0]), "JOB_MEAL");
    snprintf(names[1], sizeof(names[1]), "JOB_POISON");
    for (int i = 0; i < OTHER_KINDS; i++) {
        other[2 + i] = (struct job){.kind = (enum job_kind)kinds_no[i],
                                    .seed = check_rand(),
                                    .rounds = 1 + check_rand() % 100,
                                    .port = port};
        snprintf(names[2 + i], sizeof(names[2 + i]), "kind %d", kinds_no[i]);
    }
    other[NO] =
        (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 1 + check_rand() % 100};
    other[NO + 1] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = port};
    memset(res, 0, sizeof(res));
    do_map(other, N, res, 1);
    for (int i = 0; i < NO; i++)
        cr_assert_eq(res[i].status, -EINVAL,
                     "%s: the %s job got status %d value %llu, expected -EINVAL (%d): "
                     "async_map() runs JOB_COOK as TASK_COOK and JOB_ORDER as TASK_ORDER, and any "
                     "other kind, below 0 too, gets -EINVAL (a meal is no order: its reply is not "
                     "its result)",
                     what, names[i], res[i].status, (unsigned long long)res[i].value, -EINVAL);
    cr_assert(res[NO].status == 0 && res[NO].value == check_dish(other[NO].seed, other[NO].rounds),
              "%s: the cook got status %d value %llu, expected 0 and its dish: the jobs that "
              "fail do not stop the others",
              what, res[NO].status, (unsigned long long)res[NO].value);
    cr_assert(res[NO + 1].status == 0 &&
                  check_reply_ok(port, other[NO + 1].seed, res[NO + 1].value),
              "%s: the order (item=%llu) got status %d value %llu, expected 0 and the "
              "kitchen's reply: the jobs that fail do not stop the others",
              what, (unsigned long long)other[NO + 1].seed, res[NO + 1].status,
              (unsigned long long)res[NO + 1].value);
}

/* Counts this process's threads every millisecond, from a thread of its own. */
struct census {
    volatile int stop;
    int most;
};

static void *census_run(void *arg)
{
    struct census *c = arg;
    struct timespec ms = {.tv_nsec = 1000000};

    while (!c->stop) {
        int n = check_threads();

        if (n > c->most)
            c->most = n;
        nanosleep(&ms, NULL);
    }
    return NULL;
}

Test(async_map, one_thread, .timeout = 6)
{
    enum { N = 32 };
    struct job jobs[N];
    struct result out[N];
    struct census c = {0};
    pthread_t tid;
    int base;
    double t0, took;

    check_make_jobs(jobs, N, "oooooooooooooooooooooooooooooooo", 20000);
    cr_assert_eq(pthread_create(&tid, NULL, census_run, &c), 0,
                 "pthread_create failed in the "
                 "test");
    base = check_threads(); /* this thread and the census */
    t0 = check_now();
    int rc = async_map(jobs, N, out, 4);
    took = check_now() - t0;
    c.stop = 1;
    pthread_join(tid, NULL);
    CHECK_IMPL(rc, "async_map()", "async.c");
    cr_assert_eq(rc, 0, "async_map(32 orders, workers=4) returned %d", rc);
    check_results(&lab_map, "async_map(32 orders, workers=4)", jobs, NULL, out, N);
    cr_assert(c.most <= base,
              "async_map(32 orders, workers=4): the process had %d threads while it ran, %d "
              "before: the async version serves every table from the calling thread alone",
              c.most, base);
    /* one after another cannot take less than 1.6 s; all at once well under 1 s */
    cr_assert(took < 1.0,
              "async_map(32 orders of 50 ms, workers=4) took %.3f s: all 32 should be in "
              "flight at once (about 0.05 s), whatever workers says",
              took);
}
