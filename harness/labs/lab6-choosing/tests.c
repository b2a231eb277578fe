/* tests.c: lab 6 correctness: a pool of processes each with its GIL, and the hybrid. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fault.h"
#include "lab5.h"
#include "lab6.h"

/* ---- what lab 6 borrows from your earlier labs ---------------------------------------------- */

/* Your lab 4 GIL and lab 5 loop run inside lab 6: a stub there is not a fault here. */
static void needs_gil(void)
{
    struct gil g;
    int rc = gil_init(&g, GIL_DEFAULT_INTERVAL_US);

    if (rc == -ENOSYS)
        cr_assert_fail("not implemented: gil_init() in your lab 4 gil.c, which lab 6 runs "
                       "(make check LAB=4 first)");
    cr_assert_eq(rc, 0, "your lab 4 gil_init() failed: %s (make check LAB=4)", strerror(-rc));
    gil_destroy(&g);
}

static void needs_loop(void)
{
    struct loop *l = NULL;
    int rc = loop_new(&l);

    if (rc == -ENOSYS)
        cr_assert_fail("not implemented: loop_new() in your lab 5 loop.c, which lab 6 runs "
                       "(make check LAB=5 first)");
    cr_assert_eq(rc, 0, "your lab 5 loop_new() failed: %s (make check LAB=5)", strerror(-rc));
    loop_free(l);
}

/* ---- jobs ---------------------------------------------------------------------------------- */

/* kinds: 'c' a small cook, 'C' a cook of about 50 ms, 'o' an order, 'm' a small meal,
 * 'M' a meal whose cooking takes about 50 ms, 'x' a job of no kind any executor runs. */
static void lab6_jobs(struct job *jobs, const char *kinds, uint16_t port)
{
    for (size_t i = 0; kinds[i]; i++) {
        char k = kinds[i];

        jobs[i] = (struct job){.kind = JOB_COOK, .seed = check_rand(), .port = port};
        if (k == 'o')
            jobs[i].kind = JOB_ORDER;
        if (k == 'm' || k == 'M')
            jobs[i].kind = JOB_MEAL;
        if (k == 'x')
            jobs[i].kind = (enum job_kind)77;
        jobs[i].rounds = k == 'C' || k == 'M' ? check_rounds_for_ms(50)
                         : k == 'o'           ? 0
                                              : 1 + check_rand() % 20000;
    }
}

/* out[i] is what ref_job_run() makes of jobs[i] (or -EINVAL for a job of no kind). */
static void check_outcome(const char *who, const struct job *jobs, const struct result *out,
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct result want;

        ref_job_run(&jobs[i], &want);
        cr_assert(out[i].status == want.status && out[i].value == want.value,
                  "%s: job %zu of %zu (%s): got status %d value %llu, want status %d value "
                  "%llu: out[i] belongs to jobs[i], whoever ran it",
                  who, i, n,
                  jobs[i].kind == JOB_COOK    ? "cook"
                  : jobs[i].kind == JOB_ORDER ? "order"
                  : jobs[i].kind == JOB_MEAL  ? "meal"
                                              : "unknown kind",
                  out[i].status, (unsigned long long)out[i].value, want.status,
                  (unsigned long long)want.value);
    }
}

/* ---- gil_pool_map() -------------------------------------------------------------------------- */

static struct interp_tally *tally_begin(void)
{
    struct interp_tally *t =
        mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    cr_assert(t != MAP_FAILED, "the test could not map its tally: %s", strerror(errno));
    memset(t, 0, sizeof(*t));
    interp_tally_into(t);
    return t;
}

static int tally_pids(const struct interp_tally *t, int *self)
{
    int n = 0;

    *self = 0;
    for (int i = 0; i < INTERP_TALLY_PIDS && t->pids[i]; i++, n++)
        *self |= t->pids[i] == getpid();
    return n;
}

