/* check_jobs.c: a test's jobs and kitchens, and its judgement of a map's results: the
 * jobs of a kinds string (check_make_jobs), the answer each must get (check_expected), the
 * test's own kitchens and their fake replies (check_listen, check_fake_reply), and every
 * result of a map checked, orders by the kitchen that served them (check_results). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kitchen.h"
#include "workload.h"

#include "check.h"

/* ---- the kitchens a test orders from ------------------------------------------------------ */

uint16_t check_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0, "socket() failed in the test: %s", strerror(errno));
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                  getsockname(fd, (struct sockaddr *)&a, &len) == 0,
              "bind() failed in the test: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

/* The ports of the test's own kitchens (check_listen()), whose replies are fake ones. */
enum { FAKE_PORTS_MAX = 32 };
static uint16_t fake_ports[FAKE_PORTS_MAX];
static int nfake;

static int is_fake_port(uint16_t port)
{
    for (int i = 0; i < nfake; i++)
        if (fake_ports[i] == port)
            return 1;
    return 0;
}

int check_listen(int backlog, uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                  listen(fd, backlog) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0,
              "the test could not listen on loopback: %s", strerror(errno));
    *port = ntohs(a.sin_port);
    if (nfake < FAKE_PORTS_MAX)
        fake_ports[nfake++] = *port;
    return fd;
}

uint16_t check_kitchen_port(void)
{
    const char *s = check_env("KITCHEN_PORT");
    long port = s ? strtol(s, NULL, 10) : 0;

    cr_assert(port > 0 && port < 65536,
              "no kitchen: KITCHEN_PORT is not set (run the tests with make check)");
    return (uint16_t)port;
}

/* ---- jobs for a lab's map, and their results --------------------------------------------- */

/* Cooking rounds that take about `ms` milliseconds on this machine: at the rate the grader
 * measured and handed every run (CHECK_COOK_RATE, so that the student's run and the
 * reference's cook the same dishes), else measured here, once. */
uint64_t check_rounds_for_ms(double ms)
{
    static double rate; /* rounds per second of this thread's CPU */
    const char *given = check_env("CHECK_COOK_RATE");

    if (rate == 0 && given && strtod(given, NULL) >= 1e5) /* a sane rate, not "0" */
        rate = strtod(given, NULL);                       /* read once: rate is kept */
    /* CPU time, not wall: on a busy machine the wall clock runs on while the thread waits
     * for a core, and a rate from it would make "50 ms of cooking" far less CPU. */
    if (rate == 0)
        rate = ref_cook_rate();
    if (rate == 0)
        rate = 1e8; /* no CPU clock: a guess, so that a test still runs */
    return (uint64_t)(rate * ms / 1000) + 1;
}

/* One job of kind k; port and nobody are fetched once, on the first order that needs one. */
static struct job make_job(char k, uint64_t max_rounds, uint16_t *port, uint16_t *nobody)
{
    struct job j = {.kind = JOB_COOK, .seed = check_rand()};

    switch (k) {
    case 'c':
        j.rounds = 1 + check_rand() % max_rounds;
        break;
    case 'C':
        j.rounds = check_rounds_for_ms(25);
        break;
    case 'L': /* long enough that a poll() with a short timeout runs out first */
        j.rounds = check_rounds_for_ms(250);
        break;
    case 'o':
        j.kind = JOB_ORDER;
        j.port = *port ? *port : (*port = check_kitchen_port());
        break;
    case 'x':
        j.kind = JOB_ORDER;
        j.port = *nobody ? *nobody : (*nobody = check_free_port());
        break;
    case 'm': /* an order, then its reply cooked */
        j.kind = JOB_MEAL;
        j.rounds = 1 + check_rand() % max_rounds;
        j.port = *port ? *port : (*port = check_kitchen_port());
        break;
    default: /* ref_job_run: an even seed segfaults, an odd one aborts */
        cr_assert(k == 'S' || k == 'A', "check_make_jobs: no job kind '%c' (a test's bug)", k);
        j.kind = JOB_POISON;
        j.seed = (j.seed & ~1ULL) | (k == 'A');
        break;
    }
    return j;
}

