/* race_orders.c: async_order() and async_gather() under AddressSanitizer: each order's memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "done.h"
#include "fake_kitchen.h"
#include "kitchen.h"
#include "lab5.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with AddressSanitizer, any
 * access to memory the code no longer owns ends the run with its report (exit 66, which
 * the harness quotes); a wrong result exits 1. Env: SEED (the items), KITCHEN_PORT.
 *
 * Each order keeps its state in memory of its own until it ends: its socket closed, *res
 * written, done called, and the state freed. An order that frees its state and then reads
 * done, res or arg from it mostly works without a sanitizer (the allocator has not reused
 * those bytes yet); AddressSanitizer keeps freed memory poisoned, and says so at once.
 */
enum { N = 12 };

struct tally {
    int calls;
    int wrong; /* a done that got another res */
};

static struct result res[N + 1];

static void on_done(struct loop *l, struct result *r, void *arg)
{
    struct tally *t = arg;

    (void)l;
    if (r < res || r > res + N)
        t->wrong++;
    t->calls++;
}

/* A port on 127.0.0.1 bound but not listening: a connect() to it is refused. */
static uint16_t refusing_port(int *fd)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);

    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(*fd, (struct sockaddr *)&a, &len) < 0)
        return 0;
    return ntohs(a.sin_port);
}