Test(gil_pool, results_in_order)
{
    struct job jobs[12];
    struct result out[12];

    needs_gil();
    lab6_jobs(jobs, "cococcoccCoc", check_kitchen_port());
    int rc = gil_pool_map(jobs, 12, out, 3);
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    cr_assert_eq(rc, 0, "gil_pool_map(12 jobs, 3 workers) returned %d", rc);
    check_outcome("gil_pool_map(12 jobs, 3 workers)", jobs, out, 12);
}

Test(gil_pool, no_jobs)
{
    struct result out[1] = {{.value = 7, .status = 7}};

    int rc = gil_pool_map(NULL, 0, out, 2);
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    cr_assert_eq(rc, 0, "gil_pool_map(n = 0) returned %d, want 0", rc);
    cr_assert(out[0].value == 7 && out[0].status == 7, "gil_pool_map(n = 0) wrote out[0]");
}

Test(gil_pool, bad_args)
{
    struct job jobs[1];
    struct result out[1];

    lab6_jobs(jobs, "c", 0);
    int rc = gil_pool_map(jobs, 1, out, 0);
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    cr_assert_eq(rc, -EINVAL, "gil_pool_map(workers = 0) returned %d, want -EINVAL", rc);
    cr_assert_eq(gil_pool_map(NULL, 1, out, 2), -EINVAL, "gil_pool_map(jobs = NULL, n = 1)");
    cr_assert_eq(gil_pool_map(jobs, 1, NULL, 2), -EINVAL, "gil_pool_map(out = NULL, n = 1)");
}

/* The pool is processes, each running bytecode under a GIL of its own: the tally sees
 * every job run as bytecode, with a GIL, by exactly min(W, n) pids, none of them ours;
 * and fork() was called that many times, once per worker, not once per job. */
Test(gil_pool, bytecode_in_workers)
{
    struct job jobs[10];
    struct result out[10];
    int self;

    needs_gil();
    lab6_jobs(jobs, "cCcCcCcCcC", 0); /* long enough that every worker gets one */
    struct interp_tally *t = tally_begin();
    fault_arm(FAULT_FORK, 1, 0, 0);
    int rc = gil_pool_map(jobs, 10, out, 3);
    unsigned forks = fault_calls(FAULT_FORK);
    fault_disarm_all();
    interp_tally_into(NULL);
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    cr_assert_eq(rc, 0, "gil_pool_map(10 jobs, 3 workers) returned %d", rc);
    check_outcome("gil_pool_map(10 jobs, 3 workers)", jobs, out, 10);
    int pids = tally_pids(t, &self);
    cr_assert_eq(t->jobs, 10,
                 "%u of 10 jobs ran as bytecode: each job runs once, through interp_run_job()",
                 t->jobs);
    cr_assert_eq(t->without_gil, 0,
                 "%u jobs ran on an interpreter with no GIL: interp_init(&rt, &g) with the "
                 "worker's own GIL",
                 t->without_gil);
    cr_assert(!self, "the calling process ran bytecode itself: the workers do, in processes");
    cr_assert_eq(forks, 3,
                 "fork() was called %u times for 3 workers: start the pool once "
                 "(one process per worker, not per job)",
                 forks);
    cr_assert(pids <= 3, "%d processes ran bytecode for 3 workers", pids);
    if (pids < 2)
        cr_skip_test("one worker ran every job before the others started (a busy machine)");
    munmap(t, sizeof(*t));
}

Test(gil_pool, more_workers_than_jobs)
{
    struct job jobs[2];
    struct result out[2];

    needs_gil();
    lab6_jobs(jobs, "cc", 0);
    fault_arm(FAULT_FORK, 1, 0, 0);
    int rc = gil_pool_map(jobs, 2, out, 8);
    unsigned forks = fault_calls(FAULT_FORK);
    fault_disarm_all();
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    cr_assert_eq(rc, 0, "gil_pool_map(2 jobs, 8 workers) returned %d", rc);
    check_outcome("gil_pool_map(2 jobs, 8 workers)", jobs, out, 2);
    cr_assert_eq(forks, 2, "fork() was called %u times for 2 jobs: never more workers than jobs",
                 forks);
}

