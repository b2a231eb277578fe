/* race_loops.c: two loops on two threads at once, built with ThreadSanitizer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "done.h"
#include "kitchen.h"
#include "lab5.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with ThreadSanitizer, two
 * threads that touch the same memory, one of them writing, with no lock between them end
 * the run with its report (exit 66, which the harness quotes); a wrong result exits 1.
 *
 * lab5.h: one thread, one loop; callbacks run on the thread that called loop_run(). Lab 6
 * runs a loop on a thread of its own beside others, and a program may run one loop a
 * thread: each loop is its own, and nothing of one (a timer's sequence number, a table, a
 * buffer) is shared with another through a file-static. Here two threads each make a loop,
 * set TIMERS timers of 0 s in rounds from a callback, watch a socket of their own and place
 * ORDERS orders to the kitchen (env KITCHEN_PORT), at the same time: a counter, table or
 * address kept in a static (of the file or of a function) for every loop is written by both.
 * Then each thread runs an async_gather() of its own (GATHER orders and a sleep), both let go
 * at once by a barrier: a gather's state (its tasks, out, the orders in flight) kept in a
 * static is written by both, and one's orders end in the other's out[].
 * Last, the hard limit on open files is lowered to leave room for fewer orders than two
 * gathers of SHORT orders want, and two such gathers run at once: each says so on stderr
 * (lab5.h), and a message built in a static buffer is written by both.
 */
enum { TIMERS = 2000, BATCH = 50, ORDERS = 8, GATHER = 6, SHORT = 40 };

static pthread_barrier_t both;

struct side {
    int calls, fired, rc, ready, orders_rc;
    int s[2];
    uint16_t port;
    uint64_t items[ORDERS];
    struct result res[ORDERS];
    int gather_rc;
    struct task tasks[GATHER + 1];
    struct result out[GATHER + 1];
    struct task short_tasks[SHORT];
    struct result short_out[SHORT];
    pthread_t tid;
};

static void tick(struct loop *l, void *arg)
{
    struct side *d = arg;

    (void)l;
    d->fired++;
}

static void batch(struct loop *l, void *arg)
{
    struct side *d = arg;

    for (int i = 0; i < BATCH && d->rc == 0; i++)
        d->rc = loop_after(l, 0, tick, d);
    if (++d->calls < TIMERS / BATCH && d->rc == 0)
        d->rc = loop_after(l, 0, batch, d);
}

static void readable(struct loop *l, int fd, int events, void *arg)
{
    struct side *d = arg;
    char c;

    (void)events;
    d->ready += read(fd, &c, 1) == 1;
    loop_unwatch(l, fd);
}

static void *side_run(void *arg)
{
    struct side *d = arg;
    struct loop *l;

    if ((d->rc = loop_new(&l)) != 0)
        return NULL;
    for (int i = 0; i < ORDERS && d->orders_rc == 0; i++)
        d->orders_rc = async_order(l, d->port, d->items[i], &d->res[i], NULL, NULL);
    if ((d->rc = loop_watch(l, d->s[0], LOOP_READ, readable, d)) == 0 &&
        (d->rc = loop_after(l, 0, batch, d)) == 0)
        d->rc = loop_run(l);
    loop_free(l);
    pthread_barrier_wait(&both);
    d->gather_rc = async_gather(d->tasks, GATHER + 1, d->out, 0);
    return NULL;
}

/* The last phase's side: a gather of SHORT orders under a hard limit too low for them all
 * in flight. Only the sanitizer judges it (an order may fail with EMFILE: two gathers
 * count their room at once, and each sees the other's sockets). */
static void *short_run(void *arg)
{
    struct side *d = arg;

    pthread_barrier_wait(&both);
    async_gather(d->short_tasks, SHORT, d->short_out, 0);
    return NULL;
}

/* Descriptors open now, or -1. */
static int open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    int n = 0;

    if (!dir)
        return -1;
    while (readdir(dir))
        n++;
    closedir(dir);
    return n;
}

/* Two gathers short of descriptors at once, SHORT orders each, with the hard limit
 * lowered to leave room for about SHORT of them in all: 0, or the harness's error exit. */
