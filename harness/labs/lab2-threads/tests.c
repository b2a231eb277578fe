/* tests.c: lab 2 correctness: thread_map(), thread_tally(), threads joined, waits overlapped. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "check.h"
#include "fault.h"
#include "lab2.h"

/* The cores this process may run on (its affinity mask): P. */
static int usable_cores(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 2;
    return CPU_COUNT(&set) > 0 ? CPU_COUNT(&set) : 1;
}

static void nap_ms(int ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

/* ---- jobs and their expected results ------------------------------------------------------- */

/* Jobs run through ref_job_run(): a -ENOSYS status is just wrong. */
static const struct check_map lab_map = {
    .status_hint = " (was this job run at all?)",
    .value_hint = ": out[i] belongs to jobs[i], whichever thread ran it"};

/* out[] full of a value no job gives, so a job never run shows. */
static void poison(struct result *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct result){.value = 0x5e5e5e5e5e5e5e5eULL, .status = 77};
}

/* thread_map() that must return 0. */
static void map_ok(const char *what, const struct job *jobs, size_t n, struct result *out,
                   int workers)
{
    int rc = thread_map(jobs, n, out, workers);

    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s: thread_map(n=%zu, workers=%d) returned %d (%s), expected 0", what, n,
                 workers, rc, rc < 0 ? strerror(-rc) : "?");
}

/* Jobs of these kinds (check_make_jobs(), at most 16), cooking 1..max_rounds rounds, through
 * thread_map() (map_ok(call, ...)), then every out[i] checked (check_results(what, ...)). */
static void map_kinds(const char *call, const char *what, const char *kinds, uint64_t max_rounds,
                      int workers)
{
    size_t n = strlen(kinds);
    struct job jobs[16];
    struct result out[16];

    cr_assert(n <= 16, "map_kinds: at most 16 jobs (a test's bug)");
    check_make_jobs(jobs, n, kinds, max_rounds);
    poison(out, n);
    map_ok(call, jobs, n, out, workers);
    check_results(&lab_map, what, jobs, kinds, out, n);
}

/* ---- thread_map: results ------------------------------------------------------------------- */

Test(thread_map, results_in_order, .timeout = 5)
{
    map_kinds("12 jobs (cook, order, cook, meal, order, ...)",
              "thread_map(12 jobs: cooks, orders and meals, workers=3)", "cocmoccocmoc", 200000, 3);
}

Test(thread_map, one_worker, .timeout = 5)
{
    map_kinds("6 jobs, one waiter",
              "thread_map(6 jobs: order, cook, cook, order, cook, cook, workers=1)", "occocc",
              100000, 1);
}

Test(thread_map, worker_counts, .timeout = 8)
{
    int counts[] = {2, usable_cores(), 5, 9};
    enum { N = 10 };
    struct job jobs[N];
    struct result out[N];
    char what[96];

    check_make_jobs(jobs, N, NULL, 300000);
    for (size_t w = 0; w < sizeof(counts) / sizeof(counts[0]); w++) {
        snprintf(what, sizeof(what), "thread_map(10 cook jobs, workers=%d%s)", counts[w],
                 w == 1 ? " = P, the usable cores" : "");
        poison(out, N);
        map_ok(what, jobs, N, out, counts[w]);
        check_results(&lab_map, what, jobs, NULL, out, N);
    }
}

/*
 * What the call allocates is sized by min(workers, n), not by n: 100,000 jobs on 2 waiters.
 * The first job is an order to a kitchen of the test's own that, once the order is in (the
 * call's allocations are all made: a waiter is at work), reads the heap in use (mallinfo2():
 * the arenas' blocks and the mmap()ed ones), then answers. The solution allocates 2 thread
 * ids; a table of 100,000 is 800,000 bytes.
 */
/* A kitchen of the test's own for one order: it waits up to patience_ms for it, reads the
 * order line, then calls at_order(arg) while the order waits (the call at work, this job's
 * result not in yet), and answers as a kitchen would (check_fake_reply()). came: the order
 * came. Used by heap_by_threads() (the heap in use then) and zero_while_first_waits() (*t
 * then). */
struct one_order_kitchen {
    int lfd;
    uint16_t port;
    int patience_ms;
    void (*at_order)(void *arg);
    void *arg;
    bool came;
    pthread_t tid;
};

static void *one_order_kitchen_run(void *arg)
{
    struct one_order_kitchen *k = arg;
    struct pollfd l = {.fd = k->lfd, .events = POLLIN};
    char line[KITCHEN_LINE_MAX] = "", reply[32];
    ssize_t len;
    int fd, n;

    if (poll(&l, 1, k->patience_ms) <= 0 || (fd = accept(k->lfd, NULL, NULL)) < 0)
        return NULL;
    len = recv(fd, line, sizeof(line) - 1, 0);
    line[len > 0 ? len : 0] = '\0';
    k->at_order(k->arg);
    k->came = true;
    n = snprintf(reply, sizeof(reply), "%llu\n",
                 (unsigned long long)check_fake_reply(strtoull(line, NULL, 10)));
    send(fd, reply, (size_t)n, MSG_NOSIGNAL);
    close(fd);
    return NULL;
}

static long heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();

    return (long)(m.uordblks + m.hblkhd);
}

/* at_order for heap_by_threads(): the heap in use while the order waits */
static void note_heap(void *arg)
{
    *(long *)arg = heap_in_use();
}

/* One call of thread_map() (t NULL) or thread_tally(), made from a thread of its own. */
struct small_call {
    const struct job *jobs;
    size_t n;
    struct result *out;
    struct tally *t;
    int workers, rc;
    int create_err; /* not 0: every pthread_create() from the second on fails with it, armed
                     * on the call's own thread (check_on_small_stack() starts one itself) */
};

static void small_call_run(void *arg)
{
    struct small_call *c = arg;

    if (c->create_err)
        fault_arm(FAULT_THREAD, 2, 0, c->create_err);
    c->rc = c->t ? thread_tally(c->jobs, c->n, c->workers, c->t)
                 : thread_map(c->jobs, c->n, c->out, c->workers);
}

/* thread_tally() with no jobs, for check_no_job_calls_keep_nothing(): its return value. */
static int tally_with_no_jobs(void *arg)
{
    small_call_run(arg);
    return ((struct small_call *)arg)->rc;
}

/* thread_tally() with no jobs keeps no memory either (as check_empty_calls_keep_nothing()
 * judges thread_map()). */
static void empty_tallies_hold_nothing(void)
{
    struct job jobs[1];
    struct tally t;
    struct small_call c = {.jobs = jobs, .n = 0, .workers = 4, .t = &t};

    check_no_job_calls_keep_nothing(tally_with_no_jobs, &c, "thread_tally(n=0, workers=4)");
}

/* thread_map() (which = 0, into out) or thread_tally() (which = 1, into *t) on the same jobs:
 * the tests that hold both executors to one rule call either through this. */
static int executor(int which, const struct job *jobs, size_t n, int workers, struct result *out,
                    struct tally *t)
{
    return which ? thread_tally(jobs, n, workers, t) : thread_map(jobs, n, out, workers);
}

/* The totals jobs[] must give (kind: check_make_jobs()'s, 'x' failed; NULL: all cooks), and
 * *t judged against them (defined with thread_tally's tests). */
static void tally_want(const struct job *jobs, size_t n, const char *kind, struct tally *want);
static void check_tally(const char *what, const struct tally *got, const struct tally *want);

/* How many calls of kind `call` one executor call makes (counted, none failed), for a test
 * that then fails each of them in turn. */
static unsigned calls_in_one(enum fault_call call, int which, const struct job *jobs, size_t n,
                             int workers, struct result *out, struct tally *t)
{
    fault_arm(call, 0, 0, 0);
    int rc = executor(which, jobs, n, workers, out, t);
    unsigned made = fault_calls(call);

    fault_disarm_all();
    CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
    return made;
}

/* The call made from a thread whose stack is 256 KiB over a band no access reaches
 * (check_on_small_stack()): what the call keeps on its stack must not grow with n either
 * (pthread_t tid[n], 800,000 bytes for 100,000 jobs, reaches into the band: the test fails,
 * naming it). The solution uses a few KiB of it. */
static int call_on_small_stack(struct small_call *c, const char *what)
{
    cr_assert(check_on_small_stack(small_call_run, c, 256 * 1024),
              "%s: the call ran past the end of a 256 KiB stack: memory sized by the input on "
              "the stack (a VLA such as `pthread_t tid[n]` or `tid[min(workers, n)]`, "
              "alloca()): %zu jobs (or so many waiters) would take a caller's whole stack and "
              "kill it. Size what the call keeps by min(workers, n), on the heap (lab2.h)",
              what, c->n);
    return c->rc;
}

static void heap_by_threads(void)
{
    enum { N = 100000 };
    const char *what = "thread_map(100000 jobs: an order, then tiny cooks, workers=2)";
    struct job *jobs = calloc(N, sizeof(*jobs));
    struct result *out = calloc(N, sizeof(*out));
    static struct one_order_kitchen k; /* its thread outlives a failed assertion: never a local */
    static long in_use;                /* the heap in use while the order waited */
    long before, grew;
    int rc;

    cr_assert(jobs && out, "calloc failed in the test");
    in_use = -1; /* -1: no order came */
    k = (struct one_order_kitchen){.patience_ms = 5000, .at_order = note_heap, .arg = &in_use};
    k.lfd = check_listen(4, &k.port);
    jobs[0] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port};
    for (size_t i = 1; i < N; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 1};
    before = heap_in_use();
    cr_assert_eq(pthread_create(&k.tid, NULL, one_order_kitchen_run, &k), 0,
                 "pthread_create failed in the test");
    rc = call_on_small_stack(&(struct small_call){.jobs = jobs, .n = N, .out = out, .workers = 2},
                             what);
    pthread_join(k.tid, NULL);
    close(k.lfd);
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    check_results(&lab_map, what, jobs, "occ", out, 3);
    cr_assert(in_use >= 0, "%s: the order never came to the kitchen", what);
    grew = in_use - before;
    cr_assert(grew < 65536,
              "%s: %ld more bytes of the heap in use while a waiter was at work than before the "
              "call: what the call allocates (the thread ids, the shared state) is sized by the "
              "threads it starts, min(workers, n) = 2, not by the n jobs",
              what, grew);
    free(jobs);
    free(out);
}

/* A crew of 40,000 on 40,000 tiny cooks, called from the 256 KiB stack: the thread ids
 * (320,000 bytes) are sized by the crew, and a crew that size has no room on a stack
 * (`pthread_t tid[min(workers, n)]`: an examiner's, round 72). Every pthread_create() from the
 * second on fails with EAGAIN, as a system out of threads does (and no test may start 40,000):
 * the call returns -EAGAIN, having joined its one waiter. */
static void big_crew_small_stack(void)
{
    enum { N = 40000 };
    const char *what = "thread_map(40000 tiny cooks, workers=40000, from a thread of 256 KiB "
                       "stack, pthread_create() failing with EAGAIN from the second on)";
    struct job *jobs = calloc(N, sizeof(*jobs));
    struct result *out = calloc(N, sizeof(*out));
    int rc;

    cr_assert(jobs && out, "calloc failed in the test");
    for (size_t i = 0; i < N; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 1};
    rc = call_on_small_stack(
        &(struct small_call){.jobs = jobs, .n = N, .out = out, .workers = N, .create_err = EAGAIN},
        what);
    unsigned failed = fault_failed(FAULT_THREAD);

    fault_disarm_all();
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, failed ? -EAGAIN : 0,
                 "%s returned %d (%s), expected %d: the error of the pthread_create() that "
                 "failed, negated",
                 what, rc, rc < 0 ? strerror(-rc) : "no error", failed ? -EAGAIN : 0);
    free(jobs);
    free(out);
}

enum { ENDS = 16 }; /* the elements of a big array that are memory (check_array_ends) */

/*
 * thread_map() (out != NULL) or thread_tally() on n jobs, n = 2^31 + something or 2^32: more
 * than an int holds. Made in a child, every pthread_create() failing with EAGAIN (fault.h),
 * so that no waiter ever starts: the call must have tried to start one, and then either
 * return -EAGAIN (lab2.h: a failed pthread call's error) or, if the caller serves tables
 * itself, be still at work (the first and last tables are orders to a kitchen that never
 * answers: it waits there). A crew size kept in an int reads such an n as negative (or 0)
 * and returns 0 having started nobody and run nothing. Writes what went wrong to why ("":
 * nothing). A call that walks the tables between the ends first dies of a segmentation fault: not
 * judged here.
 */
static atomic_int big_armed; /* the child's FAULT_THREAD is armed: its count is the call's */

static void *big_watch(void *arg)
{
    (void)arg;
    while (!atomic_load(&big_armed) || fault_calls(FAULT_THREAD) == 0)
        usleep(1000);
    _exit(0); /* a waiter was asked for: the call takes the jobs as they are */
}

static void big_n(bool tally, size_t n, int workers, char *why, size_t whylen)
{
    struct check_ends je = {0}, oe = {0};
    uint16_t port;
    int lfd = check_listen(4, &port);
    struct job *jobs = check_array_ends(n, sizeof(struct job), ENDS, &je);
    struct result *out = tally ? NULL : check_array_ends(n, sizeof(struct result), ENDS, &oe);
    const char *fn = tally ? "thread_tally" : "thread_map";
    pid_t pid;

    for (size_t i = 0; i < ENDS; i++) {
        jobs[i] = (struct job){.kind = JOB_ORDER, .seed = i + 1, .port = port};
        jobs[n - 1 - i] = (struct job){.kind = JOB_ORDER, .seed = i + 1, .port = port};
    }
    pid = fork();
    cr_assert(pid >= 0, "fork failed in the test");
    if (pid == 0) {
        struct tally t;
        pthread_t w;
        int rc;

        fault_disarm_all();
        if (pthread_create(&w, NULL, big_watch, NULL) != 0)
            _exit(3);
        fault_arm(FAULT_THREAD, 1, 0, EAGAIN);
        atomic_store(&big_armed, 1);
        rc = tally ? thread_tally(jobs, n, workers, &t) : thread_map(jobs, n, out, workers);
        if (rc == -ENOSYS)
            _exit(4);
        if (rc == -EAGAIN)
            _exit(0);
        _exit(fault_calls(FAULT_THREAD) == 0 && rc == 0 ? 1 : 2);
    }
    int code = check_big_end(pid, &je, &oe, tally ? "thread_tally()" : "thread_map()", "threads.c");
    close(lfd);
    why[0] = 0;
    if (code == 1)
        snprintf(why, whylen,
                 "%s(n=%zu jobs, workers=%d) with pthread_create() failing returned 0 having "
                 "started no thread and run no job: n is a size_t, past what an int holds; keep "
                 "min(workers, n) in a size_t too (or compare before any cast)",
                 fn, n, workers);
    else if (code == CHECK_BIG_MEMORY)
        ; /* it read or wrote tables between the ends (zeroing out[] first, say): not memory
           * here, and no fault of a real array's: this check cannot judge it, others do */
    else if (code != 0)
        snprintf(why, whylen,
                 "%s(n=%zu jobs, workers=%d) with every pthread_create() failing with EAGAIN: "
                 "expected -EAGAIN (the failed call's error) but %s (%d)",
                 fn, n, workers, code > 0 ? "the child ended with a code" : "a signal ended it",
                 code);
}

/* The largest block one call of thread_map() (tally false) or thread_tally() asks for
 * (malloc(), calloc(), realloc(): fault_largest_alloc()), on n tiny cooks and 2 waiters. */
static size_t largest_block(bool tally, size_t n)
{
    struct job *jobs = calloc(n, sizeof(*jobs));
    struct result *out = calloc(n, sizeof(*out));
    struct tally t;
    size_t largest;

    cr_assert(jobs && out, "calloc failed in the test");
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 1};
    fault_arm(FAULT_ALLOC, 0, 0, 0); /* the largest block, counted from here */
    int rc = executor(tally, jobs, n, 2, out, &t);

    largest = fault_largest_alloc();
    fault_disarm_all();
    CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s(%zu tiny cook jobs, workers=2) returned %d (%s), expected 0",
                 tally ? "thread_tally" : "thread_map", n, rc, rc < 0 ? strerror(-rc) : "?");
    free(jobs);
    free(out);
    return largest;
}

/* What a call allocates is sized by min(workers, n) at every n, not only past some size: on 2
 * waiters, no block the call asks for with n jobs drawn from each of 32-256, 257-4096,
 * 4097-65536 and 65537-262144 is more than 256 bytes larger than its largest with 3 jobs (an
 * examiner's, round 74: results staged in a heap copy of out[], n of them, for n up to 65,536:
 * heap_by_threads()'s 100,000 jobs were past it). */
static void blocks_by_crew(bool tally)
{
    static const size_t from[] = {32, 257, 4097, 65537, 262145};
    const char *fn = tally ? "thread_tally" : "thread_map";
    size_t base;

    largest_block(tally, 3); /* a first call: what the C library sets up once */
    base = largest_block(tally, 3);
    for (int r = 0; r < 4; r++) {
        size_t n = from[r] + check_rand() % (from[r + 1] - from[r]), got = largest_block(tally, n);

        cr_assert(got <= base + 256,
                  "%s(%zu tiny cook jobs, workers=2) asked for a block of %zu bytes, with 3 jobs "
                  "%zu at most: what the call allocates is sized by the threads it starts, "
                  "min(workers, n) = 2, at every n (lab2.h), never by the jobs (a copy of out[], "
                  "a flag a job), not even for services of some size only",
                  fn, n, got, base);
    }
}

/* more jobs than an int counts: 2^31 and a few, and 2^32 */
static void check_big_n(bool tally)
{
    char why[400];
    size_t ns[] = {((size_t)1 << 31) + check_rand() % 1000, (size_t)1 << 32};

    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        big_n(tally, ns[i], 3, why, sizeof(why));
        cr_assert(!why[0], "%s", why);
    }
}

Test(thread_map, more_workers_than_jobs, .timeout = 5)
{
    static const char kind[] = "coc";
    struct job jobs[3];
    struct result out[3];
    int rc;

    check_make_jobs(jobs, 3, kind, 50000);
    poison(out, 3);
    fault_arm(FAULT_THREAD, 0, 0, 0); /* count the threads started */
    rc = thread_map(jobs, 3, out, 500);
    fault_disarm_all();
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, 0,
                 "thread_map(3 jobs, workers=500) returned %d (%s), expected 0: start no more "
                 "threads than there are jobs (a test may have at most 64 at once)",
                 rc, rc < 0 ? strerror(-rc) : "?");
    check_results(&lab_map, "thread_map(3 jobs: cook, order, cook, workers=500)", jobs, kind, out,
                  3);
    cr_assert(fault_calls(FAULT_THREAD) <= 3,
              "thread_map(3 jobs, workers=500) started %u threads: a waiter with no table is "
              "a wasted thread, start min(workers, n)",
              fault_calls(FAULT_THREAD));
    /* workers is any int >= 1: what the call keeps (thread ids) is sized by the threads it
     * starts, min(workers, n), never by workers (INT_MAX ids are 16 GiB) */
    poison(out, 3);
    rc = thread_map(jobs, 3, out, INT_MAX);
    cr_assert_eq(rc, 0,
                 "thread_map(3 jobs, workers=INT_MAX) returned %d (%s), expected 0: size what "
                 "you allocate by the threads you start, min(workers, n)",
                 rc, rc < 0 ? strerror(-rc) : "?");
    check_results(&lab_map, "thread_map(3 jobs: cook, order, cook, workers=INT_MAX)", jobs, kind,
                  out, 3);
    heap_by_threads();
    blocks_by_crew(false);
    big_crew_small_stack();
    check_big_n(false);
}

Test(thread_map, one_job, .timeout = 5)
{
    char what[64];

    for (int k = 0; k < 2; k++) {
        snprintf(what, sizeof(what), "thread_map(1 %s job, workers=4)", k ? "order" : "cook");
        map_kinds(what, what, k ? "o" : "c", 100000, 4);
    }
}

Test(thread_map, no_jobs, .timeout = 3)
{
    struct job jobs[1];
    struct result out[1];
    int rc1, rc2;

    check_make_jobs(jobs, 1, NULL, 10);
    poison(out, 1);
    fault_arm(FAULT_THREAD, 0, 0, 0); /* count the threads started */
    rc1 = thread_map(jobs, 0, out, 4);
    CHECK_IMPL(rc1, "thread_map()", "threads.c");
    rc2 = thread_map(NULL, 0, NULL, 4);
    fault_disarm_all();
    cr_assert_eq(fault_calls(FAULT_THREAD), 0,
                 "thread_map(n=0, workers=4) started %u threads: with no jobs, start none",
                 fault_calls(FAULT_THREAD));
    cr_assert_eq(rc1, 0, "thread_map(n=0, workers=4) returned %d, expected 0", rc1);
    cr_assert(out[0].value == 0x5e5e5e5e5e5e5e5eULL && out[0].status == 77,
              "thread_map(n=0, workers=4) wrote out[0]: with no jobs there is nothing to write");
    cr_assert_eq(rc2, 0, "thread_map(jobs=NULL, n=0, out=NULL, workers=4) returned %d, expected 0",
                 rc2);
    check_empty_calls_keep_nothing(thread_map, 4, "thread_map");
}

/* Refused calls keep nothing of the heap: the arguments are checked before anything is
 * allocated, or what was is freed on the way out (lab2.h: "when it fails too"; an examiner's,
 * round 71: the thread ids' table malloc()ed for n = 1000 first, then -EINVAL). 240 refused
 * calls, each with 1000 jobs and 64 workers or none. */
static void refused_keep_nothing(bool tally)
{
    enum { N = 1000, CALLS = 80 };
    struct job *jobs = calloc(N, sizeof(*jobs));
    struct result *out = calloc(N, sizeof(*out));
    struct tally t;
    const char *fn = tally ? "thread_tally" : "thread_map";

    cr_assert(jobs && out, "calloc failed in the test");
    check_make_jobs(jobs, N, NULL, 10);
    size_t heap = check_heap_in_use();

    for (int c = 0; c < CALLS; c++) {
        int rc[3];

        if (tally) {
            rc[0] = thread_tally(NULL, N, 64, &t);
            rc[1] = thread_tally(jobs, N, 64, NULL);
            rc[2] = thread_tally(jobs, N, 0, &t);
        } else {
            rc[0] = thread_map(NULL, N, out, 64);
            rc[1] = thread_map(jobs, N, NULL, 64);
            rc[2] = thread_map(jobs, N, out, 0);
        }
        for (int i = 0; i < 3; i++)
            cr_assert_eq(rc[i], -EINVAL,
                         "%s(n=1000, refused argument %d of 3) returned %d, "
                         "expected -EINVAL",
                         fn, i + 1, rc[i]);
    }
    long kept = (long)check_heap_in_use() - (long)heap;

    free(jobs);
    free(out);
    cr_assert(kept < 256,
              "%d refused calls of %s() (n=1000: jobs NULL, out or t NULL, workers 0), each "
              "-EINVAL, kept %ld more bytes of the heap in use: check the arguments before "
              "you allocate anything (the thread ids' table too), or free it on that path",
              3 * CALLS, fn, kept);
}

