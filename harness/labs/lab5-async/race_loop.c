/* race_loop.c: the event loop under AddressSanitizer: callbacks that grow its tables, a heap
 * of timers filled twice. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "done.h"
#include "lab5.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with AddressSanitizer, any
 * access to memory the code no longer owns ends the run with its report (exit 66, which
 * the harness quotes); a wrong result exits 1.
 *
 * lab5.h lets a callback call any loop_* function on its own loop. Here two sockets are
 * readable in the same round and the first callback to run watches a descriptor with a
 * much higher number: the table of watches grows, and realloc() moves it (under
 * AddressSanitizer it always does). A round that looks the remaining watches up through a
 * pointer taken before the callbacks reads freed memory; without a sanitizer it mostly
 * reads the old contents and seems to work.
 */
struct round {
    int hi;      /* the high descriptor the first callback watches */
    int calls;   /* callbacks run */
    int rc_hi;   /* loop_watch(hi) from inside the callback */
    int rc_unhi; /* loop_unwatch(hi) */
};

static void never(struct loop *l, int fd, int events, void *arg)
{
    (void)l;
    (void)fd;
    (void)events;
    (void)arg;
}

static void ready(struct loop *l, int fd, int events, void *arg)
{
    struct round *r = arg;

    (void)events;
    loop_unwatch(l, fd);
    if (r->calls++ == 0) {
        r->rc_hi = loop_watch(l, r->hi, LOOP_READ, never, NULL);
        r->rc_unhi = loop_unwatch(l, r->hi);
    }
}

/*
 * Then a round with more ready descriptors than the first round had: two readable sockets,
 * and the first of them called back watches GROW readable pipes. Every one is called back
 * once (each unwatches itself), the other socket too. An array of ready events sized at the
 * first round (one descriptor) and never grown is written past in the next: a heap overflow
 * the sanitizer reports; and one that loop_watch() grows while the round walks it through a
 * pointer taken before the callbacks is read, for the other socket, after it was freed (an
 * examiner's, round 70).
 */
enum { GROW = 40 };

static void count_self(struct loop *l, int fd, int events, void *arg)
{
    (void)events;
    loop_unwatch(l, fd);
    (*(int *)arg)++;
}

struct grow {
    int p[GROW][2];
    int calls, rc, spawned, other;
};

static void spawn_watches(struct loop *l, int fd, int events, void *arg)
{
    struct grow *g = arg;

    (void)events;
    loop_unwatch(l, fd);
    if (g->spawned++) { /* the other socket, called back after the watches grew */
        g->other++;
        return;
    }
    for (int i = 0; i < GROW && g->rc == 0; i++)
        g->rc = loop_watch(l, g->p[i][0], LOOP_READ, count_self, &g->calls);
}

static int ready_grows(void)
{
    struct grow g = {0};
    int s[2], t[2], rc, ok;
    struct loop *l;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0 || write(s[1], "x", 1) != 1 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, t) < 0 || write(t[1], "x", 1) != 1)
        return check_harness_error("race_loop: the driver could not make its sockets");
    for (int i = 0; i < GROW; i++)
        if (pipe(g.p[i]) < 0 || write(g.p[i][1], "y", 1) != 1)
            return check_harness_error("race_loop: the driver could not make its pipes");
    if ((rc = loop_new(&l)) != 0 || (rc = loop_watch(l, s[0], LOOP_READ, spawn_watches, &g)) != 0 ||
        (rc = loop_watch(l, t[0], LOOP_READ, spawn_watches, &g)) != 0) {
        printf("loop_new() or loop_watch() returned %d\n", rc);
        return 1;
    }
    rc = loop_run(l);
    loop_free(l);
    ok = rc == 0 && g.rc == 0 && g.calls == GROW && g.other == 1;
    if (!ok)
        printf("two readable sockets, the first called back watching %d readable pipes: "
               "loop_run() returned %d, loop_watch() %d, %d of the pipes' callbacks ran "
               "(expected %d), the other socket's %d times (expected once)\n",
               GROW, rc, g.rc, g.calls, GROW, g.other);
    for (int i = 0; i < GROW; i++) {
        close(g.p[i][0]);
        close(g.p[i][1]);
    }
    close(s[0]);
    close(s[1]);
    close(t[0]);
    close(t[1]);
    return ok ? 0 : 1;
}