/* A worker killed in the middle of a job costs that job (-EIO), and no other. */
struct killer {
    pid_t parent;
    double after;
};

/* Kill the first child of `parent` found in /proc, `after` seconds from now. */
static void *kill_a_worker(void *arg)
{
    struct killer *k = arg;
    char path[64];
    int child = 0;

    usleep((useconds_t)(k->after * 1e6));
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", k->parent, k->parent);
    FILE *f = fopen(path, "r");
    if (f && fscanf(f, "%d", &child) == 1 && child > 0)
        kill(child, SIGKILL);
    if (f)
        fclose(f);
    return (void *)(intptr_t)child;
}

Test(gil_pool, worker_killed)
{
    struct job jobs[6];
    struct result out[6];
    struct killer k = {.parent = getpid(), .after = 0.06};
    pthread_t tid;
    void *killed;

    needs_gil();
    lab6_jobs(jobs, "CCCCCC", 0);
    for (int i = 0; i < 6; i++)
        jobs[i].rounds *= 4; /* about 200 ms each: a kill lands in the middle of one */
    pthread_create(&tid, NULL, kill_a_worker, &k);
    int rc = gil_pool_map(jobs, 6, out, 2);
    pthread_join(tid, &killed);
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    if (!killed)
        cr_skip_test("no worker was found to kill at 60 ms (the machine is too slow)");
    cr_assert_eq(rc, 0,
                 "gil_pool_map() returned %d after a worker was killed: a dead worker "
                 "costs its own job, and the call still returns 0",
                 rc);
    int lost = 0;
    for (int i = 0; i < 6; i++) {
        struct result want;

        ref_job_run(&jobs[i], &want);
        if (out[i].status == -EIO) {
            lost++;
            continue;
        }
        cr_assert(out[i].status == 0 && out[i].value == want.value,
                  "job %d: status %d value %llu, want the dish %llu or -EIO", i, out[i].status,
                  (unsigned long long)out[i].value, (unsigned long long)want.value);
    }
    /* one job lost, or none if the kill came before the worker had taken its first */
    cr_assert(lost <= 1,
              "%d jobs read -EIO after one worker was killed: only the job it was "
              "cooking is lost, the other worker cooks the rest",
              lost);
}

/* Lines of /proc/self/maps: a mapping left behind is one more. */
static int mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, c;

    cr_assert(f, "the test could not read /proc/self/maps");
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* True when this process has no child left, ended or not: every worker was waited for. */
static bool no_children(void)
{
    return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

/* Every worker waited for, the shared mapping unmapped, no descriptor left open. */
Test(gil_pool, leaves_nothing)
{
    struct job jobs[6];
    struct result out[6];

    needs_gil();
    lab6_jobs(jobs, "cccccc", 0);
    int maps = mappings(), fds = check_open_fds();
    int rc = gil_pool_map(jobs, 6, out, 3);
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    cr_assert_eq(rc, 0, "gil_pool_map(6 jobs, 3 workers) returned %d", rc);
    cr_assert(no_children(), "a worker was not waited for: it stays a zombie until the caller "
                             "exits (waitpid() each worker before returning)");
    cr_assert_eq(mappings(), maps,
                 "%d mappings before gil_pool_map(), %d after: munmap() the shared "
                 "mapping before returning",
                 maps, mappings());
    cr_assert_eq(check_open_fds(), fds, "%d descriptors open before gil_pool_map(), %d after", fds,
                 check_open_fds());
}

/* A fork() that fails stops the pool: the workers already started are waited for, and
 * the call returns fork()'s -errno. */
Test(gil_pool, fork_fails)
{
    struct job jobs[6];
    struct result out[6];

    needs_gil();
    lab6_jobs(jobs, "cccccc", 0);
    fault_arm(FAULT_FORK, 2, 0, EAGAIN);
    int rc = gil_pool_map(jobs, 6, out, 3);
    fault_disarm_all();
    CHECK_IMPL(rc, "gil_pool_map()", "gilpool.c");
    cr_assert_eq(rc, -EAGAIN,
                 "the 2nd fork() failed with EAGAIN: gil_pool_map() returned %d, want -EAGAIN", rc);
    cr_assert(no_children(), "the worker started before fork() failed was not waited for");
}

/* ---- hybrid_map() ------------------------------------------------------------------------------
 */

Test(hybrid, meals)
{
    struct job jobs[8];
    struct result out[8];

    needs_loop();
    lab6_jobs(jobs, "mmmmmmmm", check_kitchen_port());
    int rc = hybrid_map(jobs, 8, out, 2);
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0, "hybrid_map(8 meals, 2 cooks) returned %d", rc);
    check_outcome("hybrid_map(8 meals, 2 cooks)", jobs, out, 8);
}