Test(thread_map, bad_args, .timeout = 3)
{
    struct job jobs[2];
    struct result out[2];
    const struct check_bad_call bad[] = {
        {NULL, out, 2, "jobs=NULL, workers=2"},
        {jobs, NULL, 2, "out=NULL, workers=2"},
        {jobs, out, 0, "workers=0"},
        {jobs, out, -3, "workers=-3"},
    };

    check_make_jobs(jobs, 2, NULL, 10);
    /* n = 1 too: a single job is no reason to skip the checks (and run it in the caller) */
    for (size_t n = 2; n > 0; n--)
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            poison(out, 2);
            int rc = thread_map(bad[i].jobs, n, bad[i].out, bad[i].workers);

            CHECK_IMPL(rc, "thread_map()", "threads.c");
            cr_assert_eq(rc, -EINVAL, "thread_map(%s, n=%zu) returned %d, expected -EINVAL (%d)",
                         bad[i].what, n, rc, -EINVAL);
            /* the arguments are checked first: a refused call has written nothing */
            for (size_t j = 0; j < 2; j++)
                cr_assert(out[j].value == 0x5e5e5e5e5e5e5e5eULL && out[j].status == 77,
                          "thread_map(%s, n=%zu) returned -EINVAL but out[%zu] changed (value "
                          "%llu, status %d): a refused call writes nothing, check the arguments "
                          "before touching out[]",
                          bad[i].what, n, j, (unsigned long long)out[j].value, out[j].status);
        }
    int rc = thread_map(jobs, 0, out, 0);

    cr_assert_eq(rc, -EINVAL, "thread_map(n=0, workers=0) returned %d, expected -EINVAL (%d)", rc,
                 -EINVAL);
    refused_keep_nothing(false);
}

/* n tiny cook jobs with seeds base, base + 1, ...: workload_count_runs() counts each one's
 * runs. Tiny, so the waiters spend their time at the shared next-job index: two that
 * read it at once and both move it on run one job twice, and on 2 cores that happens many
 * times in a run of 100,000 jobs, not once in a while. The tests call at least 6 times
 * and for at least 1.5 s. */
static struct job *counted_jobs(size_t n, uint64_t *base, unsigned **runs)
{
    struct job *jobs = calloc(n, sizeof(*jobs));

    *runs = calloc(n, sizeof(**runs));
    cr_assert(jobs && *runs, "calloc failed in the test");
    *base = check_rand() >> 1;
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = *base + i, .rounds = 1 + i % 4};
    return jobs;
}

/* Call number c of a stress begun at t0 is still wanted: at least 6 calls and 1.5 s (on a
 * busy machine the waiters run side by side less often, so the test keeps at it longer),
 * at most 60 calls. */
static bool stress_on(int c, double t0)
{
    return c <= 60 && (c <= 6 || check_now() - t0 < 1.5);
}

/* Every runs[i] must be 1. */
static void check_once(const char *what, const unsigned *runs, size_t n)
{
    size_t twice = 0, never = 0, first = n;

    for (size_t i = 0; i < n; i++) {
        twice += runs[i] > 1;
        never += runs[i] == 0;
        if (runs[i] != 1 && first == n)
            first = i;
    }
    cr_assert(first == n,
              "%s: jobs[%zu] ran %u times; %zu jobs ran more than once, %zu never: every job "
              "exactly once. Taking the next index and moving it on must be one indivisible "
              "step (under the lock, or one atomic fetch-and-add), not a read then a write",
              what, first, first < n ? runs[first] : 0, twice, never);
}

/* Every job runs however long the service takes: no deadline after which a table is no
 * longer served (an examiner's, round 74: tables taken 30 s after the call began got
 * -ETIMEDOUT, never run). While the first dish cooks, every clock the code can read
 * (CLOCK_MONOTONIC and its kin, CLOCK_REALTIME) moves on 1 to 400 days, drawn, as after a
 * service that long (fault_clock_uptime(), fault_clock_shift()); 8 tiny cooks on 1 and on 3
 * waiters, in both functions: each must run once with its own result. */
static atomic_int service_aged;
static double service_age; /* s */

static void age_service(uint64_t seed)
{
    (void)seed;
    if (!atomic_exchange(&service_aged, 1)) {
        fault_clock_uptime(service_age);
        fault_clock_shift(service_age);
    }
}

static void long_service(bool tally)
{
    enum { N = 8 };
    const char *fn = tally ? "thread_tally" : "thread_map";
    struct result out[N];
    struct tally t, want;
    uint64_t base;
    unsigned *runs;
    struct job *jobs = counted_jobs(N, &base, &runs);
    char what[160];

    tally_want(jobs, N, NULL, &want);
    for (int workers = 1; workers <= 3; workers += 2) {
        int days = 1 + (int)(check_rand() % 400);

        snprintf(what, sizeof(what),
                 "%s(8 tiny cook jobs, workers=%d), every clock moved on %d days while its first "
                 "dish cooked",
                 fn, workers, days);
        service_age = days * 86400.0;
        atomic_store(&service_aged, 0);
        memset(runs, 0, N * sizeof(*runs));
        poison(out, N);
        workload_count_runs(base, N, runs);
        workload_on_cook(age_service);
        int rc = executor(tally, jobs, N, workers, out, &t);

        workload_on_cook(NULL);
        workload_count_runs(0, 0, NULL);
        fault_disarm_all(); /* the clocks true again */
        CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc,
                     rc < 0 ? strerror(-rc) : "?");
        for (size_t i = 0; i < N; i++) {
            char st[64] = "";

            if (runs[i] == 1 &&
                (tally ||
                 (out[i].status == 0 && out[i].value == check_dish(jobs[i].seed, jobs[i].rounds))))
                continue;
            if (!tally)
                snprintf(st, sizeof(st), ", out[%zu].status = %d", i, out[i].status);
            cr_assert_fail("%s: jobs[%zu] ran %u times%s: every job runs exactly once through "
                           "ref_job_run(), however long the service takes (lab2.h): no deadline "
                           "after which a table gets a status of its own instead of being served",
                           what, i, runs[i], st);
        }
        if (tally)
            check_tally(what, &t, &want);
    }
    free(jobs);
    free(runs);
}

Test(thread_map, many_jobs, .timeout = 10)
{
    enum { N = 100000 };
    double t0 = check_now();
    struct result *out = calloc(N, sizeof(*out));
    uint64_t base;
    unsigned *runs;
    struct job *jobs = counted_jobs(N, &base, &runs);
    char what[96];

    cr_assert(out, "calloc failed in the test");
    for (int c = 1; stress_on(c, t0); c++) {
        int workers = c % 2 ? 8 : 3;

        snprintf(what, sizeof(what), "thread_map(100000 tiny cook jobs, workers=%d), call %d",
                 workers, c);
        memset(runs, 0, N * sizeof(*runs));
        poison(out, N);
        workload_count_runs(base, N, runs);
        map_ok(what, jobs, N, out, workers);
        workload_count_runs(0, 0, NULL);
        check_once(what, runs, N);
        if (c == 1)
            check_results(&lab_map, what, jobs, NULL, out, N);
    }
    free(jobs);
    free(out);
    free(runs);
    long_service(false);
}

/* A kitchen of the test's own that takes every order and botches it: "ERR\n", a hang-up
 * with no reply, a reply cut off before its newline, a reset (the client's -EPROTO, -EPROTO,
 * -EPROTO, -ECONNRESET). It counts the connections it accepts for each order (by its item):
 * every job runs exactly once, so each order reaches the kitchen once, whatever its failure
 * (lab2.h: "a failed order is not placed again"), not only a refused one. */
enum botch { BOTCH_ERR, BOTCH_HANGUP, BOTCH_CUT, BOTCH_RESET, BOTCH_KINDS };

static const char *const botch_name[BOTCH_KINDS] = {"answered \"ERR\"", "hung up with no reply",
                                                    "cut off its reply before the newline",
                                                    "reset the connection"};

enum { BOTCH_MAX = 16 };

struct botch_kitchen {
    int lfd;
    uint16_t port;
    const struct job *jobs; /* jobs[i] an order to this kitchen: botched by mode[i] */
    enum botch mode[BOTCH_MAX];
    size_t n;
    unsigned got[BOTCH_MAX]; /* the connections accepted for jobs[i]'s item */
    unsigned strangers;      /* the connections whose item is no order's */
    pthread_t tid;
};

static void *botch_kitchen_run(void *arg)
{
    struct botch_kitchen *k = arg;

    for (;;) {
        struct timeval tmo = {.tv_sec = 2};
        char line[KITCHEN_LINE_MAX] = "";
        size_t len = 0, j;
        uint64_t item;
        int fd = accept(k->lfd, NULL, NULL);

        if (fd < 0 && errno == EINTR)
            continue;
        if (fd < 0)
            return NULL; /* shut down: the call is over */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
        while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
            ssize_t r = recv(fd, line + len, sizeof(line) - 1 - len, 0);

            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            len += (size_t)r;
        }
        line[len] = '\0';
        item = strtoull(line, NULL, 10);
        for (j = 0; j < k->n && !(k->jobs[j].kind == JOB_ORDER && k->jobs[j].seed == item); j++)
            ;
        if (j == k->n) {
            k->strangers++;
            close(fd);
            continue;
        }
        k->got[j]++;
        switch (k->mode[j]) {
        case BOTCH_ERR:
            send(fd, "ERR\n", 4, MSG_NOSIGNAL);
            break;
        case BOTCH_CUT:
            send(fd, "12", 2, MSG_NOSIGNAL);
            break;
        case BOTCH_RESET: {
            struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close() sends a reset */

            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            break;
        }
        default:
            break;
        }
        close(fd);
    }
}

/* n jobs (n <= BOTCH_MAX), every third a cook of 1..100000 rounds and the others orders to
 * k's kitchen (started here), botched in turn each way; inputs from check_rand(). */
static void botch_kitchen_start(struct botch_kitchen *k, struct job *jobs, size_t n)
{
    int b = 0;

    cr_assert(n <= BOTCH_MAX, "botch_kitchen_start: at most %d jobs (a test's bug)", BOTCH_MAX);
    memset(k, 0, sizeof(*k));
    k->lfd = check_listen(16, &k->port);
    k->jobs = jobs;
    k->n = n;
    for (size_t i = 0; i < n; i++) {
        if (i % 3 == 0) {
            jobs[i] = (struct job){
                .kind = JOB_COOK, .seed = check_rand(), .rounds = 1 + check_rand() % 100000};
        } else {
            jobs[i] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k->port};
            k->mode[i] = (enum botch)(b++ % BOTCH_KINDS);
        }
    }
    cr_assert_eq(pthread_create(&k->tid, NULL, botch_kitchen_run, k), 0,
                 "pthread_create failed in the test");
}

/* Stop the kitchen (its accept() woken) once the call is over: every order it took was
 * answered (botched) before the call could return. */
static void botch_kitchen_stop(struct botch_kitchen *k)
{
    shutdown(k->lfd, SHUT_RDWR);
    pthread_join(k->tid, NULL);
    close(k->lfd);
}

/* Each botched order reached the kitchen exactly once, and nothing else came. */
static void botch_kitchen_check(const struct botch_kitchen *k, const char *what)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->jobs[i].kind == JOB_ORDER)
            cr_assert_eq(k->got[i], 1,
                         "%s: the order of job %zu (its kitchen took it and %s) reached the "
                         "kitchen %u times, expected once: every job runs exactly once, a failed "
                         "order is not placed again, whatever its failure (lab2.h)",
                         what, i, botch_name[k->mode[i]], k->got[i]);
    cr_assert_eq(k->strangers, 0, "%s: the kitchen got %u connections that ordered no job's item",
                 what, k->strangers);
}

/* What the client of a botched order gets: -EPROTO, or -ECONNRESET for a reset. */
static int botch_status(enum botch b)
{
    return b == BOTCH_RESET ? -ECONNRESET : -EPROTO;
}

/* A failed job keeps its own status, and runs once like every other: its order is placed
 * once (the connect()s of the call counted: one per order), never again "in case". */
/* n orders, each placed with `workers` waiters, the kitchens' connect() calls counted: each
 * job runs exactly once. Returns the count. */
static unsigned orders_placed(const char *what, const struct job *jobs, const char *kinds, size_t n,
                              struct result *out, int workers)
{
    unsigned connects;

    poison(out, n);
    fault_arm(FAULT_CONNECT, 0, 0, 0); /* count the orders placed */
    int rc = thread_map(jobs, n, out, workers);
    connects = fault_calls(FAULT_CONNECT);
    fault_disarm_all();
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    check_results(&lab_map, what, jobs, kinds, out, n);
    return connects;
}

/* Jobs of kinds the enum does not have (4, 5, 6, 99, INT_MAX) between cooks, on 1 waiter:
 * each gets what ref_job_run() gives it (-EINVAL) and the cooks their dishes; nothing the
 * call keeps is indexed by a job's kind (an examiner's, round 73: a count per kind in an
 * array of 4, which kind 4 wrote past, into the next job's index: a job skipped). */
static void unknown_kinds(void)
{
    static const int odd[] = {4, 5, 6, 99, INT_MAX};
    enum { N = 2 * sizeof(odd) / sizeof(odd[0]) + 1 };
    struct job jobs[N];
    struct result out[N];
    const char *what = "thread_map(cooks with jobs of kinds 4, 5, 6, 99 and INT_MAX between "
                       "them, workers=1)";

    check_make_jobs(jobs, N, NULL, 2000);
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        jobs[2 * i + 1].kind = (enum job_kind)odd[i];
    poison(out, N);
    int rc = thread_map(jobs, N, out, 1);

    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    for (size_t i = 0; i < N; i++) {
        struct result want;

        if (jobs[i].kind == JOB_COOK)
            want = check_expected(&jobs[i]);
        else
            ref_job_run(&jobs[i], &want);
        cr_assert(out[i].status == want.status && out[i].value == want.value,
                  "%s: out[%zu] (kind %d) = {value %llu, status %d}, expected {value %llu, "
                  "status %d}: every job runs once, whatever its kind (ref_job_run() answers "
                  "an unknown one with -EINVAL); keep nothing indexed by a job's kind",
                  what, i, (int)jobs[i].kind, (unsigned long long)out[i].value, out[i].status,
                  (unsigned long long)want.value, want.status);
    }
}

/* A poisoned job is run like any other, in a waiter, by ref_job_run(): it kills the whole
 * process, threads share it (the lesson of this lab: lab 3 keeps a crash in its child). The
 * call is made in a child of the test, which must die of that signal. A waiter that "knows"
 * how a poisoned job ends and writes its crash status without running it (an examiner's,
 * round 73) keeps the process alive: no job is faked. */
static void poison_kills_process(void)
{
    bool segv = check_rand() % 2;
    struct job jobs[3];
    struct result out[3];
    int st = 0;

    check_make_jobs(jobs, 3, segv ? "cSc" : "cAc", 2000);
    fflush(NULL);
    pid_t pid = fork();

    cr_assert(pid >= 0, "fork() failed in the test: %s", strerror(errno));
    if (pid == 0) {
        thread_map(jobs, 3, out, 2);
        _exit(0);
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == (segv ? SIGSEGV : SIGABRT),
              "thread_map(cook, a job poisoned with %s, cook; workers=2), in a child of the "
              "test: the child %s %d, expected it killed by %s: run every job with "
              "ref_job_run(), a poisoned one too (it kills the whole process: threads share "
              "it); never write a crash status for a job you did not run",
              segv ? "SIGSEGV" : "SIGABRT",
              WIFSIGNALED(st) ? "was killed by signal" : "exited with",
              WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), segv ? "SIGSEGV" : "SIGABRT");
}

/* Jobs at the edges of what workload.h allows run like any other: each once, through
 * ref_job_run(), with the result it gives (an examiner's, round 74: three shortcuts). Cooks of
 * 0 rounds (their dish is their seed, but they are still run, not answered by the executor);
 * cooks and meals of 2^24 to 2^64 - 1 rounds, drawn (no count of rounds past which a job is
 * "corrupt" and refused: their dishes are known in advance, workload_cook_known(), so they
 * end at once); orders and meals to port 0 (dialled, and refused, not refused unasked). The
 * runs counted: cooks by their seeds (workload_count_runs()), the long cooks and meals by
 * their rounds (the calls of the known dish), orders and meals by the connect() calls. */
enum { EDGE_N = 16, EDGE_LONG = 6 };
static uint64_t edge_rounds[EDGE_LONG]; /* the rounds of the long jobs, one each */
static atomic_uint edge_cooked[EDGE_LONG];

static bool edge_dish(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    for (int i = 0; i < EDGE_LONG; i++)
        if (rounds == edge_rounds[i]) {
            atomic_fetch_add(&edge_cooked[i], 1);
            *dish = dish_mix(seed ^ rounds); /* the test's stand-in for a dish that long */
            return true;
        }
    return false;
}

static const char *edge_name(const struct job *j, char *buf, size_t len)
{
    if (j->kind == JOB_COOK)
        snprintf(buf, len, "a cook of %llu rounds", (unsigned long long)j->rounds);
    else if (j->port == 0)
        snprintf(buf, len, "%s to port 0", j->kind == JOB_MEAL ? "a meal" : "an order");
    else
        snprintf(buf, len, "a meal of %llu rounds", (unsigned long long)j->rounds);
    return buf;
}

static void edge_jobs(bool tally)
{
    const char *fn = tally ? "thread_tally" : "thread_map";
    struct job jobs[EDGE_N];
    struct result out[EDGE_N], want[EDGE_N];
    struct tally t, twant = {0};
    unsigned runs[EDGE_N], dials = 0;
    uint64_t base = check_rand() >> 1;
    uint16_t kitchen = check_kitchen_port();
    /* the long ones: a cook in each of [2^24, 2^32), [2^32, 2^48), [2^48, 2^64 - 1), one of
     * 2^64 - 1, meals in [2^32, 2^40] and (2^40, 2^64 - 1) */
    const uint64_t from[EDGE_LONG] = {1ULL << 24, 1ULL << 32, 1ULL << 48,
                                      UINT64_MAX, 1ULL << 32, (1ULL << 40) + 1};
    const uint64_t span[EDGE_LONG] = {
        (1ULL << 32) - (1ULL << 24),     (1ULL << 48) - (1ULL << 32),  UINT64_MAX - (1ULL << 48), 1,
        (1ULL << 40) - (1ULL << 32) + 1, UINT64_MAX - (1ULL << 40) - 1};
    char what[160], name[64];
    size_t n = 0;

    for (int i = 0; i < EDGE_LONG; i++) {
        edge_rounds[i] = from[i] + check_rand() % span[i];
        if (i < 4)
            jobs[n] = (struct job){.kind = JOB_COOK, .seed = base + n, .rounds = edge_rounds[i]};
        else
            jobs[n] = (struct job){
                .kind = JOB_MEAL, .seed = check_rand(), .rounds = edge_rounds[i], .port = kitchen};
        n++;
    }
    for (int i = 0; i < 3; i++, n++) /* cooks of 0 rounds */
        jobs[n] = (struct job){.kind = JOB_COOK, .seed = base + n, .rounds = 0};
    jobs[n++] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = 0};
    jobs[n++] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = 0};
    jobs[n++] = (struct job){.kind = JOB_MEAL, .seed = check_rand(), .rounds = 1000, .port = 0};
    for (; n < EDGE_N; n++) /* and plain cooks */
        jobs[n] =
            (struct job){.kind = JOB_COOK, .seed = base + n, .rounds = 1 + check_rand() % 2000};
    for (size_t i = EDGE_N - 1; i > 0; i--) { /* in an order drawn */
        size_t j = check_rand() % (i + 1);
        struct job s = jobs[i];

        jobs[i] = jobs[j];
        jobs[j] = s;
    }
    workload_cook_known(edge_dish);
    for (size_t i = 0; i < EDGE_N; i++) {
        ref_job_run(&jobs[i], &want[i]);
        dials += jobs[i].kind != JOB_COOK;
        twant.served += want[i].status == 0;
        twant.failed += want[i].status != 0;
        twant.sum += want[i].status == 0 ? want[i].value : 0;
    }
    workload_cook_known(NULL);
    for (int workers = 3; workers >= 1; workers -= 2) {
        snprintf(what, sizeof(what),
                 "%s(16 jobs: cooks of 0 rounds and of 2^24 to 2^64 - 1, meals of 2^32 to 2^64 - "
                 "1 rounds, orders and a meal to port 0, plain cooks; workers=%d)",
                 fn, workers);
        for (int i = 0; i < EDGE_LONG; i++)
            atomic_store(&edge_cooked[i], 0);
        memset(runs, 0, sizeof(runs));
        workload_cook_known(edge_dish);
        poison(out, EDGE_N);
        t = (struct tally){.served = 12345, .failed = 678, .sum = 9};
        workload_count_runs(base, EDGE_N, runs);
        fault_arm(FAULT_CONNECT, 0, 0, 0); /* count the orders placed */
        int rc = executor(tally, jobs, EDGE_N, workers, out, &t);
        unsigned connects = fault_calls(FAULT_CONNECT);

        fault_disarm_all();
        workload_count_runs(0, 0, NULL);
        workload_cook_known(NULL); /* the test's own checks cook nothing long */
        CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc,
                     rc < 0 ? strerror(-rc) : "?");
        for (size_t i = 0; i < EDGE_N; i++) {
            const struct job *j = &jobs[i];
            unsigned ran = 1; /* an order: the connect() calls say */

            if (j->kind == JOB_COOK)
                ran = runs[j->seed - base];
            for (int l = 4; l < EDGE_LONG; l++)
                if (j->kind == JOB_MEAL && j->port != 0 && j->rounds == edge_rounds[l])
                    ran = atomic_load(&edge_cooked[l]);
            cr_assert(ran == 1,
                      "%s: jobs[%zu], %s, was run %u times by ref_job_run(), expected once: run "
                      "every job the header allows through ref_job_run(), whatever its rounds "
                      "(0, or 2^64 - 1: no count past which a job is refused) or its port (0 "
                      "too): no answer of the executor's own, no shortcut",
                      what, i, edge_name(j, name, sizeof(name)), ran);
            cr_assert(tally || (out[i].status == want[i].status && out[i].value == want[i].value),
                      "%s: out[%zu] = {value %llu, status %d} for %s, expected {value %llu, "
                      "status %d}, what ref_job_run() gives it: a job's result is its own, "
                      "whatever its rounds or port",
                      what, i, (unsigned long long)out[i].value, out[i].status,
                      edge_name(j, name, sizeof(name)), (unsigned long long)want[i].value,
                      want[i].status);
        }
        cr_assert_eq(connects, dials,
                     "%s: the kitchens were called %u times for its %u orders and meals, "
                     "expected %u: each is placed once through ref_job_run(), to port 0 too (it "
                     "is dialled and refused, -ECONNREFUSED, not refused by the executor "
                     "unasked)",
                     what, connects, dials, dials);
        if (tally)
            check_tally(what, &t, &twant);
    }
}