void check_make_jobs(struct job *jobs, size_t n, const char *kinds, uint64_t max_rounds)
{
    uint16_t port = 0, nobody = 0;

    for (size_t i = 0; i < n; i++)
        jobs[i] = make_job(kinds ? kinds[i] : 'c', max_rounds, &port, &nobody);
}

uint64_t check_dish(uint64_t seed, uint64_t rounds)
{
    uint64_t dish;

    cr_assert_eq(ref_cook(seed, rounds, &dish), 0, "ref_cook failed (harness bug)");
    return dish;
}

struct result check_expected(const struct job *j)
{
    struct result r = {0};
    int rc;

    if (j->kind == JOB_COOK) {
        r.value = check_dish(j->seed, j->rounds);
    } else if (j->kind == JOB_ORDER || j->kind == JOB_MEAL) {
        rc = ref_order(j->port, j->seed, &r.value);
        cr_assert_eq(rc, 0,
                     "the test could not order item %llu from the kitchen itself: %s "
                     "(harness error, not your code)",
                     (unsigned long long)j->seed, strerror(-rc));
        if (j->kind == JOB_MEAL)
            r.value = check_dish(r.value, j->rounds);
    } else {
        r.status = JOB_CRASHED(j->seed & 1 ? SIGABRT : SIGSEGV);
    }
    return r;
}

void check_kitchen_says(uint16_t port, size_t n, const uint64_t *items, const uint64_t *replies,
                        unsigned char *ok)
{
    int rc = kitchen_check(port, n, items, replies, ok);

    cr_assert_eq(rc, 0,
                 "the kitchen on port %u could not check %zu replies: %s (harness error, "
                 "not your code)",
                 port, n, strerror(-rc));
}

int check_reply_ok(uint16_t port, uint64_t item, uint64_t reply)
{
    unsigned char ok = 0;

    check_kitchen_says(port, 1, &item, &reply, &ok);
    return ok;
}

static uint64_t fake_key; /* drawn once a process, by the first fake reply */

uint64_t check_fake_reply(uint64_t item)
{
    while (!fake_key)
        cr_assert_eq(getrandom(&fake_key, sizeof(fake_key), 0), (ssize_t)sizeof(fake_key),
                     "getrandom failed in the test");
    return dish_mix(item ^ fake_key);
}

const char *check_kind_name(const struct job *j)
{
    return j->kind == JOB_COOK    ? "cook"
           : j->kind == JOB_ORDER ? "order"
           : j->kind == JOB_MEAL  ? "meal"
                                  : "poisoned";
}

/* The harness's own names, so that a message never depends on the student's crash_name(). */
static const char *sig_name(int sig)
{
    return sig == SIGSEGV ? "SIGSEGV" : sig == SIGABRT ? "SIGABRT" : "another signal";
}

const char *check_status_text(int status, char *buf, size_t len)
{
    if (status <= JOB_CRASHED(1) && status >= JOB_CRASHED(64))
        snprintf(buf, len, "%d = JOB_CRASHED(%d, %s)", status, -status - 1000,
                 sig_name(-status - 1000));
    else if (status < 0 && status > -1000)
        snprintf(buf, len, "%d (%s)", status, strerror(-status));
    else
        snprintf(buf, len, "%d", status);
    return buf;
}

/* The stub a job with status -ENOSYS went through reads as "not implemented". */
static void check_stub(const struct check_map *m, const struct job *j, const struct result *got)
{
    if (!m || !m->cook_fn || got->status != -ENOSYS)
        return;
    if (j->kind == JOB_COOK)
        CHECK_IMPL(got->status, m->cook_fn, m->cook_file);
    else
        CHECK_IMPL(got->status, m->order_fn, m->order_file);
}

