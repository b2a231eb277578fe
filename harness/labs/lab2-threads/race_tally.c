/* race_tally.c: thread_tally() under ThreadSanitizer: several waiters adding into one total. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "done.h"
#include "lab2.h"

/*
 * A plain main(): Criterion cannot run under TSan. Any data race ends the run with
 * TSan's report (exit 66, which the harness quotes); wrong totals exit 1.
 * Env: SEED (the run's inputs).
 */

/*
 * Orders with no socket (spec: wrap=socket,setsockopt,connect,send,recv,close). TSan orders
 * every socket call after the ones before it (all sockets share one sync object), which
 * would hide a race between waiters adding an order's result; so ref_order()'s calls, from
 * any thread, go to this kitchen in user space, which shares nothing between threads (each
 * thread has one order at a time: its state is the thread's own). The job's port says what
 * the kitchen does with it:
 */
enum {
    PORT_REFUSED = 1, /* connect() refused: -ECONNREFUSED */
    PORT_SERVED,      /* the reply fake_reply(item) */
    PORT_ERR,         /* "ERR\n": -EPROTO */
    PORT_HANGUP,      /* no reply, hung up: -EPROTO */
    PORT_RESET,       /* the connection reset while waiting: -ECONNRESET */
    FAKE_FD = 1 << 24 /* far above any real descriptor */
};

static __thread uint16_t fake_port;
static __thread uint64_t fake_item;
static __thread int fake_open, fake_replied;

int __real_setsockopt(int fd, int level, int name, const void *v, socklen_t len);
int __real_connect(int fd, const struct sockaddr *a, socklen_t len);
ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __real_recv(int fd, void *buf, size_t cap, int flags);
int __real_close(int fd);
int __wrap_socket(int domain, int type, int proto);
int __wrap_setsockopt(int fd, int level, int name, const void *v, socklen_t len);
int __wrap_connect(int fd, const struct sockaddr *a, socklen_t len);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t cap, int flags);
int __wrap_close(int fd);

static uint64_t fake_reply(uint64_t item)
{
    return dish_mix(item ^ 0x6b69746368656eULL);
}

int __wrap_socket(int domain, int type, int proto)
{
    (void)domain, (void)type, (void)proto;
    if (fake_open) {
        errno = EMFILE; /* one order at a time per thread: ref_order() never opens two */
        return -1;
    }
    fake_open = 1;
    fake_port = 0;
    fake_item = 0;
    fake_replied = 0;
    return FAKE_FD;
}

int __wrap_setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
    return fd == FAKE_FD ? 0 : __real_setsockopt(fd, level, name, v, len);
}

int __wrap_connect(int fd, const struct sockaddr *a, socklen_t len)
{
    if (fd != FAKE_FD) /* not ours (none in this driver): as it was */
        return __real_connect(fd, a, len);
    fake_port = ntohs(((const struct sockaddr_in *)a)->sin_port);
    if (fake_port == PORT_REFUSED) {
        errno = ECONNREFUSED;
        return -1;
    }
    return 0;
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    char line[KITCHEN_LINE_MAX] = "";

    if (fd != FAKE_FD)
        return __real_send(fd, buf, len, flags);
    memcpy(line, buf, len < sizeof(line) - 1 ? len : sizeof(line) - 1);
    fake_item = strtoull(line, NULL, 10);
    return (ssize_t)len;
}

ssize_t __wrap_recv(int fd, void *buf, size_t cap, int flags)
{
    char line[KITCHEN_LINE_MAX];
    int len;

    if (fd != FAKE_FD)
        return __real_recv(fd, buf, cap, flags);
    if (fake_replied || fake_port == PORT_HANGUP)
        return 0;
    if (fake_port == PORT_RESET) {
        errno = ECONNRESET;
        return -1;
    }
    len = fake_port == PORT_SERVED
              ? snprintf(line, sizeof(line), "%llu\n", (unsigned long long)fake_reply(fake_item))
              : snprintf(line, sizeof(line), "ERR\n");
    if ((size_t)len > cap)
        len = (int)cap;
    memcpy(buf, line, (size_t)len);
    fake_replied = 1;
    return len;
}

int __wrap_close(int fd)
{
    if (fd != FAKE_FD)
        return __real_close(fd);
    fake_open = 0;
    return 0;
}

enum { N = 64, NF = 4096, CALLS = 16, NM = 4096, MIXED_CALLS = 4 };

