/* check.c: helpers for the labs' Criterion tests. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
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
#include "cr_modules.h"

/* How much deeper than check_begin's frame check_end's may lie (Criterion 2.4: 0) */
enum { CHECK_FRAME_SLACK = 16 };

static pid_t test_pid;            /* the process a test runs in; set by check_begin */
static uintptr_t begin_frame;     /* check_begin's frame, in the test's thread */
static pthread_key_t test_thread; /* set in the test's thread: its destructor runs only if
                                   * that thread ends mid-test (pthread_exit) */

/* The code under test ended the test's thread (pthread_exit()): the test can never reach
 * its end. Other threads (Criterion's, the student's) would keep the process alive until
 * the runner's limit; end it now, as a test that ended early: with no done line, the
 * grader says so ("the test's process ended before the test did: ... pthread_exit()"). */
static void test_thread_ended(void *unused)
{
    (void)unused;
    _exit(0);
}

static void make_key(void)
{
    pthread_key_create(&test_thread, test_thread_ended);
}

void check_begin(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    test_pid = getpid();
    begin_frame = (uintptr_t)__builtin_frame_address(0);
    pthread_once(&once, make_key);
    pthread_setspecific(test_thread, &test_pid); /* any non-NULL value arms the destructor */
    check_seal();
}

/*
 * The test's end, as Criterion runs it: its test trampoline (in the test runner) calls
 * criterion_internal_test_teardown() (libcriterion), which calls this .fini, once the
 * test's body has returned. Code under test can reach this function too (its address
 * sits in the test's descriptor, in the runner's data: hostile cook_fini_forge.c) and
 * would write a true done line before ending its process. So the line is written only
 * when (1) our caller is libcriterion's code, and (2) we run at the depth check_begin ran
 * at (setup and teardown are called from the same trampoline frame, and their frames are
 * alike), never deeper: a call from inside the test's body, even through
 * criterion_internal_test_teardown(), lies below it (test_main, the test, its callees).
 * What is left: DESIGN.md, "What the seal does not do". The guard trusts that Criterion
 * calls .fini so: harness::canary below tells the grader when it does not.
 */
void check_end(void)
{
    char what[256];
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);

    if (getpid() != test_pid || !criterion_current_test || !criterion_current_suite)
        return;
    if (!cr_in_criterion(__builtin_return_address(0)) || frame + CHECK_FRAME_SLACK < begin_frame)
        return;
    snprintf(what, sizeof(what), "%s::%s", criterion_current_suite->name,
             criterion_current_test->name);
    check_finished(what);
}

/*
 * The grader's canary (harness::canary, correct_canary in correct.c): a test of the
 * harness's own, no student code in it, that the grader runs in a test runner whenever one
 * of the student's tests read "the test's process ended before the test did". It passes
 * whenever the guard above accepts the way this Criterion calls a test's .fini (Debian 12's
 * libcriterion 2.4.1: from criterion_internal_test_teardown(), at setup's depth). A
 * Criterion built otherwise (a tail call, another distribution's build) would make every
 * passing test read so: the canary fails too, and the grading is the grader's error, never
 * the student's failure.
 */
Test(harness, canary)
{
    cr_assert(getpid() == test_pid, "the canary runs in the process check_begin noted");
}

uint64_t check_seed(void)
{
    const char *s = check_env("SEED");

    return s ? strtoull(s, NULL, 0) : 1;
}

uint64_t check_rand(void)
{
    static uint64_t state;
    static int ready;

    if (!ready) { /* each Criterion test runs in a process of its own: one stream each */
        state = check_seed();
        ready = 1;
    }
    return workload_rand(&state);
}

double check_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

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

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int check_open_fds(void)
{
    int n = count_entries("/proc/self/fd");

    return n < 0 ? n : n - 1; /* less the one opendir() holds while counting */
}

int check_threads(void)
{
    return count_entries("/proc/self/task");
}

/* The voluntary_ctxt_switches line of one /proc status file, or 0. */
static long voluntary_switches(const char *status)
{
    char line[128];
    long n = 0;
    FILE *f = fopen(status, "r");

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
            break;
    fclose(f);
    return n;
}

long check_wakeups(pid_t pid)
{
    char dir[64], path[400];
    struct dirent *e;
    long sum = 0;
    DIR *d;

    snprintf(dir, sizeof(dir), "/proc/%d/task", pid > 0 ? (int)pid : (int)getpid());
    if (!(d = opendir(dir)))
        return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s/status", dir, e->d_name);
            sum += voluntary_switches(path);
        }
    closedir(d);
    return sum;
}

/* ---- jobs for a lab's map, and their results --------------------------------------------- */

/* Cooking rounds that take about `ms` milliseconds on this machine, measured once. */
uint64_t check_rounds_for_ms(double ms)
{
    static double rate; /* rounds per second of this thread's CPU */

    /* CPU time, not wall: on a busy machine the wall clock runs on while the thread waits
     * for a core, and a rate from it would make "50 ms of cooking" far less CPU. */
    if (rate == 0) {
        struct timespec a, b;
        uint64_t dish;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        ref_cook(1, 2000000, &dish);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        rate = 2000000 /
               ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9 + 1e-9);
    }
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
    case 'o':
        j.kind = JOB_ORDER;
        j.port = *port ? *port : (*port = check_kitchen_port());
        break;
    case 'x':
        j.kind = JOB_ORDER;
        j.port = *nobody ? *nobody : (*nobody = check_free_port());
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
    } else if (j->kind == JOB_ORDER) {
        rc = ref_order(j->port, j->seed, &r.value);
        cr_assert_eq(rc, 0,
                     "the test could not order item %llu from the kitchen itself: %s "
                     "(harness error, not your code)",
                     (unsigned long long)j->seed, strerror(-rc));
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
    return j->kind == JOB_COOK ? "cook" : j->kind == JOB_ORDER ? "order" : "poisoned";
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
                 "%s: out[%zu].status = %s for jobs[%zu] (%s, seed=%llu), expected %s%s", what, i,
                 check_status_text(got->status, got_s, sizeof(got_s)), i, check_kind_name(j),
                 (unsigned long long)j->seed,
                 check_status_text(want.status, want_s, sizeof(want_s)), status_hint);
    if (j->kind == JOB_ORDER)
        cr_assert(
            ok, "%s: out[%zu].value = %llu for jobs[%zu] (order, item=%llu): " CHECK_NOT_REPLY "%s",
            what, i, (unsigned long long)got->value, i, (unsigned long long)j->seed,
            m && m->value_hint ? m->value_hint : "");
    else
        cr_assert_eq(got->value, want.value,
                     "%s: out[%zu].value = %llu for jobs[%zu] (%s, seed=%llu), expected %llu%s",
                     what, i, (unsigned long long)got->value, i, check_kind_name(j),
                     (unsigned long long)j->seed, (unsigned long long)want.value,
                     m && m->value_hint ? m->value_hint : "");
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
    free(check);
    free(ok);
}