/* The end of a failed result's message: CHECK_NOT_TIMING (no busy machine can cause it, for a
 * timing=sensitive test), but for an order to a kitchen of the test's own (check_listen): those
 * give up on an order's line that has not come within seconds, and a child that late then
 * reads a wrong reply or an error. A crash is certain whatever the kitchen. */
static const char *result_certain(const struct job *j, const struct result *got)
{
    bool own = (j->kind == JOB_ORDER || j->kind == JOB_MEAL) && is_fake_port(j->port);
    bool crashed = got->status <= JOB_CRASHED(1) && got->status >= JOB_CRASHED(64);

    return own && !crashed ? "" : CHECK_NOT_TIMING;
}

/* jobs[i]'s result against want: its status, then its value, or for an order (want NULL)
 * what the kitchen said of it (ok). */
static void check_result(const struct check_map *m, const char *what, const struct job *j, size_t i,
                         const struct result *got, int ok)
{
    struct result want = j->kind == JOB_ORDER ? (struct result){0} : check_expected(j);
    char got_s[96], want_s[96];
    const char *status_hint = m && m->status_hint ? m->status_hint : "";

    check_stub(m, j, got);
    if (want.status)
        status_hint = ": a child killed by a signal shows it in waitpid()'s status";
    cr_assert_eq(got->status, want.status,
                 "%s: out[%zu].status = %s for jobs[%zu] (%s, seed=%llu), expected %s%s%s", what, i,
                 check_status_text(got->status, got_s, sizeof(got_s)), i, check_kind_name(j),
                 (unsigned long long)j->seed,
                 check_status_text(want.status, want_s, sizeof(want_s)), status_hint,
                 result_certain(j, got));
    if (j->kind == JOB_ORDER)
        cr_assert(ok,
                  "%s: out[%zu].value = %llu for jobs[%zu] (order, item=%llu): " CHECK_NOT_REPLY
                  "%s%s",
                  what, i, (unsigned long long)got->value, i, (unsigned long long)j->seed,
                  m && m->value_hint ? m->value_hint : "", result_certain(j, got));
    else
        cr_assert_eq(got->value, want.value,
                     "%s: out[%zu].value = %llu for jobs[%zu] (%s, seed=%llu), expected "
                     "%llu%s%s",
                     what, i, (unsigned long long)got->value, i, check_kind_name(j),
                     (unsigned long long)j->seed, (unsigned long long)want.value,
                     m && m->value_hint ? m->value_hint : "", result_certain(j, got));
}

void check_observe_result(size_t i, const struct result *r, bool own_kitchen, bool known)
{
    check_observe((uint64_t)(int64_t)r->status, "out[%zu].status", i);
    if (own_kitchen)
        check_observe(known, "out[%zu].value_is_the_kitchen's_reply", i);
    else
        check_observe(r->value, "out[%zu].value", i);
}

/* ok[i] for every order of jobs[0..n) that is to be checked (check[i]): what its kitchen
 * says of out[i].value, one connection for each port there is. */
static void check_orders(const struct job *jobs, const struct result *out, size_t n,
                         const unsigned char *check, unsigned char *ok)
{
    uint64_t *items = calloc(n, sizeof(*items)), *replies = calloc(n, sizeof(*replies));
    size_t *at = calloc(n, sizeof(*at));
    unsigned char *done = calloc(n, 1), *said = calloc(n, 1);

    cr_assert(items && replies && at && done && said, "out of memory in the test");
    for (size_t i = 0; i < n; i++) {
        size_t m = 0;

        if (!check[i] || done[i])
            continue;
        if (is_fake_port(jobs[i].port)) { /* a kitchen of the test's own: its fake reply */
            ok[i] = out[i].value == check_fake_reply(jobs[i].seed);
            done[i] = 1;
            continue;
        }
        for (size_t k = i; k < n; k++)
            if (check[k] && !done[k] && jobs[k].port == jobs[i].port) { /* i's kitchen */
                items[m] = jobs[k].seed;
                replies[m] = out[k].value;
                at[m++] = k;
                done[k] = 1;
            }
        check_kitchen_says(jobs[i].port, m, items, replies, said);
        for (size_t k = 0; k < m; k++)
            ok[at[k]] = said[k];
    }
    free(items);
    free(replies);
    free(at);
    free(done);
    free(said);
}

