/* test_check.c: the test library's readings of a call's side effects (check.h): the heap a
 * call keeps, and whether waiting threads blocked or napped. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "check.h"
#include "fault.h"

/* Calls that take a block with calloc() and give it back: calloc() never takes from the
 * thread's cache of freed blocks (glibc's tcache), so without check_heap_in_use() filling it
 * first, the cache for that size, empty (here: emptied by the 8 blocks held), took up to 7
 * of the freed blocks, read as in use. */
Test(check_heap, calloc_and_free_keeps_nothing, .timeout = 5)
{
    enum { SIZE = 200 };
    void *held[8];

    for (int i = 0; i < 8; i++)
        held[i] = malloc(SIZE);
    size_t before = check_heap_in_use();
    for (int c = 0; c < 16; c++) {
        void *volatile p = calloc(1, SIZE); /* volatile: not optimised away */

        free(p);
    }
    long kept = (long)check_heap_in_use() - (long)before;
    for (int i = 0; i < 8; i++)
        free(held[i]);
    cr_assert(kept < 64, "16 calls that calloc() and free() read as keeping %ld bytes", kept);
}

/* A block kept is seen whether or not it came from the cache of freed ones (a malloc() of a
 * size the cache holds takes it from there: the heap's in-use total does not move). */
Test(check_heap, a_kept_block_is_seen, .timeout = 5)
{
    static void *kept[16];

    size_t before = check_heap_in_use();
    for (int i = 0; i < 16; i++)
        kept[i] = malloc(40);
    long grew = (long)check_heap_in_use() - (long)before;
    cr_assert(grew >= 16 * 40, "16 blocks of 40 bytes kept read as %ld bytes", grew);
    for (int i = 0; i < 16; i++)
        free(kept[i]);
}

static void *kept_by_call;

static void keeps_a_table(void *arg)
{
    (void)arg;
    kept_by_call = malloc(256); /* a file-static table for the next call */
}

static void frees_what_it_took(void *arg)
{
    void *volatile a = calloc(8, 32), *volatile b = malloc(100);

    (void)arg;
    free(a);
    free(b);
}

Test(check_heap, held_by_a_call, .timeout = 5)
{
    long held = check_heap_held(keeps_a_table, NULL, 2);

    cr_assert(held >= 256, "a call that keeps 256 bytes read as holding %ld", held);
    free(kept_by_call);
    held = check_heap_held(frees_what_it_took, NULL, 2);
    cr_assert(held < 64, "a call that frees what it took read as holding %ld", held);
}

/* A thread that sleeps once blocks; one that naps a millisecond at a time, 200 times, naps. */
Test(check_span, blocked_or_napped, .timeout = 5)
{
    struct check_span span;
    struct timespec once = {.tv_nsec = 200000000}, nap = {.tv_nsec = 1000000};

    check_span_start(&span);
    nanosleep(&once, NULL);
    check_span_stop(&span);
    cr_assert(!check_span_napped(&span), "one sleep of 200 ms read as napping (%ld wake-ups)",
              span.woke1 - span.woke0);
    cr_assert(span.t1 - span.t0 >= 0.19, "the span lasted %.3f s", span.t1 - span.t0);
    check_span_start(&span);
    for (int i = 0; i < 200; i++)
        nanosleep(&nap, NULL);
    check_span_stop(&span);
    cr_assert(check_span_napped(&span),
              "200 naps of 1 ms read as blocking (%ld wake-ups in %.3f s)", span.woke1 - span.woke0,
              span.t1 - span.t0);
}

/* A reading allocates through the C library's own names, never through the fault wrappers a
 * test runner is linked with: it neither adds to a count of the code's allocations nor takes
 * an armed failure meant for the code under test. */
Test(check_heap, reading_neither_counts_nor_fails, .timeout = 5)
{
    fault_arm(FAULT_ALLOC, 1, 0, 0); /* count only */
    (void)check_heap_in_use();
    unsigned counted = fault_calls(FAULT_ALLOC);
    fault_arm(FAULT_ALLOC, 1, 0, ENOMEM); /* every allocation fails */
    (void)check_heap_in_use();
    unsigned failed = fault_failed(FAULT_ALLOC);
    fault_disarm_all();
    cr_assert_eq(counted, 0, "a heap reading made %u allocations through the wrappers", counted);
    cr_assert_eq(failed, 0, "a heap reading took %u armed allocation failures", failed);
}