/* An order whose kitchen never answers fails once the client gives up on it (-ETIMEDOUT: its
 * receive timeout ran out), and is not placed again either: the kitchen may have the slip and
 * cook it twice (an examiner's, round 74: an order or meal that timed out placed once more).
 * Nor one whose connection fails another way once the order is sent (TCP gave up, ETIMEDOUT;
 * the peer unreachable; the connection aborted). A kitchen that takes the connections and
 * never answers (a listening socket nobody accepts from), every receive failing at once with
 * the error in turn (fault.h's FAULT_READ; EAGAIN, a receive timeout run out, is
 * ref_job_run()'s -ETIMEDOUT): each order and meal dialled once (the connect() calls
 * counted), each with that status. In both functions, on 2 waiters. */
static void lost_orders(bool tally)
{
    static const int errs[] = {EAGAIN, ETIMEDOUT, EHOSTUNREACH, ECONNABORTED};
    static const char kinds[] = "coomco";
    enum { N = sizeof(kinds) - 1, ERRS = sizeof(errs) / sizeof(errs[0]) };
    const char *fn = tally ? "thread_tally" : "thread_map";
    struct job jobs[N];
    struct result out[N];
    struct tally t, want;
    char what[200];
    uint16_t port;

    check_make_jobs(jobs, N, kinds, 2000);
    for (int e = 0; e < ERRS; e++) {
        int lfd = check_listen(16, &port), status = errs[e] == EAGAIN ? -ETIMEDOUT : -errs[e];
        unsigned dials = 0;

        want = (struct tally){0};
        for (size_t i = 0; i < N; i++) {
            if (jobs[i].kind == JOB_COOK) {
                want.served++;
                want.sum += check_dish(jobs[i].seed, jobs[i].rounds);
            } else {
                jobs[i].port = port;
                want.failed++;
                dials++;
            }
        }
        snprintf(what, sizeof(what),
                 "%s(2 cooks, 3 orders and a meal to a kitchen that never answers, every receive "
                 "failing with %s, workers=2)",
                 fn, strerrorname_np(errs[e]));
        poison(out, N);
        fault_arm(FAULT_CONNECT, 0, 0, 0); /* count the orders placed */
        fault_arm(FAULT_READ, 1, 0, errs[e]);
        int rc = executor(tally, jobs, N, 2, out, &t);
        unsigned connects = fault_calls(FAULT_CONNECT);

        fault_disarm_all();
        close(lfd);
        CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc,
                     rc < 0 ? strerror(-rc) : "?");
        cr_assert_eq(connects, dials,
                     "%s: the kitchen was called %u times for its %u orders and meals, expected "
                     "%u: every job runs exactly once, a failed one too, whatever its failure: an "
                     "order that timed out (%d, %s) is not placed again (the kitchen may have "
                     "its slip already)",
                     what, connects, dials, dials, status, strerror(-status));
        for (size_t i = 0; i < N && !tally; i++) {
            bool cook = jobs[i].kind == JOB_COOK;
            uint64_t v = cook ? check_dish(jobs[i].seed, jobs[i].rounds) : 0;

            cr_assert(out[i].status == (cook ? 0 : status) && out[i].value == v,
                      "%s: out[%zu] = {value %llu, status %d}, expected {value %llu, status %d}: "
                      "a failed job keeps its own status, what ref_job_run() gave it once",
                      what, i, (unsigned long long)out[i].value, out[i].status,
                      (unsigned long long)v, cook ? 0 : status);
        }
        if (tally)
            check_tally(what, &t, &want);
    }
}

Test(thread_map, failed_job, .timeout = 5)
{
    static const char kinds[] = "cxocxc";
    char label[160];
    struct job jobs[6];
    struct result out[6];
    unsigned connects;

    check_make_jobs(jobs, 6, kinds, 100000);
    /* on 2 waiters, and on 1 (an examiner's, round 71: one waiter that stopped at the first
     * failed job) */
    for (int w = 2; w >= 1; w--) {
        snprintf(label, sizeof(label),
                 "thread_map(cook, order to a closed port, order, cook, order to a closed port, "
                 "cook, workers=%d)",
                 w);
        connects = orders_placed(label, jobs, kinds, 6, out, w);
        cr_assert_eq(connects, 3,
                     "%s: the kitchens were called %u times for its 3 orders, expected 3: every "
                     "job runs exactly once, a failed one too (its status is its result: no "
                     "second try)",
                     label, connects);
    }
    /* the same order six times: six jobs, each placed (an examiner's, round 71: a waiter that
     * copied the last result for a job equal to the one it had just served) */
    for (int i = 1; i < 6; i++)
        jobs[i] = jobs[2];
    for (int w = 2; w >= 1; w--) {
        snprintf(label, sizeof(label), "thread_map(the same order 6 times, workers=%d)", w);
        connects = orders_placed(label, jobs + 1, "ooooo", 5, out, w);
        cr_assert_eq(connects, 5,
                     "%s: the kitchen was called %u times for 5 equal orders, expected 5: every "
                     "job runs exactly once, one equal to another too (a job is no cache key)",
                     label, connects);
    }
    check_make_jobs(jobs, 6, kinds, 100000);
    unknown_kinds();
    poison_kills_process();
    edge_jobs(false);
    lost_orders(false);

    /* orders a kitchen took and botched, each way: placed once too, counted by the kitchen */
    enum { NB = 12 };
    struct job bjobs[NB];
    struct result bout[NB];
    static struct botch_kitchen k; /* its thread outlives a failed assertion: never a local */
    const char *what;
    int rc;

    what = "thread_map(4 cooks, 8 orders to a kitchen that takes each and botches it: \"ERR\", "
           "a hang-up, a reply cut off, a reset, workers=3)";
    botch_kitchen_start(&k, bjobs, NB);
    poison(bout, NB);
    rc = thread_map(bjobs, NB, bout, 3);
    botch_kitchen_stop(&k);
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    botch_kitchen_check(&k, what);
    for (size_t i = 0; i < NB; i++) {
        if (bjobs[i].kind == JOB_COOK) {
            cr_assert(bout[i].status == 0 &&
                          bout[i].value == check_dish(bjobs[i].seed, bjobs[i].rounds),
                      "%s: out[%zu] = {value %llu, status %d}, expected its dish %llu, status 0",
                      what, i, (unsigned long long)bout[i].value, bout[i].status,
                      (unsigned long long)check_dish(bjobs[i].seed, bjobs[i].rounds));
        } else {
            int want = botch_status(k.mode[i]);

            cr_assert(bout[i].status == want || (k.mode[i] == BOTCH_RESET && bout[i].status < 0),
                      "%s: out[%zu].status = %d for an order whose kitchen %s, expected %d (%s): "
                      "a failed job keeps its own status",
                      what, i, bout[i].status, botch_name[k.mode[i]], want, strerror(-want));
        }
    }
}

/* ---- thread_map: every thread joined ------------------------------------------------------- */

static int count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;

    cr_assert(f, "cannot read /proc/self/maps in the test: %s", strerror(errno));
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* The threads of this process, given up to `ms` to fall back to `want`: a joined thread
 * can still be listed for a moment while the kernel finishes removing it. */
static int threads_settle(int want, int ms)
{
    int n = check_threads();

    for (int i = 0; i < ms && n > want; i++) {
        nap_ms(1);
        n = check_threads();
    }
    return n;
}

/* One call of thread_map() (tally false) or thread_tally() with n <= 64 cook jobs, counting
 * the threads it starts and its joins (pthread_join() or a _np variant): every thread it
 * started must have been joined when it returns, the 17th and the 40th as the first (a
 * version that joins only so many). A detached thread, or one the caller only waits for
 * through a counter and a condition variable, may still be running then. */
static void joins_counted(bool tally, const struct job *jobs, size_t n, int workers)
{
    struct result out[64];
    struct tally t;
    char what[96];
    unsigned started, joined;
    int rc;

    cr_assert(n <= 64, "joins_counted: at most 64 jobs (a test's bug)");
    snprintf(what, sizeof(what), "%s(%zu cook jobs, workers=%d)",
             tally ? "thread_tally" : "thread_map", n, workers);
    fault_arm(FAULT_THREAD, 0, 0, 0);
    fault_arm(FAULT_JOIN, 0, 0, 0);
    rc = tally ? thread_tally(jobs, n, workers, &t) : thread_map(jobs, n, out, workers);
    started = fault_calls(FAULT_THREAD);
    joined = fault_calls(FAULT_JOIN);
    fault_disarm_all();
    CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    cr_assert(joined >= started,
              "%s started %u threads and joined %u: pthread_join() each before returning; a "
              "detached one (or one awaited through a counter and a condvar) may still run",
              what, started, joined);
}

/* The caller waits for its waiters in pthread_join(), asleep until each one ends: 2 cook
 * jobs of 150 ms of CPU each on 2 waiters, and the test counts how often this process's
 * threads went to sleep over the call (check_wakeups(): the waiters, busy cooking, add
 * nothing, and they are gone when it is read again). A caller blocked in pthread_join()
 * sleeps about once per thread; one that naps 1 ms and looks at a counter, hundreds of
 * times (40 a second of the call, and 20 more, is the line). One that spins never sleeps:
 * caller_stays_asleep() reads its CPU time instead. */
static void caller_blocks(void)
{
    const char *what = "thread_map(2 cook jobs of 150 ms, workers=2)";
    struct job jobs[2];
    struct result out[2];
    uint64_t rounds = check_rounds_for_ms(150);
    struct check_span span;
    int rc;

    for (int i = 0; i < 2; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = rounds};
    check_span_start(&span);
    rc = thread_map(jobs, 2, out, 2);
    check_span_stop(&span);
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    check_results(&lab_map, what, jobs, NULL, out, 2);
    check_span_blocked(&span, what, "a caller in pthread_join(): about once per waiter",
                       "wait for the waiters in pthread_join(), which sleeps until each one "
                       "ends, not in a loop that naps and looks at a counter (lab2.h, handout: "
                       "never sleep to wait for your threads)");
}

static void caller_stays_asleep(void);
static void idle_waiters_leave(void);
static void idle_waiter_gone(void);
static void late_waits_still_return(void);
static void spurious_wakeups(void);

/* joins_counted() with 40 waiters, and 64 workers asked for 40 jobs: workers has no upper
 * bound, and a waiter past the 16th or 32nd is joined as the first. */
static void many_joins_counted(bool tally)
{
    struct job jobs[40];

    check_make_jobs(jobs, 40, NULL, 2000);
    joins_counted(tally, jobs, 40, 40);
    joins_counted(tally, jobs, 40, 64);
}

/* What the call made it destroys: a mutex (or condition variable) made with pthread_*_init()
 * is pthread_*_destroy()ed before the call returns (lab2.h); glibc's destroy frees nothing
 * you could see, so the runner counts them (fault_live(): inits minus destroys). A lock that
 * needs no init (PTHREAD_MUTEX_INITIALIZER on the stack) or none at all is as right. */
/* A pthread call that fails while the call makes or unmakes its locks: an attributes
 * setting (pthread_mutexattr_settype(), pthread_condattr_setclock(): EINVAL) or a destroy
 * (EBUSY), the k-th alone, k = 1, 2, 3. The call returns that error negated whenever one
 * failed (lab2.h: "A failed pthread call is an error of the executor"), 0 when none did (a
 * design that makes no such call); and after a failed setting, what it had made is destroyed
 * all the same: the attributes object too (an examiner's, round 71: both). */
static void lock_calls_fail(bool tally)
{
    static const struct {
        enum fault_call kind;
        int err;
        const char *call;
    } fails[] = {{FAULT_ATTR_SET, EINVAL, "an attributes setting (pthread_mutexattr_settype())"},
                 {FAULT_DESTROY, EBUSY, "a destroy (pthread_mutex_destroy())"}};
    enum { N = 6, W = 3 };
    struct job jobs[N];
    struct result out[N];
    struct tally t;
    const char *fn = tally ? "thread_tally" : "thread_map";

    check_make_jobs(jobs, N, NULL, 2000);
    for (size_t f = 0; f < sizeof(fails) / sizeof(fails[0]); f++)
        for (unsigned k = 1; k <= 3; k++) {
            long m0 = fault_live(FAULT_MUTEX_INIT), c0 = fault_live(FAULT_COND_INIT);
            long a0 = fault_live(FAULT_ATTR_INIT);

            fault_arm(fails[f].kind, k, 1, fails[f].err);
            int rc = tally ? thread_tally(jobs, N, W, &t) : thread_map(jobs, N, out, W);
            unsigned failed = fault_failed(fails[f].kind);
            fault_disarm_all();
            CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
            cr_assert_eq(rc, failed ? -fails[f].err : 0,
                         "%s(%d cook jobs, workers=%d) with %s number %u failing (%s): it "
                         "returned %d, expected %d: %s",
                         fn, N, W, fails[f].call, k,
                         failed ? strerrorname_np(fails[f].err)
                                : "no "
                                  "such call made",
                         rc, failed ? -fails[f].err : 0,
                         failed ? "a failed pthread call is an error of the executor: return "
                                  "its error number, negated, whichever call it was"
                                : "nothing failed");
            if (fails[f].kind == FAULT_ATTR_SET)
                cr_assert(fault_live(FAULT_ATTR_INIT) <= a0 && fault_live(FAULT_MUTEX_INIT) <= m0 &&
                              fault_live(FAULT_COND_INIT) <= c0,
                          "%s(%d cook jobs, workers=%d) with %s number %u failing left %ld "
                          "attributes object(s), %ld mutex(es), %ld condition variable(s) made "
                          "and never destroyed: on the way out of a failure too, destroy what "
                          "the call made (lab2.h: \"when it fails too\")",
                          fn, N, W, fails[f].call, k, fault_live(FAULT_ATTR_INIT) - a0,
                          fault_live(FAULT_MUTEX_INIT) - m0, fault_live(FAULT_COND_INIT) - c0);
        }
}

static void locks_destroyed(bool tally)
{
    enum { N = 6, W = 3, CALLS = 4 };
    struct job jobs[N];
    struct result out[N];
    struct tally t;
    const char *fn = tally ? "thread_tally" : "thread_map";
    long m0 = fault_live(FAULT_MUTEX_INIT), c0 = fault_live(FAULT_COND_INIT);
    long a0 = fault_live(FAULT_ATTR_INIT);

    check_make_jobs(jobs, N, NULL, 2000);
    for (int c = 0; c < CALLS; c++) {
        int rc = tally ? thread_tally(jobs, N, W, &t) : thread_map(jobs, N, out, W);

        CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(rc, 0, "%s(%d cook jobs, workers=%d) returned %d, expected 0", fn, N, W, rc);
    }
    cr_assert(fault_live(FAULT_MUTEX_INIT) <= m0 && fault_live(FAULT_COND_INIT) <= c0,
              "%s(%d cook jobs, workers=%d) called %d times left %ld mutex(es) and %ld condition "
              "variable(s) made with pthread_mutex_init()/pthread_cond_init() and never "
              "destroyed: pthread_mutex_destroy() (pthread_cond_destroy()) what the call made "
              "before it returns",
              fn, N, W, CALLS, fault_live(FAULT_MUTEX_INIT) - m0, fault_live(FAULT_COND_INIT) - c0);
    /* and the attributes object a lock was made with (an error-checking mutex): its settings
     * were copied into the mutex, but it is an object made with pthread_*_init() all the same,
     * which another C library may allocate for (an examiner's, round 69) */
    cr_assert(fault_live(FAULT_ATTR_INIT) <= a0,
              "%s(%d cook jobs, workers=%d) called %d times left %ld attributes object(s) made "
              "with pthread_mutexattr_init() (or pthread_condattr_init()) and never destroyed: "
              "pthread_mutexattr_destroy() it once the mutex is made (lab2.h)",
              fn, N, W, CALLS, fault_live(FAULT_ATTR_INIT) - a0);
    /* every way out, the one for a call with no jobs too */
    for (int c = 0; c < CALLS; c++) {
        int rc = tally ? thread_tally(jobs, 0, W, &t) : thread_map(jobs, 0, out, W);

        CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(rc, 0, "%s(no jobs, workers=%d) returned %d, expected 0", fn, W, rc);
    }
    cr_assert(fault_live(FAULT_MUTEX_INIT) <= m0 && fault_live(FAULT_COND_INIT) <= c0,
              "%s(n=0, workers=%d) called %d times left %ld mutex(es) and %ld condition "
              "variable(s) made with pthread_mutex_init()/pthread_cond_init() and never "
              "destroyed: a call with no jobs returns early, and that way out must destroy what "
              "the call made too (or make nothing before it)",
              fn, W, CALLS, fault_live(FAULT_MUTEX_INIT) - m0, fault_live(FAULT_COND_INIT) - c0);
    lock_calls_fail(tally);
}

Test(thread_map, joins_threads, .timeout = 8)
{
    enum { N = 4, W = 4, CALLS = 40 };
    struct job jobs[N];
    struct result out[N];
    char what[96];
    int threads = check_threads(), maps, n;
    size_t heap;
    long kept;

    check_make_jobs(jobs, N, NULL, 20000);
    map_ok("4 cook jobs, a first call", jobs, N, out, W); /* thread stacks get cached */
    threads_settle(threads, 1000);
    maps = count_maps();
    heap = check_heap_in_use();
    for (int c = 1; c <= CALLS; c++) {
        snprintf(what, sizeof(what), "thread_map(4 cook jobs, workers=4), call %d of %d", c, CALLS);
        map_ok(what, jobs, N, out, W);
        n = threads_settle(threads, 1000);
        cr_assert(n <= threads,
                  "%s: %d threads before the call, %d still there 1 s after it returned: "
                  "every thread must be joined before thread_map() returns",
                  what, threads, n);
    }
    n = count_maps() - maps;
    cr_assert(n <= 24,
              "thread_map(4 cook jobs, workers=4) called %d times: this process gained %d memory "
              "mappings (2 per thread stack): a thread that ends without being joined keeps its "
              "stack for ever: pthread_join() every thread you started",
              CALLS, n);
    /* the smallest block malloc() gives is 32 bytes: 40 calls that each keep one keep 1,280 */
    kept = (long)check_heap_in_use() - (long)heap;
    cr_assert(kept < 1024,
              "thread_map(4 cook jobs, workers=4) called %d times: %ld more bytes of the heap in "
              "use than after the first call: free what the call allocated (the thread ids, "
              "the shared state) before it returns",
              CALLS, kept);
    check_results(&lab_map, "thread_map(4 cook jobs, workers=4), last call", jobs, NULL, out, N);
    joins_counted(false, jobs, N, W);
    joins_counted(false, jobs, 3, 8);
    joins_counted(false, jobs, 1, 2);
    many_joins_counted(false);
    caller_blocks();
    caller_stays_asleep();
    idle_waiters_leave();
    locks_destroyed(false);
    late_waits_still_return();
}

/* ---- thread_map: the waits overlap --------------------------------------------------------- */

/*
 * A kitchen run by a thread of the test that counts how many orders wait at once. It holds
 * the orders until `want` of them are waiting (or it has waited `patience` ms for that once,
 * after which it answers at once), waits `hold` ms more to see whether more come, then
 * answers them all. It never asserts; the test's main thread checks what it saw.
 */
struct counting_kitchen {
    int lfd;
    uint16_t port;
    int want, patience, hold;
    int max_waiting; /* the most orders held at once */
    int answered;
    atomic_int stop;
    pthread_t tid;
};

enum { CK_MAX = 32 };

struct held {
    int fd;
    size_t len;
    char line[KITCHEN_LINE_MAX];
};

static void ck_answer(struct held *h)
{
    char reply[KITCHEN_LINE_MAX];
    unsigned long long item = strtoull(h->line, NULL, 10);
    int len = snprintf(reply, sizeof(reply), "%llu\n", (unsigned long long)check_fake_reply(item));

    (void)send(h->fd, reply, (size_t)len, MSG_NOSIGNAL);
    close(h->fd);
}

/* Read what the order's client sent; 1 once its line is whole, -1 if it hung up. */
static int ck_read(struct held *h)
{
    ssize_t r = recv(h->fd, h->line + h->len, sizeof(h->line) - 1 - h->len, MSG_DONTWAIT);

    if (r <= 0)
        return r == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
    h->len += (size_t)r;
    h->line[h->len] = '\0';
    return memchr(h->line, '\n', h->len) || h->len == sizeof(h->line) - 1;
}

static void *ck_run(void *arg)
{
    struct counting_kitchen *k = arg;
    struct held held[CK_MAX];
    int n = 0, ready = 0, gave_up = 0;
    double first = 0, full = 0;

    while (!atomic_load(&k->stop)) {
        struct pollfd p[CK_MAX + 1] = {{.fd = k->lfd, .events = POLLIN}};

        for (int i = 0; i < n; i++)
            p[i + 1] = (struct pollfd){.fd = held[i].fd, .events = POLLIN};
        poll(p, (nfds_t)n + 1, 5);
        if ((p[0].revents & POLLIN) && n < CK_MAX) {
            int fd = accept(k->lfd, NULL, NULL);

            if (fd >= 0) {
                held[n++] = (struct held){.fd = fd};
                if (n > k->max_waiting)
                    k->max_waiting = n;
                if (n == 1)
                    first = check_now();
            }
        }
        ready = 0;
        for (int i = 0; i < n; i++) {
            int r = held[i].len && memchr(held[i].line, '\n', held[i].len) ? 1 : ck_read(&held[i]);

            if (r < 0) { /* the client hung up: forget it */
                close(held[i].fd);
                held[i--] = held[--n];
                continue;
            }
            ready += r;
        }
        if (ready >= k->want && full == 0)
            full = check_now();
        if (!gave_up && n > 0 && full == 0 && check_now() - first > k->patience / 1000.0)
            gave_up = 1;
        if (ready == 0 || !(gave_up || (full > 0 && check_now() - full >= k->hold / 1000.0)))
            continue;
        for (int i = 0; i < n; i++) { /* answer every whole order; keep the others */
            if (memchr(held[i].line, '\n', held[i].len)) {
                ck_answer(&held[i]);
                k->answered++;
                held[i--] = held[--n];
            }
        }
        full = 0;
        first = check_now();
    }
    for (int i = 0; i < n; i++)
        close(held[i].fd);
    return NULL;
}

/* The kitchen started, holding a full set of orders `hold` ms. */
static void ck_start_held(struct counting_kitchen *k, int want, int patience, int hold)
{
    memset(k, 0, sizeof(*k));
    k->want = want;
    k->patience = patience;
    k->hold = hold;
    k->lfd = check_listen(64, &k->port);
    cr_assert_eq(pthread_create(&k->tid, NULL, ck_run, k), 0, "pthread_create failed in the test");
}

static void ck_start(struct counting_kitchen *k, int want, int patience)
{
    ck_start_held(k, want, patience, 40);
}

static void ck_stop(struct counting_kitchen *k)
{
    atomic_store(&k->stop, 1);
    pthread_join(k->tid, NULL);
    close(k->lfd);
}

