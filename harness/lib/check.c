/* check.c: helpers for the labs' Criterion tests: a test's life (check_begin, check_end),
 * its seed and clock, what /proc says of its process (fds, threads, wake-ups), and arrays
 * too big for a run's memory with only their ends mapped (check_array_ends). A test's
 * jobs, kitchens and the judgement of a map's results are check_jobs.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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
    cr_socket_here();
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

void check_observe(uint64_t value, const char *fmt, ...)
{
    char label[CHECK_LABEL_MAX + 1];
    va_list ap;

    if (getpid() != test_pid) /* a child's: not the test's own observation */
        return;
    if (!check_env("CHECK_VALUES")) /* the grader compares none of this test's values */
        return;
    va_start(ap, fmt);
    vsnprintf(label, sizeof(label), fmt, ap);
    va_end(ap);
    check_value_line(label, value);
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
    return check_env_seed();
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

int check_error_in_turn(const int *errs, unsigned n, unsigned *turn)
{
    if (*turn == 0)
        *turn = 1 + (unsigned)(check_rand() % n);
    return errs[((*turn)++ - 1) % n]; /* the first: errs[the draw % n] */
}

double check_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

bool check_await(const _Atomic int *flag, double secs)
{
    for (double give_up = check_now() + secs; !atomic_load(flag);) {
        struct timespec nap = {.tv_nsec = 100000};

        if (check_now() >= give_up)
            return false;
        nanosleep(&nap, NULL);
    }
    return true;
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

int check_thread_syscall(int tid, long *nr, unsigned long args[6])
{
    char path[64], line[512];
    FILE *f;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
    if (!(f = fopen(path, "re")))
        return -1;
    if (fgets(line, sizeof(line), f))
        n = sscanf(line, "%ld %lx %lx %lx %lx %lx %lx", nr, &args[0], &args[1], &args[2], &args[3],
                   &args[4], &args[5]);
    fclose(f);
    return n >= 1 ? n - 1 : -1; /* "running" or an empty line: no number */
}

int check_mappings(size_t *bytes)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    bool start = true; /* line holds the start of a mapping's line, not the rest of a long one */

    if (bytes)
        *bytes = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;

        if (start && bytes && sscanf(line, "%lx-%lx", &lo, &hi) == 2 && !strstr(line, "[heap]"))
            *bytes += hi - lo;
        start = strchr(line, '\n') != NULL; /* a path longer than the line: one mapping still */
        n += start;
    }
    fclose(f);
    return n;
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

int check_stdin_aside(void)
{
    if (fcntl(0, F_GETFD) == -1)
        return -1; /* no stdin to begin with: 0 is free already */
    int saved = fcntl(0, F_DUPFD_CLOEXEC, 3);

    cr_assert(saved >= 0 && close(0) == 0, "the test could not set stdin aside: %s",
              strerror(errno));
    return saved;
}

bool check_stdin_back(int saved)
{
    bool open0 = fcntl(0, F_GETFD) != -1;

    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    } else if (open0) {
        close(0); /* as it was: none */
    }
    return open0;
}

int check_stderr_aside(void)
{
    fflush(stderr);
    return fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
}

void check_stderr_back(int saved)
{
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    } else
        close(STDERR_FILENO);
    clearerr(stderr);
}

void check_span_start(struct check_span *s)
{
    s->t0 = check_now();
    s->woke0 = check_wakeups(0);
}

void check_span_stop(struct check_span *s)
{
    s->woke1 = check_wakeups(0);
    s->t1 = check_now();
}

bool check_span_napped(const struct check_span *s)
{
    return s->woke0 >= 0 && s->woke1 - s->woke0 > 20 + (long)(40 * (s->t1 - s->t0));
}

void check_two_threads(void *(*fn)(void *), void *a, void *b)
{
    pthread_t tid;

    cr_assert_eq(pthread_create(&tid, NULL, fn, b), 0, "pthread_create failed in the test");
    fn(a);
    pthread_join(tid, NULL);
}

void check_span_blocked(const struct check_span *s, const char *what, const char *blocked,
                        const char *naps)
{
    cr_assert(!check_span_napped(s),
              "%s: over the %.2f s of the span the test process's threads went to sleep %ld "
              "times (%s): %s",
              what, s->t1 - s->t0, s->woke1 - s->woke0, blocked, naps);
}

/* ---- memory held after a call ---------------------------------------------------------------- */

struct held_run {
    void (*fn)(void *arg);
    void *arg;
    pthread_barrier_t *all; /* the warm-up threads: all alive at once */
};