void check_refused(const struct check_map *m, const char *what, const struct job *jobs,
                   const struct result *out, size_t i, int err)
{
    char want[64] = "a negative errno";

    check_stub(m, &jobs[i], &out[i]);
    if (err)
        snprintf(want, sizeof(want), "-%s (%d)", strerrorname_np(err), -err);
    cr_assert(err ? out[i].status == -err : out[i].status < 0,
              "%s: jobs[%zu] is an order to port %u where nobody listens, out[%zu].status = %d, "
              "expected %s",
              what, i, jobs[i].port, i, out[i].status, want);
    /* workload.h: a failed job gets value 0 with its status (a value left from before the
     * call, or from another job, is none of its: an examiner's, round 69); not where the
     * lab's header says it means nothing (lab 1: an examiner's, round 70) */
    cr_assert((m && m->failed_value_free) || out[i].value == 0,
              "%s: jobs[%zu] is an order to port %u where nobody listens, out[%zu] = {value "
              "%llu, status %d}, expected value 0: a failed job gets value 0 with its status "
              "(workload.h); write its whole result, not the status alone",
              what, i, jobs[i].port, i, (unsigned long long)out[i].value, out[i].status);
}

void check_results(const struct check_map *m, const char *what, const struct job *jobs,
                   const char *kinds, const struct result *out, size_t n)
{
    unsigned char *check = calloc(n ? n : 1, 1), *ok = calloc(n ? n : 1, 1);

    cr_assert(check && ok, "out of memory in the test");
    /* every order that came back with status 0 is the kitchen's to judge, all at once */
    for (size_t i = 0; i < n; i++)
        check[i] = jobs[i].kind == JOB_ORDER && !(kinds && kinds[i] == 'x') && out[i].status == 0;
    check_orders(jobs, out, n, check, ok);
    for (size_t i = 0; i < n; i++) {
        if (kinds && kinds[i] == 'x')
            check_refused(m, what, jobs, out, i, 0);
        else
            check_result(m, what, &jobs[i], i, &out[i], ok[i]);
    }
    /* all as expected: what every correct map gives, for the grader to compare with the
     * reference's (check_observe). An order to the grading's kitchen: its reply itself, which
     * the reference's run gets from the same kitchen and only an order placed there knows (a
     * constant "it was the kitchen's" could be written without ordering: red team 11,
     * values_constant_forge); to a kitchen of the test's own, which draws its key anew each
     * run: that the kitchen knew it */
    long grading_port = check_env_port();

    if (!grading_port)
        grading_port = -1; /* no grading kitchen: no job's port is its */
    for (size_t i = 0; i < n; i++) {
        if (kinds && kinds[i] == 'x')
            check_observe((uint64_t)(int64_t)out[i].status, "out[%zu].status", i);
        else
            check_observe_result(i, &out[i],
                                 jobs[i].kind == JOB_ORDER && jobs[i].port != grading_port, ok[i]);
    }
    free(check);
    free(ok);
}

static void *check_call_run(void *arg)
{
    struct check_call *c = arg;

    c->rc = c->f(c->jobs, c->n, c->out, c->workers);
    atomic_store(&c->over, 1);
    return NULL;
}

bool check_call_within(struct check_call *c, double secs)
{
    c->rc = 77;
    atomic_store(&c->over, 0);
    cr_assert_eq(pthread_create(&c->tid, NULL, check_call_run, c), 0,
                 "pthread_create failed in the test");
    return check_await(&c->over, secs);
}