/* The calling thread's own CPU time, in seconds. */
static double caller_cpu(void)
{
    struct timespec ts;

    cr_assert_eq(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0,
                 "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed in the test");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A caller asleep in pthread_join() uses no CPU while its waiters wait; one that spins on a
 * counter (or a flag) until they are done never sleeps, so caller_blocks() sees nothing, but
 * it burns CPU whenever it is scheduled. 2 orders on 2 waiters, which the kitchen holds until
 * both wait, then 200 ms more: nobody needs the CPU meanwhile (a caller that is a waiter too
 * waits for its own order, asleep in recv()), and the caller's own CPU over the call
 * (CLOCK_THREAD_CPUTIME_ID) must stay under 20 ms. A sleeper uses some tens of microseconds to
 * start and join its waiters; a spinner all the CPU it is given over those 200 ms (all of it on
 * a quiet machine, its share of two cores on a busy one). */
/* Whatever the waiters wait for under a condition variable (a start gate, work, the end),
 * the change they wait for is made under its mutex: a waiter that looked and is about to
 * wait holds the mutex until its wait begins, so a change made under it comes after that
 * wait began and wakes it. Every condition wait of the call made 50 ms late, the mutex held
 * (FAULT_WAIT_LATE: a waiter preempted between its look and its wait): the call returns
 * within 3 s. An examiner's start gate was opened with an atomic store and a broadcast
 * without the mutex (round 69): a waiter slept through it, and the join never returned (when
 * a waiter looked at the gate before the caller opened it: not every run). A version with no
 * condition variable is not touched by it. */
struct late_call {
    struct job jobs[6];
    struct result out[6];
    int rc;
    atomic_int over;
};

static void *late_call_run(void *arg)
{
    struct late_call *c = arg;

    c->rc = thread_map(c->jobs, 6, c->out, 3);
    atomic_store(&c->over, 1);
    return NULL;
}

/* Spurious wakeups, which POSIX allows of any condition wait: the first 3 waits return at
 * once, with nothing signalled (FAULT_SPURIOUS), and the caller is slow after each
 * pthread_create() (FAULT_CREATE_NAP, 50 ms), so that each waiter is at its first wait (a
 * start gate not yet open, say) before the caller goes on. A waiter that looks at what it
 * waits for again (while, not if) waits again; one that takes the wakeup for its condition
 * runs on with no gate open, no job to take (an examiner's, round 71: a gate written
 * `if (!open) pthread_cond_wait(...)`): on 1 and on 2 waiters, each job must run. */
static void spurious_wakeups(void)
{
    struct job jobs[4];
    struct result out[4];
    char what[120];

    check_make_jobs(jobs, 4, "coco", 2000);
    for (int w = 1; w <= 2; w++) {
        snprintf(what, sizeof(what),
                 "thread_map(4 jobs, workers=%d), the first 3 condition waits waking at once "
                 "(spurious wakeups) and the caller slow after each pthread_create()",
                 w);
        poison(out, 4);
        fault_arm(FAULT_COND_WAIT, 1, 3, FAULT_SPURIOUS);
        fault_arm(FAULT_THREAD, 1, 0, FAULT_CREATE_NAP);
        int rc = thread_map(jobs, 4, out, w);
        fault_disarm_all();
        cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc,
                     rc < 0 ? strerror(-rc) : "?");
        check_results(&lab_map, what, jobs, "coco", out, 4);
    }
}

/* The wall clock set back an hour (CLOCK_REALTIME, as the code reads it, 3600 s early: an
 * administrator, NTP), and the caller slow after each pthread_create() (FAULT_CREATE_NAP,
 * 50 ms): every job still runs, in both functions. A waiter that waits at a start gate with a
 * deadline read from CLOCK_REALTIME finds it passed at once, and one that takes a passed
 * deadline for "the caller has died" goes home before the gate opens (an examiner's, round
 * 72: no job run, and 0 returned). Nothing here needs a timed wait; if you keep one, take its
 * deadline from CLOCK_MONOTONIC and never leave work undone when it passes. */
static void clock_set_back(void)
{
    struct job jobs[3];
    struct result out[3];
    struct tally t, want;
    char what[160];

    check_make_jobs(jobs, 3, NULL, 2000);
    tally_want(jobs, 3, NULL, &want);
    for (int which = 0; which < 2; which++) {
        snprintf(what, sizeof(what),
                 "%s(3 cook jobs, workers=2), the wall clock set back an hour and the caller "
                 "50 ms slow after each pthread_create()",
                 which ? "thread_tally" : "thread_map");
        poison(out, 3);
        t = (struct tally){.served = 12345, .failed = 678, .sum = 9};
        fault_clock_shift(-3600);
        fault_arm(FAULT_THREAD, 1, 0, FAULT_CREATE_NAP);
        int rc = executor(which, jobs, 3, 2, out, &t);
        fault_disarm_all();
        fault_clock_shift(0);
        cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc,
                     rc < 0 ? strerror(-rc) : "?");
        if (which)
            check_tally(what, &t, &want);
        else
            check_results(&lab_map, what, jobs, NULL, out, 3);
    }
}

/* A program that calls the executor may handle signals (a profiler's SIGPROF, a timer's
 * SIGALRM, SIGCHLD), its handler installed with sigaction() and no flags: no SA_RESTART, so a
 * wait a handled signal interrupts fails with EINTR (sem_wait() and some others fail so
 * whatever the flags). A handled signal is no reason for a job not to run (an examiner's,
 * round 74: waiters at a start gate, a semaphore, took a failed sem_wait() for "service called
 * off" and went home: with one waiter no job ran, and 0 came back). SIGUSR1, with a handler
 * that does nothing, is sent every millisecond to every thread the call started (those not
 * there before it), the caller 20 ms slow after each pthread_create() (FAULT_CREATE_NAP) so
 * that each waiter meets signals wherever it waits; 1 and 3 waiters, in both functions:
 * every result right. */
static atomic_int sig_sending, sig_handled;
static pid_t sig_before[256]; /* the threads there before the call */
static int sig_nbefore;

static void sig_count(int sig)
{
    (void)sig;
    atomic_fetch_add(&sig_handled, 1);
}

static int task_ids(pid_t *ids, int most)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    cr_assert(d, "cannot read /proc/self/task in the test: %s", strerror(errno));
    while ((e = readdir(d)) && n < most)
        if (e->d_name[0] != '.')
            ids[n++] = (pid_t)atoi(e->d_name);
    closedir(d);
    return n;
}

static void *sig_sender(void *arg)
{
    pid_t me = (pid_t)syscall(SYS_gettid), ids[256];

    (void)arg;
    while (atomic_load(&sig_sending)) {
        int n = task_ids(ids, 256);

        for (int i = 0; i < n; i++) {
            bool old = ids[i] == me;

            for (int j = 0; j < sig_nbefore && !old; j++)
                old = ids[i] == sig_before[j];
            if (!old)
                syscall(SYS_tgkill, getpid(), ids[i], SIGUSR1);
        }
        nap_ms(1);
    }
    return NULL;
}

static void signals_handled(void)
{
    static const char kinds[] = "cocc";
    enum { N = sizeof(kinds) - 1 };
    struct sigaction sa = {.sa_handler = sig_count}, old; /* sa_flags 0: no SA_RESTART */
    struct job jobs[N];
    struct result out[N];
    struct tally t, want;
    char what[200];
    pthread_t sender;

    check_make_jobs(jobs, N, kinds, 2000);
    tally_want(jobs, N, kinds, &want);
    cr_assert_eq(sigaction(SIGUSR1, &sa, &old), 0, "sigaction() failed in the test");
    for (int which = 0; which < 2; which++) {
        for (int workers = 1; workers <= 3; workers += 2) {
            snprintf(what, sizeof(what),
                     "%s(cook, order, cook, cook; workers=%d), SIGUSR1 handled (no SA_RESTART) "
                     "and sent to its threads every ms, the caller 20 ms slow after each "
                     "pthread_create()",
                     which ? "thread_tally" : "thread_map", workers);
            poison(out, N);
            t = (struct tally){.served = 12345, .failed = 678, .sum = 9};
            sig_nbefore = task_ids(sig_before, 256);
            atomic_store(&sig_handled, 0);
            atomic_store(&sig_sending, 1);
            cr_assert_eq(pthread_create(&sender, NULL, sig_sender, NULL), 0,
                         "pthread_create failed in the test");
            fault_arm(FAULT_THREAD, 1, 0, FAULT_CREATE_NAP);
            fault_create_nap_ms(20);
            int rc = executor(which, jobs, N, workers, out, &t);

            fault_disarm_all();
            atomic_store(&sig_sending, 0);
            pthread_join(sender, NULL);
            CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
            cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc,
                         rc < 0 ? strerror(-rc) : "?");
            for (size_t i = 0; i < N; i++)
                cr_assert(which ? t.served + t.failed == N : out[i].status != 77,
                          "%s: %s (%d signals handled meanwhile): a waiter went home with tables "
                          "left. A wait that a handled signal cuts short (EINTR: sem_wait(), a "
                          "read) is no end of the service: wait again",
                          what,
                          which ? "*t counts fewer jobs than ran"
                                : "a job was never run, its out[] slot as the test left it",
                          atomic_load(&sig_handled));
            if (which)
                check_tally(what, &t, &want);
            else
                check_results(&lab_map, what, jobs, kinds, out, N);
        }
    }
    sigaction(SIGUSR1, &old, NULL);
}

static void late_waits_still_return(void)
{
    static struct job jobs[6];
    static struct result out[6];
    static struct check_call c; /* a call that never returns keeps using them */

    check_make_jobs(jobs, 6, NULL, 2000);
    c = (struct check_call){.f = thread_map, .jobs = jobs, .n = 6, .out = out, .workers = 3};
    fault_arm(FAULT_COND_WAIT, 1, 0, FAULT_WAIT_LATE);
    /* and the caller 20 ms slow after each pthread_create(): each waiter is still in its 50 ms
     * between its look at a start gate and its wait when the caller goes on to open it */
    fault_arm(FAULT_THREAD, 1, 0, FAULT_CREATE_NAP);
    fault_create_nap_ms(20);
    bool over = check_call_within(&c, 3);

    fault_disarm_all();
    cr_assert(over,
              "thread_map(6 cook jobs, workers=3), every condition wait made 50 ms late (the "
              "mutex held, as a waiter preempted between its look and its wait) and the caller "
              "20 ms slow after each pthread_create(): the call had not returned after 3 s. Change "
              "what the waiters wait for (a gate, the next job, "
              "the end) under the mutex their condition variable goes with: a change made "
              "without it (an atomic store and a broadcast) lands in that gap, and the waiter "
              "sleeps through it" CHECK_NOT_TIMING);
    pthread_join(c.tid, NULL);
    cr_assert_eq(c.rc, 0, "thread_map(6 cook jobs, workers=3, waits late) returned %d", c.rc);
    check_results(&lab_map, "thread_map(6 cook jobs, workers=3, every condition wait late)", jobs,
                  NULL, out, 6);
    spurious_wakeups();
    clock_set_back();
    signals_handled();
}

/* caller_stays_asleep() on `orders` orders and 2 waiters: 2, then 4 (the kitchen holds each
 * pair 200 ms): with more orders than waiters, tables are still to be handed out while the
 * first pair waits, and a caller that stays awake (spins, yields) until every table is taken
 * before it joins burns a core meanwhile (an examiner's, round 72). */
static void caller_asleep_on(int orders)
{
    struct counting_kitchen k;
    struct job jobs[4];
    struct result out[4];
    char what[96];
    double own;
    int rc;

    snprintf(what, sizeof(what), "thread_map(%d orders the kitchen holds 200 ms a pair, workers=2)",
             orders);
    ck_start_held(&k, 2, 1000, 200);
    for (int i = 0; i < orders; i++)
        jobs[i] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port};
    poison(out, (size_t)orders);
    own = caller_cpu();
    rc = thread_map(jobs, (size_t)orders, out, 2);
    own = caller_cpu() - own;
    ck_stop(&k);
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    check_results(&lab_map, what, jobs, NULL, out, (size_t)orders);
    cr_assert(own < 0.020,
              "%s: the caller's thread used %.1f ms of CPU while its waiters waited for the "
              "kitchen: a caller asleep in pthread_join() uses next to none; one that spins on "
              "a counter (or a flag, or the tables still to hand out) burns a core whenever it "
              "runs. Start the waiters, then wait for them in pthread_join() at once (lab2.h)",
              what, own * 1e3);
}

static void caller_stays_asleep(void)
{
    caller_asleep_on(2);
    caller_asleep_on(4);
}

/* The process's CPU time (every thread's), in seconds. */
static double process_cpu(void)
{
    struct rusage r;

    cr_assert_eq(getrusage(RUSAGE_SELF, &r), 0, "getrusage() failed in the test");
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/* ... and it leaves at once, not when the others do: an order the kitchen holds 1 s and a
 * short cook job on 2 waiters, the call made on a thread of the test's own. Once the order is
 * at the kitchen, the cook's waiter has nothing left: within the next 800 ms the process has
 * at most 2 threads more than before the call (the test's thread and the order's waiter). An
 * examiner's crew waited for each other on a condition variable and left together (round
 * 72): every waiter stayed until the last table was done. */
static void idle_waiter_gone(void)
{
    static struct counting_kitchen k; /* its thread outlives a failed assertion */
    static struct job jobs[2];
    static struct result out[2];
    static struct check_call c;
    struct timespec nap = {.tv_nsec = 2000000};
    int base, least = INT_MAX;

    ck_start_held(&k, 1, 2000, 1000);
    jobs[0] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port};
    jobs[1] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 2000};
    c = (struct check_call){.f = thread_map, .jobs = jobs, .n = 2, .out = out, .workers = 2};
    base = check_threads();
    check_call_within(&c, 0); /* started: the test watches it */
    for (double give_up = check_now() + 2;
         check_now() < give_up && __atomic_load_n(&k.max_waiting, __ATOMIC_RELAXED) < 1;)
        nanosleep(&nap, NULL);
    for (double until = check_now() + 0.8; check_now() < until && !atomic_load(&c.over);) {
        int now = check_threads();

        least = now < least ? now : least;
        if (least <= base + 2)
            break;
        nanosleep(&nap, NULL);
    }
    bool over = atomic_load(&c.over);
    pthread_join(c.tid, NULL);
    ck_stop(&k);
    CHECK_IMPL(c.rc, "thread_map()", "threads.c");
    cr_assert(over || least <= base + 2,
              "thread_map(an order the kitchen holds 1 s and a short cook job, workers=2): once "
              "the order was at the kitchen, the process still had %d threads more than before "
              "the call for 800 ms (the test's thread, the order's waiter, and a waiter with "
              "nothing left to do): a waiter that finds no job left returns at once, to be "
              "joined; it does not wait for the others to finish",
              least - base);
}

/* A waiter that finds no job left is done: it returns (and is joined), it does not stay to
 * look for more. An order the kitchen holds 300 ms and a short cook job, on 2 waiters: one
 * waits for the kitchen asleep in recv(), the other cooks and has nothing left to do. The
 * whole process's CPU over the call, less the caller's own (caller_stays_asleep() judges that)
 * must stay under 50 ms: the cook job takes well under 1 ms and the test's kitchen, polling
 * every 5 ms, about 1; a waiter that spins (sched_yield()) until every result is in burns the
 * CPU it is given over those 300 ms, all of a core on a quiet machine. */
static void idle_waiters_leave(void)
{
    const char *what = "thread_map(an order the kitchen holds 300 ms and a short cook job, "
                       "workers=2)";
    struct counting_kitchen k;
    struct job jobs[2];
    struct result out[2];
    double all, own;
    int rc;

    ck_start_held(&k, 1, 1000, 300);
    jobs[0] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port};
    jobs[1] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 2000};
    poison(out, 2);
    all = process_cpu();
    own = caller_cpu();
    rc = thread_map(jobs, 2, out, 2);
    own = caller_cpu() - own;
    all = process_cpu() - all;
    ck_stop(&k);
    idle_waiter_gone();
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    check_results(&lab_map, what, jobs, NULL, out, 2);
    cr_assert(all - own < 0.050,
              "%s: its waiters used %.1f ms of CPU while the kitchen held the order: a waiter "
              "that finds no job left returns (to be joined); one that stays and spins (or "
              "yields) until every result is in burns a core meanwhile",
              what, (all - own) * 1e3);
}

/* Jobs of these kinds ('o' an order to a counting kitchen that waits for `want` orders, at
 * most `patience` ms; 'm' a meal, its order to that kitchen; 'c' a short cook job), then `more`
 * cook jobs of a few rounds each, with `workers` waiters; returns the most orders the kitchen held
 * at once. */
static int orders_at_once(const char *kinds, size_t more, int workers, int want, int patience)
{
    size_t head = strlen(kinds), n = head + more;
    struct job *jobs = calloc(n, sizeof(*jobs));
    struct result *out = calloc(n, sizeof(*out));
    struct counting_kitchen k;
    char what[120];
    int rc;

    cr_assert(jobs && out, "the test's own calloc() failed");
    ck_start(&k, want, patience);
    for (size_t i = 0; i < n; i++)
        jobs[i] = i >= head ? (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 50}
                  : kinds[i] == 'o'
                      ? (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port}
                  : kinds[i] == 'm' /* a meal: its order to the kitchen, then its cooking */
                      ? (struct job){.kind = JOB_MEAL,
                                     .seed = check_rand(),
                                     .port = k.port,
                                     .rounds = 1000}
                      : (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 20000};
    poison(out, n);
    rc = thread_map(jobs, n, out, workers);
    ck_stop(&k);
    CHECK_IMPL(rc, "thread_map()", "threads.c");
    if (more)
        snprintf(what, sizeof(what), "thread_map(%s and %zu cook jobs of 50 rounds, workers=%d)",
                 kinds, more, workers);
    else
        snprintf(what, sizeof(what), "thread_map(%s, workers=%d)", kinds, workers);
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    if (!strchr(kinds, 'm'))
        check_results(&lab_map, what, jobs, NULL, out, n);
    else /* a meal's dish is its reply cooked: the kitchen, closed now, is asked no more */
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(out[i].status, 0, "%s: out[%zu].status = %d, expected 0", what, i,
                         out[i].status);
    free(out);
    free(jobs);
    return k.max_waiting;
}

/* Cook jobs of about `ms` milliseconds each (timed on this machine). */
static void long_jobs(struct job *jobs, size_t n, int ms)
{
    uint64_t dish, rounds = 1u << 20;
    double t0 = check_now();

    ref_cook(1, rounds, &dish);
    rounds = (uint64_t)((double)rounds * (ms / 1000.0) / (check_now() - t0 + 1e-9)) + 1;
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = rounds};
}

/* The error a failed pthread_create() returns in a test: those it can return (out of threads,
 * attributes refused, a scheduling policy not permitted) in turn, from one the run's seed
 * draws: every 3 calls use all three, so a call must return exactly the error it got, negated,
 * not one it assumes (-EAGAIN for any). */
static int create_error(void)
{
    static const int errs[] = {EAGAIN, EPERM, EINVAL};
    static unsigned turn;

    return check_error_in_turn(errs, 3, &turn);
}

/* The mutexes and condition variables made with pthread_*_init() and not destroyed (the
 * runner counts them: fault_live()), taken before a run of failing calls, then checked after
 * it: a lock the call made is destroyed when it fails too (lab2.h), whatever failed (a
 * pthread_create(), a pthread_join(), an allocation). A version that makes none (locks by
 * PTHREAD_MUTEX_INITIALIZER, or atomics) leaves the counts as they were. */
struct live_locks {
    long mutexes, conds;
};

static struct live_locks live_locks(void)
{
    return (struct live_locks){fault_live(FAULT_MUTEX_INIT), fault_live(FAULT_COND_INIT)};
}

static void check_locks_kept(const struct live_locks *before, const char *what, int calls)
{
    struct live_locks now = live_locks();

    cr_assert(now.mutexes <= before->mutexes && now.conds <= before->conds,
              "%s, called %d times: %ld mutex(es) and %ld condition variable(s) made with "
              "pthread_mutex_init()/pthread_cond_init() and never destroyed: a call that fails "
              "destroys the locks it made too (pthread_mutex_destroy(), pthread_cond_destroy()) "
              "before it returns, on every path out of the call",
              what, calls, now.mutexes - before->mutexes, now.conds - before->conds);
}

/* A failed call frees what it allocated too: after a first call, 16 calls of each function
 * whose first (no waiter started yet) or second pthread_create() fails, on n jobs cut short to
 * a few rounds and `workers` waiters, must leave the heap as it was (a block kept by each call
 * is 16 blocks of at least 32 bytes, 512 in all), and destroy every lock they made. Run on 3
 * jobs and 3 waiters (the first and the second create failing: kmax 2), and on a crew of 1000
 * (the first failing, kmax 1: its table of thread ids, wherever it lies, freed on that path
 * too: a table kept on the stack for small crews only, and freed only on success, is no
 * excuse). */
static void heap_after_failed_creates(const struct job *jobs, size_t n, int workers, int kmax)
{
    enum { CALLS = 16 };
    static const char *const nth[] = {"", "first", "second"};
    struct job *quick = malloc(n * sizeof(*quick));
    struct result *out = malloc(n * sizeof(*out));
    struct tally t;
    char what[128];
    size_t heap;
    long kept;
    int err = create_error();

    cr_assert(quick && out);
    for (size_t i = 0; i < n; i++)
        quick[i] = (struct job){
            .kind = JOB_COOK, .seed = jobs[i % 3].seed + i, .rounds = n > 3 ? 10 : 1000};
    for (int k = 1; k <= kmax; k++) {
        for (int which = 0; which < 2; which++) {
            snprintf(what, sizeof(what),
                     "%s(%zu cook jobs, workers=%d), with the %s "
                     "pthread_create() failing with %s",
                     which ? "thread_tally" : "thread_map", n, workers, nth[k],
                     strerrorname_np(err));
            struct live_locks locks = live_locks();

            heap = 0;
            for (int c = 0; c <= CALLS; c++) { /* call 0 warms up: what a first call sets up */
                if (c == 1)
                    heap = check_heap_in_use();
                unsigned stale = fault_joins_of_failed();

                fault_arm(FAULT_THREAD, (unsigned)k, 1, err);
                int rc = executor(which, quick, n, workers, out, &t);
                /* a call that runs a waiter on its own thread too starts one thread fewer
                 * (still at most `workers` at work): judged by whether its k-th call happened */
                bool failed = fault_failed(FAULT_THREAD) > 0;
                unsigned creates = fault_calls(FAULT_THREAD);

                fault_disarm_all();
                CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
                cr_assert_eq(rc, failed ? -err : 0, "%s returned %d (%s), expected %s", what, rc,
                             rc < 0 ? strerror(-rc) : "no error",
                             failed ? "minus the error of the pthread_create() that failed"
                                    : "0 (no pthread_create() failed)");
                cr_assert(!failed || creates == (unsigned)k,
                          "%s went on and called pthread_create() %u times in all: once one "
                          "fails, stop starting threads (break out of the start loop), keep its "
                          "error, join those started",
                          what, creates);
                cr_assert(fault_joins_of_failed() == stale,
                          "%s joined the handle of the pthread_create() that failed: a failed "
                          "create starts no thread and leaves its pthread_t undefined (a freed "
                          "thread's, zero, anything); count the threads started and join those "
                          "alone",
                          what);
            }
            kept = (long)check_heap_in_use() - (long)heap;
            cr_assert(kept < 256,
                      "%s, called %d times: %ld more bytes of the heap in use after the calls "
                      "than before: a call that fails frees what it allocated too (the thread "
                      "ids, the shared state) before it returns, on every path (no waiter "
                      "started yet included), whatever the size of the crew",
                      what, CALLS, kept);
            check_locks_kept(&locks, what, CALLS + 1);
        }
    }
    free(quick);
    free(out);
}