Test(hybrid, every_kind)
{
    struct job jobs[9];
    struct result out[9];

    needs_loop();
    lab6_jobs(jobs, "cmoxmcocm", check_kitchen_port());
    int rc = hybrid_map(jobs, 9, out, 3);
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0, "hybrid_map(cooks, orders, meals, one of no kind) returned %d", rc);
    check_outcome("hybrid_map(cooks, orders, meals, one of no kind)", jobs, out, 9);
}

Test(hybrid, no_jobs)
{
    struct result out[1] = {{.value = 7, .status = 7}};

    int rc = hybrid_map(NULL, 0, out, 2);
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0, "hybrid_map(n = 0) returned %d, want 0", rc);
    cr_assert(out[0].value == 7 && out[0].status == 7, "hybrid_map(n = 0) wrote out[0]");
}

Test(hybrid, bad_args)
{
    struct job jobs[1];
    struct result out[1];

    lab6_jobs(jobs, "c", 0);
    int rc = hybrid_map(jobs, 1, out, 0);
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, -EINVAL, "hybrid_map(workers = 0) returned %d, want -EINVAL", rc);
    cr_assert_eq(hybrid_map(NULL, 1, out, 2), -EINVAL, "hybrid_map(jobs = NULL, n = 1)");
    cr_assert_eq(hybrid_map(jobs, 1, NULL, 2), -EINVAL, "hybrid_map(out = NULL, n = 1)");
}

/* A meal whose order is refused is not cooked: its status is the order's. */
Test(hybrid, failed_order)
{
    struct job jobs[4];
    struct result out[4];

    needs_loop();
    lab6_jobs(jobs, "mmmm", check_kitchen_port());
    jobs[2].port = check_free_port();
    int rc = hybrid_map(jobs, 4, out, 2);
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0,
                 "hybrid_map() with one order refused returned %d: a failed job has "
                 "its own status",
                 rc);
    cr_assert_eq(out[2].status, -ECONNREFUSED,
                 "the meal whose order was refused: status %d, want -ECONNREFUSED (the "
                 "order's own failure, and nothing cooked)",
                 out[2].status);
    check_outcome("the other meals", jobs, out, 2);
    check_outcome("the other meals", jobs + 3, out + 3, 1);
}