/*
 * Last, the heap of timers filled, drained and filled again: 100 timers of 0 s, run, then 100
 * more on the same loop. A heap that gives memory back when it drains (realloc() to a
 * smaller block) must say so in its capacity too, or the second filling writes past the
 * block it now has: a heap overflow the sanitizer reports.
 */
enum { REFILL = 100 };

static void count_timer(struct loop *l, void *arg)
{
    (void)l;
    (*(int *)arg)++;
}

static int timers_refill(void)
{
    struct loop *l;
    int fired = 0, rc = 0;

    if ((rc = loop_new(&l)) != 0) {
        printf("loop_new() returned %d\n", rc);
        return 1;
    }
    for (int round = 0; round < 2 && rc == 0; round++) {
        for (int i = 0; i < REFILL && rc == 0; i++)
            rc = loop_after(l, 0, count_timer, &fired);
        if (rc == 0)
            rc = loop_run(l);
    }
    loop_free(l);
    if (rc != 0 || fired != 2 * REFILL) {
        printf("%d timers of 0 s, run, then %d more on the same loop: loop_after() or "
               "loop_run() returned %d, %d callbacks ran (expected %d)\n",
               REFILL, REFILL, rc, fired, 2 * REFILL);
        return 1;
    }
    return 0;
}

int main(void)
{
    struct rlimit rl;
    int a[2], b[2], rc, hi = 4000;
    struct loop *l;
    struct round r = {0};

    check_seal(); /* before any student code: see done.h */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (rlim_t)hi >= rl.rlim_cur) { /* room for fd 4000 if the hard limit allows */
        rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= (rlim_t)hi + 1
                          ? rl.rlim_max
                          : (rlim_t)hi + 1;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if ((rlim_t)hi >= rl.rlim_cur)
            hi = (int)rl.rlim_cur - 1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b) < 0 ||
        (r.hi = fcntl(a[1], F_DUPFD_CLOEXEC, hi)) < 64 || write(a[1], "x", 1) != 1 ||
        write(b[1], "y", 1) != 1) {
        return check_harness_error("race_loop: the driver could not make its sockets");
    }
    if ((rc = loop_new(&l)) != 0) {
        printf("loop_new() returned %d\n", rc);
        return 1;
    }
    if ((rc = loop_watch(l, a[0], LOOP_READ, ready, &r)) != 0 ||
        (rc = loop_watch(l, b[0], LOOP_READ, ready, &r)) != 0) {
        printf("loop_watch() returned %d\n", rc);
        return 1;
    }
    rc = loop_run(l);
    loop_free(l);
    if (rc != 0 || r.calls != 2 || r.rc_hi != 0 || r.rc_unhi != 0) {
        printf("two readable sockets, the first callback watching fd %d and unwatching it: "
               "loop_run() returned %d, %d callbacks ran (expected 2), loop_watch(%d) %d, "
               "loop_unwatch(%d) %d\n",
               r.hi, rc, r.calls, r.hi, r.rc_hi, r.hi, r.rc_unhi);
        return 1;
    }
    if ((rc = ready_grows()) != 0 || (rc = timers_refill()) != 0)
        return rc;
    printf("loop: a callback grew the watch table mid-round (fd %d), another watched %d more "
           "descriptors than the first round had ready, the timers' heap filled twice, nothing "
           "seen by the sanitizer\n",
           r.hi, GROW);
    check_finished("race driver");
    return 0;
}