/* The bytes of the heap a failing call keeps: CALLS calls of thread_map() (which = 0) or
 * thread_tally() (1) on n quick cook jobs (a few rounds each) and `workers` waiters, each
 * with the fault arm(k) sets up and every fault off after, once a first such call has
 * warmed the allocator's caches (the solutions keep 0 bytes; a call that keeps its thread
 * ids, 32 bytes or more, keeps 512 or more). Each call must return ok (or, with ok0, 0:
 * then its results must be right). No lock made by the calls may be left undestroyed
 * (check_locks_kept()). */
enum { HEAP_CALLS = 16 };

static long heap_kept_by(int which, void (*arm)(unsigned), unsigned k, const struct job *jobs,
                         size_t n, int workers, const char *what, int ok, bool ok0)
{
    struct job quick[8];
    struct result out[8];
    struct tally t, want;
    size_t heap = 0;
    struct live_locks locks = live_locks();

    cr_assert(n <= 8);
    for (size_t i = 0; i < n; i++)
        quick[i] = (struct job){.kind = JOB_COOK, .seed = jobs[i].seed, .rounds = 1000};
    tally_want(quick, n, NULL, &want);
    for (int c = 0; c <= HEAP_CALLS; c++) { /* call 0 warms up: what a first call sets up */
        if (c == 1)
            heap = check_heap_in_use();
        /* a call that returns 0 must have run every job: out[] and *t hold nothing from an
         * earlier call to pass on (an examiner's, round 72: a lone waiter that went home
         * when its malloc() failed, and 0 returned) */
        poison(out, n);
        t = (struct tally){.served = 12345, .failed = 678, .sum = 9};
        arm(k);
        int rc = executor(which, quick, n, workers, out, &t);

        fault_disarm_all();
        CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert(rc == ok || (ok0 && rc == 0), "%s returned %d (%s), expected %d (%s)%s", what, rc,
                  rc < 0 ? strerror(-rc) : "no error", ok, strerror(-ok),
                  ok0 ? " or 0 with every result right" : "");
        if (rc == 0 && !which)
            check_results(&lab_map, what, quick, NULL, out, n);
        if (rc == 0 && which)
            check_tally(what, &t, &want);
    }
    check_locks_kept(&locks, what, HEAP_CALLS + 1);
    return (long)check_heap_in_use() - (long)heap;
}

/* A pthread_create() that fails late in the crew is a failure like the first: EAGAIN once
 * many waiters have started is no "thread limit reached, the crew we have will serve every
 * table" (an examiner's, round 74: -EAGAIN ignored once 4 waiters had started, and 0
 * returned). A crew of 5 to 16 and one of 17 to 200 (the spec's tasks=256), drawn, on as many
 * tiny cooks, in both functions: every pthread_create() from the crew's last (and then from
 * the one before it: a version whose caller is a waiter too starts one thread fewer) on fails
 * with EAGAIN, so whatever number of started waiters a version takes for "late", it is met.
 * The call returns -EAGAIN; one whose k-th create never came returns 0 with every job run. */
static void late_create_fails(void)
{
    enum { MOST = 200 };
    const int crews[] = {5 + (int)(check_rand() % 12), 17 + (int)(check_rand() % (MOST - 16))};
    struct job *jobs = calloc(MOST, sizeof(*jobs));
    struct result *out = calloc(MOST, sizeof(*out));
    struct tally t, want;
    char what[160];

    cr_assert(jobs && out, "calloc failed in the test");
    for (size_t i = 0; i < MOST; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 10};
    for (int c = 0; c < 2; c++) {
        int crew = crews[c];

        tally_want(jobs, (size_t)crew, NULL, &want);
        for (int k = crew; k >= crew - 1; k--) {
            for (int which = 0; which < 2; which++) {
                snprintf(what, sizeof(what),
                         "%s(%d cook jobs, workers=%d), every pthread_create() from the %d%s on "
                         "failing with EAGAIN",
                         which ? "thread_tally" : "thread_map", crew, crew, k,
                         k % 10 == 1 && k % 100 != 11   ? "st"
                         : k % 10 == 2 && k % 100 != 12 ? "nd"
                         : k % 10 == 3 && k % 100 != 13 ? "rd"
                                                        : "th");
                poison(out, (size_t)crew);
                fault_arm(FAULT_THREAD, (unsigned)k, 0, EAGAIN);
                int rc = executor(which, jobs, (size_t)crew, crew, out, &t);
                unsigned started = fault_calls(FAULT_THREAD) - fault_failed(FAULT_THREAD);
                bool failed = fault_failed(FAULT_THREAD) > 0;

                fault_disarm_all();
                CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
                cr_assert_eq(rc, failed ? -EAGAIN : 0,
                             "%s returned %d (%s) with %u waiters started, expected %s: %s", what,
                             rc, rc < 0 ? strerror(-rc) : "no error", started,
                             failed ? "-EAGAIN" : "0 (no pthread_create() failed)",
                             failed ? "a pthread_create() that fails is an error of the "
                                      "executor however many waiters started before it (lab2.h: "
                                      "return its error number, negated); EAGAIN is no \"thread "
                                      "limit reached, the crew we have will do\": stop starting "
                                      "threads, join those started, return -EAGAIN"
                                    : "every job served");
                if (rc == 0 && !which)
                    check_results(&lab_map, what, jobs, NULL, out, (size_t)crew);
                if (rc == 0 && which)
                    check_tally(what, &t, &want);
            }
        }
    }
    free(jobs);
    free(out);
}

/* When pthread_create() fails (here: the third call, with EAGAIN, EPERM or EINVAL, drawn
 * from the seed: create_error()), the executor has failed: it returns that error negated,
 * the error pthread_create() returned (not -errno: pthread functions return their error and leave
 * errno alone), and it does not leave the threads it started running on: the jobs take 50 ms each,
 * so a waiter that was not joined is still working when the call returns. */
Test(thread_map, create_fails, .timeout = 8)
{
    enum { N = 12, W = 4 };
    struct job jobs[N];
    struct result out[N];
    struct tally t;
    int threads = check_threads(), rc, n;
    unsigned started, joined;

    long_jobs(jobs, N, 50);
    heap_after_failed_creates(jobs, 3, 3, 2);
    heap_after_failed_creates(jobs, 1000, 1000, 1);
    late_create_fails();
    for (int which = 0; which < 2; which++) {
        const char *what = which ? "thread_tally(12 cook jobs of 50 ms, workers=4)"
                                 : "thread_map(12 cook jobs of 50 ms, workers=4)";

        int err = create_error();

        unsigned stale = fault_joins_of_failed();

        fault_arm(FAULT_THREAD, 3, 1, err);
        fault_arm(FAULT_JOIN, 0, 0, 0); /* count the joins */
        rc = executor(which, jobs, N, W, out, &t);
        started = fault_calls(FAULT_THREAD) - fault_failed(FAULT_THREAD);
        joined = fault_calls(FAULT_JOIN);
        fault_disarm_all();
        n = threads_settle(threads, 1000); /* a joined thread may be listed a moment longer */
        CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert(fault_calls(FAULT_THREAD) >= 3,
                  "%s called pthread_create() %u times: with 12 jobs it should start 4 waiters",
                  what, fault_calls(FAULT_THREAD));
        /* the third create failed: the fourth is never tried (handout: "stop starting
         * threads and keep its error") */
        cr_assert(fault_calls(FAULT_THREAD) == 3,
                  "%s, with the third pthread_create() failing with %s, went on and called it "
                  "%u times in all: once one fails, stop starting threads (break out of the "
                  "start loop), keep its error, join those started",
                  what, strerrorname_np(err), fault_calls(FAULT_THREAD));
        cr_assert_eq(rc, -err,
                     "%s, with the third pthread_create() failing with %s, returned %d (%s), "
                     "expected -%s (%d): a pthread function returns its error number "
                     "(it does not set errno); return it negated",
                     what, strerrorname_np(err), rc, rc < 0 ? strerror(-rc) : "no error",
                     strerrorname_np(err), -err);
        cr_assert(joined >= started,
                  "%s, with the third pthread_create() failing, started %u threads and joined "
                  "%u: stop handing out jobs, then join every thread that did start before "
                  "returning" CHECK_NOT_TIMING,
                  what, started, joined);
        cr_assert(fault_joins_of_failed() == stale,
                  "%s, with the third pthread_create() failing, joined the handle of the one "
                  "that failed (%u joins for %u threads started): a failed create starts no "
                  "thread and leaves its pthread_t undefined; join the threads started alone",
                  what, joined, started);
        cr_assert(n <= threads,
                  "%s, with the third pthread_create() failing, returned while %d of the "
                  "threads it started were still running: stop handing out jobs, then join "
                  "every thread that did start before returning",
                  what, n - threads);
    }
    /* A failed thread_tally() still counts what its waiters did: each job that ran
     * (workload_count_runs(): the started waiters may serve every table, or stop at the
     * failure) is in *t once, as its result came, and nothing is taken out again (a *t
     * wiped on the failure path says no job was served, though they were). And *t starts
     * from zero whoever starts: with the first pthread_create() failing no waiter ever does,
     * and *t, full of old totals before the call, must read all zero after it (an
     * examiner's, round 74: the reset left to the first waiter). */
    enum { M = 12 };
    uint64_t base;
    unsigned *runs;
    struct job *few = counted_jobs(M, &base, &runs);
    char what[160];

    for (unsigned k = 1; k <= 3; k += 2) {
        struct tally want = {0};
        int err = create_error();
        bool failed;

        snprintf(what, sizeof(what),
                 "thread_tally(12 cook jobs, workers=4), with the %s pthread_create() failing, "
                 "*t holding old totals before the call",
                 k == 1 ? "first" : "third");
        memset(runs, 0, M * sizeof(*runs));
        t = (struct tally){.served = 12345, .failed = 678, .sum = 9};
        fault_arm(FAULT_THREAD, k, 1, err);
        workload_count_runs(base, M, runs);
        rc = thread_tally(few, M, W, &t);
        workload_count_runs(0, 0, NULL);
        failed = fault_failed(FAULT_THREAD) > 0;
        fault_disarm_all();
        CHECK_IMPL(rc, "thread_tally()", "threads.c");
        cr_assert_eq(rc, failed ? -err : 0, "%s returned %d (%s), expected %d", what, rc,
                     rc < 0 ? strerror(-rc) : "no error", failed ? -err : 0);
        for (size_t i = 0; i < M; i++) {
            cr_assert(runs[i] <= 1, "%s: jobs[%zu] ran %u times, expected at most once", what, i,
                      runs[i]);
            if (runs[i] == 1) {
                want.served++;
                want.sum += check_dish(few[i].seed, few[i].rounds);
            }
        }
        cr_assert(t.served == want.served && t.failed == 0 && t.sum == want.sum,
                  "%s: *t says served %llu, failed %llu, sum %llu, but %llu jobs ran (sum %llu): "
                  "when it returns, *t counts each job its waiters ran, a failed call too; *t "
                  "starts from zero, reset by the call before its first pthread_create() (not "
                  "by a waiter: none may start), and the results already added are kept (do "
                  "not wipe or reset *t on the failure path)",
                  what, (unsigned long long)t.served, (unsigned long long)t.failed,
                  (unsigned long long)t.sum, (unsigned long long)want.served,
                  (unsigned long long)want.sum);
    }
    free(few);
    free(runs);
}

/* thread_tally's expected totals, and their check (with thread_tally's tests, below). */
/* "A failed pthread call is an error of the executor: return its error number, negated":
 * the second pthread_join() fails alone (fault_join_reap(): the thread is reaped all the
 * same, so none is left on the call's stack frame) with each error a join can return,
 * EDEADLK, EINVAL and ESRCH, in an order drawn from the seed (join_error()). The call must
 * return that error negated, not 0 (whatever the error says of the thread: "gone already"
 * is no success), and still join the other waiters before it returns. */
static const int join_errs[] = {EDEADLK, EINVAL, ESRCH};
enum { JOIN_ERRS = sizeof(join_errs) / sizeof(join_errs[0]) };
static int join_err = EDEADLK;

static int join_error(void)
{
    static unsigned turn;

    return check_error_in_turn(join_errs, JOIN_ERRS, &turn);
}

static void arm_join_fails(unsigned k)
{
    fault_join_reap(1);
    fault_arm(FAULT_JOIN, k, 1, join_err);
}

static void arm_alloc_fails(unsigned k)
{
    fault_arm(FAULT_ALLOC, k, 1, ENOMEM);
}

/* When several pthread calls fail, the first error is the call's (handout, Task 2: "keep its
 * error (the first one, if several fail)"; rc is 0 or the first error). executor(which) on n
 * quick cook jobs with every pthread_join() failing (reaped all the same), the first with
 * `first` and every later one with `later` (fault_arm_later()); what it returned. */
static int joins_fail_in_turn(int which, const struct job *jobs, size_t n, int workers,
                              struct result *out, struct tally *t, int first, int later)
{
    int rc;

    fault_join_reap(1);
    fault_arm(FAULT_JOIN, 1, 0, first);
    fault_arm_later(FAULT_JOIN, later);
    rc = executor(which, jobs, n, workers, out, t);
    fault_disarm_all();
    return rc;
}

/* ... and a failed destroy after a failed join keeps the join's error: the first pthread_join()
 * fails (reaped all the same) with one of the join's errors, and every pthread_mutex_destroy()
 * and pthread_cond_destroy() after it with EBUSY: the call returns the join's error (an
 * examiner's, round 72: the destroy's -EBUSY overwrote it). A version that makes no lock to
 * destroy returns the join's error all the same; one whose destroy came before any join (a
 * failure first) returns -EBUSY. */
static void join_then_destroy_fail(int which, const struct job *jobs, size_t n, int workers,
                                   struct result *out, struct tally *t)
{
    const char *fn = which ? "thread_tally" : "thread_map";
    int jerr = join_error(), rc;
    unsigned destroys, destroys_failed, joins, joins_after;

    fault_join_reap(1);
    fault_arm(FAULT_JOIN, 1, 1, jerr);
    fault_arm(FAULT_DESTROY, 1, 0, EBUSY);
    rc = executor(which, jobs, n, workers, out, t);
    joins = fault_calls(FAULT_JOIN);
    joins_after = fault_calls_after_failure(FAULT_JOIN);
    destroys = fault_calls(FAULT_DESTROY);
    destroys_failed = fault_failed(FAULT_DESTROY);
    fault_disarm_all();
    CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
    /* every join after the first failure: a destroy failed before any join */
    bool destroy_first = destroys_failed > 0 && joins_after == joins;
    int want = destroy_first ? -EBUSY : -jerr;

    cr_assert_eq(rc, want,
                 "%s(%zu cook jobs, workers=%d), with its first pthread_join() failing with %s "
                 "and then every pthread_mutex_destroy() (%u called) with EBUSY, returned %d (%s), "
                 "expected %d (%s): keep the first error, whichever call it came from; a failed "
                 "destroy after a failed join must not overwrite the join's",
                 fn, n, workers, strerrorname_np(jerr), destroys, rc,
                 rc < 0 ? strerror(-rc) : "no error", want, strerror(-want));
}

/* A failed pthread_join() is the call's error even when the thread is still there to join:
 * one tried again at once that then succeeds does not undo it (an examiner's, round 74: the
 * first failure forgotten once a second try joined the waiter, and 0 returned). POSIX's join
 * errors (EDEADLK, EINVAL, ESRCH) say nothing will change by asking again. One join of a
 * crew of 3 on 3 tiny cooks, drawn, fails with each of the join's errors in turn, the thread
 * left joinable as after a real failed join (not reaped: fault_join_reap(0)), in both
 * functions; the call must return that error negated. A waiter whose join failed may still be
 * at work when the call frees what it shares with it (as after a real failed join): the call
 * is made in a child of the test, which reports what it returned and ends; a child that a
 * signal ended (that waiter met freed memory: no mistake of the call's) is not judged. */
struct join_seen {
    int rc;
    unsigned joins, failed;
};

static void join_failure_kept(void)
{
    enum { N = 3 };
    struct job jobs[N];
    struct result out[N];
    struct tally t;
    struct join_seen *seen =
        mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    cr_assert(seen != MAP_FAILED, "mmap failed in the test: %s", strerror(errno));
    for (size_t i = 0; i < N; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 10};
    for (int run = 0; run < 2 * JOIN_ERRS; run++) {
        int which = run % 2, jerr = join_error(), st = 0;
        unsigned k = 1 + (unsigned)(check_rand() % N);

        *seen = (struct join_seen){.rc = 77};
        fflush(NULL);
        pid_t pid = fork();

        cr_assert(pid >= 0, "fork() failed in the test: %s", strerror(errno));
        if (pid == 0) {
            alarm(5); /* a call that never returns ends the child: not judged here */
            fault_disarm_all();
            fault_join_reap(0);
            fault_arm(FAULT_JOIN, k, 1, jerr);
            seen->rc = executor(which, jobs, N, N, out, &t);
            seen->joins = fault_calls(FAULT_JOIN);
            seen->failed = fault_failed(FAULT_JOIN);
            _exit(0);
        }
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (!WIFEXITED(st))
            continue; /* a signal ended it: see above */
        CHECK_IMPL(seen->rc, which ? "thread_tally()" : "thread_map()", "threads.c");
        int want = seen->failed ? -jerr : 0;

        cr_assert_eq(seen->rc, want,
                     "%s(3 cook jobs, workers=3), with its pthread_join() number %u failing with "
                     "%s (the thread left joinable, as after a real failed join; %u joins in "
                     "all), returned %d (%s), expected %d (%s): a failed pthread call is an error "
                     "of the executor (lab2.h), and a join tried again that succeeds does not "
                     "undo it; keep the first error and return it negated",
                     which ? "thread_tally" : "thread_map", k, strerrorname_np(jerr), seen->joins,
                     seen->rc, seen->rc < 0 ? strerror(-seen->rc) : "no error", want,
                     want ? strerror(jerr) : "no join failed");
    }
    munmap(seen, sizeof(*seen));
}

Test(thread_map, join_fails, .timeout = 8)
{
    enum { N = 8, W = 4 };
    struct job jobs[N];
    struct result out[N];
    struct tally t;
    int threads = check_threads(), rc, n, jerr = 0;
    unsigned joins, failed;

    check_make_jobs(jobs, N, NULL, 20000);
    for (int run = 0; run < 2 * JOIN_ERRS; run++) { /* each error, for both calls */
        int which = run % 2;
        const char *what =
            which ? "thread_tally(8 cook jobs, workers=4)" : "thread_map(8 cook jobs, workers=4)";

        if (which == 0)
            jerr = join_error();
        fault_join_reap(1);
        fault_arm(FAULT_JOIN, 2, 1, jerr);
        rc = executor(which, jobs, N, W, out, &t);
        joins = fault_calls(FAULT_JOIN);
        failed = fault_failed(FAULT_JOIN);
        fault_disarm_all();
        n = threads_settle(threads, 1000); /* a joined thread may be listed a moment longer */
        CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert(failed == 1,
                  "%s called pthread_join() %u times: with 8 jobs it should start 4 waiters "
                  "and join each of them",
                  what, joins);
        cr_assert_eq(rc, -jerr,
                     "%s, with the second pthread_join() failing with %s, returned %d (%s), "
                     "expected -%s (%d): a failed pthread call is an error of the executor "
                     "(lab2.h), whatever its error (EDEADLK, EINVAL, ESRCH: none is a success); "
                     "keep its error number and return it negated",
                     what, strerrorname_np(jerr), rc, rc < 0 ? strerror(-rc) : "no error",
                     strerrorname_np(jerr), -jerr);
        cr_assert(n <= threads,
                  "%s, with the second pthread_join() failing, returned while %d of the "
                  "threads it started were still there: after a failed join, go on joining "
                  "the others before returning",
                  what, n - threads);
    }
    /* and frees what it allocated on that path too */
    for (int which = 0; which < 2; which++) {
        char what[128];
        long kept;

        join_err = join_error();
        snprintf(what, sizeof(what),
                 "%s(4 cook jobs, workers=4), with the second pthread_join() failing with %s",
                 which ? "thread_tally" : "thread_map", strerrorname_np(join_err));
        kept = heap_kept_by(which, arm_join_fails, 2, jobs, 4, W, what, -join_err, false);
        cr_assert(kept < 256,
                  "%s, called %d times: %ld more bytes of the heap in use after the calls than "
                  "before: after a failed join, join the other waiters, then free what the call "
                  "allocated (the thread ids) before it returns: every path out of the call "
                  "goes through the free()",
                  what, HEAP_CALLS, kept);
    }
    /* When several fail, the first error is the one returned: a later failed join (one of
     * the join's errors) must not overwrite the first (another, both drawn: join_error()),
     * nor a failed join a failed pthread_create()'s error (the third create fails, then
     * every join with EDEADLK). */
    struct job quick[N];

    for (size_t i = 0; i < N; i++)
        quick[i] = (struct job){.kind = JOB_COOK, .seed = jobs[i].seed, .rounds = 1000};
    for (int which = 0; which < 2; which++) {
        const char *fn = which ? "thread_tally" : "thread_map";
        int err = create_error(), first = join_error(), later = join_error();
        bool created_failed;

        rc = joins_fail_in_turn(which, quick, N, W, out, &t, first, later);
        CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(rc, -first,
                     "%s(8 cook jobs, workers=4), with its first pthread_join() failing with "
                     "%s and every later one with %s, returned %d (%s), expected -%s (%d): keep "
                     "the first error; a later failed join must not overwrite it",
                     fn, strerrorname_np(first), strerrorname_np(later), rc,
                     rc < 0 ? strerror(-rc) : "no error", strerrorname_np(first), -first);
        fault_join_reap(1);
        fault_arm(FAULT_JOIN, 1, 0, EDEADLK);
        fault_arm(FAULT_THREAD, 3, 1, err);
        rc = executor(which, quick, N, W, out, &t);
        created_failed = fault_failed(FAULT_THREAD) > 0;
        failed = fault_failed(FAULT_JOIN);
        fault_disarm_all();
        CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
        if (!created_failed)
            continue; /* no third pthread_create(): judged above */
        cr_assert_eq(rc, -err,
                     "%s(8 cook jobs, workers=4), with the third pthread_create() failing with "
                     "%s and then every pthread_join() (%u) with EDEADLK, returned %d (%s), "
                     "expected -%s (%d): the create's error came first; a failed join after it "
                     "must not overwrite it",
                     fn, strerrorname_np(err), failed, rc, rc < 0 ? strerror(-rc) : "no error",
                     strerrorname_np(err), -err);
    }
    for (int which = 0; which < 2; which++)
        join_then_destroy_fail(which, quick, N, W, out, &t);
    join_failure_kept();
}