static int short_gathers(struct side *d)
{
    int n = open_fds();
    struct rlimit rl;

    if (n < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return check_harness_error(
            "race_loops: /proc/self/fd or the open-file limit cannot be read");
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)n + SHORT)
        rl.rlim_max = (rlim_t)n + SHORT; /* lowered, never raised */
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        return check_harness_error("race_loops: the driver could not lower its open-file limit");
    for (int i = 0; i < 2; i++)
        if (pthread_create(&d[i].tid, NULL, short_run, &d[i]) != 0)
            return check_harness_error("race_loops: the driver could not start its threads");
    for (int i = 0; i < 2; i++)
        pthread_join(d[i].tid, NULL);
    return 0;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    uint16_t port = check_env_port();
    struct side d[2] = {{0}, {0}};

    check_seal(); /* before any student code: see done.h */
    if (!port)
        return check_harness_error("race_loops: no kitchen");
    for (int i = 0; i < 2; i++) {
        d[i].port = port;
        for (int j = 0; j < ORDERS; j++)
            d[i].items[j] = workload_rand(&seed);
        for (int j = 0; j < GATHER; j++)
            d[i].tasks[j] =
                (struct task){.kind = TASK_ORDER, .port = port, .seed = workload_rand(&seed)};
        d[i].tasks[GATHER] = (struct task){.kind = TASK_SLEEP, .seconds = 0.002};
        for (int j = 0; j < SHORT; j++)
            d[i].short_tasks[j] =
                (struct task){.kind = TASK_ORDER, .port = port, .seed = workload_rand(&seed)};
        for (int j = 0; j <= GATHER; j++)
            d[i].out[j] = (struct result){.status = 77};
    }
    if (pthread_barrier_init(&both, NULL, 2) != 0)
        return check_harness_error("race_loops: the driver could not make its barrier");
    for (int i = 0; i < 2; i++)
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, d[i].s) < 0 ||
            write(d[i].s[1], "x", 1) != 1)
            return check_harness_error("race_loops: the driver could not make its sockets");
    for (int i = 0; i < 2; i++)
        if (pthread_create(&d[i].tid, NULL, side_run, &d[i]) != 0)
            return check_harness_error("race_loops: the driver could not start its threads");
    for (int i = 0; i < 2; i++)
        pthread_join(d[i].tid, NULL);
    for (int i = 0; i < 2; i++)
        if (d[i].rc != 0 || d[i].fired != TIMERS || d[i].ready != 1) {
            printf("two loops on two threads at once, each %d timers of 0 s and a readable "
                   "socket: loop %d returned %d, %d timers fired, its socket's callback ran %d "
                   "time(s)\n",
                   TIMERS, i, d[i].rc, d[i].fired, d[i].ready);
            return 1;
        }
    for (int i = 0; i < 2; i++) {
        uint64_t values[ORDERS];
        unsigned char ok[ORDERS];
        int bad = d[i].orders_rc != 0;

        for (int j = 0; j < ORDERS; j++) {
            values[j] = d[i].res[j].value;
            bad += d[i].res[j].status != 0;
        }
        if (!bad && kitchen_check(port, ORDERS, d[i].items, values, ok) < 0)
            return check_harness_error("race_loops: could not ask the kitchen to check the "
                                       "replies");
        for (int j = 0; j < ORDERS && !bad; j++)
            bad += !ok[j];
        if (bad) {
            printf("two loops on two threads at once, each %d orders to the kitchen: on loop %d "
                   "async_order() returned %d, and %d of them failed or got a reply not the "
                   "kitchen's to their item\n",
                   ORDERS, i, d[i].orders_rc, bad);
            return 1;
        }
    }
    for (int i = 0; i < 2; i++) {
        uint64_t items[GATHER], values[GATHER];
        unsigned char ok[GATHER];
        int bad = d[i].gather_rc != 0 || d[i].out[GATHER].status != 0;

        for (int j = 0; j < GATHER; j++) {
            items[j] = d[i].tasks[j].seed;
            values[j] = d[i].out[j].value;
            bad += d[i].out[j].status != 0;
        }
        if (!bad && kitchen_check(port, GATHER, items, values, ok) < 0)
            return check_harness_error("race_loops: could not ask the kitchen to check the "
                                       "replies");
        for (int j = 0; j < GATHER && !bad; j++)
            bad += !ok[j];
        if (bad) {
            printf("two async_gather() calls on two threads at once, each %d orders and a 2 ms "
                   "sleep: gather %d returned %d, its sleep got status %d, and its orders "
                   "failed or got replies not the kitchen's to their items: a gather's state "
                   "is its own (on its stack or heap), never a static every gather shares\n",
                   GATHER, i, d[i].gather_rc, d[i].out[GATHER].status);
            return 1;
        }
    }
    int rc = short_gathers(d);

    if (rc != 0)
        return rc;
    printf("loop: two loops on two threads at once, %d timers, a socket and %d orders each, "
           "then two gathers of %d orders and a sleep, then two of %d orders short of "
           "descriptors, nothing seen by the sanitizer\n",
           TIMERS, ORDERS, GATHER, SHORT);
    check_finished("race driver");
    return 0;
}
