/* test_workload.c: the reference cook, the sequential map and the seeded inputs. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "done.h"
#include "kitchen.h"
#include "bench.h"
#include "workload.h"

Test(workload, cook_is_rounds_of_dish_mix, .timeout = 5)
{
    uint64_t d = 1;

    cr_assert_eq(ref_cook(77, 0, &d), 0);
    cr_assert_eq(d, 77, "zero rounds leave the ingredients as they are");
    cr_assert_eq(ref_cook(77, 1, &d), 0);
    cr_assert_eq(d, dish_mix(77));
    cr_assert_eq(ref_cook(77, 3, &d), 0);
    cr_assert_eq(d, dish_mix(dish_mix(dish_mix(77))));
}

Test(workload, cook_golden_values, .timeout = 5)
{
    uint64_t d;

    /* Computed independently (Python); a change here changes every lab's answers. */
    cr_assert_eq(dish_mix(0), 11400714819323198485ULL);
    cr_assert_eq(ref_cook(1, 1000, &d), 0);
    cr_assert_eq(d, 4357461048073935833ULL);
}

/* workload_cook_known(): a dish it knows is the result, nothing cooked (2^40 rounds end at
 * once); one it does not know is cooked as ever; NULL: every dish cooked again */
void workload_cook_known(bool (*known)(uint64_t seed, uint64_t rounds,
                                       uint64_t *dish)); /* check.h */

static bool knows_seed_7(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (seed != 7 || rounds != UINT64_C(1) << 40)
        return false;
    *dish = 4242;
    return true;
}

Test(workload, cook_known_skips_the_cooking, .timeout = 5)
{
    uint64_t d = 0, want;

    workload_cook_known(knows_seed_7);
    cr_assert_eq(ref_cook(7, UINT64_C(1) << 40, &d), 0);
    cr_assert_eq(d, 4242, "the dish it knows, at once");
    cr_assert_eq(ref_cook(1, 1000, &d), 0);
    cr_assert_eq(d, 4357461048073935833ULL, "one it does not know: cooked");
    cr_assert_eq(ref_cook(7, 3, &d), 0);
    cr_assert_eq(d, dish_mix(dish_mix(dish_mix(7))), "the same seed, other rounds: cooked");
    workload_cook_known(NULL);
    ref_cook(7, 1000, &want);
    cr_assert_neq(want, 4242);
}

Test(workload, cook_is_deterministic, .timeout = 5)
{
    uint64_t a, b, c;

    ref_cook(12345, 10000, &a);
    ref_cook(12345, 10000, &b);
    ref_cook(12346, 10000, &c);
    cr_assert_eq(a, b);
    cr_assert_neq(a, c, "different ingredients, same dish");
}

Test(workload, rand_is_splitmix64, .timeout = 5)
{
    /* The reference splitmix64 outputs (Vigna's splitmix64.c) for seeds 1234567 and 0. */
    static const uint64_t want[] = {6457827717110365317ULL, 3203168211198807973ULL,
                                    9817491932198370423ULL};
    uint64_t st = 1234567, zero = 0;

    for (int i = 0; i < 3; i++)
        cr_assert_eq(workload_rand(&st), want[i], "output %d", i);
    cr_assert_eq(workload_rand(&zero), 0xe220a8397b1dcdafULL);
}

Test(workload, rand_replays_from_a_seed, .timeout = 5)
{
    uint64_t a = 42, b = 42, x, y;

    x = workload_rand(&a);
    cr_assert_neq(a, 42, "the state must advance");
    cr_assert_neq(workload_rand(&a), x, "two draws in a row gave the same value");
    y = workload_rand(&b);
    cr_assert_eq(y, x);
    workload_rand(&b);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(workload_rand(&a), workload_rand(&b), "draw %d", i);
}

static void cook_jobs(struct job *jobs, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct job){.kind = JOB_COOK,
                               .seed = workload_rand(&seed),
                               .rounds = 1000 + workload_rand(&seed) % 1000};
}

Test(workload, seq_map_keeps_job_order, .timeout = 10)
{
    enum { N = 32 };
    struct job jobs[N];
    struct result out[N];
    uint64_t d;

    cook_jobs(jobs, N, 7);
    memset(out, 0xff, sizeof(out));
    cr_assert_eq(ref_seq_map(jobs, N, out, 4), 0);
    for (int i = 0; i < N; i++) {
        ref_cook(jobs[i].seed, jobs[i].rounds, &d);
        cr_assert_eq(out[i].status, 0, "job %d", i);
        cr_assert_eq(out[i].value, d, "job %d: a result out of place", i);
    }
}

Test(workload, seq_map_ignores_workers, .timeout = 10)
{
    enum { N = 8 };
    struct job jobs[N];
    struct result a[N], b[N];

    cook_jobs(jobs, N, 99);
    cr_assert_eq(ref_seq_map(jobs, N, a, 1), 0);
    cr_assert_eq(ref_seq_map(jobs, N, b, 8), 0);
    for (int i = 0; i < N; i++)
        cr_assert_eq(a[i].value, b[i].value, "job %d", i);
    cr_assert_eq(ref_seq_map(jobs, 0, a, 1), 0, "no jobs is not an error");
}