/* A lock made with pthread_mutex_init() (or a condition variable, pthread_cond_init(), or the
 * attributes object one is made with, pthread_mutexattr_init()) can fail to be made (out of
 * memory, out of some other resource): each init the call makes, in turn (the 1st, the 2nd,
 * ...: as many as one call makes; a version that makes none, with PTHREAD_MUTEX_INITIALIZER or
 * atomics, has nothing to fail), fails alone with an error of those it can return, drawn in
 * turn. A failed attributes init is no cue to make a default lock instead and carry on (an
 * examiner's, round 72: an error-checking mutex made a default one, and 0 returned). The call
 * returns that error negated (lab2.h: a failed pthread call; errno is left as it was), joins what
 * it started, frees what it allocated, and destroys exactly the locks it made before: none left
 * made, and none destroyed that was never made (a mutex whose init failed is no mutex). */
static int init_err;

static void arm_init_fails(unsigned k)
{
    fault_arm((enum fault_call)(k >> 8), k & 0xff, 1, init_err);
}

static void init_fails(const struct job *jobs, int threads)
{
    static const int errs[] = {ENOMEM, EAGAIN, EPERM};
    static unsigned turn;
    enum { N = 3, W = 2 };
    struct result out[N];
    struct tally t;
    char what[192];
    int rc, n;

    for (int which = 0; which < 2; which++) {
        for (int c = 0; c < 3; c++) {
            static const enum fault_call calls[] = {FAULT_MUTEX_INIT, FAULT_COND_INIT,
                                                    FAULT_ATTR_INIT};
            static const char *const fns[] = {"pthread_mutex_init()", "pthread_cond_init()",
                                              "pthread_mutexattr_init() (or _condattr_init())"};
            enum fault_call call = calls[c];
            const char *fn = fns[c];
            unsigned made;

            made = calls_in_one(call, which, jobs, N, W, out, &t);
            for (unsigned k = 1; k <= made && k <= 8; k++) {
                struct live_locks before = live_locks(), now;

                init_err = check_error_in_turn(errs, 3, &turn);
                snprintf(what, sizeof(what),
                         "%s(3 cook jobs, workers=2), with %s %u of the %u it makes failing "
                         "with %s, and only that one",
                         which ? "thread_tally" : "thread_map", fn, k, made,
                         strerrorname_np(init_err));
                errno = 0;
                arm_init_fails((unsigned)call << 8 | k);
                rc = executor(which, jobs, N, W, out, &t);
                fault_disarm_all();
                n = threads_settle(threads, 1000);
                now = live_locks();
                cr_assert_eq(rc, -init_err,
                             "%s: returned %d (%s), expected -%s (%d): a failed pthread call is "
                             "an error of the executor (lab2.h): check what each init returns "
                             "(an attributes init too: no default lock made in its place) and "
                             "return its error negated (it leaves errno alone)",
                             what, rc, rc < 0 ? strerror(-rc) : "no error",
                             strerrorname_np(init_err), -init_err);
                cr_assert(n <= threads,
                          "%s returned while %d of its threads were still there: join the "
                          "waiters already started before returning",
                          what, n - threads);
                cr_assert(now.mutexes == before.mutexes && now.conds == before.conds,
                          "%s: %+ld mutex(es) and %+ld condition variable(s) made and not "
                          "destroyed after the call: destroy each lock made before the one "
                          "that failed (a positive count: made and never destroyed), and "
                          "only those (a negative one: a destroy of a lock whose init failed, "
                          "which was never made)",
                          what, now.mutexes - before.mutexes, now.conds - before.conds);
                long kept = heap_kept_by(which, arm_init_fails, (unsigned)call << 8 | k, jobs, N, W,
                                         what, -init_err, false);
                cr_assert(kept < 256,
                          "%s, called %d times: %ld more bytes of the heap in use after the "
                          "calls than before: free what the call allocated before returning",
                          what, HEAP_CALLS, kept);
            }
        }
    }
}

/* A call made while allocations failed (`what` says which): -ENOMEM, the
 * error of the allocation that failed, or 0 if the call managed without it, every result
 * right; either way none of its threads left (the waiters started joined before it returned). */
static void without_memory(const char *what, int which, int rc, int threads, const struct job *jobs,
                           const char *kinds, const struct result *out, size_t n,
                           const struct tally *t, const struct tally *want)
{
    int left = threads_settle(threads, 1000);

    cr_assert(rc == 0 || rc == -ENOMEM,
              "%s, returned %d (%s): expected -ENOMEM (%d), the error of the allocation that "
              "failed (or 0 if the call manages without it, every result right)",
              what, rc, rc < 0 ? strerror(-rc) : "no error", -ENOMEM);
    cr_assert(left <= threads,
              "%s, returned %d while %d of its threads were still there: join the waiters "
              "already started before returning",
              what, rc, left - threads);
    if (rc != 0)
        return;
    if (which)
        check_tally(what, t, want);
    else
        check_results(&lab_map, what, jobs, kinds, out, n);
}

/* A crew of 100 waiters on 100 quick cooks: each allocation the call makes fails alone in
 * turn (a table grown as the crew grows is made by more than one: its realloc() fails too),
 * and the call returns -ENOMEM (or 0, results right) with none of its threads left: a table
 * lost to `tid = realloc(tid, ...)` joins the started waiters through NULL (a crash). */
static void big_crew_alloc_fails(int threads)
{
    enum { N = 100 };
    struct job jobs[N];
    struct result out[N];
    struct tally t, want;

    for (size_t i = 0; i < N; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 100};
    tally_want(jobs, N, NULL, &want);
    for (int which = 0; which < 2; which++) {
        unsigned made = calls_in_one(FAULT_ALLOC, which, jobs, N, N, out, &t);

        for (unsigned k = 1; k <= made && k <= 12; k++) {
            char what[160];

            snprintf(what, sizeof(what),
                     "%s(100 cook jobs, workers=100), with allocation %u of the %u it makes "
                     "failing (ENOMEM), and only that one",
                     which ? "thread_tally" : "thread_map", k, made);
            poison(out, N);
            arm_alloc_fails(k);
            int rc = executor(which, jobs, N, N, out, &t);

            fault_disarm_all();
            without_memory(what, which, rc, threads, jobs, NULL, out, N, &t, &want);
        }
    }
}

/* Out of memory: every malloc(), calloc() and realloc() of the call fails (ENOMEM). The
 * call either manages without (0, and every result right) or fails cleanly with -ENOMEM:
 * an allocation that is not checked writes through NULL (a crash). */
Test(thread_map, alloc_fails, .timeout = 8)
{
    static const char kind[] = "coc";
    enum { N = 3, W = 2 };
    struct job jobs[N];
    struct result out[N];
    struct tally t, want;
    int threads = check_threads(), rc;

    check_make_jobs(jobs, N, kind, 20000);
    tally_want(jobs, N, kind, &want);
    for (int which = 0; which < 2; which++) {
        char what[160];

        poison(out, N);
        fault_arm(FAULT_ALLOC, 1, 0, ENOMEM);
        rc = executor(which, jobs, N, W, out, &t);
        snprintf(what, sizeof(what),
                 "%s(3 jobs: cook, order, cook, workers=2), with every allocation failing (%u "
                 "tried)",
                 which ? "thread_tally" : "thread_map", fault_calls(FAULT_ALLOC));
        fault_disarm_all();
        CHECK_IMPL(rc, which ? "thread_tally()" : "thread_map()", "threads.c");
        without_memory(what, which, rc, threads, jobs, kind, out, N, &t, &want);
    }
    /* Then each allocation of the call alone (the 1st, the 2nd, ...: as many as a call
     * makes): the call fails with -ENOMEM (or manages without: 0, results right), and
     * frees what it allocated before the one that failed. On 2 waiters, then on 1: a lone
     * waiter whose own allocation fails has nobody to serve its tables (an examiner's,
     * round 72: it went home, and the call returned 0 with no job run). */
    for (int run = 0; run < 4; run++) {
        int which = run % 2, w = run < 2 ? W : 1;
        char what[160];
        unsigned made;
        long kept;

        made = calls_in_one(FAULT_ALLOC, which, jobs, N, w, out, &t);
        for (unsigned k = 1; k <= made && k <= 8; k++) {
            snprintf(what, sizeof(what),
                     "%s(3 cook jobs, workers=%d), with allocation %u of the %u it makes failing "
                     "(ENOMEM), and only that one",
                     which ? "thread_tally" : "thread_map", w, k, made);
            kept = heap_kept_by(which, arm_alloc_fails, k, jobs, N, w, what, -ENOMEM, true);
            cr_assert(kept < 256,
                      "%s, called %d times: %ld more bytes of the heap in use after the calls "
                      "than before: when an allocation fails, free the ones made before it "
                      "(the thread ids, ...) before returning -ENOMEM",
                      what, HEAP_CALLS, kept);
        }
    }
    big_crew_alloc_fails(threads);
    init_fails(jobs, threads);
}

Test(thread_map, orders_overlap, .timeout = 8)
{
    int most = orders_at_once("oooo", 0, 4, 4, 3000);

    cr_assert_eq(most, 4,
                 "thread_map(4 orders, workers=4): the kitchen never held more than %d order(s) at "
                 "once, expected 4: each waiter waits for his own order while the others wait "
                 "for theirs (is a lock held while a job runs? does one thread do all the work?)",
                 most);
    /* meals too: a job of any kind runs with no lock held, two meals at once (an examiner's,
     * round 71: meals taken in turns under a crew-wide lock) */
    most = orders_at_once("mm", 0, 2, 2, 3000);
    cr_assert_eq(most, 2,
                 "thread_map(2 meals, workers=2): the kitchen never held more than %d meal "
                 "order(s) at once, expected 2: each waiter runs his meal while the other runs "
                 "his; no lock may be held while a job runs, whatever its kind",
                 most);
    /* A lock found busy is no sign that the jobs are gone: the first 2 pthread_mutex_trylock()
     * or _timedlock() calls fail (EBUSY, fault.h), as when another waiter holds the lock at
     * that moment. A waiter that then goes home leaves 3 of the 4 orders waiting at most. */
    fault_arm(FAULT_BUSY, 1, 2, EBUSY);
    most = orders_at_once("oooo", 0, 4, 4, 3000);
    fault_disarm_all();
    cr_assert_eq(most, 4,
                 "thread_map(4 orders, workers=4), the first 2 pthread_mutex_trylock() calls "
                 "finding the lock busy (EBUSY): the kitchen never held more than %d order(s) at "
                 "once, expected 4: a busy lock means another waiter is taking a job, not that "
                 "none is left; wait for the lock (pthread_mutex_lock()), or try again",
                 most);
}

/* Jobs under way at once, whoever runs them (a waiter, or the caller itself): a hook at the
 * start of every ref_cook() (workload_on_cook()) counts the job in, holds it 20 ms asleep
 * (no CPU, so a busy machine changes nothing) and counts it out before it cooks. */
static atomic_int jobs_now, jobs_most;

static void hold_cook(uint64_t seed)
{
    int now = atomic_fetch_add(&jobs_now, 1) + 1, most = atomic_load(&jobs_most);

    (void)seed;
    while (now > most && !atomic_compare_exchange_weak(&jobs_most, &most, now))
        ;
    nap_ms(20);
    atomic_fetch_sub(&jobs_now, 1);
}

/* What a crew run must have done, whatever it held: every job served, as thread_map() or
 * thread_tally() reports it (rc its return, t the tally's, out the map's) */
static void check_crew_served(bool tally, const char *what, const struct job *jobs, size_t n,
                              const struct result *out, const struct tally *t, int rc)
{
    struct tally want = {0};

    CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    if (!tally) {
        check_results(&lab_map, what, jobs, NULL, out, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        want.served++;
        want.sum += check_dish(jobs[i].seed, jobs[i].rounds);
    }
    cr_assert(t->served == want.served && t->failed == 0 && t->sum == want.sum,
              "%s: served %llu, failed %llu, sum %llu, expected served %llu, failed 0, sum %llu",
              what, (unsigned long long)t->served, (unsigned long long)t->failed,
              (unsigned long long)t->sum, (unsigned long long)want.served,
              (unsigned long long)want.sum);
}

/* thread_map() (tally false) or thread_tally() of n cook jobs on `workers` waiters, with
 * `hook` called at the start of every dish (workload_on_cook()), its results checked, and the
 * threads it started counted: never more than min(workers, n), however big the crew, no
 * thread of the call's beyond its waiters (an examiner's, round 74: a crew of more than 64
 * joined by a reaper thread started after them, one thread more than the jobs). */
static void crew_run(bool tally, size_t n, int workers, void (*hook)(uint64_t seed))
{
    struct job *jobs = calloc(n, sizeof(*jobs));
    struct result *out = calloc(n, sizeof(*out));
    struct tally t = {0};
    char what[96];
    int rc;
    unsigned started;
    size_t crew = (size_t)workers < n ? (size_t)workers : n;

    cr_assert(jobs && out, "the test's own calloc() failed");
    check_make_jobs(jobs, n, NULL, 20);
    poison(out, n);
    snprintf(what, sizeof(what), "%s(%zu cook jobs, workers=%d)",
             tally ? "thread_tally" : "thread_map", n, workers);
    workload_on_cook(hook);
    fault_arm(FAULT_THREAD, 0, 0, 0); /* count the threads started */
    rc = tally ? thread_tally(jobs, n, workers, &t) : thread_map(jobs, n, out, workers);
    started = fault_calls(FAULT_THREAD);
    fault_disarm_all();
    workload_on_cook(NULL);
    check_crew_served(tally, what, jobs, n, out, &t, rc);
    cr_assert(started <= crew,
              "%s started %u threads, expected at most min(workers, n) = %zu: never more threads "
              "than jobs, nor than `workers` (lab2.h), whatever the crew's size; no thread beyond "
              "the waiters (a reaper, a watcher): the caller joins them itself, asleep in "
              "pthread_join()",
              what, started, crew);
    free(out);
    free(jobs);
}
/* thread_map() (tally false) or thread_tally() of workers x (workers + 4) cook jobs of a few
 * rounds on `workers` waiters, its results checked: the most jobs that were under way at
 * once. So many, so that tables are left when the last waiter has started, however slowly
 * the caller starts them (serving a table between two, the caller takes about 20 ms a
 * waiter, while the k waiters already started serve k tables). */
static int jobs_at_once(bool tally, int workers)
{
    atomic_store(&jobs_now, 0);
    atomic_store(&jobs_most, 0);
    crew_run(tally, (size_t)workers * (size_t)(workers + 4), workers, hold_cook);
    return atomic_load(&jobs_most);
}

/*
 * A crew larger than the machine: min(workers, n) waiters, however few cores there are. More
 * waiters than cores is what serving needs (a waiter waiting for an order uses no core), so
 * the crew is never capped by the cores online, nor by a maximum of the code's own. The test
 * takes workers past both: the most of the cores this machine has (configured, online, in the
 * run's affinity) and 64, plus 1 to 4, and as many one-job tables. A hook at the start of each
 * dish holds it until all `workers` dishes are under way at once (the waiters are all started:
 * a correct crew gets there as soon as its threads run), or 3 s after the first began (then no
 * dish is held any longer): an order of events, not a timing, on any machine.
 */
static pthread_mutex_t gather_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gather_cv;
static int gather_now, gather_most, gather_want;
static bool gather_over;
static struct timespec gather_until;

static void gather_cook(uint64_t seed)
{
    (void)seed;
    pthread_mutex_lock(&gather_lock);
    if (gather_most == 0) { /* the first dish: the patience starts */
        clock_gettime(CLOCK_MONOTONIC, &gather_until);
        gather_until.tv_sec += 3;
    }
    if (++gather_now > gather_most)
        gather_most = gather_now;
    if (gather_most >= gather_want)
        pthread_cond_broadcast(&gather_cv);
    while (!gather_over && gather_most < gather_want)
        if (pthread_cond_timedwait(&gather_cv, &gather_lock, &gather_until) == ETIMEDOUT) {
            gather_over = true;
            pthread_cond_broadcast(&gather_cv);
        }
    gather_now--;
    pthread_mutex_unlock(&gather_lock);
}

/* The crew's size: past the cores and 64, at most 200 (the spec's tasks=256). */
static int crew_past_cores(void)
{
    long most = 64, conf = sysconf(_SC_NPROCESSORS_CONF), online = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;

    if (conf > most)
        most = conf;
    if (online > most)
        most = online;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > most)
        most = CPU_COUNT(&set);
    most += 1 + (long)(check_rand() % 4);
    return most < 200 ? (int)most : 200;
}

/* thread_map() (tally false) or thread_tally() of `workers` one-job tables on `workers` waiters,
 * its results checked: the most dishes under way at once, each held as above. */
static int crew_at_once(bool tally, int workers)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&gather_cv, &attr);
    pthread_condattr_destroy(&attr);
    gather_now = gather_most = 0;
    gather_want = workers;
    gather_over = false;
    crew_run(tally, (size_t)workers, workers, gather_cook);
    pthread_cond_destroy(&gather_cv);
    return gather_most;
}

Test(thread_map, workers_in_flight, .timeout = 8)
{
    int most = orders_at_once("oooooo", 0, 2, 2, 3000);

    cr_assert(most <= 2,
              "thread_map(6 orders, workers=2): the kitchen held %d orders at once, expected at "
              "most 2: no more waiters than `workers`",
              most);
    cr_assert_eq(most, 2,
                 "thread_map(6 orders, workers=2): the kitchen never held more than %d order at "
                 "once, expected 2: the two waiters must wait at the same time",
                 most);
    /* a crew larger than the machine's cores (and than 64), in both functions: all of it at
     * work at once */
    const int big = crew_past_cores();

    for (int which = 0; which < 2; which++) {
        most = crew_at_once(which, big);
        cr_assert_eq(most, big,
                     "%s(%d one-job tables, workers=%d): %d jobs under way at once at most, "
                     "expected %d (the machine has %ld cores): start min(workers, n) waiters "
                     "whatever the cores, never capped by them nor by a maximum of your own",
                     which ? "thread_tally" : "thread_map", big, big, most, big,
                     sysconf(_SC_NPROCESSORS_ONLN));
    }
    /* and a bigger crew, in both functions: never more jobs at once than `workers`, the
     * caller's own included (a caller that serves tables while it starts the waiters, or
     * after, is one waiter more) */
    const int crews[] = {5 + (int)(check_rand() % 4), 9 + (int)(check_rand() % 16)};

    for (int c = 0; c < 2; c++) {
        for (int which = 0; which < 2; which++) {
            most = jobs_at_once(which, crews[c]);
            cr_assert(most <= crews[c],
                      "%s(%d cook jobs, workers=%d): %d jobs were under way at once, expected at "
                      "most %d: the call runs its jobs on at most `workers` threads, its own "
                      "included (a caller that serves tables too is one of the waiters: it "
                      "starts one thread fewer)",
                      which ? "thread_tally" : "thread_map", crews[c] * (crews[c] + 4), crews[c],
                      most, crews[c]);
        }
    }
    /* and a crew of 100 to 200 (the most the spec's tasks=256 lets a test run at once) on as
     * many tiny cooks, workers INT_MAX, in both functions: the threads started counted
     * (crew_run()), no more than the jobs, whatever size a version takes for "big" */
    const int most_crew = 100 + (int)(check_rand() % 101);

    for (int which = 0; which < 2; which++)
        crew_run(which, (size_t)most_crew, INT_MAX, NULL);
}

/*
 * Dynamic scheduling: a waiter who is free takes the next job nobody has taken, one job at
 * a time. Two waiters, the first two jobs orders the kitchen holds until both are waiting
 * (or for 3 s), the other four short cook jobs: one waiter takes order 0 and waits, the
 * other, free, takes order 1, so both orders wait at once. A waiter that takes several jobs
 * at a time (a chunk of ceil(n / 2W) = 2, or a split fixed in advance) holds orders 0 and
 * 1 itself and places them one after the other, while the other waiter cooks: its two
 * orders never wait together, however long the kitchen holds the first, so the kitchen's
 * patience is a margin for a busy machine, not a limit the right version must beat.
 */
Test(thread_map, free_waiter_takes_next, .timeout = 12)
{
    int most = orders_at_once("oocccc", 0, 2, 2, 3000);

    cr_assert_eq(most, 2,
                 "thread_map(2 orders then 4 short cook jobs, workers=2): the kitchen never held "
                 "both orders at once: while one waiter waited for order 0, the other did not "
                 "take order 1. A waiter takes one job at a time, the next one nobody has "
                 "taken (dynamic scheduling), not a chunk of jobs or a share decided in advance");
    /* and a waiter free early takes the next job at once: in batches (W threads started,
     * all joined, then the next W) the waiter done with the short cook 1 waits for order
     * 0's, so order 2 starts only once order 0 is over */
    most = orders_at_once("ococ", 0, 2, 2, 3000);
    cr_assert_eq(most, 2,
                 "thread_map(order, short cook, order, short cook, workers=2): the kitchen "
                 "never held orders 0 and 2 at once: the waiter done with the short cook did "
                 "not take order 2 while order 0 waited. Waiters started W at a time and "
                 "joined together (batches) leave a free waiter idle until the slowest job "
                 "of its batch ends: each waiter takes the next job as soon as it is free");
    /* and however many jobs: a chunk that only big services get (runs of 16 from 64 jobs
     * on, say) holds both orders too */
    most = orders_at_once("oo", 99998, 2, 2, 3000);
    cr_assert_eq(most, 2,
                 "thread_map(2 orders then 99,998 short cook jobs, workers=2): the kitchen never "
                 "held both orders at once: while one waiter waited for order 0, the other did "
                 "not take order 1. One job at a time however many there are: a chunk for big "
                 "services keeps the first jobs, slow ones too, with one waiter");
}

/* ---- thread_tally -------------------------------------------------------------------------- */

static void tally_want(const struct job *jobs, size_t n, const char *kind, struct tally *want)
{
    *want = (struct tally){0};
    for (size_t i = 0; i < n; i++) {
        if (kind && kind[i] == 'x') {
            want->failed++;
        } else {
            want->served++;
            want->sum += check_expected(&jobs[i]).value;
        }
    }
}

static void check_tally(const char *what, const struct tally *got, const struct tally *want)
{
    cr_assert(got->served == want->served && got->failed == want->failed,
              "%s: served %llu, failed %llu, expected served %llu, failed %llu", what,
              (unsigned long long)got->served, (unsigned long long)got->failed,
              (unsigned long long)want->served, (unsigned long long)want->failed);
    cr_assert_eq(got->sum, want->sum,
                 "%s: sum = %llu, expected %llu (the values of the served jobs, added up)", what,
                 (unsigned long long)got->sum, (unsigned long long)want->sum);
}

static void tally_ok(const char *what, const struct job *jobs, size_t n, int workers,
                     struct tally *t)
{
    int rc;