/* With stdin aside the next descriptor made is 0; back, 0 is stdin again, and the reading says
 * whether the code left that 0 open. No stdin at all: 0 is free already. */
Test(check_stdin, aside_and_back, .timeout = 5)
{
    int saved = check_stdin_aside();
    int fd = dup(2);

    cr_assert_eq(fd, 0, "with stdin aside a new descriptor got %d, not 0", fd);
    cr_assert(check_stdin_back(saved), "a descriptor left open on 0 read as closed");
    cr_assert(fcntl(0, F_GETFD) != -1, "stdin not back on 0");
    saved = check_stdin_aside();
    cr_assert(!check_stdin_back(saved), "0 closed again read as left open");
    close(0);
    saved = check_stdin_aside(); /* none to set aside */
    cr_assert_eq(saved, -1);
    fd = dup(2);
    cr_assert(check_stdin_back(saved) && fcntl(0, F_GETFD) == -1,
              "with no stdin to begin with, 0 is closed again after");
    (void)fd;
}

/* A mapping kept is seen, merged or not: two private anonymous mappings side by side, as the
 * kernel merges them into one line of /proc/self/maps (the second placed right below the
 * first, where mmap() puts it), still read as 2 pages more; both unmapped, as many as before. */
Test(check_mappings, a_kept_mapping_is_seen, .timeout = 5)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), before, held, after;
    int n0 = check_mappings(&before);

    cr_assert(n0 > 0, "check_mappings() read no mapping");
    char *a = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(a != MAP_FAILED);
    munmap(a + page, page); /* a hole of a page just above the first */
    char *b = mmap(a + page, page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    cr_assert(b == a + page, "the test could not place its second page beside the first");
    int n1 = check_mappings(&held);
    cr_assert(n1 - n0 <= 1, "%d more lines for two merged pages", n1 - n0);
    cr_assert_eq(held - before, 2 * page, "%zu bytes more mapped, want %zu", held - before,
                 2 * page);
    munmap(a, 2 * page);
    int n2 = check_mappings(&after);
    cr_assert(n2 == n0 && after == before, "%d mappings and %zu bytes after, %d and %zu before", n2,
              after, n0, before);
}

/* check_thread_syscall(): a thread asleep in poll(NULL, 0, 1500) reads as poll with its
 * timeout as the third argument; a thread that is gone reads -1. */
static atomic_int sleeper_tid;

static void *sleeper(void *arg)
{
    (void)arg;
    atomic_store(&sleeper_tid, (int)syscall(SYS_gettid));
    poll(NULL, 0, 1500);
    return NULL;
}

Test(check_thread_syscall, a_sleeping_thread_and_a_gone_one, .timeout = 10)
{
    pthread_t t;
    unsigned long a[6];
    long nr = -2;
    int n = -1;

    cr_assert_eq(pthread_create(&t, NULL, sleeper, NULL), 0);
    while (!atomic_load(&sleeper_tid))
        usleep(1000);
    for (int i = 0; i < 400 && !(n >= 3 && nr == SYS_poll); i++) { /* until it sleeps there */
        usleep(5000);
        n = check_thread_syscall(atomic_load(&sleeper_tid), &nr, a);
    }
    cr_assert(n >= 3 && nr == SYS_poll, "read %d arguments, syscall %ld (want poll, %d)", n, nr,
              (int)SYS_poll);
    cr_assert_eq(a[2], 1500, "poll's timeout: %lu", a[2]);
    pthread_join(t, NULL);
    cr_assert_eq(check_thread_syscall(atomic_load(&sleeper_tid), &nr, a), -1, "a gone thread");
}

/* The replies past 2^64 - 1 (check.h): each list entry and each drawn one is a decimal line
 * that strtoull() refuses with ERANGE; a drawn one has 20 digits, from 2^64 to 10^20 - 1. */