static void *held_warm(void *arg)
{
    struct held_run *r = arg;
    void *volatile p = malloc(64); /* this thread's arena and cache set up, as a caller's */

    pthread_barrier_wait(r->all);
    free(p);
    return NULL;
}

/* The C library's own names of malloc() and free(): a test runner's calls of those go through
 * fault.h's wrappers (linked with --wrap), which count them, and fail them when armed; the
 * readings' own blocks must neither count nor fail. */
void *__libc_malloc(size_t size);
void __libc_free(void *p);

/* Fill this thread's cache of freed small blocks (glibc's tcache: at most 7 blocks of each size
 * up to 1032 bytes, which mallinfo2() counts as in use): a block this thread frees from now on
 * (a thread's TLS block when a joined thread's cached stack is let go) goes back to the heap,
 * free, not into the cache, where it would read as held. */
static void fill_free_cache(void)
{
    enum { PER_SIZE = 8 };
    void *volatile p[PER_SIZE]; /* volatile: the compiler may not drop the pairs */

    for (size_t size = 24; size <= 1032; size += 16) {
        for (int i = 0; i < PER_SIZE; i++)
            p[i] = __libc_malloc(size);
        for (int i = 0; i < PER_SIZE; i++)
            __libc_free(p[i]);
    }
}

size_t check_heap_in_use(void)
{
    fill_free_cache();
    struct mallinfo2 m = mallinfo2();

    return m.uordblks + m.hblkhd;
}

static void *held_call(void *arg)
{
    struct held_run *r = arg;

    r->fn(r->arg);
    return NULL;
}

static void *held_nothing(void *arg)
{
    return arg;
}

/* Let go of the thread stacks the C library keeps for its next threads (glibc's stack cache,
 * 40 MiB at most), and with them the block each holds on the heap (its thread's TLS vector,
 * a few hundred bytes): the cache is trimmed, oldest first, when a stack given back takes it
 * past its limit, so one thread of a 64 MiB stack (never touched: no memory is used), started
 * and joined, leaves it empty. Otherwise a call whose threads have stacks of a size of its
 * own (pthread_attr_setstacksize()) reads as holding a TLS vector for each: they are the
 * library's, kept with the cached stacks, not the call's. A failure (no room for 64 MiB of
 * address space) leaves the cache as it was. */
static void flush_stack_cache(void)
{
    pthread_attr_t a;
    pthread_t t;

    if (pthread_attr_init(&a) != 0)
        return;
    if (pthread_attr_setstacksize(&a, (size_t)64 << 20) == 0 &&
        pthread_create(&t, &a, held_nothing, NULL) == 0)
        pthread_join(t, NULL);
    pthread_attr_destroy(&a);
}

long check_heap_held(void (*fn)(void *arg), void *arg, int threads)
{
    enum { MAX = 64 };
    pthread_t tid[MAX + 1];
    pthread_barrier_t all;
    struct held_run r = {.fn = fn, .arg = arg, .all = &all};
    size_t before;
    int n = threads < 0 ? 1 : threads >= MAX ? MAX + 1 : threads + 1;

    cr_assert_eq(pthread_barrier_init(&all, NULL, (unsigned)n), 0,
                 "pthread_barrier_init failed in the test");
    for (int i = 0; i < n; i++)
        cr_assert_eq(pthread_create(&tid[i], NULL, held_warm, &r), 0,
                     "pthread_create failed in the test");
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&all);
    flush_stack_cache();
    before = check_heap_in_use();
    if (pthread_create(&tid[0], NULL, held_call, &r) != 0)
        _exit(2); /* no assertion between the two readings: it would allocate */
    pthread_join(tid[0], NULL);
    flush_stack_cache();
    return (long)check_heap_in_use() - (long)before;
}

struct empty_calls {
    int (*call)(void *arg);
    void *arg;
    int bad;
};

static void empty_call(struct empty_calls *e)
{
    e->bad += e->call(e->arg) != 0;
}

static void sixteen_empty_calls(void *arg)
{
    for (int i = 0; i < 16; i++)
        empty_call(arg);
}

void check_no_job_calls_keep_nothing(int (*call)(void *arg), void *arg, const char *what)
{
    struct empty_calls e = {.call = call, .arg = arg};

    empty_call(&e);
    long held = check_heap_held(sixteen_empty_calls, &e, 0);
    cr_assert_eq(e.bad, 0, "%s returned other than 0 in %d of 17 calls", what, e.bad);
    cr_assert(held < 64,
              "%s, called 16 times: %ld more bytes of the heap in use after the calls than "
              "before: a call with no jobs has nothing to allocate (malloc(0) and calloc(0, ...) "
              "still take a block): return before allocating, or free it",
              what, held);
}