    *t = (struct tally){.served = 12345, .failed = 678, .sum = 9}; /* must be reset */
    rc = thread_tally(jobs, n, workers, t);
    CHECK_IMPL(rc, "thread_tally()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
}

Test(thread_tally, totals, .timeout = 8)
{
    enum { N = 400 };
    static const int workers[] = {1, 3, 8};
    struct job jobs[N];
    struct tally got, want;
    char what[96];

    check_make_jobs(jobs, N, NULL, 20000);
    tally_want(jobs, N, NULL, &want);
    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        snprintf(what, sizeof(what), "thread_tally(400 cook jobs, workers=%d)", workers[w]);
        tally_ok(what, jobs, N, workers[w], &got);
        check_tally(what, &got, &want);
    }
    /* sums at the edge of 64 bits (lab2.h: modulo 2^64): dishes of no rounds are their seeds,
     * 2^63 and 2^63 - 1 add up to 2^64 - 1, a sum like any other; 2^63 and 2^63 + 3 wrap to 3 */
    static const uint64_t edge[2][2] = {{UINT64_C(1) << 63, (UINT64_C(1) << 63) - 1},
                                        {UINT64_C(1) << 63, (UINT64_C(1) << 63) + 3}};
    for (int e = 0; e < 2; e++) {
        struct job two[2];

        for (int i = 0; i < 2; i++)
            two[i] = (struct job){.kind = JOB_COOK, .seed = edge[e][i], .rounds = 0};
        snprintf(what, sizeof(what), "thread_tally(2 dishes of no rounds, seeds 2^63 and 2^63 %s)",
                 e ? "+ 3" : "- 1");
        tally_want(two, 2, NULL, &want);
        tally_ok(what, two, 2, 2, &got);
        check_tally(what, &got, &want);
    }
    /* one job, served or failed, on 1 or 2 workers: *t starts from zero then too, whoever
     * serves it (an examiner's, round 71: one job added into the caller's old totals) */
    for (int k = 0; k < 2; k++)
        for (int w = 1; w <= 2; w++) {
            struct job one;

            check_make_jobs(&one, 1, k ? "x" : "c", 20000);
            snprintf(what, sizeof(what), "thread_tally(1 %s, workers=%d)",
                     k ? "order to a closed port" : "cook job", w);
            tally_want(&one, 1, k ? "x" : "c", &want);
            tally_ok(what, &one, 1, w, &got);
            check_tally(what, &got, &want);
        }
}

/* thread_tally(jobs) on 16 and 3 waiters in turn, at least 4 calls and 1 s (60 calls at
 * most): exact totals after every call. jobs_said and why: the jobs and the stress, in words. */
static void stress_tally(const struct job *jobs, size_t n, const struct tally *want,
                         const char *jobs_said, const char *why)
{
    double t0 = check_now();
    struct tally got;
    char what[256];

    for (int c = 1; c <= 60 && (c <= 4 || check_now() - t0 < 1.0); c++) {
        int W = c % 2 ? 16 : 3;

        snprintf(what, sizeof(what), "thread_tally(%s, workers=%d), call %d (%s)", jobs_said, W, c,
                 why);
        tally_ok(what, jobs, n, W, &got);
        check_tally(what, &got, want);
    }
}

/* The shared tally under contention: 200,000 jobs of one round each, so the waiters spend
 * their time adding into *t, on 16 waiters then 3 in turn, at least 4 calls and 1 s (60
 * calls at most), before the rest of many_jobs. A tally_add() without its lock (t->sum += v
 * is a load, an add and a store) loses updates within a few calls, also on one core (a
 * waiter preempted between its load and its store); the totals must be exact every time.
 * This judges the totals themselves, whatever a race driver sees. */
static void tally_contention(void)
{
    enum { N = 200000 };
    struct job *jobs = calloc(N, sizeof(*jobs));
    struct tally want = {0};
    uint64_t base = check_rand() >> 1;

    cr_assert(jobs, "calloc failed in the test");
    for (size_t i = 0; i < N; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = base + i, .rounds = 1};
    tally_want(jobs, N, NULL, &want);
    stress_tally(jobs, N, &want, "200000 one-round cook jobs", "a stress on the shared *t");
    free(jobs);
}

/* The same stress with long jobs: 200,000 cook jobs of 100,000 to 500,000 rounds (64 dishes,
 * worked out once), each ending at once (workload_cook_known()): the results come as densely
 * as tiny jobs' do. A tally that adds long jobs' results another way (red team 12,
 * tally_long_jobs_unguarded: without the lock, as a relaxed atomic load then store, which
 * ThreadSanitizer does not call a race) loses updates here as a plain "+=" does. */
enum { KNOWN = 64 };
static uint64_t known_base, known_rounds[KNOWN], known_dish[KNOWN];

static bool known_long_dish(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    uint64_t k = seed - known_base;

    if (k >= KNOWN || rounds != known_rounds[k])
        return false;
    *dish = known_dish[k];
    return true;
}

static void long_jobs_contention(void)
{
    enum { N = 200000 };
    struct job *jobs = calloc(N, sizeof(*jobs));
    struct tally want = {.served = N};

    cr_assert(jobs, "calloc failed in the test");
    known_base = check_rand() >> 1;
    for (int k = 0; k < KNOWN; k++) {
        known_rounds[k] = 100000 + check_rand() % 400000;
        known_dish[k] = check_dish(known_base + (uint64_t)k, known_rounds[k]);
    }
    for (size_t i = 0; i < N; i++) {
        jobs[i] = (struct job){
            .kind = JOB_COOK, .seed = known_base + i % KNOWN, .rounds = known_rounds[i % KNOWN]};
        want.sum += known_dish[i % KNOWN];
    }
    workload_cook_known(known_long_dish);
    stress_tally(jobs, N, &want,
                 "200000 cook jobs of 100,000 to 500,000 rounds, each ending at once: its dish "
                 "known",
                 "long jobs are counted like any other");
    workload_cook_known(NULL);
    free(jobs);
}

Test(thread_tally, many_jobs, .timeout = 10)
{
    tally_contention(); /* first: the stress on the shared *t alone */
    long_jobs_contention();
    enum { N = 100000 };
    double t0 = check_now();
    uint64_t base;
    unsigned *runs;
    struct job *jobs = counted_jobs(N, &base, &runs);
    struct tally got, want;
    char what[96];

    tally_want(jobs, N, NULL, &want);
    for (int c = 1; stress_on(c, t0); c++) {
        int workers = c % 2 ? 8 : 3;

        snprintf(what, sizeof(what), "thread_tally(100000 tiny cook jobs, workers=%d), call %d",
                 workers, c);
        memset(runs, 0, N * sizeof(*runs));
        workload_count_runs(base, N, runs);
        tally_ok(what, jobs, N, workers, &got);
        workload_count_runs(0, 0, NULL);
        check_once(what, runs, N);
        check_tally(what, &got, &want);
    }
    free(jobs);
    free(runs);
    long_service(true);
}

/*
 * A kitchen that answers its 2 orders only once *t shows a served job (or after 3 s): a
 * waiter that adds each result as soon as it has it lets it answer at once; one that
 * keeps its results until it has no more jobs holds it up, since it is itself waiting
 * for an order. It never asserts; the test does.
 */
struct watching_kitchen {
    int lfd;
    uint16_t port;
    const struct tally *t;
    bool watch_failed; /* watch *t.failed (the middle job failed), not *t.served */
    bool saw;          /* *t showed the middle job's result while both orders waited */
    uint64_t seen;     /* what the count watched said then (the first nonzero value seen) */
    pthread_t tid;
};

static void *watching_kitchen_run(void *arg)
{
    struct watching_kitchen *k = arg;
    uint64_t item[2];
    int fds[2], got = 0;

    for (; got < 2; got++) {
        struct pollfd l = {.fd = k->lfd, .events = POLLIN};
        char line[KITCHEN_LINE_MAX] = "";
        ssize_t len;

        if (poll(&l, 1, 3000) <= 0 || (fds[got] = accept(k->lfd, NULL, NULL)) < 0)
            break;
        len = recv(fds[got], line, sizeof(line) - 1, 0);
        line[len > 0 ? len : 0] = '\0';
        item[got] = strtoull(line, NULL, 10);
    }
    /* a right version shows the dish before its second order comes: the wait is a margin
     * for a busy machine; one that keeps its results to the end never shows it */
    for (double end = check_now() + 3; !k->saw && check_now() < end;) {
        k->seen =
            __atomic_load_n(k->watch_failed ? &k->t->failed : &k->t->served, __ATOMIC_RELAXED);
        k->saw = k->seen > 0;
        if (!k->saw)
            usleep(1000);
    }
    for (int i = 0; i < got; i++) {
        char reply[32];
        int len =
            snprintf(reply, sizeof(reply), "%llu\n", (unsigned long long)check_fake_reply(item[i]));

        send(fds[i], reply, (size_t)len, MSG_NOSIGNAL);
        close(fds[i]);
    }
    return NULL;
}

/* at_order for zero_while_first_waits(): what *t said while the order waited (a waiter at
 * work, no result in yet) */
struct peek {
    const struct tally *t;
    struct tally seen;
};

static void peek_tally(void *arg)
{
    struct peek *p = arg;

    p->seen.served = __atomic_load_n(&p->t->served, __ATOMIC_RELAXED);
    p->seen.failed = __atomic_load_n(&p->t->failed, __ATOMIC_RELAXED);
    p->seen.sum = __atomic_load_n(&p->t->sum, __ATOMIC_RELAXED);
}

/* "*t starts from zero" and "while the jobs run, *t counts only the jobs done so far": *t full
 * of old totals before the call, one order, and while it waits at the kitchen (no job done
 * yet) *t reads all zero: reset before the waiters are hired, not by the first result that
 * comes in (an examiner's, round 72: the caller's old totals stood until the first add). */
static void zero_while_first_waits(void)
{
    static struct tally t;             /* the kitchen's thread reads it: never a local */
    static struct peek p;              /* what it read */
    static struct one_order_kitchen k; /* its thread outlives a failed assertion */
    struct job job;
    const char *what = "thread_tally(1 order, workers=2), *t holding old totals before the call";

    p = (struct peek){.t = &t};
    k = (struct one_order_kitchen){.patience_ms = 3000, .at_order = peek_tally, .arg = &p};
    k.lfd = check_listen(4, &k.port);
    job = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port};
    t = (struct tally){.served = 12345, .failed = 678, .sum = 9};
    cr_assert_eq(pthread_create(&k.tid, NULL, one_order_kitchen_run, &k), 0,
                 "pthread_create failed in the test");
    int rc = thread_tally(&job, 1, 2, &t);
    pthread_join(k.tid, NULL);
    close(k.lfd);
    CHECK_IMPL(rc, "thread_tally()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    cr_assert(k.came, "%s: the order never came to the kitchen", what);
    cr_assert(p.seen.served == 0 && p.seen.failed == 0 && p.seen.sum == 0,
              "%s: while the order waited at the kitchen (no job done yet), *t said served "
              "%llu, failed %llu, sum %llu, expected all 0: *t starts from zero, reset before "
              "the waiters start, not when the first result comes in",
              what, (unsigned long long)p.seen.served, (unsigned long long)p.seen.failed,
              (unsigned long long)p.seen.sum);
    cr_assert(t.served == 1 && t.failed == 0,
              "%s: served %llu, failed %llu after it, expected 1 and 0", what,
              (unsigned long long)t.served, (unsigned long long)t.failed);
}

/* "each waiter adds each result into *t as soon as it has it", in a service of any size: no
 * results kept back to be added in batches (an examiner's, round 74: from 4096 jobs on, 64 at
 * a time, "one trip to the lock per 64 results"). On 1 waiter, n tiny cooks counted by their
 * seeds (workload_count_runs()) with one order among them, to a kitchen of the test's own that
 * reads *t and the runs so far while it holds the order: every cook that ran before it is in
 * *t, each with its dish. n drawn from each of 32-256, 257-4096, 4097-65536 and 65537-262144,
 * and the order after a prime number of cooks (past half of them): a batch of any size but
 * that prime leaves some results out. */
struct batch_peek {
    const struct tally *t;
    struct tally seen;
    const unsigned *runs;
    unsigned *runs_seen;
    size_t n;
};

static void peek_batch(void *arg)
{
    struct batch_peek *p = arg;

    p->seen.served = __atomic_load_n(&p->t->served, __ATOMIC_RELAXED);
    p->seen.failed = __atomic_load_n(&p->t->failed, __ATOMIC_RELAXED);
    p->seen.sum = __atomic_load_n(&p->t->sum, __ATOMIC_RELAXED);
    for (size_t i = 0; i < p->n; i++)
        p->runs_seen[i] = __atomic_load_n(&p->runs[i], __ATOMIC_RELAXED);
}

static size_t prime_from(size_t x)
{
    for (;; x++) {
        bool prime = x >= 2;

        for (size_t d = 2; d * d <= x && prime; d++)
            prime = x % d != 0;
        if (prime)
            return x;
    }
}

static void counted_while_serving(void)
{
    static const size_t lo[] = {32, 257, 4097, 65537}, hi[] = {256, 4096, 65536, 262144};
    static struct tally t;             /* the kitchen's thread reads it: never a local */
    static struct batch_peek p;        /* what it read */
    static struct one_order_kitchen k; /* its thread outlives a failed assertion */
    struct job *jobs = calloc(hi[3], sizeof(*jobs));
    unsigned *runs = calloc(hi[3], sizeof(*runs)), *seen = calloc(hi[3], sizeof(*seen));
    uint64_t base = check_rand() >> 1;
    char what[160];

    cr_assert(jobs && runs && seen, "calloc failed in the test");
    for (int r = 0; r < 4; r++) {
        size_t n = lo[r] + check_rand() % (hi[r] - lo[r] + 1);
        size_t at = prime_from(n / 2 + check_rand() % (n / 4));
        struct tally want = {0};

        for (size_t i = 0; i < n; i++)
            jobs[i] = (struct job){.kind = JOB_COOK, .seed = base + i, .rounds = 1};
        k = (struct one_order_kitchen){.patience_ms = 3000, .at_order = peek_batch, .arg = &p};
        k.lfd = check_listen(4, &k.port);
        jobs[at] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port};
        snprintf(what, sizeof(what),
                 "thread_tally(%zu jobs: tiny cooks, and an order as jobs[%zu]; workers=1)", n, at);
        p = (struct batch_peek){.t = &t, .runs = runs, .runs_seen = seen, .n = n};
        memset(runs, 0, n * sizeof(*runs));
        t = (struct tally){0};
        cr_assert_eq(pthread_create(&k.tid, NULL, one_order_kitchen_run, &k), 0,
                     "pthread_create failed in the test");
        workload_count_runs(base, n, runs);
        int rc = thread_tally(jobs, n, 1, &t);

        workload_count_runs(0, 0, NULL);
        pthread_join(k.tid, NULL);
        close(k.lfd);
        CHECK_IMPL(rc, "thread_tally()", "threads.c");
        cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc,
                     rc < 0 ? strerror(-rc) : "?");
        cr_assert(k.came, "%s: the order never came to the kitchen", what);
        for (size_t i = 0; i < n; i++)
            if (seen[i] && jobs[i].kind == JOB_COOK) {
                want.served += seen[i];
                want.sum += seen[i] * check_dish(jobs[i].seed, 1);
            }
        cr_assert(p.seen.served == want.served && p.seen.failed == 0 && p.seen.sum == want.sum,
                  "%s: while the order waited at the kitchen, %llu cooks had run (their one "
                  "waiter at the order now), but *t said served %llu, failed %llu, sum %llu "
                  "(expected %llu, 0, %llu): each waiter adds each result into *t as soon as it "
                  "has it (lab2.h), in a service of any size, never kept back to add a batch at "
                  "a time",
                  what, (unsigned long long)want.served, (unsigned long long)p.seen.served,
                  (unsigned long long)p.seen.failed, (unsigned long long)p.seen.sum,
                  (unsigned long long)want.served, (unsigned long long)want.sum);
    }
    free(jobs);
    free(runs);
    free(seen);
}

/* "each result into *t as soon as it has it": a cooked dish shows in *t while the other
 * jobs, two orders, still wait; and only that dish: the orders, taken but not answered,
 * have no result yet. The dish lies between the orders (order, cook, order), so whichever
 * end the tables are taken from (lab2.h fixes no order), one waiter takes an order and the
 * other the cook, and the second order is taken only once the cook is done, by the waiter
 * that cooked: both orders at the kitchen means the dish is in, *t.served is 1. The same
 * with a refused order between them: *t.failed is 1. */
Test(thread_tally, added_as_it_comes, .timeout = 8)
{
    struct job jobs[3];
    struct tally t = {0};
    struct watching_kitchen k = {.t = &t};

    k.lfd = check_listen(4, &k.port);
    cr_assert_eq(pthread_create(&k.tid, NULL, watching_kitchen_run, &k), 0);
    check_make_jobs(jobs, 3, "oco", 2000);
    for (int i = 0; i < 3; i++)
        jobs[i].port = k.port;
    /* the first few pthread_mutex_trylock() or _timedlock() calls find the lock busy
     * (fault.h), as when another waiter holds it at that moment: a result is added all the
     * same, once the lock is had, never kept back for later */
    fault_arm(FAULT_BUSY, 1, 8, EBUSY);
    int rc = thread_tally(jobs, 3, 2, &t);
    fault_disarm_all();
    shutdown(k.lfd, SHUT_RDWR);
    pthread_join(k.tid, NULL);
    close(k.lfd);
    CHECK_IMPL(rc, "thread_tally()", "threads.c");
    cr_assert_eq(rc, 0, "thread_tally(an order, a cook, an order; 2 waiters) returned %d", rc);
    cr_assert_eq(t.served, 3, "served %llu of 3", (unsigned long long)t.served);
    cr_assert(k.saw, "while 2 orders waited (and the first few trylocks found the lock busy), *t "
                     "never showed the dish already cooked: add each result into the shared tally "
                     "as soon as you have it, waiting for the lock if it is busy, not at the end "
                     "nor at some later take");
    cr_assert_eq(k.seen, 1,
                 "while 2 orders waited for the kitchen (their replies not yet sent), *t said "
                 "served %llu, expected 1 (the dish already cooked): a job counts once its "
                 "result is in, not when a waiter takes it",
                 (unsigned long long)k.seen);

    /* a failure too is a result, counted as it comes: between them an order nobody answers */
    struct tally f = {0};
    struct watching_kitchen kf = {.t = &f, .watch_failed = true};

    kf.lfd = check_listen(4, &kf.port);
    cr_assert_eq(pthread_create(&kf.tid, NULL, watching_kitchen_run, &kf), 0);
    check_make_jobs(jobs, 3, "oxo", 2000);
    jobs[0].port = jobs[2].port = kf.port;
    fault_arm(FAULT_BUSY, 1, 8, EBUSY);
    rc = thread_tally(jobs, 3, 2, &f);
    fault_disarm_all();
    shutdown(kf.lfd, SHUT_RDWR);
    pthread_join(kf.tid, NULL);
    close(kf.lfd);
    cr_assert(
        rc == 0 && f.served == 2 && f.failed == 1,
        "thread_tally(an order, a refused order, an order; 2 waiters) returned %d, served %llu, "
        "failed %llu, expected 0, 2 and 1",
        rc, (unsigned long long)f.served, (unsigned long long)f.failed);
    cr_assert(kf.saw && kf.seen == 1,
              "while 2 orders waited for the kitchen, *t said failed %llu, expected 1 (the "
              "refused order's result was in): a failed job counts as it comes too, never "
              "worked out at the end (n - served)",
              (unsigned long long)kf.seen);
    zero_while_first_waits();
    counted_while_serving();
}

/* 100,000 tiny cooks on 2 waiters, called from a thread with a 256 KiB stack
 * (call_on_small_stack()): like thread_map(), what the call keeps is sized by min(workers, n), on
 * its stack too. */
static void tally_on_small_stack(void)
{
    enum { N = 100000 };
    const char *what = "thread_tally(100000 tiny cooks, workers=2, from a thread of 256 KiB stack)";
    struct job *jobs = calloc(N, sizeof(*jobs));
    struct tally got, want;
    int rc;

    cr_assert(jobs, "calloc failed in the test");
    for (size_t i = 0; i < N; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 1};
    tally_want(jobs, N, NULL, &want);
    rc = call_on_small_stack(&(struct small_call){.jobs = jobs, .n = N, .t = &got, .workers = 2},
                             what);
    CHECK_IMPL(rc, "thread_tally()", "threads.c");
    cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", what, rc, rc < 0 ? strerror(-rc) : "?");
    check_tally(what, &got, &want);
    free(jobs);
}

/* "like thread_map()": never more threads than jobs, none for n = 0. */
Test(thread_tally, more_workers_than_jobs, .timeout = 5)
{
    static const char kind[] = "co";
    struct job jobs[2];
    struct tally got, want;
    const char *what = "thread_tally(2 jobs: cook, order, workers=8)";
    unsigned started;

    check_make_jobs(jobs, 2, kind, 50000);
    tally_want(jobs, 2, kind, &want);
    fault_arm(FAULT_THREAD, 0, 0, 0); /* count the threads started */
    tally_ok(what, jobs, 2, 8, &got);
    started = fault_calls(FAULT_THREAD);
    fault_disarm_all();
    check_tally(what, &got, &want);
    cr_assert(started <= 2,
              "%s started %u threads: a waiter with no table is a wasted thread, start "
              "min(workers, n), as thread_map() does",
              what, started);
    /* any int >= 1: what the call keeps is sized by min(workers, n), not by workers */
    tally_ok("thread_tally(2 jobs: cook, order, workers=INT_MAX)", jobs, 2, INT_MAX, &got);
    check_tally("thread_tally(2 jobs: cook, order, workers=INT_MAX)", &got, &want);
    fault_arm(FAULT_THREAD, 0, 0, 0);
    tally_ok("thread_tally(n=0, workers=4)", NULL, 0, 4, &got);
    started = fault_calls(FAULT_THREAD);
    fault_disarm_all();
    cr_assert_eq(started, 0,
                 "thread_tally(n=0, workers=4) started %u threads: with no jobs, start none",
                 started);
    check_big_n(true);
    tally_on_small_stack();
    blocks_by_crew(true);
}

/* "every thread has been joined" when thread_tally() returns: its joins counted. */
Test(thread_tally, joins_threads, .timeout = 5)
{
    struct job jobs[10];

    check_make_jobs(jobs, 10, NULL, 20000);
    joins_counted(true, jobs, 10, 3);
    joins_counted(true, jobs, 4, 4);
    joins_counted(true, jobs, 2, 8);
    many_joins_counted(true);
    locks_destroyed(true);
}

/* A job counts by its status, never by its value: a failed job (status not 0) is failed and
 * its value stays out of the sum; a served one (status 0) is served whatever its value, 0
 * included: a cook of seed 0 and 0 rounds is the dish 0 (the seed itself), served. */
