/* race_map.c: thread_map() under ThreadSanitizer: several waiters sharing one queue of jobs. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "done.h"
#include "lab2.h"

/*
 * A plain main(): Criterion cannot run under TSan. Any data race ends the run with
 * TSan's report (exit 66, which the harness quotes); a wrong result exits 1.
 * Env: SEED (the run's inputs), KITCHEN_PORT (the kitchen, for a few orders).
 *
 * The spec links this driver with -Wl,--wrap=pthread_create (wrap=): every
 * pthread_create() of thread_map() comes here first. Once fail_at is set, that call (1 =
 * the first) fails with EAGAIN, as when the process is out of threads, and the others go
 * on to the real one. The earlier waiters are then already taking tables under the lock:
 * the call that stops handing out tables must take that lock too, or its write to the
 * shared state races with their reads (TSan sees it whichever comes first).
 */
enum { N = 48, ORDERS = 4 };

int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg);

static atomic_int fail_at, creates; /* fail_at 0: no call fails */

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*f)(void *), void *arg)
{
    int k = atomic_load(&fail_at);

    if (k && atomic_fetch_add(&creates, 1) + 1 == k)
        return EAGAIN;
    return __real_pthread_create(t, a, f, arg);
}

/* thread_map() on 4 waiters whose 3rd pthread_create() fails: -EAGAIN, and no race. */
static int run_create_fails(const struct job *jobs)
{
    struct result out[N];
    int rc;

    atomic_store(&creates, 0);
    atomic_store(&fail_at, 3);
    rc = thread_map(jobs, N, out, 4);
    atomic_store(&fail_at, 0);
    if (rc == -EAGAIN)
        return 0;
    printf("thread_map(%d jobs, workers=4), with the 3rd pthread_create() failing with EAGAIN: "
           "returned %d, expected -EAGAIN (%d)\n",
           N, rc, -EAGAIN);
    return 1;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    uint16_t port = check_env_port();
    struct job jobs[N];

    check_seal(); /* before any student code: see done.h */

    /* cooking of a few hundred microseconds each, so every waiter gets tables; a few
     * orders in between, so waiters also wait at the same time */
    for (int i = 0; i < N; i++) {
        int order = port && i % (N / ORDERS) == 1;

        jobs[i] = (struct job){.kind = order ? JOB_ORDER : JOB_COOK,
                               .seed = workload_rand(&seed),
                               .rounds = order ? 0 : 100000 + workload_rand(&seed) % 400000,
                               .port = order ? port : 0};
    }
    if (bench_check_map("thread_map", thread_map, jobs, N, 4) ||
        bench_check_map("thread_map", thread_map, jobs, N, 2) || run_create_fails(jobs))
        return 1;
    printf("thread_map: %d jobs right with 4 and 2 waiters, and -EAGAIN with the 3rd of 4 "
           "pthread_create() failing; no data race seen\n",
           N);
    check_finished("race driver");
    return 0;
}