struct map_call {
    map_fn map;
    int workers;
};

static int map_with_no_jobs(void *arg)
{
    const struct map_call *m = arg;
    struct job jobs[1] = {{.kind = JOB_COOK, .seed = 1, .rounds = 1}};
    struct result out[1];

    return m->map(jobs, 0, out, m->workers);
}

void check_empty_calls_keep_nothing(map_fn map, int workers, const char *name)
{
    struct map_call m = {.map = map, .workers = workers};
    char what[96];

    snprintf(what, sizeof(what), "%s(n=0, workers=%d)", name, workers);
    check_no_job_calls_keep_nothing(map_with_no_jobs, &m, what);
}

void *check_array_ends(size_t n, size_t size, size_t ends, struct check_ends *e)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t w = ((ends * size + 2 * (size_t)page - 1) / (size_t)page) * (size_t)page;

    /* far from what malloc() and the libraries use: 16 TiB up, a TiB apart */
    for (uintptr_t base = (uintptr_t)1 << 44; base < (uintptr_t)1 << 46;
         base += (uintptr_t)1 << 40) {
        uintptr_t end = base + n * size, back = (end - ends * size) & ~((uintptr_t)page - 1);
        void *a = mmap((void *)base, w, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

        if (a == MAP_FAILED)
            continue;
        void *b = mmap((void *)back, w, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (b != MAP_FAILED && (uintptr_t)a == base && (uintptr_t)b == back) {
            *e = (struct check_ends){.lo = a, .hi = b, .len = w};
            return a;
        }
        munmap(a, w);
        if (b != MAP_FAILED)
            munmap(b, w);
    }
    cr_assert_fail("the test could not map the ends of a big array");
    return NULL;
}

void check_array_ends_free(struct check_ends *e)
{
    if (e->lo) {
        munmap(e->lo, e->len);
        munmap(e->hi, e->len);
    }
    *e = (struct check_ends){0};
}

int check_big_end(pid_t pid, struct check_ends *a, struct check_ends *b, const char *fn,
                  const char *file)
{
    int status;

    while (waitpid(pid, &status, 0) < 0)
        cr_assert(errno == EINTR, "waitpid() failed in the test: %s", strerror(errno));
    if (a)
        check_array_ends_free(a);
    if (b)
        check_array_ends_free(b);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
        cr_assert_fail("not implemented: %s (see the TODO(student) in %s)", fn, file);
    if (WIFSIGNALED(status))
        return WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS ? CHECK_BIG_MEMORY
                                                                         : CHECK_BIG_SIGNAL;
    return WEXITSTATUS(status);
}

const char *const check_replies_past_max[CHECK_REPLIES_PAST_MAX] = {
    "18446744073709551616\n", "18446744073709551619\n", "30000000000000000000\n",
    "36893488147419103231\n", "99999999999999999999\n", "184467440737095516150\n"};

const struct check_reply_bytes check_replies_nul[CHECK_REPLIES_NUL] = {{"12\0x\n", "12\\0x\\n", 5},
                                                                       {"12\0\n", "12\\0\\n", 4},
                                                                       {"1\0"
                                                                        "2\n",
                                                                        "1\\02\\n", 4},
                                                                       {"\0"
                                                                        "7\n",
                                                                        "\\07\\n", 3}};

size_t check_reply_nul(char buf[24], char shown[32])
{
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)check_rand());
    int at = (int)(check_rand() % (uint64_t)(n + 1)); /* the NUL before digit `at` */

    memcpy(buf, digits, (size_t)at);
    buf[at] = '\0';
    memcpy(buf + at + 1, digits + at, (size_t)(n - at));
    buf[n + 1] = '\n';
    snprintf(shown, 32, "%.*s\\0%s\\n", at, digits, digits + at);
    return (size_t)n + 2;
}

const char *check_reply_past_max(char buf[24])
{
    const unsigned __int128 two64 = (unsigned __int128)1 << 64,
                            e20 = (unsigned __int128)10000000000000000000u * 10;
    unsigned __int128 v = ((unsigned __int128)check_rand() << 64 | check_rand()) % (e20 - two64);
    int i = 20;

    v += two64; /* 2^64 .. 10^20 - 1: 20 digits */
    buf[21] = 0;
    buf[20] = '\n';
    while (i-- > 0) {
        buf[i] = (char)('0' + (int)(v % 10));
        v /= 10;
    }
    return buf;
}