Test(thread_tally, failures, .timeout = 5)
{
    static const char kind[] = "cxocxcox";
    enum { N = sizeof(kind) - 1 };
    struct job jobs[N];
    struct tally got, want;
    const char *what = "thread_tally(8 jobs, 3 of them orders to a closed port, workers=3)";

    check_make_jobs(jobs, N, kind, 100000);
    tally_want(jobs, N, kind, &want);
    tally_ok(what, jobs, N, 3, &got);
    check_tally(what, &got, &want);

    /* orders a kitchen took and botched, each way: failed, and each placed once */
    {
        enum { NB = 12 };
        struct job bjobs[NB];
        static struct botch_kitchen k; /* its thread outlives a failed assertion: never a local */
        const char *bwhat = "thread_tally(4 cooks, 8 orders to a kitchen that takes each and "
                            "botches it: \"ERR\", a hang-up, a reply cut off, a reset, workers=3)";
        int rc;

        botch_kitchen_start(&k, bjobs, NB);
        want = (struct tally){0};
        for (size_t i = 0; i < NB; i++) {
            if (bjobs[i].kind == JOB_COOK) {
                want.served++;
                want.sum += check_dish(bjobs[i].seed, bjobs[i].rounds);
            } else {
                want.failed++;
            }
        }
        rc = thread_tally(bjobs, NB, 3, &got);
        botch_kitchen_stop(&k);
        cr_assert_eq(rc, 0, "%s returned %d (%s), expected 0", bwhat, rc,
                     rc < 0 ? strerror(-rc) : "?");
        botch_kitchen_check(&k, bwhat);
        check_tally(bwhat, &got, &want);
    }

    /* the cooks 0 and 3 of the same jobs become dishes of 0: served, adding 0 to the sum */
    what = "thread_tally(8 jobs: 3 orders to a closed port, 2 cooks of seed 0 and 0 rounds "
           "(served, with the dish 0), workers=3)";
    jobs[0] = jobs[3] = (struct job){.kind = JOB_COOK, .seed = 0, .rounds = 0};
    cr_assert(check_expected(&jobs[0]).status == 0 && check_expected(&jobs[0]).value == 0,
              "harness error: a cook of seed 0 and 0 rounds is not the dish 0, served");
    tally_want(jobs, N, kind, &want);
    tally_ok(what, jobs, N, 3, &got);
    cr_assert(got.served == want.served && got.failed == want.failed,
              "%s: served %llu, failed %llu, expected served %llu, failed %llu: a job whose "
              "status is 0 is served even when its value is 0; tell served from failed by the "
              "status, not the value",
              what, (unsigned long long)got.served, (unsigned long long)got.failed,
              (unsigned long long)want.served, (unsigned long long)want.failed);
    check_tally(what, &got, &want);

    /* every job failed: still a night's service counted, not an error of the executor (a
     * version that returns the first failure's status when nothing was served, "the kitchen
     * is down": an examiner's, round 69) */
    what = "thread_tally(4 orders to a closed port, none served, workers=2)";
    check_make_jobs(jobs, 4, "xxxx", 100000);
    tally_want(jobs, 4, "xxxx", &want);
    tally_ok(what, jobs, 4, 2, &got);
    check_tally(what, &got, &want);
    edge_jobs(true);
    lost_orders(true);
}

Test(thread_tally, no_jobs, .timeout = 3)
{
    struct tally got, zero = {0};

    tally_ok("thread_tally(n=0, workers=4)", NULL, 0, 4, &got);
    check_tally("thread_tally(jobs=NULL, n=0, workers=4): *t starts from zero", &got, &zero);
    empty_tallies_hold_nothing();
}

/* *t after a call refused with -EINVAL: as the test set it (5, 6, 7). */
static void tally_untouched(const char *what, const struct tally *t)
{
    cr_assert(t->served == 5 && t->failed == 6 && t->sum == 7,
              "thread_tally(%s) returned -EINVAL but *t changed from 5/6/7 to %llu/%llu/%llu "
              "(served/failed/sum): a refused call writes nothing, check the arguments before "
              "resetting *t",
              what, (unsigned long long)t->served, (unsigned long long)t->failed,
              (unsigned long long)t->sum);
}

Test(thread_tally, bad_args, .timeout = 3)
{
    struct job jobs[2];
    struct tally t;
    const struct {
        const struct job *jobs;
        int workers;
        struct tally *t;
        const char *what;
    } bad[] = {
        {jobs, 2, NULL, "n=2, workers=2, t=NULL"},
        {NULL, 2, &t, "jobs=NULL, n=2, workers=2"},
        {jobs, 0, &t, "n=2, workers=0"},
        {jobs, -1, &t, "n=2, workers=-1"},
        {NULL, 2, &t, "jobs=NULL, n=1, workers=2"}, /* one job: the same checks */
        {jobs, 0, &t, "n=1, workers=0"},
    };

    check_make_jobs(jobs, 2, NULL, 10);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        t = (struct tally){.served = 5, .failed = 6, .sum = 7};
        int rc = thread_tally(bad[i].jobs, i < 4 ? 2 : 1, bad[i].workers, bad[i].t);

        CHECK_IMPL(rc, "thread_tally()", "threads.c");
        cr_assert_eq(rc, -EINVAL, "thread_tally(%s) returned %d, expected -EINVAL (%d)",
                     bad[i].what, rc, -EINVAL);
        tally_untouched(bad[i].what, &t);
    } /* workers < 1 is refused with n = 0 too: the arguments are checked first */
    for (int w = 0; w >= -1; w--) {
        t = (struct tally){.served = 5, .failed = 6, .sum = 7};
        int rc = thread_tally(NULL, 0, w, &t);

        cr_assert_eq(rc, -EINVAL,
                     "thread_tally(jobs=NULL, n=0, workers=%d) returned %d, expected -EINVAL "
                     "(%d): workers < 1 is refused whatever n is (check the arguments before "
                     "anything else, as thread_map() does)",
                     w, rc, -EINVAL);
        tally_untouched(w == 0 ? "jobs=NULL, n=0, workers=0" : "jobs=NULL, n=0, workers=-1", &t);
    } /* t = NULL is refused whatever n is: there is no *t to reset */
    refused_keep_nothing(true);
    int rc = thread_tally(NULL, 0, 2, NULL);
    cr_assert_eq(rc, -EINVAL,
                 "thread_tally(jobs=NULL, n=0, workers=2, t=NULL) returned %d, "
                 "expected -EINVAL (%d): check t before anything else, n = 0 included",
                 rc, -EINVAL);
}

/* ---- two calls at once --------------------------------------------------------------------- */

/*
 * A call keeps no state between or across calls (lab2.h): two calls at once, from two
 * threads of the caller, each run their own jobs into their own out[] or *t. Each side
 * below calls again and again, the two calls of a round let go together (a barrier), on
 * its own 20,000 tiny cook jobs. A next-job index (or a table of thread ids, a tally)
 * kept in a file-static is shared by both calls: one call's waiters take the other's
 * jobs, and jobs are skipped or run twice.
 */
struct side {
    bool tally;
    struct job *jobs;
    size_t n;
    struct result *out, *want; /* thread_map() */
    struct tally t, want_t;    /* thread_tally() */
    pthread_barrier_t *go;
    int rounds;
    char err[256]; /* the first thing wrong, "" when all went right */
};

static void *side_run(void *arg)
{
    struct side *s = arg;
    const char *name = s->tally ? "thread_tally" : "thread_map";

    for (int r = 1; r <= s->rounds; r++) {
        int rc;

        if (!s->tally)
            poison(s->out, s->n);
        pthread_barrier_wait(s->go);
        rc =
            s->tally ? thread_tally(s->jobs, s->n, 3, &s->t) : thread_map(s->jobs, s->n, s->out, 3);
        if (s->err[0])
            continue; /* keep meeting the other side at the barrier */
        if (rc != 0) {
            snprintf(s->err, sizeof(s->err), "%s(...) returned %d (%s), expected 0", name, rc,
                     rc < 0 ? strerror(-rc) : "?");
        } else if (s->tally && (s->t.served != s->want_t.served || s->t.failed != 0 ||
                                s->t.sum != s->want_t.sum)) {
            snprintf(s->err, sizeof(s->err),
                     "round %d: *t served %llu, failed %llu, sum %llu; expected served %llu, "
                     "failed 0, sum %llu",
                     r, (unsigned long long)s->t.served, (unsigned long long)s->t.failed,
                     (unsigned long long)s->t.sum, (unsigned long long)s->want_t.served,
                     (unsigned long long)s->want_t.sum);
        } else if (!s->tally) {
            size_t bad = 0, first = s->n;

            for (size_t i = 0; i < s->n; i++)
                if (s->out[i].value != s->want[i].value || s->out[i].status != s->want[i].status) {
                    bad++;
                    first = first < s->n ? first : i;
                }
            if (bad)
                snprintf(s->err, sizeof(s->err),
                         "round %d: %zu of %zu results wrong or never written, the first "
                         "out[%zu] (value %llu, status %d; expected %llu, status %d)",
                         r, bad, s->n, first, (unsigned long long)s->out[first].value,
                         s->out[first].status, (unsigned long long)s->want[first].value,
                         s->want[first].status);
        }
    }
    return NULL;
}

/*
 * Nor between calls: a call frees what it allocated (lab2.h), so once it has returned it holds
 * no memory (check_heap_held()). A table of thread ids kept in a file-static for the next
 * call (grown when a call needs more, never freed) is still held: a first call of 1 waiter
 * (where the C library's one-time allocations fall), then a call of 16 waiters on 16 quick
 * cook jobs must hold less than 64 bytes more than before it (the solution: 0, or 16 when
 * the C library's blocks for the threads it keeps at hand fall differently); the kept table
 * grows by 120 bytes at least (8 bytes a thread id). Nor a lock: a mutex the calls lock
 * that lies in the program's static storage (a file-static or global, fault.h's
 * fault_count_static_locks()) is one lock for every call, though no two calls may ever wait
 * for it here: two calls at once share it, and a child fork()ed while another thread holds it
 * gets a copy that stays locked for ever.
 */
static void nothing_held(bool tally)
{
    enum { W = 16 };
    const char *name = tally ? "thread_tally" : "thread_map";
    struct job jobs[W];
    struct result out[W];
    struct tally t;
    long held;

    for (int i = 0; i < W; i++)
        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .rounds = 1000};
    for (int w = 1; w <= W; w += W - 1) {
        struct small_call c = {
            .jobs = jobs, .n = (size_t)w, .out = out, .workers = w, .t = tally ? &t : NULL};

        fault_count_static_locks(1);
        held = check_heap_held(small_call_run, &c, w);
        unsigned locks = fault_static_locks();
        fault_count_static_locks(0);
        CHECK_IMPL(c.rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(locks, 0,
                     "%s(%d quick cook jobs, workers=%d) locked a mutex in static storage %u "
                     "times (a file-static or global lock): one lock for every call, which two "
                     "calls at once share, and which a fork() in another thread copies locked. "
                     "A call keeps no state between or across calls (lab2.h: no file-static "
                     "index, lock or table): its locks live in the call, with its shared state",
                     name, w, w, locks);
        cr_assert_eq(c.rc, 0, "%s(%d quick cook jobs, workers=%d) returned %d (%s), expected 0",
                     name, w, w, c.rc, c.rc < 0 ? strerror(-c.rc) : "?");
    }
    cr_assert(held < 64,
              "%s(16 quick cook jobs, workers=16), after a first call of 1 worker: %ld more bytes "
              "of the heap in use once it had returned than before: the call still holds memory "
              "it allocated (a table of thread ids kept in a file-static for the next call?). A "
              "call keeps no state between calls and frees what it allocated before it returns "
              "(lab2.h): the thread ids and the shared state live in the call",
              name, held);
}

/*
 * And across calls: two calls at once from two threads run together, not one after the
 * other (a lock of the file's held for the whole call makes them take turns). Each call is
 * one order on 1 waiter to a kitchen of the test's own that holds the orders until both are
 * in (or 3 s): the second call's order comes while the first is held only if the two calls
 * run at once; a call that waits for the other to end never sends it then (certain, not
 * timed: only the 3 s the kitchen waits for a second order, which two calls at once send
 * within milliseconds).
 */
struct overlap_side {
    bool tally;
    int per; /* orders of this call, and its workers */
    struct job job[2];
    struct result out[2];
    struct tally t;
    pthread_barrier_t *go;
    int rc;
};

static void *overlap_run(void *arg)
{
    struct overlap_side *s = arg;

    pthread_barrier_wait(s->go);
    s->rc = s->tally ? thread_tally(s->job, (size_t)s->per, s->per, &s->t)
                     : thread_map(s->job, (size_t)s->per, s->out, s->per);
    return NULL;
}

/* `per` orders a call on `per` workers, two calls at once: the kitchen holds the orders until
 * all 2 x per are in. With per = 2, a call that shares its workers with the other call in
 * flight (a file-static count of the calls, workers / calls each) runs one order at a time
 * and never sends its second while the first is held (an examiner's, round 71). */
static void calls_overlap_each(bool tally, int per)
{
    const char *name = tally ? "thread_tally" : "thread_map";
    struct overlap_side side[2];
    struct counting_kitchen k;
    pthread_barrier_t go;
    char what[96];

    ck_start(&k, 2 * per, 3000);
    cr_assert_eq(pthread_barrier_init(&go, NULL, 2), 0, "pthread_barrier_init failed in the test");
    for (int i = 0; i < 2; i++) {
        side[i] = (struct overlap_side){.tally = tally, .per = per, .go = &go};
        for (int j = 0; j < per; j++)
            side[i].job[j] = (struct job){.kind = JOB_ORDER, .seed = check_rand(), .port = k.port};
    }
    check_two_threads(overlap_run, &side[0], &side[1]);
    pthread_barrier_destroy(&go);
    ck_stop(&k);
    snprintf(what, sizeof(what), "%d order%s each, workers=%d", per, per > 1 ? "s" : "", per);
    for (int i = 0; i < 2; i++) {
        CHECK_IMPL(side[i].rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(side[i].rc, 0,
                     "two %s() calls at once (%s), call %c returned %d (%s), "
                     "expected 0",
                     name, what, "AB"[i], side[i].rc, side[i].rc < 0 ? strerror(-side[i].rc) : "?");
        if (!tally)
            check_results(&lab_map, "thread_map(), one of two calls at once", side[i].job, NULL,
                          side[i].out, (size_t)per);
    }
    cr_assert(k.max_waiting >= 2 * per,
              "two %s() calls at once from two threads (%s): the kitchen, which held the orders "
              "until all %d had come, never had them all waiting (at most %d): the calls did "
              "not run their orders together. Two calls at once run together, each with all "
              "its own workers: no lock of the file's (a static mutex) held for the whole call, "
              "no count of the calls in a file-static that shares the workers out; what a call "
              "shares, it shares with its own waiters only (lab2.h)",
              name, what, 2 * per, k.max_waiting);
}

static void calls_overlap(bool tally)
{
    calls_overlap_each(tally, 1);
    calls_overlap_each(tally, 2);
}

/* The jobs are the caller's and const (lab2.h: `const struct job *jobs`): the call only reads
 * them. 64 cook jobs in a page the test makes read-only (mprotect()), on 4 waiters, in a child
 * process, so that a write into them (a "taken" flag kept in a job's padding: an examiner's,
 * round 72) ends that child with SIGSEGV, not the test: every result right, no crash. The
 * results (and totals) come back through memory the child shares with the test. */
static void jobs_read_only(bool tally)
{
    enum { N = 64, W = 4 };
    const char *fn = tally ? "thread_tally" : "thread_map";
    size_t jlen = N * sizeof(struct job);
    struct job *jobs = mmap(NULL, jlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct shared {
        struct result out[N];
        struct tally t;
        int rc;
    } *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct tally want;
    char what[128];
    int status;

    cr_assert(jobs != MAP_FAILED && sh != MAP_FAILED, "mmap failed in the test");
    check_make_jobs(jobs, N, NULL, 2000);
    tally_want(jobs, N, NULL, &want);
    cr_assert_eq(mprotect(jobs, jlen, PROT_READ), 0, "mprotect failed in the test");
    poison(sh->out, N);
    sh->t = (struct tally){.served = 12345, .failed = 678, .sum = 9};
    sh->rc = 77;
    snprintf(what, sizeof(what), "%s(%d cook jobs in read-only memory, workers=%d)", fn, N, W);
    pid_t pid = fork();

    cr_assert(pid >= 0, "fork failed in the test");
    if (pid == 0) {
        fault_disarm_all();
        sh->rc = executor(tally, jobs, N, W, sh->out, &sh->t);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid, "waitpid failed in the test");
    CHECK_IMPL(sh->rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
    cr_assert(!WIFSIGNALED(status),
              "%s: the process making the call was killed by signal %d (%s): the call wrote "
              "into jobs[], which it is given const (lab2.h) and here lies in read-only memory. "
              "Only read the jobs: keep what the waiters share (which tables are taken) in the "
              "call's own state",
              what, WTERMSIG(status), strsignal(WTERMSIG(status)));
    cr_assert_eq(sh->rc, 0, "%s returned %d (%s), expected 0", what, sh->rc,
                 sh->rc < 0 ? strerror(-sh->rc) : "?");
    if (tally)
        check_tally(what, &sh->t, &want);
    else
        check_results(&lab_map, what, jobs, NULL, sh->out, N);
    munmap(jobs, jlen);
    munmap(sh, sizeof(*sh));
}

/* One call after another keeps nothing for the next, of what the C library counts out too: a
 * thread-specific key made by each call and never deleted (an examiner's, round 72) leaves
 * the process without keys after 1024 calls (PTHREAD_KEYS_MAX), and every call then fails.
 * 1,100 calls of 1 cook job on 1 waiter must each return 0 with the right result. */
static void calls_without_end(void)
{
    enum { CALLS = 1100 };
    struct job job;
    struct result out;
    char what[96];

    check_make_jobs(&job, 1, NULL, 10);
    for (int c = 1; c <= CALLS; c++) {
        poison(&out, 1);
        int rc = thread_map(&job, 1, &out, 1);

        if (rc == 0 && out.status == 0 && out.value == check_expected(&job).value)
            continue;
        snprintf(what, sizeof(what), "thread_map(1 cook job, workers=1), call %d of %d", c, CALLS);
        CHECK_IMPL(rc, "thread_map()", "threads.c");
        cr_assert_eq(rc, 0,
                     "%s returned %d (%s), expected 0: every call works however many came "
                     "before; what a call makes (a thread-specific key, pthread_key_create(), a "
                     "lock, memory) it undoes before it returns (pthread_key_delete()), or the "
                     "process runs out of it",
                     what, rc, rc < 0 ? strerror(-rc) : "?");
        check_results(&lab_map, what, &job, NULL, &out, 1);
    }
}

/* Nor what a failed call met: a call whose k-th pthread_create() failed (k drawn, 2 to 4, with
 * EAGAIN, EPERM and EINVAL in turn) teaches the next call nothing, no "thread limit" kept in a
 * file-static that caps later crews (an examiner's, round 74: the waiters a call got before
 * EAGAIN kept as the machine's limit). After each, a call of 2k + 4 to 2k + 11 one-job tables
 * on as many waiters has them all under way at once (crew_at_once(): each dish held until
 * all are, 3 s at most). */
static void failure_forgotten(bool tally)
{
    static const int errs[] = {EAGAIN, EPERM, EINVAL};
    const char *fn = tally ? "thread_tally" : "thread_map";
    struct job jobs[6];
    struct result out[6];
    struct tally t;

    check_make_jobs(jobs, 6, NULL, 10);
    for (int e = 0; e < 3; e++) {
        unsigned k = 2 + (unsigned)(check_rand() % 3);
        int crew = 2 * (int)k + 4 + (int)(check_rand() % 8);

        fault_arm(FAULT_THREAD, k, 0, errs[e]);
        int rc = executor(tally, jobs, 6, 6, out, &t);
        bool failed = fault_failed(FAULT_THREAD) > 0;

        fault_disarm_all();
        CHECK_IMPL(rc, tally ? "thread_tally()" : "thread_map()", "threads.c");
        cr_assert_eq(rc, failed ? -errs[e] : 0,
                     "%s(6 cook jobs, workers=6), every pthread_create() from the %u%s on failing "
                     "with %s, returned %d (%s), expected %d",
                     fn, k,
                     k == 2   ? "nd"
                     : k == 3 ? "rd"
                              : "th",
                     strerrorname_np(errs[e]), rc, rc < 0 ? strerror(-rc) : "no error",
                     failed ? -errs[e] : 0);
        int most = crew_at_once(tally, crew);

        cr_assert_eq(most, crew,
                     "%s(%d one-job tables, workers=%d), called after a call whose %u%s "
                     "pthread_create() failed with %s: %d jobs under way at once at most, "
                     "expected %d: a call keeps no state between calls (lab2.h), nor a \"thread "
                     "limit\" learned from an earlier failure: each call starts min(workers, n) "
                     "waiters",
                     fn, crew, crew, k,
                     k == 2   ? "nd"
                     : k == 3 ? "rd"
                              : "th",
                     strerrorname_np(errs[e]), most, crew);
    }
}

static void two_at_once(bool tally)
{
    enum { N = 20000, ROUNDS = 12 };
    struct side side[2];
    pthread_barrier_t go;
    const char *name = tally ? "thread_tally" : "thread_map";

    cr_assert_eq(pthread_barrier_init(&go, NULL, 2), 0, "pthread_barrier_init failed in the test");
    for (int k = 0; k < 2; k++) {
        struct side *s = &side[k];
        uint64_t base = check_rand() >> 1;

        *s = (struct side){.tally = tally, .n = N, .go = &go, .rounds = ROUNDS};
        s->jobs = calloc(N, sizeof(*s->jobs));
        s->out = calloc(N, sizeof(*s->out));
        s->want = calloc(N, sizeof(*s->want));
        cr_assert(s->jobs && s->out && s->want, "calloc failed in the test");
        for (size_t i = 0; i < N; i++) {
            s->jobs[i] = (struct job){.kind = JOB_COOK, .seed = base + i, .rounds = 1 + i % 4};
            s->want[i] = check_expected(&s->jobs[i]);
        }
        tally_want(s->jobs, N, NULL, &s->want_t);
    }
    check_two_threads(side_run, &side[0], &side[1]);
    pthread_barrier_destroy(&go);
    for (int k = 0; k < 2; k++)
        cr_assert(!side[k].err[0],
                  "two %s() calls at once from two threads (each on its own 20000 tiny cook "
                  "jobs, workers=3, %d rounds), call %c: %s. A call keeps no state between or "
                  "across calls: its next-job index, lock and thread ids live in the call (on "
                  "its stack or in what it allocates), never in a file-static",
                  name, ROUNDS, "AB"[k], side[k].err);
    for (int k = 0; k < 2; k++) {
        free(side[k].jobs);
        free(side[k].out);
        free(side[k].want);
    }
}

Test(thread_map, two_at_once, .timeout = 10)
{
    nothing_held(false);
    calls_overlap(false);
    two_at_once(false);
    jobs_read_only(false);
    calls_without_end();
    failure_forgotten(false);
}

Test(thread_tally, two_at_once, .timeout = 10)
{
    nothing_held(true);
    calls_overlap(true);
    two_at_once(true);
    jobs_read_only(true);
    failure_forgotten(true);
}