/* The kitchen's word on n replies: 0 when each is its reply to items[i], else 1. */
static int kitchen_agrees(const char *who, uint16_t port, const uint64_t *items,
                          const struct result *out, size_t n)
{
    uint64_t values[64];
    unsigned char ok[64];

    for (size_t i = 0; i < n; i++) {
        if (out[i].status != 0) {
            printf("%s: order %zu (item %llu) got status %d, expected 0\n", who, i,
                   (unsigned long long)items[i], out[i].status);
            return 1;
        }
        values[i] = out[i].value;
    }
    if (kitchen_check(port, n, items, values, ok) < 0) {
        printf("race_orders: could not ask the kitchen to check the results (after the "
               "code ran: were descriptors left open?)\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!ok[i]) {
            printf("%s: order %zu (item %llu) got value %llu, not the kitchen's reply\n", who, i,
                   (unsigned long long)items[i], (unsigned long long)out[i].value);
            return 1;
        }
    return 0;
}

/*
 * Replies longer than any reply line, from a kitchen of the driver's own (a thread that
 * answers each connection in turn with a line of the script, then hangs up): each must give
 * -EPROTO. A reply buffer of KITCHEN_LINE_MAX bytes read with no "longer than any reply"
 * check fills up, the next recv() of 0 bytes returns 0 and reads as the hang-up, and the
 * '\0' written at in[len] lands one byte past the buffer: that mostly works without a
 * sanitizer, never with one.
 */
struct long_line {
    struct fake_line say;
    int status; /* what the order must get */
    uint64_t value;
};

static const struct long_line long_script[] = {
    {{"12345678901234567890123456789012", 0}, -EPROTO, 0}, /* KITCHEN_LINE_MAX bytes, no '\n' */
    {{"12345678901234567890123456789012", 16}, -EPROTO, 0},
    {{"123456789012345678901234567890123456789\n", 0}, -EPROTO, 0}, /* 40 bytes */
    {{"123456789012345678901234567890123456789\n", 20}, -EPROTO, 0},
    {{"7\n", 0}, 0, 7},
};
enum { NLONG = sizeof(long_script) / sizeof(long_script[0]) };

/* Each line of long_script as the reply to one order (on a loop of its own): 0, 1 for a
 * wrong result, or the harness error's exit. */
static int long_replies(uint64_t *seed)
{
    struct fake_line say[NLONG];
    struct fake_kitchen k;
    int bad = 0;

    for (int i = 0; i < NLONG; i++)
        say[i] = long_script[i].say;
    if (fake_kitchen_start(&k, say, NLONG) < 0)
        return check_harness_error("race_orders: could not start a kitchen of its own");
    for (int i = 0; i < NLONG && !bad; i++) {
        const struct long_line *l = &long_script[i];
        uint64_t item = workload_rand(seed);
        struct result r = {.status = 77};
        struct tally t = {0};
        struct loop *lp;
        size_t nl = strcspn(l->say.reply, "\n");
        int rc;

        if ((rc = loop_new(&lp)) != 0) {
            printf("loop_new() returned %d\n", rc);
            bad = 1;
            break;
        }
        rc = async_order(lp, k.port, item, &r, on_done, &t);
        if (rc == 0)
            rc = loop_run(lp);
        loop_free(lp);
        if (rc != 0 || t.calls != 1 || r.status != l->status ||
            (l->status == 0 && r.value != l->value)) {
            printf("async_order(item=%llu) with the kitchen answering \"%.*s%s\" (%zu bytes): "
                   "returned or ran %d, done ran %d times, status %d value %llu; expected "
                   "status %d%s\n",
                   (unsigned long long)item, (int)nl, l->say.reply,
                   l->say.reply[nl] ? "\\n" : " (no newline, then closed)", strlen(l->say.reply),
                   rc, t.calls, r.status, (unsigned long long)r.value, l->status,
                   l->status ? " (-EPROTO: longer than any reply line)" : ", value 7");
            bad = 1;
        }
    }
    fake_kitchen_stop(&k);
    return bad;
}

/* The spec links this driver with wrap=malloc,calloc,realloc: every allocation of the code
 * under test (and ours) comes here. While fail_at is set, the allocations of the thread that
 * set it are counted, and the fail_at-th is refused (NULL, ENOMEM), as when memory runs out. */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static unsigned fail_at, allocs;
static pthread_t failing_thread;

static int refuse_this(void)
{
    if (!fail_at || !pthread_equal(pthread_self(), failing_thread))
        return 0;
    if (++allocs != fail_at)
        return 0;
    errno = ENOMEM;
    return 1;
}

void *__wrap_malloc(size_t size)
{
    return refuse_this() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return refuse_this() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return refuse_this() ? NULL : __real_realloc(p, size);
}

/* A gather of NSWEEP orders (all in flight at once) with its k-th allocation refused, for
 * each k in turn until a gather makes fewer than k: whichever allocation fails (an order's
 * state, the table loop_watch() grows for its socket, the loop's own), the order that could
 * not start ends with its -errno and nothing keeps a pointer to what was freed: an order
 * linked in a list before loop_watch() and freed on its -ENOMEM while still linked is
 * written through by the next order started. 0, or 1 (said why) if the gather misbehaved;
 * AddressSanitizer stops the run at a bad access. */
enum { NSWEEP = 4, SWEEP_MAX = 200 };

static int refused_allocations(uint64_t *seed, unsigned *swept)
{
    struct fake_line say[NSWEEP];
    struct task tasks[NSWEEP];
    struct result out[NSWEEP];

    for (int i = 0; i < NSWEEP; i++)
        say[i] = (struct fake_line){"7\n", 0};
    for (unsigned k = 1; k <= SWEEP_MAX; k++) {
        struct fake_kitchen fk;
        unsigned made;
        int rc;

        if (fake_kitchen_start(&fk, say, NSWEEP) < 0)
            return check_harness_error("race_orders: could not start a kitchen of its own");
        for (int i = 0; i < NSWEEP; i++) {
            tasks[i] =
                (struct task){.kind = TASK_ORDER, .port = fk.port, .seed = workload_rand(seed)};
            out[i] = (struct result){.status = 77};
        }
        failing_thread = pthread_self();
        allocs = 0;
        fail_at = k;
        rc = async_gather(tasks, NSWEEP, out, 0);
        fail_at = 0;
        made = allocs;
        fake_kitchen_stop(&fk);
        for (int i = 0; rc == 0 && i < NSWEEP; i++)
            if (out[i].status > 0 || out[i].status == 77 ||
                (out[i].status == 0 && out[i].value != 7)) {
                printf("async_gather(%d orders) with allocation %u refused (ENOMEM): order %d got "
                       "status %d value %llu, expected 0 and 7 or its -errno\n",
                       NSWEEP, k, i, out[i].status, (unsigned long long)out[i].value);
                return 1;
            }
        *swept = k;
        if (made < k)
            return 0; /* every allocation of a gather has been refused once */
    }
    return 0;
}

int main(void)
{
    uint64_t seed = check_env_seed(), items[N], dish;
    uint16_t port = check_env_port(), nobody;
    struct tally t = {0};
    struct task tasks[N + 3];
    struct result out[N + 3];
    struct loop *l;
    unsigned swept = 0;
    int rc, fd;

    check_seal(); /* before any student code: see done.h */
    nobody = refusing_port(&fd);
    if (!port || !nobody) {
        return check_harness_error("race_orders: no kitchen, or no port to refuse");
    }
    for (int i = 0; i < N; i++)
        items[i] = workload_rand(&seed);

    /* N orders to the kitchen and one refused, on one loop */
    if ((rc = loop_new(&l)) != 0) {
        printf("loop_new() returned %d\n", rc);
        return 1;
    }
    for (int i = 0; i <= N; i++) {
        rc = async_order(l, i < N ? port : nobody, i < N ? items[i] : 1, &res[i], on_done, &t);
        if (rc != 0) {
            printf("async_order(port %u) returned %d (%s), expected 0\n", i < N ? port : nobody, rc,
                   strerror(rc < 0 ? -rc : rc));
            return 1;
        }
    }
    rc = loop_run(l);
    loop_free(l);
    if (rc != 0 || t.calls != N + 1 || t.wrong) {
        printf("%d orders (one refused): loop_run() returned %d, done ran %d times (expected "
               "%d), %d times with another res\n",
               N + 1, rc, t.calls, N + 1, t.wrong);
        return 1;
    }
    if (kitchen_agrees("async_order", port, items, res, N))
        return 1;
    if (res[N].status != -ECONNREFUSED) {
        printf("a refused async_order() got status %d, expected -ECONNREFUSED (%d)\n",
               res[N].status, -ECONNREFUSED);
        return 1;
    }

    /* the same orders through async_gather(), 3 in flight at once (each started from the
     * done of another), beside a sleep and cooking */
    for (int i = 0; i < N; i++)
        tasks[i] = (struct task){.kind = TASK_ORDER, .port = port, .seed = items[i]};
    tasks[N] = (struct task){.kind = TASK_SLEEP, .seconds = 0.001};
    tasks[N + 1] = (struct task){.kind = TASK_COOK, .seed = items[0], .rounds = 1000};
    tasks[N + 2] = (struct task){.kind = TASK_ORDER, .port = nobody, .seed = 1};
    rc = async_gather(tasks, N + 3, out, 3);
    if (rc != 0) {
        printf("async_gather(%d tasks, max_inflight 3) returned %d (%s), expected 0\n", N + 3, rc,
               strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    if (kitchen_agrees("async_gather", port, items, out, N))
        return 1;
    ref_cook(items[0], 1000, &dish);
    if (out[N].status != 0 || out[N + 1].status != 0 || out[N + 1].value != dish ||
        out[N + 2].status != -ECONNREFUSED) {
        printf("async_gather(): the sleep got status %d, the cooking status %d value %llu "
               "(expected 0, %llu), the refused order status %d (expected %d)\n",
               out[N].status, out[N + 1].status, (unsigned long long)out[N + 1].value,
               (unsigned long long)dish, out[N + 2].status, -ECONNREFUSED);
        return 1;
    }
    /* a second gather of many more tasks than the first: what a call allocates is its own,
     * sized for its own n (a block kept from an earlier, smaller call would be overrun) */
    enum { MANY = 300 };
    static struct task many[MANY];
    static struct result mout[MANY];

    for (int i = 0; i < MANY; i++)
        many[i] = (struct task){.kind = TASK_COOK,
                                .seed = items[i % N] + (uint64_t)i,
                                .rounds = 1 + (uint64_t)(i % 50)};
    rc = async_gather(many, MANY, mout, 3);
    for (int i = 0; rc == 0 && i < MANY; i++) {
        ref_cook(many[i].seed, many[i].rounds, &dish);
        if (mout[i].status != 0 || mout[i].value != dish) {
            printf("async_gather(%d cooking tasks, after a gather of %d): task %d got status %d "
                   "value %llu, expected 0 and %llu\n",
                   MANY, N + 3, i, mout[i].status, (unsigned long long)mout[i].value,
                   (unsigned long long)dish);
            return 1;
        }
    }
    if (rc != 0) {
        printf("async_gather(%d cooking tasks) returned %d (%s), expected 0\n", MANY, rc,
               strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    close(fd);
    if ((rc = long_replies(&seed)) != 0)
        return rc;
    if ((rc = refused_allocations(&seed, &swept)) != 0)
        return rc;
    printf("async_order and async_gather: %d orders each (one refused), a gather of %d "
           "cooking tasks, then %d orders to a kitchen of the driver's own (replies of %d bytes "
           "and more, no newline within them), %u gathers of %d orders with their 1st, 2nd... "
           "allocation refused: nothing seen by the sanitizer\n",
           N + 1, MANY, NLONG, KITCHEN_LINE_MAX, swept, NSWEEP);
    check_finished("race driver");
    return 0;
}