static double thread_cpu(void)
{
    struct rusage u;

    getrusage(RUSAGE_THREAD, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* The waiter (the calling thread, where the loop runs) never cooks: its own CPU time
 * stays far below the cooking's, which the crew's threads spend. */
Test(hybrid, loop_never_cooks)
{
    struct job jobs[6];
    struct result out[6];

    needs_loop();
    lab6_jobs(jobs, "MMMMMM", check_kitchen_port());
    double c0 = thread_cpu();
    int rc = hybrid_map(jobs, 6, out, 2);
    double waiter = thread_cpu() - c0;
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0, "hybrid_map(6 meals) returned %d", rc);
    check_outcome("hybrid_map(6 meals)", jobs, out, 6);
    cr_assert(waiter < 0.1,
              "the waiter's thread (the loop's) used %.0f ms of CPU for 6 meals "
              "of ~50 ms of cooking each: it cooked; the callback must hand the "
              "meal to a cook and return",
              waiter * 1e3);
}

/* The loop hands a meal over and goes on: replies that come together are cooked together,
 * by as many cooks as there are. A loop that waits in its callback until the cook is done
 * (a blocking wait for the pool) has one meal cooking at a time, however big the crew. */
Test(hybrid, cooks_together)
{
    struct job jobs[6];
    struct result out[6];

    needs_loop();
    lab6_jobs(jobs, "MMMMMM", check_kitchen_port());
    workload_count_cooks(1);
    int rc = hybrid_map(jobs, 6, out, 2);
    int most = workload_cooks_at_once();
    workload_count_cooks(0);
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0, "hybrid_map(6 meals, 2 cooks) returned %d", rc);
    check_outcome("hybrid_map(6 meals, 2 cooks)", jobs, out, 6);
    cr_assert(most >= 2,
              "6 meals whose replies come together, 2 cooks: never were two meals "
              "cooking at once (the most was %d); the loop's callback must queue the "
              "meal and return, not wait for a cook to finish it",
              most);
    cr_assert(most <= 2, "%d meals cooking at once with a crew of 2: cook on the crew only", most);
}

/* A crew of `workers` cooks, and no other thread: the loop runs on the calling thread. */
Test(hybrid, crew_size)
{
    struct job jobs[8];
    struct result out[8];

    needs_loop();
    lab6_jobs(jobs, "mmmmcccc", check_kitchen_port());
    fault_arm(FAULT_THREAD, 1, 0, 0);
    int rc = hybrid_map(jobs, 8, out, 3);
    unsigned threads = fault_calls(FAULT_THREAD);
    fault_disarm_all();
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0, "hybrid_map(8 jobs, 3 cooks) returned %d", rc);
    check_outcome("hybrid_map(8 jobs, 3 cooks)", jobs, out, 8);
    cr_assert_eq(threads, 3,
                 "hybrid_map(8 jobs, workers = 3) started %u threads: a crew of 3 "
                 "cooks, and the loop on the calling thread",
                 threads);
}

/* Threads joined and descriptors closed, whatever the jobs did. */
Test(hybrid, leaves_nothing)
{
    struct job jobs[6];
    struct result out[6];

    needs_loop();
    lab6_jobs(jobs, "mocmom", check_kitchen_port());
    jobs[1].port = check_free_port();
    int fds = check_open_fds(), threads = check_threads();
    int rc = hybrid_map(jobs, 6, out, 2);
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, 0, "hybrid_map() returned %d", rc);
    usleep(20000); /* a joined thread may take a moment to leave /proc */
    cr_assert_eq(check_open_fds(), fds, "%d descriptors open before hybrid_map(), %d after", fds,
                 check_open_fds());
    cr_assert_eq(check_threads(), threads,
                 "%d threads before hybrid_map(), %d after: join "
                 "every cook",
                 threads, check_threads());
}

/* A cook thread that cannot start is the executor's failure, after the others are joined. */
Test(hybrid, crew_fails)
{
    struct job jobs[4];
    struct result out[4];

    needs_loop();
    lab6_jobs(jobs, "mmmm", check_kitchen_port());
    int threads = check_threads();
    fault_arm(FAULT_THREAD, 2, 0, EAGAIN);
    int rc = hybrid_map(jobs, 4, out, 3);
    fault_disarm_all();
    CHECK_IMPL(rc, "hybrid_map()", "hybrid.c");
    cr_assert_eq(rc, -EAGAIN,
                 "the 2nd pthread_create() failed with EAGAIN: hybrid_map() "
                 "returned %d, want -EAGAIN",
                 rc);
    usleep(20000);
    cr_assert_eq(check_threads(), threads, "the cook started before the failure was not joined");
}