static int run(const struct job *jobs, size_t n, int workers, const struct tally *want,
               const char *kinds)
{
    struct tally t;
    int rc = thread_tally(jobs, n, workers, &t);

    if (rc != 0) {
        printf("thread_tally(%zu %s, workers=%d) returned %d (%s), expected 0\n", n, kinds, workers,
               rc, strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    if (t.served != want->served || t.failed != want->failed || t.sum != want->sum) {
        printf("thread_tally(%zu %s, workers=%d) = {served %llu, failed %llu, sum %llu}, "
               "expected {served %llu, failed %llu, sum %llu}: updates were lost\n",
               n, kinds, workers, (unsigned long long)t.served, (unsigned long long)t.failed,
               (unsigned long long)t.sum, (unsigned long long)want->served,
               (unsigned long long)want->failed, (unsigned long long)want->sum);
        return 1;
    }
    return 0;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    static struct job jobs[N], fails[NF], mixed[NM];
    struct tally want = {0}, want_fails = {0}, want_mixed = {0};
    struct result r;

    check_seal(); /* before any student code: see done.h */

    /* cooking of a few hundred microseconds each, so that every waiter gets tables and
     * adds to the totals while the others do */
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct job){.kind = JOB_COOK,
                               .seed = workload_rand(&seed),
                               .rounds = 100000 + workload_rand(&seed) % 400000};
        ref_job_run(&jobs[i], &r);
        want.served++;
        want.sum += r.value;
    }
    /* Failures count in the same shared totals (t->failed++ under the lock too). Three jobs
     * in four fail at once: ref_job_run() gives a job of no known kind -EINVAL, as a failed
     * order would, with no socket (TSan orders every socket call after the ones before it,
     * and that would hide a race); the fourth cooks a little. Tiny jobs, so two waiters add
     * a failure at nearly the same moment many times in a call. */
    for (int i = 0; i < NF; i++) {
        fails[i] = (struct job){.kind = i % 4 == 3 ? JOB_COOK : (enum job_kind)99,
                                .seed = workload_rand(&seed),
                                .rounds = 1 + workload_rand(&seed) % 2000};
        if (ref_job_run(&fails[i], &r) == 0) {
            want_fails.served++;
            want_fails.sum += r.value;
        } else {
            want_fails.failed++;
        }
    }
    /* Every path a result can take into the totals, mixed in one call: a waiter that locks
     * some of them only (an order's failure, say, counted with a plain failed++) races with
     * the others. Orders and meals go to the kitchen above (no socket): served, refused,
     * botched ("ERR"), hung up or reset, each ending at once; cooks, and jobs of no kind. */
    for (int i = 0; i < NM; i++) {
        static const uint16_t order_port[] = {PORT_REFUSED, PORT_SERVED, PORT_ERR, PORT_HANGUP,
                                              PORT_RESET};
        int k = i % 8;

        mixed[i] =
            (struct job){.seed = workload_rand(&seed), .rounds = 1 + workload_rand(&seed) % 2000};
        if (k == 0) {
            mixed[i].kind = JOB_COOK;
        } else if (k == 1) {
            mixed[i].kind = (enum job_kind)99;
        } else if (k <= 6) {
            mixed[i].kind = JOB_ORDER;
            mixed[i].port = order_port[k - 2];
        } else {
            mixed[i].kind = JOB_MEAL;
            mixed[i].port = i % 16 == 7 ? PORT_SERVED : PORT_REFUSED;
        }
        if (ref_job_run(&mixed[i], &r) == 0) {
            want_mixed.served++;
            want_mixed.sum += r.value;
        } else {
            want_mixed.failed++;
        }
    }
    if (want_mixed.served != NM / 4 + NM / 16 || want_mixed.failed != NM - want_mixed.served) {
        printf("harness error: the socket-free kitchen gave %llu served, %llu failed of %d jobs\n",
               (unsigned long long)want_mixed.served, (unsigned long long)want_mixed.failed, NM);
        return 1;
    }
    if (run(jobs, N, 4, &want, "cook jobs") || run(jobs, N, 2, &want, "cook jobs"))
        return 1;
    for (int c = 0; c < CALLS; c++)
        if (run(fails, NF, c % 2 ? 8 : 4, &want_fails, "jobs, 3 in 4 failing"))
            return 1;
    for (int c = 0; c < MIXED_CALLS; c++)
        if (run(mixed, NM, c % 2 ? 8 : 4, &want_mixed,
                "jobs: cooks, orders and meals served, refused, botched, hung up and reset, "
                "jobs of no kind"))
            return 1;
    printf("thread_tally: %d cook jobs counted right with 4 and 2 waiters, %d jobs (3 in 4 "
           "failing) %d times and %d jobs (cooks, orders and meals served and failed) %d times "
           "with 4 and 8, no data race seen\n",
           N, NF, CALLS, NM, MIXED_CALLS);
    check_finished("race driver");
    return 0;
}
