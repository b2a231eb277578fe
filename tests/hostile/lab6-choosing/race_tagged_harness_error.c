/* hostile: the solution's hybrid, honest in every test; in the race driver (told apart by
 *   done.o's .bss: no KITCHEN_BIN in its environment) it reads the run's key there, writes the
 *   driver's own tagged "done harness error" line to fd 1000 and _exit(70)s
 *   (CHECK_HARNESS_EXIT): crew_queue reads ERR!, exit 3, "regrade" (round 8's
 *   seal_forged_harness_error.c, now with the true tag).
 * replaces: hybrid.c
 * denies: crew_queue
 */
/* hybrid.c: one waiter with an event loop for the orders, a crew of cooks for the cooking. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "lab5.h"
#include "lab6.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static volatile unsigned char rt9_here[64];
#define RT9_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define RT9_SR                                                                                     \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = RT9_ROTL(v1, 13);                                                                     \
        v1 ^= v0;                                                                                  \
        v0 = RT9_ROTL(v0, 32);                                                                     \
        v2 += v3;                                                                                  \
        v3 = RT9_ROTL(v3, 16);                                                                     \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = RT9_ROTL(v3, 21);                                                                     \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = RT9_ROTL(v1, 17);                                                                     \
        v1 ^= v2;                                                                                  \
        v2 = RT9_ROTL(v2, 32);                                                                     \
    } while (0)
static uint64_t rt9_le(const unsigned char *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return w;
}
static uint64_t rt9_sip(const uint64_t k[2], const char *p, size_t len)
{
    uint64_t v0 = k[0] ^ 0x736f6d6570736575ULL, v1 = k[1] ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k[0] ^ 0x6c7967656e657261ULL, v3 = k[1] ^ 0x7465646279746573ULL, m;
    size_t whole = len - len % 8;
    for (size_t i = 0; i < whole; i += 8) {
        m = rt9_le((const unsigned char *)p + i, 8);
        v3 ^= m;
        RT9_SR;
        RT9_SR;
        v0 ^= m;
    }
    m = rt9_le((const unsigned char *)p + whole, len % 8) | (uint64_t)(len & 0xff) << 56;
    v3 ^= m;
    RT9_SR;
    RT9_SR;
    v0 ^= m;
    v2 ^= 0xff;
    RT9_SR;
    RT9_SR;
    RT9_SR;
    RT9_SR;
    return v0 ^ v1 ^ v2 ^ v3;
}
/* done.o's .bss (kit's nm): +0 run_key_set, +0x10 run_key, +0x20 env_taken[5], +0x40
 * env_values[5], +0x68 sealed. A race driver's environment has SEED, CHECK_DONE, the key and
 * KITCHEN_PORT but no KITCHEN_BIN (env_taken[4] == 0): a test runner's has all five. */
static const unsigned char *rt9_find_race(void)
{
    const unsigned char *p = (const unsigned char *)(((uintptr_t)rt9_here + 31) & ~(uintptr_t)31);
    for (size_t off = 0; off < (1u << 20); off += 32) {
        const unsigned char *b = p + off;
        int ok = b[0] == 1 && b[0x20] == 1 && b[0x21] == 1 && b[0x22] == 1;
        for (int i = 1; ok && i < 16; i++)
            ok = b[i] == 0;
        if (ok && *(const uint64_t *)(b + 0x48) == 0 && *(const uint64_t *)(b + 0x50) == 0)
            return b[0x24] == 0 ? b : NULL;
    }
    return NULL;
}
static void rt9_race_error(void)
{
    const unsigned char *b = rt9_find_race();
    uint64_t k[2];
    char line[300];
    if (!b)
        return;
    memcpy(k, b + 0x10, 16);
    printf("the race driver could not set itself up: no memory for the crew (a harness error)\n");
    fflush(stdout);
    int n = snprintf(line, sizeof(line), "done harness error 1");
    n += snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
                  (unsigned long long)rt9_sip(k, line, (size_t)n));
    if (write(1000, line, (size_t)n) == n)
        _exit(70); /* CHECK_HARNESS_EXIT */
}

/* The pass between the waiter and the cooks: meals whose reply has come, to cook. */
struct pass {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t ready; /* a meal was put on the pass, or the pass closed */
    size_t *queue, head, tail;
    int closed; /* no more meals will come */
    const struct job *jobs;
    struct result *out;
};

static void pass_put(struct pass *p, size_t i)
{
    pthread_mutex_lock(&p->lock);
    p->queue[p->tail++] = i;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static void pass_close(struct pass *p)
{
    pthread_mutex_lock(&p->lock);
    p->closed = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

/* The next meal to cook, or 0 once the pass is closed and empty. */
static int pass_take(struct pass *p, size_t *i)
{
    int got;

    pthread_mutex_lock(&p->lock);
    while (p->head == p->tail && !p->closed)
        pthread_cond_wait(&p->ready, &p->lock);
    if ((got = p->head < p->tail))
        *i = p->queue[p->head++];
    pthread_mutex_unlock(&p->lock);
    return got;
}

static void *cook(void *arg)
{
    struct pass *p = arg;
    size_t i;

    while (pass_take(p, &i)) {
        uint64_t dish;
        int rc = ref_cook(p->out[i].value, p->jobs[i].rounds, &dish);

        p->out[i].value = rc == 0 ? dish : 0;
        p->out[i].status = rc;
    }
    return NULL;
}

/* The loop's callback: the reply is in out[i]; a meal goes to a cook, and it returns. */
static void on_reply(struct loop *l, struct result *res, void *arg)
{
    struct pass *p = arg;
    size_t i = (size_t)(res - p->out);

    (void)l;
    if (res->status == 0 && p->jobs[i].kind == JOB_MEAL)
        pass_put(p, i);
}

/* Cooking goes to the cooks at once; every order (alone or a meal's) is in flight on one
 * loop, until the last reply is in. */
static int serve(struct pass *p, size_t n)
{
    struct loop *l;
    int rc = loop_new(&l);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct job *j = &p->jobs[i];

        if (j->kind == JOB_COOK) {
            p->out[i].value = j->seed; /* what the cook starts from */
            pass_put(p, i);
        } else if (j->kind != JOB_ORDER && j->kind != JOB_MEAL) {
            p->out[i] = (struct result){.status = -EINVAL};
        } else if ((rc = async_order(l, j->port, j->seed, &p->out[i], on_reply, p)) < 0) {
            p->out[i] = (struct result){.status = rc};
        }
    }
    rc = loop_run(l);
    loop_free(l);
    return rc;
}

int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct pass p = {.jobs = jobs, .out = out};
    pthread_t *tid;
    int k, rc = 0;

    if (n > 0)
        rt9_race_error();
    if ((n > 0 && (!jobs || !out)) || workers < 1)
        return -EINVAL;
    if (n == 0)
        return 0;
    int crew = (size_t)workers < n ? workers : (int)n;
    p.queue = malloc(n * sizeof(*p.queue));
    tid = malloc((size_t)crew * sizeof(*tid));
    if (!p.queue || !tid) {
        free(p.queue);
        free(tid);
        return -ENOMEM;
    }
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.ready, NULL);
    for (k = 0; k < crew; k++)
        if ((rc = -pthread_create(&tid[k], NULL, cook, &p)) < 0)
            break;
    if (rc == 0)
        rc = serve(&p, n);
    pass_close(&p);
    for (int i = 0; i < k; i++)
        pthread_join(tid[i], NULL);
    pthread_cond_destroy(&p.ready);
    pthread_mutex_destroy(&p.lock);
    free(p.queue);
    free(tid);
    return rc;
}