Test(workload, job_run_bad_kind_is_einval, .timeout = 5)
{
    struct job j = {.kind = (enum job_kind)99};
    struct result r = {.value = 5};

    cr_assert_eq(ref_job_run(&j, &r), -EINVAL);
    cr_assert_eq(r.status, -EINVAL);
    cr_assert_eq(r.value, 0);
}

/* A port that refuses: bound, never listening, so nobody else can take it meanwhile. */
static int refusing_port(uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(fd, 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

Test(workload, seq_map_mixes_cooking_and_orders, .timeout = 15)
{
    enum { N = 6 };
    const char *bin = check_env("KITCHEN_BIN") ? check_env("KITCHEN_BIN") : "build/bin/kitchen";
    struct kitchen_conf conf = {.latency_ms = 10};
    struct kitchen k;
    struct job jobs[N];
    struct result out[N];
    uint64_t d;
    uint16_t refused;
    int rc = kitchen_start(bin, &conf, &k), rfd = refusing_port(&refused);

    cr_assert_eq(rc, 0, "kitchen_start(%s): %s", bin, strerror(-rc));
    for (int i = 0; i < N; i++)
        jobs[i] = (struct job){.kind = i % 2 ? JOB_ORDER : JOB_COOK,
                               .seed = 1000 + (uint64_t)i,
                               .rounds = 500,
                               .port = k.port};
    jobs[N - 1].port = refused; /* this order fails on its own, the others go on */
    cr_assert_eq(ref_seq_map(jobs, N, out, 1), 0);
    close(rfd);
    for (int i = 0; i < N - 1; i++) {
        unsigned char ok = 0;

        ref_cook(jobs[i].seed, jobs[i].rounds, &d);
        cr_assert_eq(out[i].status, 0, "job %d: %s", i, strerror(-out[i].status));
        if (jobs[i].kind == JOB_COOK)
            cr_assert_eq(out[i].value, d, "job %d", i);
        else
            cr_assert(kitchen_check(k.port, 1, &jobs[i].seed, &out[i].value, &ok) == 0 && ok,
                      "job %d: not the kitchen's reply", i);
    }
    cr_assert_eq(kitchen_stop(&k), 0);
    cr_assert_eq(out[N - 1].status, -ECONNREFUSED);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ref_order_many(): every reply the kitchen's, the waits overlapped (about one latency for
 * 20, not 20), a refused port an error. */
Test(workload, ref_order_many_overlaps_the_waits, .timeout = 15)
{
    enum { N = 20, LATENCY_MS = 100 };
    const char *bin = check_env("KITCHEN_BIN") ? check_env("KITCHEN_BIN") : "build/bin/kitchen";
    struct kitchen_conf conf = {.latency_ms = LATENCY_MS};
    struct kitchen k;
    uint64_t items[N], replies[N];
    unsigned char ok[N];
    uint16_t refused;
    int rc = kitchen_start(bin, &conf, &k), rfd = refusing_port(&refused);
    double t0, dt;

    cr_assert_eq(rc, 0, "kitchen_start(%s): %s", bin, strerror(-rc));
    for (int i = 0; i < N; i++)
        items[i] = 7000 + (uint64_t)i;
    t0 = now_s();
    rc = ref_order_many(k.port, N, items, replies);
    dt = now_s() - t0;
    cr_assert_eq(rc, 0, "ref_order_many: %s", strerror(-rc));
    cr_assert_lt(dt, 5 * LATENCY_MS / 1000.0, "20 orders took %.3f s: not overlapped", dt);
    cr_assert_eq(kitchen_check(k.port, N, items, replies, ok), 0);
    for (int i = 0; i < N; i++)
        cr_assert(ok[i], "order %d: not the kitchen's reply", i);
    cr_assert_eq(ref_order_many(refused, 2, items, replies), -ECONNREFUSED);
    close(rfd);
    cr_assert_eq(kitchen_stop(&k), 0);
}

/* A speed trial's jobs of each kind: cooking shares the rounds, orders name the kitchen. */
Test(workload, trial_jobs_of_each_kind)
{
    struct job j[8];
    uint64_t sum = 0;

    bench_make_jobs(j, 8, JOB_MEAL, 8000, 1234, 7, 0);
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(j[i].kind, JOB_MEAL);
        cr_assert_eq(j[i].port, 1234, "a meal starts with an order");
        sum += j[i].rounds;
    }
    cr_assert_eq(sum, 8000, "the meals share the cooking");
    bench_make_jobs(j, 8, JOB_ORDER, 8000, 1234, 7, 0);
    cr_assert(j[3].rounds == 0 && j[3].port == 1234 && j[3].kind == JOB_ORDER);
    bench_make_jobs(j, 8, JOB_COOK, 8000, 1234, 7, 1);
    cr_assert(j[3].port == 0 && j[3].kind == JOB_COOK);
    cr_assert_eq(j[4].rounds, 9 * j[3].rounds, "skewed: every other job of the second half is 9x");
}

/* A meal is its order's reply, cooked. */
Test(workload, a_meal_is_an_order_then_cooking)
{
    struct job m = {.kind = JOB_MEAL, .seed = 5, .rounds = 1000, .port = 0};
    struct result r;

    ref_job_run(&m, &r);
    cr_assert_neq(r.status, 0, "no kitchen on port 0: the order fails, nothing is cooked");
    cr_assert_eq(r.value, 0);
}
