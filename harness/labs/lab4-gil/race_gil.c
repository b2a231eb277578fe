/* race_gil.c: bytecode threads under your GIL, built with ThreadSanitizer. */
#include <stdio.h>
#include <stdlib.h>

#include "done.h"
#include "interp.h"
#include "workload.h"

struct worker {
    struct interp_thread t;
    struct code code;
    int repeat;
    uint64_t result;
    int rc;
    pthread_t tid;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    int rc;

    if ((w->rc = interp_enter(&w->t)) != 0)
        return NULL;
    for (int i = 0; i < w->repeat && !w->rc; i++)
        w->rc = interp_run(&w->t, &w->code, &w->result);
    if ((rc = interp_leave(&w->t)) != 0 && !w->rc)
        w->rc = rc;
    return NULL;
}

/* The second half: two plain threads hand the GIL back and forth, each holding it a
 * moment, so that every field is written by one and read by the other while both are
 * inside gil_take() and gil_drop(), with and without drop requests. Two such pairs at once,
 * each on a GIL of its own: nothing orders the threads of one GIL with those of the other,
 * so whatever gil.c keeps outside a struct gil (a static buffer for a deadline, say) is
 * written by both at once. */
static struct gil plain[2];

static void *pass_around(void *arg)
{
    struct gil *g = arg;
    struct timespec moment = {.tv_nsec = 100000};
    long rc = 0;

    for (int i = 0; i < 50 && !rc; i++) {
        if ((rc = gil_take(g)) != 0)
            break;
        nanosleep(&moment, NULL);
        rc = gil_drop(g);
    }
    return (void *)rc;
}

/* The third part: the eval breaker's side. A holder calls gil_yield() again and again, as an
 * interpreter's eval breaker would, request or not, while a waiter of a 1 ms interval asks for
 * the GIL three times. gil_yield() reads drop_request without the mutex while the waiter sets
 * it: only an atomic read of it is no data race (lab4.h: drop_request is an atomic_int). */
struct yielder {
    struct gil g;
    atomic_int holding, stop;
    long rc;
};

static void *yield_until_stopped(void *arg)
{
    struct yielder *y = arg;
    struct timespec moment = {.tv_nsec = 10000};

    y->rc = gil_take(&y->g);
    atomic_store(&y->holding, 1);
    if (y->rc)
        return NULL;
    while (!atomic_load(&y->stop) && !y->rc) {
        y->rc = gil_yield(&y->g);
        nanosleep(&moment, NULL);
    }
    if (!y->rc)
        y->rc = gil_drop(&y->g);
    return NULL;
}

static void *ask_three_times(void *arg)
{
    struct yielder *y = arg;
    struct timespec moment = {.tv_nsec = 200000};
    long rc = 0;

    while (!atomic_load(&y->holding)) /* the yielder holds first: this one asks */
        nanosleep(&moment, NULL);
    for (int i = 0; i < 3 && !rc; i++)
        if ((rc = gil_take(&y->g)) == 0)
            rc = gil_drop(&y->g);
    atomic_store(&y->stop, 1);
    return (void *)rc;
}

int main(void)
{
    uint64_t state = check_env_seed(), rounds = 20000, want;
    static struct worker w[4];
    const struct code *codes[4];
    struct interp rt;
    struct gil g;
    char why[256];
    int rc;

    check_seal(); /* before any student code: see done.h */

    if ((rc = gil_init(&g, 500)) != 0) {
        printf("gil_init(interval_us=500) returned %d\n", rc);
        return 1;
    }
    interp_init(&rt, &g);
    /* three threads cook (small chunks: many shared INCREFs), one makes blocking calls */
    for (int i = 0; i < 4; i++) {
        interp_thread_init(&w[i].t, &rt);
        if (i < 3)
            interp_code_cook(&w[i].code, workload_rand(&state), rounds, 4);
        else
            interp_code_sleep(&w[i].code, 100);
        w[i].repeat = i < 3 ? 1 : 20;
        codes[i] = &w[i].code;
    }
    for (int i = 0; i < 4; i++)
        if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < 4; i++)
        pthread_join(w[i].tid, NULL);
    for (int i = 0; i < 4; i++) {
        if (w[i].rc != 0) {
            printf("thread %d: interp_run() under your GIL failed with %d\n", i, w[i].rc);
            return 1;
        }
        ref_cook(w[i].code.consts[0].value, rounds, &want);
        if (i < 3 && w[i].result != want) {
            printf("thread %d cooked 0x%016llx, expected 0x%016llx\n", i,
                   (unsigned long long)w[i].result, (unsigned long long)want);
            return 1;
        }
    }
    if (interp_check(&rt, codes, 4, why, sizeof(why)) != 0) {
        printf("%s\n", why);
        return 1;
    }
    gil_destroy(&g);

    pthread_t four[4];
    void *res[4] = {0, 0, 0, 0};

    for (int i = 0; i < 2; i++)
        if ((rc = gil_init(&plain[i], 1000 + 300 * i)) != 0) {
            printf("gil_init(interval_us=%d) returned %d\n", 1000 + 300 * i, rc);
            return 1;
        }
    for (int i = 0; i < 4; i++)
        if (pthread_create(&four[i], NULL, pass_around, &plain[i % 2]) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < 4; i++)
        pthread_join(four[i], &res[i]);
    for (int i = 0; i < 4; i++)
        if (res[i]) {
            printf("two GILs, two threads each taking and dropping it in turn: gil_take() or "
                   "gil_drop() returned %ld\n",
                   (long)res[i]);
            return 1;
        }
    for (int i = 0; i < 2; i++)
        gil_destroy(&plain[i]);

    static struct yielder y;
    pthread_t yt[2];
    void *asker_rc = 0;

    if ((rc = gil_init(&y.g, 1000)) != 0) {
        printf("gil_init(interval_us=1000) returned %d\n", rc);
        return 1;
    }
    atomic_init(&y.holding, 0);
    atomic_init(&y.stop, 0);
    if (pthread_create(&yt[0], NULL, yield_until_stopped, &y) != 0 ||
        pthread_create(&yt[1], NULL, ask_three_times, &y) != 0) {
        printf("pthread_create failed\n");
        return 1;
    }
    pthread_join(yt[1], &asker_rc);
    pthread_join(yt[0], NULL);
    if (y.rc || asker_rc) {
        printf("a thread calling gil_yield() while it holds the GIL, another taking and dropping "
               "it three times: gil_yield() or gil_drop() returned %ld, gil_take() or gil_drop() "
               "%ld\n",
               y.rc, (long)asker_rc);
        return 1;
    }
    gil_destroy(&y.g);
    check_finished("race driver");
    return 0;
}