Test(check_replies, past_max_are_past_max, .timeout = 5)
{
    char buf[24];

    for (int i = 0; i < CHECK_REPLIES_PAST_MAX + 4000; i++) {
        const char *line =
            i < CHECK_REPLIES_PAST_MAX ? check_replies_past_max[i] : check_reply_past_max(buf);
        size_t len = strlen(line);
        char *end;

        cr_assert(len >= 21 && line[len - 1] == '\n' && strspn(line, "0123456789") == len - 1,
                  "\"%s\": not digits then a newline", line);
        errno = 0;
        strtoull(line, &end, 10);
        cr_assert(errno == ERANGE && *end == '\n', "\"%s\": not past 2^64 - 1", line);
        if (i >= CHECK_REPLIES_PAST_MAX)
            cr_assert(len == 21, "\"%s\": drawn, not 20 digits", line);
    }
}

/* A child that exits with `how` (0 or more) or is ended by the signal -how. */
static pid_t child_that(int how)
{
    pid_t pid = fork();

    cr_assert(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        if (how >= 0)
            _exit(how);
        raise(-how);
        _exit(99);
    }
    return pid;
}

Test(check_big_end, status_or_signal, .timeout = 5)
{
    struct check_ends e = {0};

    cr_assert_eq(check_big_end(child_that(7), &e, NULL, "f()", "f.c"), 7);
    cr_assert_eq(check_big_end(child_that(-SIGSEGV), NULL, &e, "f()", "f.c"), CHECK_BIG_MEMORY,
                 "it touched the arrays' middle: not judged");
    cr_assert_eq(check_big_end(child_that(-SIGBUS), NULL, NULL, "f()", "f.c"), CHECK_BIG_MEMORY);
    cr_assert_eq(check_big_end(child_that(-SIGABRT), NULL, NULL, "f()", "f.c"), CHECK_BIG_SIGNAL);
    cr_assert_eq(check_big_end(child_that(0), NULL, NULL, "f()", "f.c"), 0);
}

/* The replies with a NUL inside (check.h): each list entry and each drawn one ends in its only
 * '\n', has exactly one NUL before it, and reads as a number with strtoull() (what a C-string
 * parser sees) only up to the NUL; a drawn one's other bytes are digits, at least one. */
Test(check_replies, nul_inside, .timeout = 5)
{
    char buf[24], shown[32];

    for (int i = 0; i < CHECK_REPLIES_NUL + 4000; i++) {
        size_t len = i < CHECK_REPLIES_NUL ? check_replies_nul[i].len : check_reply_nul(buf, shown);
        const char *line = i < CHECK_REPLIES_NUL ? check_replies_nul[i].bytes : buf;
        const char *nul = memchr(line, '\0', len);
        size_t nuls = 0, lines = 0;

        for (size_t j = 0; j < len; j++)
            nuls += line[j] == '\0', lines += line[j] == '\n';
        cr_assert(len >= 3 && line[len - 1] == '\n' && lines == 1 && nuls == 1 && nul,
                  "entry %d: not one NUL inside a line ended by its only newline", i);
        if (i >= CHECK_REPLIES_NUL) {
            size_t digits = 0;

            for (size_t j = 0; j + 1 < len; j++)
                digits += line[j] >= '0' && line[j] <= '9';
            cr_assert(digits == len - 2 && strlen(shown) == len + 2,
                      "drawn \"%s\": not digits, one NUL and a newline", shown);
        }
    }
}

/* check_await(): true as soon as another thread sets the flag, false once the time is up
 * with the flag still clear (and not much later). */
static void *set_after_20ms(void *arg)
{
    usleep(20000);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

Test(check_await, set_or_timed_out, .timeout = 10)
{
    atomic_int flag = 0;
    pthread_t tid;
    double t0 = check_now();

    cr_assert_not(check_await(&flag, 0.05), "a flag nobody sets: not set after 50 ms");
    double waited = check_now() - t0;
    cr_assert(waited >= 0.05, "gave up after %.3f s, before the 50 ms asked for", waited);
    cr_assert_eq(pthread_create(&tid, NULL, set_after_20ms, &flag), 0);
    cr_assert(check_await(&flag, 5), "a flag set by another thread after 20 ms: not seen in 5 s");
    pthread_join(tid, NULL);
    atomic_store(&flag, 1);
    cr_assert(check_await(&flag, 0), "a flag already set: seen at once, even with no time");
}
