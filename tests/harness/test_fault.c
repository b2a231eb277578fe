/* test_fault.c: the fault wrappers the lab tests use (fault.h). Linked with --wrap for the
 * calls it exercises (see the Makefile), as build.c links a lab's test runner. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include "fault.h"

static void *nothing(void *arg)
{
    return arg;
}

Test(fault, unarmed_calls_pass_through)
{
    int fd[2];

    fault_disarm_all();
    cr_assert_eq(pipe(fd), 0);
    cr_assert_eq(write(fd[1], "x", 1), 1);
    char c;
    cr_assert_eq(read(fd[0], &c, 1), 1);
    cr_assert_eq(c, 'x');
    close(fd[0]);
    close(fd[1]);
}

/* fault_largest_alloc(): the largest block one call asked for since FAULT_ALLOC was armed,
 * calloc() as n * size; arming again starts afresh. */
Test(fault, largest_allocation_noted)
{
    fault_arm(FAULT_ALLOC, 1, 0, 0);
    /* volatile: a block never used may be no call at all for the optimiser */
    void *volatile a = malloc(100), *volatile b = calloc(10, 30), *volatile c = realloc(NULL, 200);

    cr_assert(a && b && c);
    cr_assert_eq(fault_largest_alloc(), 300);
    free(a);
    free(b);
    free(c);
    fault_arm(FAULT_ALLOC, 1, 0, 0);
    cr_assert_eq(fault_largest_alloc(), 0);
    fault_disarm_all();
}

Test(fault, kth_call_fails_then_recovers)
{
    int fd[2], got[5];

    fault_arm(FAULT_PIPE, 2, 2, EMFILE); /* calls 2 and 3 fail */
    for (int i = 0; i < 5; i++) {
        errno = 0;
        got[i] = pipe(fd);
        if (got[i] == 0) {
            close(fd[0]);
            close(fd[1]);
        } else {
            cr_assert_eq(errno, EMFILE, "call %d: errno %d", i + 1, errno);
        }
    }
    fault_disarm_all();
    cr_assert(got[0] == 0 && got[1] == -1 && got[2] == -1 && got[3] == 0 && got[4] == 0);
    cr_assert_eq(fault_calls(FAULT_PIPE), 5);
    cr_assert_eq(fault_failed(FAULT_PIPE), 2);
}

Test(fault, every_call_from_k)
{
    fault_arm(FAULT_ALLOC, 1, 0, ENOMEM);
    void *a = malloc(16), *b = calloc(1, 16), *c = realloc(NULL, 16);
    fault_disarm_all();
    cr_assert(!a && !b && !c, "malloc, calloc and realloc all fail while armed");
    void *d = malloc(16);
    cr_assert_not_null(d, "disarmed: malloc works again");
    free(d);
    cr_assert_eq(fault_failed(FAULT_ALLOC), 3);
}

Test(fault, thread_error_is_returned_not_errno)
{
    pthread_t t;

    errno = EAGAIN;
    fault_arm(FAULT_THREAD, 1, 1, EAGAIN);
    int rc = pthread_create(&t, NULL, nothing, NULL);
    fault_disarm_all();
    cr_assert_eq(rc, EAGAIN);
    cr_assert_eq(errno, 0, "errno says nothing about a failed pthread_create()");
    cr_assert_eq(pthread_create(&t, NULL, nothing, NULL), 0);
    pthread_join(t, NULL);
}

/* The handle a failed create leaves: joined, ESRCH and counted (not a fault on a stale
 * pointer); a real thread's join is not counted. */
Test(fault, join_of_failed_create_counted)
{
    pthread_t bad = 0, good;
    unsigned before = fault_joins_of_failed();

    fault_arm(FAULT_THREAD, 1, 1, EAGAIN);
    cr_assert_eq(pthread_create(&bad, NULL, nothing, NULL), EAGAIN);
    fault_disarm_all();
    cr_assert_eq(pthread_create(&good, NULL, nothing, NULL), 0);
    cr_assert(!pthread_equal(bad, good) && bad != 0, "the failed create's handle is marked");
    cr_assert_eq(pthread_join(good, NULL), 0);
    cr_assert_eq(fault_joins_of_failed(), before, "a real thread's join is not counted");
    cr_assert_eq(pthread_join(bad, NULL), ESRCH);
    cr_assert_eq(pthread_tryjoin_np(bad, NULL), ESRCH);
    cr_assert_eq(fault_joins_of_failed(), before + 2);
}

/* Joins are counted (a test compares them with the threads started) and can fail with the
 * armed error, returned, the thread left joinable. */
Test(fault, joins_counted_and_failed)
{
    pthread_t t[3];

    for (int i = 0; i < 3; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, nothing, NULL), 0);
    fault_arm(FAULT_JOIN, 0, 0, 0);
    cr_assert_eq(pthread_join(t[0], NULL), 0);
    cr_assert_eq(pthread_timedjoin_np(t[1], NULL, &(struct timespec){.tv_sec = 1L << 40}), 0);
    cr_assert_eq(fault_calls(FAULT_JOIN), 2, "2 joins counted, %u", fault_calls(FAULT_JOIN));
    fault_arm(FAULT_JOIN, 1, 1, EDEADLK);
    cr_assert_eq(pthread_join(t[2], NULL), EDEADLK);
    cr_assert_eq(pthread_tryjoin_np(t[2], NULL) == 0 || pthread_join(t[2], NULL) == 0, 1,
                 "the thread whose join failed is still joinable");
    fault_disarm_all();
    cr_assert_eq(fault_failed(FAULT_JOIN), 1);
}

/* FAULT_REOPEN: the armed close() is made and /dev/null takes its number at once; a second
 * close() of that number closes the file reopened there. errno is left as it was. */
Test(fault, close_reopens_the_descriptor)
{
    int fd = open("/dev/null", O_RDONLY), r;

    cr_assert(fd >= 0);
    fault_arm(FAULT_CLOSE, 1, 1, FAULT_REOPEN);
    errno = EPIPE;
    r = close(fd);
    cr_assert_eq(r, 0);
    cr_assert_eq(errno, EPIPE, "a close that succeeds leaves errno alone");
    cr_assert_eq(fault_reopened(), fd, "reopened %d, closed %d", fault_reopened(), fd);
    cr_assert_neq(fcntl(fd, F_GETFD), -1, "the number is open again");
    r = close(fd); /* the second close: not armed (times = 1), closes the reopened file */
    fault_disarm_all();
    cr_assert_eq(r, 0);
    cr_assert_eq(fcntl(fd, F_GETFD), -1, "the reopened file was closed by the second close()");
    cr_assert_eq(fault_calls(FAULT_CLOSE), 2, "2 closes counted, %u", fault_calls(FAULT_CLOSE));
    fault_arm(FAULT_CLOSE, 1, 1, FAULT_REOPEN);
    cr_assert_eq(fault_reopened(), -1, "fault_arm() forgets the last one");
    cr_assert_eq(close(-1), -1, "a failed close reopens nothing");
    cr_assert_eq(fault_reopened(), -1);
    fault_disarm_all();
}

/* FAULT_CLOSED_EINTR: the armed close() frees the descriptor, then reports EINTR; a second
 * close() of that number is refused (EBADF) and counted by fault_bad_closes(). */
Test(fault, close_closed_eintr)
{
    unsigned before = fault_bad_closes();
    int fd = open("/dev/null", O_RDONLY), r, e;

    cr_assert(fd >= 0);
    fault_arm(FAULT_CLOSE, 1, 0, FAULT_CLOSED_EINTR);
    r = close(fd);
    e = errno;
    cr_assert_eq(fcntl(fd, F_GETFD), -1, "the number was freed");
    cr_assert(r == -1 && e == EINTR, "-1 with EINTR: %d, %d", r, e);
    r = close(fd); /* armed too: the real close() refuses it */
    e = errno;
    fault_disarm_all();
    cr_assert(r == -1 && e == EBADF, "the second close: -1 with EBADF: %d, %d", r, e);
    cr_assert_eq(fault_bad_closes() - before, 1, "the second close counted as a bad one");
}

/* fault_bad_closes(): a close() of a number that is not open (closed twice), armed or not,
 * counts; close(-1), a close that succeeds and one an armed fault refused do not. */
Test(fault, bad_closes_counted)
{
    unsigned before = fault_bad_closes();
    int fd = open("/dev/null", O_RDONLY);

    cr_assert(fd >= 0);
    cr_assert_eq(close(fd), 0);
    cr_assert_eq(close(-1), -1);
    cr_assert_eq(fault_bad_closes(), before, "a good close and close(-1) are not counted");
    cr_assert_eq(close(fd), -1, "the number is closed already");
    cr_assert_eq(errno, EBADF);
    cr_assert_eq(fault_bad_closes(), before + 1, "the second close() is counted");
    fault_arm(FAULT_CLOSE, 1, 1, EINTR);
    cr_assert_eq(close(fd), -1);
    fault_disarm_all();
    cr_assert_eq(fault_bad_closes(), before + 1, "a close the fault refused was never made");
    fault_arm(FAULT_CLOSE, 1, 1, FAULT_REOPEN);
    cr_assert_eq(close(fd), -1, "armed to reopen, the close of a closed number still fails");
    fault_disarm_all();
    cr_assert_eq(fault_bad_closes(), before + 2, "and is counted");
}

/* FAULT_HUP: the armed poll() waits until a descriptor has hung up, then polls as asked: a
 * child that writes and then exits 100 ms later shows POLLIN | POLLHUP, not POLLIN alone.
 * Its own child's poll() is not held (a pipe that never hangs up: it returns at once). */
Test(fault, poll_waits_for_hangup)
{
    int fd[2], keep[2];
    pid_t pid;

    cr_assert_eq(pipe(fd), 0);
    cr_assert_eq(pipe(keep), 0);
    fault_arm(FAULT_POLL, 1, 0, FAULT_HUP);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        struct pollfd q = {.fd = keep[0], .events = POLLIN};
        struct timespec t0, t1;

        close(fd[0]);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (write(fd[1], "x", 1) != 1 || poll(&q, 1, 0) != 0)
            _exit(1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec >= 2) /* held (5 s) */
            _exit(2);
        usleep(100000);
        _exit(0);
    }
    close(fd[1]);
    struct pollfd p = {.fd = fd[0], .events = POLLIN};
    int r = poll(&p, 1, -1), st = 0;

    fault_disarm_all();
    cr_assert_eq(r, 1);
    cr_assert_eq(p.revents, POLLIN | POLLHUP, "revents %#x", (unsigned)p.revents);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child's poll() was held");
    close(fd[0]);
    close(keep[0]);
    close(keep[1]);
}

/* With fault_join_reap() on, a failed join has reaped the thread first: it has ended, and a
 * second join of it gets ESRCH; a thread created later is joined as usual. */
Test(fault, failed_join_reaps)
{
    pthread_t t, u;

    cr_assert_eq(pthread_create(&t, NULL, nothing, NULL), 0);
    fault_join_reap(1);
    fault_arm(FAULT_JOIN, 1, 1, EDEADLK);
    cr_assert_eq(pthread_join(t, NULL), EDEADLK);
    cr_assert_eq(pthread_join(t, NULL), ESRCH, "a reaped thread is gone");
    cr_assert_eq(pthread_create(&u, NULL, nothing, NULL), 0);
    cr_assert_eq(pthread_join(u, NULL), 0, "a new thread (perhaps with the old id) joins");
    fault_disarm_all();
    cr_assert_eq(fault_failed(FAULT_JOIN), 1);
}

/* With fault_realloc_moves() on, every realloc() of a block gives a new one with the contents
 * copied (the old one freed); off, the allocator decides. */
Test(fault, realloc_moves)
{
    char *p = malloc(16), *q;

    cr_assert(p);
    memcpy(p, "fifteen bytes..", 16);
    fault_realloc_moves(1);
    for (size_t n = 8; n <= 4096; n *= 2) {
        q = realloc(p, n);
        cr_assert(q && q != p, "realloc(%zu) stayed in place", n);
        cr_assert(!memcmp(q, "fifteen", 7), "realloc(%zu) lost the contents", n);
        p = q;
    }
    q = realloc(NULL, 32); /* realloc(NULL, n) is malloc(n) */
    cr_assert(q);
    free(q);
    /* the old block, read through a stale pointer: zeros, not the allocator's own words */
    char *stale = p;
    q = realloc(p, 64);
    cr_assert(q && q != stale);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free" /* the read through a stale pointer */
    for (int i = 0; i < 16; i++)
        cr_assert_eq(stale[i], 0, "byte %d of the moved block reads %d, not 0", i, stale[i]);
#pragma GCC diagnostic pop
    p = q;
    fault_disarm_all();
    q = realloc(p, 4096); /* off again: the same size stays where it is */
    cr_assert(q == p, "realloc() to the same size moved after fault_disarm_all()");
    free(q);
}

/* Locks of a mutex in static storage are counted (from any thread) while counting is on; a
 * mutex on a stack or in the heap is not, nor anything while it is off. */
static pthread_mutex_t file_static = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t in_data = PTHREAD_MUTEX_INITIALIZER;
static int in_data_mark = 1; /* .data, not .bss: the range starts before it */

static void *lock_static(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&file_static);
    pthread_mutex_unlock(&file_static);
    return NULL;
}

Test(fault, static_locks_counted)
{
    pthread_mutex_t on_stack = PTHREAD_MUTEX_INITIALIZER, *on_heap = malloc(sizeof(*on_heap));
    struct timespec later;
    pthread_t t;

    cr_assert(on_heap && in_data_mark);
    pthread_mutex_init(on_heap, NULL);
    fault_count_static_locks(1);
    pthread_mutex_lock(&on_stack);
    pthread_mutex_unlock(&on_stack);
    pthread_mutex_lock(on_heap);
    pthread_mutex_unlock(on_heap);
    cr_assert_eq(fault_static_locks(), 0, "a stack's and the heap's mutex read as static");
    pthread_mutex_lock(&file_static);
    pthread_mutex_unlock(&file_static);
    cr_assert_eq(pthread_mutex_trylock(&in_data), 0);
    pthread_mutex_unlock(&in_data);
    clock_gettime(CLOCK_REALTIME, &later);
    later.tv_sec += 5;
    cr_assert_eq(pthread_mutex_timedlock(&file_static, &later), 0);
    pthread_mutex_unlock(&file_static);
    cr_assert_eq(pthread_create(&t, NULL, lock_static, NULL), 0);
    pthread_join(t, NULL);
    cr_assert_eq(fault_static_locks(), 4, "lock, trylock, timedlock and another thread's lock: %u",
                 fault_static_locks());
    fault_disarm_all(); /* off: the count stays, nothing more is counted */
    pthread_mutex_lock(&file_static);
    pthread_mutex_unlock(&file_static);
    cr_assert_eq(fault_static_locks(), 4);
    fault_count_static_locks(1);
    cr_assert_eq(fault_static_locks(), 0, "counting on again starts from 0");
    fault_count_static_locks(0);
    pthread_mutex_destroy(on_heap);
    free(on_heap);
}

Test(fault, fork_fails_without_a_child)
{
    fault_arm(FAULT_FORK, 1, 1, EAGAIN);
    pid_t p = fork();
    fault_disarm_all();
    cr_assert_eq(p, -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "no child was made");
    cr_assert_eq(errno, ECHILD);
}

/* FAULT_MMAP: the k-th mmap() gives MAP_FAILED with the armed errno and maps nothing */
Test(fault, mmap_fails_kth)
{
    fault_arm(FAULT_MMAP, 2, 1, ENOMEM);
    void *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int err = errno;
    void *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned calls = fault_calls(FAULT_MMAP), failed = fault_failed(FAULT_MMAP);
    fault_disarm_all();
    cr_assert(a != MAP_FAILED && c != MAP_FAILED, "the 1st and 3rd mmap() map");
    cr_assert(b == MAP_FAILED && err == ENOMEM, "the 2nd fails with ENOMEM");
    cr_assert(calls == 3 && failed == 1, "3 calls counted, 1 failed: %u, %u", calls, failed);
    munmap(a, 4096);
    munmap(c, 4096);
}

/* FAULT_MUTEX_INIT, FAULT_COND_INIT: the k-th init returns the armed error and makes nothing;
 * fault_live() counts what was made and not destroyed, armed or not */
Test(fault, sync_init_fails_kth_and_live_counted)
{
    pthread_mutex_t m[3];
    pthread_cond_t c[3];
    long mutexes = fault_live(FAULT_MUTEX_INIT), conds = fault_live(FAULT_COND_INIT);
    int rm[3], rc[3];

    fault_arm(FAULT_MUTEX_INIT, 2, 1, EAGAIN);
    fault_arm(FAULT_COND_INIT, 3, 1, ENOMEM);
    errno = EDOM; /* an injected failure clears it: code that returns -errno returns 0 */
    for (int i = 0; i < 3; i++) {
        rm[i] = pthread_mutex_init(&m[i], NULL);
        rc[i] = pthread_cond_init(&c[i], NULL);
    }
    int err = errno;
    unsigned mcalls = fault_calls(FAULT_MUTEX_INIT), ccalls = fault_calls(FAULT_COND_INIT);
    unsigned mfailed = fault_failed(FAULT_MUTEX_INIT), cfailed = fault_failed(FAULT_COND_INIT);
    fault_disarm_all();
    cr_assert(rm[0] == 0 && rm[1] == EAGAIN && rm[2] == 0, "mutex inits: %d %d %d", rm[0], rm[1],
              rm[2]);
    cr_assert(rc[0] == 0 && rc[1] == 0 && rc[2] == ENOMEM, "cond inits: %d %d %d", rc[0], rc[1],
              rc[2]);
    cr_assert_eq(err, 0, "errno 0 after an injected failure (the error is the return value): %d",
                 err);
    cr_assert(mcalls == 3 && ccalls == 3 && mfailed == 1 && cfailed == 1,
              "calls %u %u, failed %u %u", mcalls, ccalls, mfailed, cfailed);
    cr_assert_eq(fault_live(FAULT_MUTEX_INIT) - mutexes, 2, "2 mutexes alive");
    cr_assert_eq(fault_live(FAULT_COND_INIT) - conds, 2, "2 condition variables alive");
    cr_assert_eq(fault_live(FAULT_POLL), 0, "no count for other kinds");
    pthread_mutex_destroy(&m[0]);
    pthread_mutex_destroy(&m[2]);
    pthread_cond_destroy(&c[0]);
    cr_assert_eq(fault_live(FAULT_MUTEX_INIT), mutexes, "both destroyed");
    cr_assert_eq(fault_live(FAULT_COND_INIT) - conds, 1, "one left");
    pthread_cond_destroy(&c[1]);
    cr_assert_eq(fault_live(FAULT_COND_INIT), conds, "all destroyed");
    cr_assert_eq(pthread_mutex_init(&m[0], NULL), 0);
    pthread_mutex_lock(&m[0]);
    cr_assert_eq(pthread_mutex_destroy(&m[0]), EBUSY, "a locked mutex is not destroyed");
    cr_assert_eq(fault_live(FAULT_MUTEX_INIT) - mutexes, 1, "a destroy that failed counts nothing");
    pthread_mutex_unlock(&m[0]);
    cr_assert_eq(pthread_mutex_destroy(&m[0]), 0);
    cr_assert_eq(fault_live(FAULT_MUTEX_INIT), mutexes);
}

/* FAULT_DESTROY: the k-th destroy, of a mutex or a condition variable, returns the armed
 * error, errno 0, and destroys nothing (it stays live, and usable); the next destroys it */
Test(fault, destroy_fails_kth_and_keeps_it)
{
    pthread_mutex_t m;
    pthread_cond_t c;
    long mutexes = fault_live(FAULT_MUTEX_INIT), conds = fault_live(FAULT_COND_INIT);

    cr_assert(pthread_mutex_init(&m, NULL) == 0 && pthread_cond_init(&c, NULL) == 0);
    fault_arm(FAULT_DESTROY, 2, 1, EBUSY);
    errno = EDOM;
    int rc = pthread_cond_destroy(&c), rm = pthread_mutex_destroy(&m), err = errno;
    unsigned calls = fault_calls(FAULT_DESTROY), failed = fault_failed(FAULT_DESTROY);
    fault_disarm_all();
    cr_assert(rc == 0 && rm == EBUSY, "destroys: cond %d, mutex %d (EBUSY %d)", rc, rm, EBUSY);
    cr_assert_eq(err, 0, "errno 0 after an injected failure: %d", err);
    cr_assert(calls == 2 && failed == 1, "calls %u, failed %u", calls, failed);
    cr_assert_eq(fault_live(FAULT_COND_INIT), conds, "the condition variable destroyed");
    cr_assert_eq(fault_live(FAULT_MUTEX_INIT) - mutexes, 1, "the mutex still live");
    cr_assert(pthread_mutex_lock(&m) == 0 && pthread_mutex_unlock(&m) == 0, "and usable");
    cr_assert_eq(pthread_mutex_destroy(&m), 0);
    cr_assert_eq(fault_live(FAULT_MUTEX_INIT), mutexes);
}

/* fault_arm_later(): the first failing call has fault_arm()'s error, each later one the
 * later error; a new fault_arm() takes it back */
Test(fault, later_calls_fail_with_another_error)
{
    pthread_mutex_t m[3];
    int r[3];

    for (int i = 0; i < 3; i++)
        cr_assert_eq(pthread_mutex_init(&m[i], NULL), 0);
    fault_arm(FAULT_DESTROY, 1, 0, EBUSY);
    fault_arm_later(FAULT_DESTROY, EINVAL);
    for (int i = 0; i < 3; i++)
        r[i] = pthread_mutex_destroy(&m[i]);
    cr_assert(r[0] == EBUSY && r[1] == EINVAL && r[2] == EINVAL, "destroys: %d %d %d", r[0], r[1],
              r[2]);
    fault_arm(FAULT_DESTROY, 2, 1, EBUSY);
    r[0] = pthread_mutex_destroy(&m[0]);
    r[1] = pthread_mutex_destroy(&m[1]);
    fault_disarm_all();
    cr_assert(r[0] == 0 && r[1] == EBUSY, "after a new fault_arm(): %d %d", r[0], r[1]);
    cr_assert(pthread_mutex_destroy(&m[1]) == 0 && pthread_mutex_destroy(&m[2]) == 0);
}

/* FAULT_ATTR_INIT: the k-th init of an attributes object, of a mutex or a condition variable,
 * returns the armed error and makes nothing; fault_live(FAULT_ATTR_INIT) counts both kinds */
Test(fault, attr_init_fails_kth_and_live_counted)
{
    pthread_mutexattr_t ma[2];
    pthread_condattr_t ca[2];
    long attrs = fault_live(FAULT_ATTR_INIT);

    fault_arm(FAULT_ATTR_INIT, 3, 1, ENOMEM);
    errno = EDOM;
    int r[4] = {pthread_mutexattr_init(&ma[0]), pthread_condattr_init(&ca[0]),
                pthread_condattr_init(&ca[1]), pthread_mutexattr_init(&ma[1])};
    int err = errno;
    fault_disarm_all();
    cr_assert(r[0] == 0 && r[1] == 0 && r[2] == ENOMEM && r[3] == 0, "inits: %d %d %d %d", r[0],
              r[1], r[2], r[3]);
    cr_assert_eq(err, 0, "errno 0 after an injected failure: %d", err);
    cr_assert_eq(fault_live(FAULT_ATTR_INIT) - attrs, 3, "3 attributes objects alive");
    pthread_condattr_destroy(&ca[0]);
    pthread_mutexattr_destroy(&ma[0]);
    cr_assert_eq(fault_live(FAULT_ATTR_INIT) - attrs, 1, "one left");
    pthread_mutexattr_destroy(&ma[1]);
    cr_assert_eq(fault_live(FAULT_ATTR_INIT), attrs, "all destroyed");
}

/* An attributes object destroyed is dead until made again: a mutex or condition variable
 * made from it fails with EINVAL; made again, it works */
Test(fault, dead_attr_refused)
{
    pthread_mutexattr_t ma;
    pthread_condattr_t ca;
    pthread_mutex_t m;
    pthread_cond_t c;

    cr_assert_eq(pthread_mutexattr_init(&ma), 0);
    cr_assert_eq(pthread_condattr_init(&ca), 0);
    cr_assert_eq(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
    cr_assert_eq(pthread_cond_init(&c, &ca), 0, "made from a live condattr");
    cr_assert_eq(pthread_cond_destroy(&c), 0);
    cr_assert_eq(pthread_condattr_destroy(&ca), 0);
    cr_assert_eq(pthread_mutexattr_destroy(&ma), 0);
    cr_assert_eq(pthread_cond_init(&c, &ca), EINVAL, "made from a destroyed condattr");
    cr_assert_eq(pthread_mutex_init(&m, &ma), EINVAL, "made from a destroyed mutexattr");
    cr_assert_eq(pthread_mutex_init(&m, NULL), 0, "no attributes: as always");
    cr_assert_eq(pthread_mutex_destroy(&m), 0);
    cr_assert_eq(pthread_condattr_init(&ca), 0);
    cr_assert_eq(pthread_cond_init(&c, &ca), 0, "made again, alive");
    cr_assert_eq(pthread_cond_destroy(&c), 0);
    cr_assert_eq(pthread_condattr_destroy(&ca), 0);
}

/* FAULT_DIE_AFTER and FAULT_DIE_MIDWAY: a forked child writes (16 bytes, or 1) and dies by
 * SIGKILL; the parent that armed it writes as always */
static void child_writes(int err, size_t want)
{
    char buf[32] = {0};
    int p[2], st = 0;

    cr_assert_eq(pipe(p), 0);
    fault_arm(FAULT_WRITE, 1, 0, err);
    cr_assert_eq(write(p[1], "x", 1), 1, "the arming process writes as always");
    pid_t pid = fork();
    if (pid == 0) {
        write(p[1], buf, 8); /* a result in two writes: it dies after the second */
        write(p[1], buf, 8);
        _exit(0);
    }
    fault_disarm_all();
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], buf, sizeof(buf))) > 0)
        got += (size_t)r;
    close(p[0]);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the child died by SIGKILL");
    cr_assert_eq(got, 1 + want, "the parent's byte and %zu of the child's: %zu", want, got);
}

Test(fault, write_then_die)
{
    child_writes(FAULT_DIE_AFTER, 16);
    child_writes(FAULT_DIE_MIDWAY, 1);
    fault_midway_bytes(5); /* five bytes of the child's first write, then its death */
    child_writes(FAULT_DIE_MIDWAY, 5);
    child_writes(FAULT_DIE_MIDWAY, 1); /* fault_disarm_all() set it back to one */
}

/* CLOCK_MONOTONIC now, in seconds */
static double secs_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* b - a, in seconds */
static double secs_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* FAULT_LINGER: a forked child's write goes through and returns only FAULT_LINGER_MS later
 * (timed by the child around its write: a busy machine only makes it longer); the arming
 * process's write does not nap (one of three under FAULT_LINGER_MS: a busy machine may
 * stall one). */
Test(fault, write_then_linger)
{
    int p[2], status, quick = 0;
    char buf[16] = "result", got[16];
    pid_t pid;

    cr_assert_eq(pipe(p), 0);
    fault_arm(FAULT_WRITE, 1, 0, FAULT_LINGER);
    for (int i = 0; i < 3; i++) {
        double t0 = secs_now();
        cr_assert_eq(write(p[1], buf, sizeof(buf)), (ssize_t)sizeof(buf));
        quick += secs_now() - t0 < FAULT_LINGER_MS / 1000.0;
        cr_assert_eq(read(p[0], got, sizeof(got)), (ssize_t)sizeof(got));
    }
    int sv[2]; /* write() only: send() and its kin are made as if nothing were armed */
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(send(sv[0], "abcd", 4, 0), 4, "send() under FAULT_LINGER: %s", strerror(errno));
    close(sv[0]);
    close(sv[1]);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        double t0 = secs_now();
        ssize_t n = write(p[1], buf, sizeof(buf));
        _exit(n != (ssize_t)sizeof(buf) ? 1 : secs_now() - t0 < FAULT_LINGER_MS / 1000.0 ? 2 : 0);
    }
    ssize_t n = read(p[0], got, sizeof(got));
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    fault_disarm_all();
    close(p[0]);
    close(p[1]);
    cr_assert_eq(n, (ssize_t)sizeof(got), "the child's write went through");
    cr_assert(WIFEXITED(status), "the child ended by itself");
    cr_assert_neq(WEXITSTATUS(status), 1, "the child's write moved all 16 bytes");
    cr_assert_neq(WEXITSTATUS(status), 2, "the child's write returned before %d ms",
                  FAULT_LINGER_MS);
    cr_assert(quick > 0, "the arming process's writes napped too (none of 3 under %d ms)",
              FAULT_LINGER_MS);
}

/* FAULT_SPLIT: a forked child's write returns the whole count, but the reader finds its first
 * byte alone (a non-blocking read then gets EAGAIN), and the rest FAULT_LINGER_MS later; the
 * arming process's write goes whole at once. */
Test(fault, write_split_in_two)
{
    int p[2], status;
    char buf[16] = "result in two", got[16] = "";
    pid_t pid;

    cr_assert_eq(pipe(p), 0);
    fault_arm(FAULT_WRITE, 1, 0, FAULT_SPLIT);
    cr_assert_eq(write(p[1], buf, sizeof(buf)), (ssize_t)sizeof(buf));
    cr_assert_eq(read(p[0], got, sizeof(got)), (ssize_t)sizeof(got), "the armer's write is whole");
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(write(p[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : 1);
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    cr_assert_eq(poll(&pf, 1, 5000), 1);
    cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    ssize_t first = read(p[0], got, sizeof(got));
    errno = 0;
    ssize_t none = read(p[0], got + 1, sizeof(got) - 1);
    int e = errno;
    cr_assert_eq(fcntl(p[0], F_SETFL, 0), 0);
    ssize_t rest = read(p[0], got + 1, sizeof(got) - 1);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    fault_disarm_all();
    close(p[0]);
    close(p[1]);
    cr_assert_eq(first, 1, "the first piece is one byte: %zd", first);
    cr_assert(none == -1 && e == EAGAIN, "then nothing, for a while: %zd (%s)", none, strerror(e));
    cr_assert_eq(rest, (ssize_t)sizeof(got) - 1, "then the rest: %zd", rest);
    cr_assert_str_eq(got, buf);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's write returned 16");
}

/* fault_linger_ms(): the split's pause as long as asked (at least: a sleep is never shorter),
 * then the default again after fault_disarm_all() */
Test(fault, split_pause_set)
{
    int p[2], status;
    char buf[16] = "result in two", got[16] = "";
    struct timespec t0, t1;
    pid_t pid;

    cr_assert_eq(pipe(p), 0);
    fault_linger_ms(250);
    fault_arm(FAULT_WRITE, 1, 0, FAULT_SPLIT);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        _exit(write(p[1], buf, sizeof(buf)) == (ssize_t)sizeof(buf) ? 0 : 1);
    cr_assert_eq(read(p[0], got, sizeof(got)), 1, "the first byte");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(read(p[0], got + 1, sizeof(got) - 1), (ssize_t)sizeof(got) - 1, "the rest");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    fault_disarm_all();
    close(p[0]);
    close(p[1]);
    double gap = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert(gap >= 0.2, "the rest came %.3f s after the first byte, expected 0.25 s", gap);
    cr_assert_str_eq(got, buf);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's write returned 16");
}

/* FAULT_CREATE_NAP: the armed pthread_create() makes its thread, then returns late (at least
 * FAULT_WAIT_LATE_MS: a sleep is never shorter); FAULT_SPURIOUS: the armed condition waits
 * return 0 at once, with nothing signalled, the mutex held */
Test(fault, create_nap_and_spurious)
{
    pthread_t t;
    struct timespec t0, t1;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;

    fault_arm(FAULT_THREAD, 1, 1, FAULT_CREATE_NAP);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = pthread_create(&t, NULL, nothing, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fault_disarm_all();
    cr_assert_eq(rc, 0, "the thread is made");
    cr_assert_eq(pthread_join(t, NULL), 0, "and joined");
    double late = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert(late >= FAULT_WAIT_LATE_MS / 1e3 * 0.9, "the create returned after %.3f s", late);

    /* a nap of fault_create_nap_ms()'s length (a lower bound: a sleep lasts at least that) */
    fault_arm(FAULT_THREAD, 1, 1, FAULT_CREATE_NAP);
    fault_create_nap_ms(300);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = pthread_create(&t, NULL, nothing, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fault_disarm_all();
    cr_assert_eq(rc, 0, "the thread is made");
    cr_assert_eq(pthread_join(t, NULL), 0, "and joined");
    late = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert(late >= 0.27, "a 300 ms nap: the create returned after %.3f s", late);

    /* and a fork(): the child at once, the parent late */
    fault_arm(FAULT_FORK, 1, 1, FAULT_CREATE_NAP);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fault_disarm_all();
    cr_assert(pid > 0, "the child is made");
    cr_assert_eq(waitpid(pid, NULL, 0), pid);
    late = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert(late >= FAULT_WAIT_LATE_MS / 1e3 * 0.9, "the fork returned after %.3f s", late);

    fault_arm(FAULT_COND_WAIT, 1, 2, FAULT_SPURIOUS);
    pthread_mutex_lock(&m);
    int a = pthread_cond_wait(&c, &m), b = pthread_cond_wait(&c, &m);
    int held = pthread_mutex_trylock(&m);
    pthread_mutex_unlock(&m);
    fault_disarm_all();
    cr_assert(a == 0 && b == 0, "two spurious wakeups: %d, %d", a, b);
    cr_assert_neq(held, 0, "the mutex held after them");
}

/* FAULT_LOOP_NEW: an armed loop_new() returns -err; this runner has no loop_new() (lab 5's),
 * so an unarmed call reads -ENOSYS rather than failing the link */
struct loop;
int loop_new(struct loop **lp);

Test(fault, loop_new_refused)
{
    struct loop *l = NULL;

    fault_arm(FAULT_LOOP_NEW, 2, 1, EMFILE);
    int a = loop_new(&l), b = loop_new(&l), c = loop_new(&l);
    unsigned calls = fault_calls(FAULT_LOOP_NEW), failed = fault_failed(FAULT_LOOP_NEW);
    fault_disarm_all();
    cr_assert(a == -ENOSYS && c == -ENOSYS, "no loop_new() linked: -ENOSYS, %d, %d", a, c);
    cr_assert_eq(b, -EMFILE, "the 2nd fails with the armed error");
    cr_assert(l == NULL, "no loop made");
    cr_assert(calls == 3 && failed == 1, "3 calls counted, 1 failed: %u, %u", calls, failed);
}

void loop_free(struct loop *l);

/* Loops counted: without a loop_new() in this runner every call is -ENOSYS, made nothing;
 * loop_free(NULL) counts nothing */
Test(fault, loops_counted_without_a_loop)
{
    struct loop *l = NULL;
    long before = fault_live(FAULT_LOOP_NEW);

    cr_assert_eq(loop_new(&l), -ENOSYS);
    loop_free(NULL);
    cr_assert_eq(fault_live(FAULT_LOOP_NEW), before, "nothing made, nothing freed");
}

/* FAULT_BUSY: pthread_mutex_trylock() and _timedlock() report the armed error without locking */
Test(fault, busy_lock)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec soon;

    clock_gettime(CLOCK_REALTIME, &soon);
    soon.tv_sec += 1;
    fault_arm(FAULT_BUSY, 1, 2, EBUSY);
    int a = pthread_mutex_trylock(&m), b = pthread_mutex_timedlock(&m, &soon);
    int c = pthread_mutex_trylock(&m);
    unsigned failed = fault_failed(FAULT_BUSY);
    fault_disarm_all();
    cr_assert(a == EBUSY && b == EBUSY, "the first two report busy: %d, %d", a, b);
    cr_assert_eq(c, 0, "the third locks");
    cr_assert_eq(failed, 2);
    cr_assert_eq(pthread_mutex_trylock(&m), EBUSY, "held by the third: the real EBUSY");
    pthread_mutex_unlock(&m);
}

/* FAULT_LOCK, armed for this thread alone: its 2nd pthread_mutex_lock() fails without locking;
 * another thread's locks meanwhile are made and not counted */
static void *locks_twice(void *arg)
{
    pthread_mutex_t *m = arg;
    intptr_t bad = 0;

    for (int i = 0; i < 2; i++) {
        bad |= pthread_mutex_lock(m) != 0;
        bad |= pthread_mutex_unlock(m) != 0;
    }
    return (void *)bad;
}

Test(fault, lock_fails_kth_this_thread)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_t t;
    void *bad;

    fault_arm(FAULT_LOCK, 2, 1, EAGAIN);
    fault_arm_this_thread(FAULT_LOCK);
    cr_assert_eq(pthread_create(&t, NULL, locks_twice, &m), 0);
    pthread_join(t, &bad);
    errno = EDOM;
    int a = pthread_mutex_lock(&m);
    int ua = pthread_mutex_unlock(&m);
    int b = pthread_mutex_lock(&m), err = errno;
    int c = pthread_mutex_lock(&m);
    unsigned calls = fault_calls(FAULT_LOCK);
    fault_disarm_all();
    cr_assert(!bad, "the other thread's locks were made");
    cr_assert(a == 0 && ua == 0, "the 1st lock is made: %d %d", a, ua);
    cr_assert(b == EAGAIN && err == 0, "the 2nd fails EAGAIN, errno 0: %d %d", b, err);
    cr_assert_eq(c, 0, "the 3rd locks (the 2nd locked nothing)");
    cr_assert_eq(calls, 3, "this thread's 3 calls counted, not the other's: %u", calls);
    pthread_mutex_unlock(&m);
}

/* fault_calls_after_failure(): the calls of each kind made after an armed one failed, until
 * fault_disarm_all() */
Test(fault, calls_after_failure_counted)
{
    struct timespec ts;
    struct rusage ru;

    fault_arm(FAULT_CLOCK, 2, 1, EINVAL);
    fault_arm(FAULT_GETRUSAGE, 0, 0, 0); /* counts */
    getrusage(RUSAGE_SELF, &ru);
    int a = clock_gettime(CLOCK_MONOTONIC, &ts), b = clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned before = fault_calls_after_failure(FAULT_GETRUSAGE);
    getrusage(RUSAGE_SELF, &ru);
    getrusage(RUSAGE_SELF, &ru);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned ru_after = fault_calls_after_failure(FAULT_GETRUSAGE),
             clock_after = fault_calls_after_failure(FAULT_CLOCK);
    fault_disarm_all();
    unsigned reset = fault_calls_after_failure(FAULT_GETRUSAGE);
    cr_assert(a == 0 && b == -1, "the 2nd reading fails: %d %d", a, b);
    cr_assert_eq(before, 0, "nothing after the failure yet: %u", before);
    cr_assert(ru_after == 2 && clock_after == 1, "after it: %u, %u", ru_after, clock_after);
    cr_assert_eq(reset, 0, "fault_disarm_all() starts afresh: %u", reset);
}

/* FAULT_SHORT_EINTR: armed reads take turns, one byte, then EINTR with nothing moved */
Test(fault, short_eintr_takes_turns)
{
    int p[2];
    char buf[8];

    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write(p[1], "abcd", 4), 4);
    fault_arm(FAULT_READ, 1, 0, FAULT_SHORT_EINTR);
    ssize_t a = read(p[0], buf, 4);
    errno = 0;
    ssize_t b = read(p[0], buf + 1, 3);
    int err = errno;
    ssize_t c = read(p[0], buf + 1, 3);
    fault_disarm_all();
    ssize_t d = read(p[0], buf + 2, 6);
    close(p[0]);
    close(p[1]);
    cr_assert(a == 1 && b == -1 && err == EINTR && c == 1, "%zd %zd (%d) %zd", a, b, err, c);
    cr_assert(d == 2 && !memcmp(buf, "abcd", 4), "the rest, nothing lost: %zd", d);
}

/* FAULT_COND_WAIT: an armed condition wait returns its error at once, the mutex still held */
Test(fault, cond_wait_fails)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec far;

    clock_gettime(CLOCK_REALTIME, &far);
    far.tv_sec += 60;
    pthread_mutex_lock(&m);
    fault_arm(FAULT_COND_WAIT, 1, 3, EINVAL);
    fault_arm_this_thread(FAULT_COND_WAIT);
    int a = pthread_cond_wait(&c, &m), b = pthread_cond_timedwait(&c, &m, &far);
    int d = pthread_cond_clockwait(&c, &m, CLOCK_REALTIME, &far);
    unsigned failed = fault_failed(FAULT_COND_WAIT);
    fault_disarm_all();
    int held = pthread_mutex_trylock(&m);
    pthread_mutex_unlock(&m);
    cr_assert(a == EINVAL && b == EINVAL && d == EINVAL, "armed: %d %d %d", a, b, d);
    cr_assert_eq(failed, 3);
    cr_assert_eq(held, EBUSY, "the mutex still held after the failed waits: %d", held);
}

/* fault_after_unlock(): after each unlock of the watched mutex, the hook runs in the unlocking
 * thread with the mutex free (it may lock it; its own unlocks call nothing); other mutexes
 * and fault_disarm_all() end it */
struct unlock_seen {
    pthread_mutex_t *m;
    int calls, relocked;
};

static void on_unlock(void *arg)
{
    struct unlock_seen *u = arg;

    u->calls++;
    if (pthread_mutex_trylock(u->m) == 0) {
        u->relocked++;
        pthread_mutex_unlock(u->m);
    }
}

/* FAULT_WAIT_LATE: the armed wait is made, FAULT_WAIT_LATE_MS late, the mutex held meanwhile */
Test(fault, wait_late)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec t0, t1, until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 1000000; /* 1 ms */
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    fault_arm(FAULT_COND_WAIT, 1, 1, FAULT_WAIT_LATE);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = pthread_cond_timedwait(&c, &m, &until);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fault_disarm_all();
    int held = pthread_mutex_trylock(&m) != 0;
    pthread_mutex_unlock(&m);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_eq(rc, ETIMEDOUT, "the wait is made: %d", rc);
    cr_assert(ms >= FAULT_WAIT_LATE_MS, "made %d ms late: %.1f ms", FAULT_WAIT_LATE_MS, ms);
    cr_assert(held, "the mutex is held again after the wait");
}

/* FAULT_LATE_EINVAL: the armed wait is not made: FAULT_WAIT_LATE_MS later, the mutex held
 * meanwhile, it fails with EINVAL, the mutex still held */
Test(fault, late_einval)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec t0, t1;

    pthread_mutex_lock(&m);
    fault_arm(FAULT_COND_WAIT, 1, 1, FAULT_LATE_EINVAL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = pthread_cond_wait(&c, &m); /* no one signals: made, it would never return */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    unsigned failed = fault_failed(FAULT_COND_WAIT);
    fault_disarm_all();
    int held = pthread_mutex_trylock(&m) != 0;
    pthread_mutex_unlock(&m);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_eq(rc, EINVAL, "the wait fails: %d", rc);
    cr_assert_eq(failed, 1, "counted as failed: %u", failed);
    cr_assert(ms >= FAULT_WAIT_LATE_MS, "after %d ms: %.1f ms", FAULT_WAIT_LATE_MS, ms);
    cr_assert(held, "the mutex is held as it was");
}

Test(fault, after_unlock_hook)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, other = PTHREAD_MUTEX_INITIALIZER;
    struct unlock_seen u = {.m = &m};

    fault_after_unlock(&m, on_unlock, &u);
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
    pthread_mutex_lock(&other);
    pthread_mutex_unlock(&other);
    fault_disarm_all();
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    cr_assert_eq(u.calls, 3, "one call a unlock of m, none for its own or another mutex: %d",
                 u.calls);
    cr_assert_eq(u.relocked, 3, "m free in the hook: %d", u.relocked);
}

/* FAULT_ATTR_SET: the armed pthread_condattr_setclock() and pthread_mutexattr_settype() return
 * the error, errno 0, and set nothing */
Test(fault, attr_set_fails)
{
    pthread_condattr_t ca;
    pthread_mutexattr_t ma;
    clockid_t clock = -1;
    int type = -1;

    cr_assert(pthread_condattr_init(&ca) == 0 && pthread_mutexattr_init(&ma) == 0);
    fault_arm(FAULT_ATTR_SET, 1, 2, EINVAL);
    errno = EDOM;
    int a = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int b = pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK), err = errno;
    int c = pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    fault_disarm_all();
    pthread_condattr_getclock(&ca, &clock);
    pthread_mutexattr_gettype(&ma, &type);
    pthread_condattr_destroy(&ca);
    pthread_mutexattr_destroy(&ma);
    cr_assert(a == EINVAL && b == EINVAL && err == 0, "armed: %d %d, errno %d", a, b, err);
    cr_assert_eq(c, 0, "the 3rd is made");
    cr_assert_eq(clock, CLOCK_REALTIME, "the clock not set: %d", (int)clock);
    cr_assert_eq(type, PTHREAD_MUTEX_RECURSIVE, "only the 3rd set the type: %d", type);
}

/* fault_count_sigpipe(): a send without MSG_NOSIGNAL, and a write() to a socket, count while
 * SIGPIPE would kill; with the flag, to a pipe, or with SIGPIPE blocked, they do not */
Test(fault, sigpipe_risks_counted)
{
    int sv[2], p[2];
    sigset_t pipe_only, old;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(pipe(p), 0);
    fault_count_sigpipe(1);
    cr_assert_eq(send(sv[0], "a", 1, MSG_NOSIGNAL), 1);
    cr_assert_eq(write(p[1], "b", 1), 1);
    unsigned safe = fault_sigpipe_risks();
    cr_assert_eq(send(sv[0], "c", 1, 0), 1);
    cr_assert_eq(write(sv[0], "d", 1), 1);
    unsigned risky = fault_sigpipe_risks();
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    cr_assert_eq(send(sv[0], "e", 1, 0), 1);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    unsigned blocked = fault_sigpipe_risks();
    fault_disarm_all();
    cr_assert_eq(send(sv[0], "f", 1, 0), 1);
    unsigned off = fault_sigpipe_risks();
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
    cr_assert_eq(safe, 0, "MSG_NOSIGNAL, and a pipe: none, %u", safe);
    cr_assert_eq(risky, 2, "send() without the flag and write() to a socket: 2, %u", risky);
    cr_assert_eq(blocked, 2, "SIGPIPE blocked: not counted, %u", blocked);
    cr_assert_eq(off, 2, "off: not counted, %u", off);
}

Test(fault, realtime_shifts_monotonic_does_not)
{
    struct timespec r0, m0, r1, m1;

    clock_gettime(CLOCK_REALTIME, &r0);
    clock_gettime(CLOCK_MONOTONIC, &m0);
    fault_clock_shift(-3600);
    clock_gettime(CLOCK_REALTIME, &r1);
    clock_gettime(CLOCK_MONOTONIC, &m1);
    time_t t1 = time(NULL);
    fault_disarm_all();
    double dr = secs_between(&r0, &r1), dm = secs_between(&m0, &m1);
    cr_assert(dr < -3599 && dr > -3601, "realtime moved by %g", dr);
    cr_assert(dm >= 0 && dm < 1, "monotonic moved by %g", dm);
    cr_assert(t1 <= r0.tv_sec - 3599, "time() is shifted too");
    clock_gettime(CLOCK_REALTIME, &r1);
    cr_assert(r1.tv_sec >= r0.tv_sec, "disarmed: the true time again");
}

/* fault_clock_suspend(): CLOCK_BOOTTIME moves ahead of CLOCK_MONOTONIC, which stays true */
Test(fault, suspend_moves_boottime_alone)
{
    struct timespec b0, m0, b1, m1, b2;

    clock_gettime(CLOCK_BOOTTIME, &b0);
    clock_gettime(CLOCK_MONOTONIC, &m0);
    fault_clock_suspend(3600);
    clock_gettime(CLOCK_BOOTTIME, &b1);
    clock_gettime(CLOCK_MONOTONIC, &m1);
    fault_disarm_all();
    clock_gettime(CLOCK_BOOTTIME, &b2);
    double db = secs_between(&b0, &b1), dm = secs_between(&m0, &m1);
    double back = secs_between(&b0, &b2);
    cr_assert(db > 3599 && db < 3601, "boottime moved by %g", db);
    cr_assert(dm >= 0 && dm < 1, "monotonic moved by %g", dm);
    cr_assert(back >= 0 && back < 1, "disarmed: boottime true again (%g)", back);
}

/* fault_clock_hold(): CLOCK_MONOTONIC stands still while held, runs again after */
Test(fault, clock_hold)
{
    struct timespec a, b, c;

    fault_clock_hold(1);
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(2000);
    clock_gettime(CLOCK_MONOTONIC, &b);
    fault_disarm_all();
    clock_gettime(CLOCK_MONOTONIC, &c);
    cr_assert(a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec, "held: the same moment");
    cr_assert((c.tv_sec - a.tv_sec) * 1000000000LL + (c.tv_nsec - a.tv_nsec) >= 2000000,
              "released: the true time again");
}

/* fault_rusage_hold(): each CPU time reads its whole seconds and 999999 us, standing still while
 * held (CPU burnt meanwhile does not show); released by fault_disarm_all(), true again */
static double user_seconds(const struct rusage *r)
{
    return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6;
}

static double system_seconds(const struct rusage *r)
{
    return (double)r->ru_stime.tv_sec + (double)r->ru_stime.tv_usec / 1e6;
}

static double cpu_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

Test(fault, rusage_hold)
{
    struct rusage before, a, b, kids, after;
    volatile unsigned long spin = 0;

    getrusage(RUSAGE_SELF, &before);
    fault_rusage_hold(1);
    getrusage(RUSAGE_SELF, &a);
    getrusage(RUSAGE_CHILDREN, &kids);
    /* spin until the thread has had 100 ms of CPU (its own clock, which no hold touches), 5 s
     * at most: a count of iterations gave a busy machine's CI 47 ms */
    struct timespec t0, t, w0, w;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    clock_gettime(CLOCK_REALTIME, &w0);
    do {
        for (unsigned long i = 0; i < 1000000UL; i++)
            spin += i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        clock_gettime(CLOCK_REALTIME, &w);
    } while (cpu_between(&t0, &t) < 0.1 && cpu_between(&w0, &w) < 5);
    getrusage(RUSAGE_SELF, &b);
    fault_disarm_all();
    getrusage(RUSAGE_SELF, &after);
    cr_assert(a.ru_utime.tv_usec == 999999 && a.ru_stime.tv_usec == 999999 &&
                  kids.ru_utime.tv_usec == 999999 && kids.ru_stime.tv_usec == 999999,
              "held: every field a microsecond short of a second");
    cr_assert(a.ru_utime.tv_sec == before.ru_utime.tv_sec, "held: the whole seconds kept");
    cr_assert(memcmp(&a.ru_utime, &b.ru_utime, sizeof a.ru_utime) == 0, "held: standing still");
    cr_assert(user_seconds(&after) + system_seconds(&after) >
                      user_seconds(&before) + system_seconds(&before) + 0.05 &&
                  memcmp(&after.ru_utime, &b.ru_utime, sizeof b.ru_utime) != 0,
              "released: the true CPU time again (user %.6f s, was %.6f s)", user_seconds(&after),
              user_seconds(&before));
}

/* fault_rusage_children(): the reaped children's user time reads that many whole seconds more,
 * the rest as true (their microseconds, their system time, the process's own); 0 or
 * fault_disarm_all(): true again */
Test(fault, rusage_children_raised)
{
    struct rusage kids, raised, self, again;

    getrusage(RUSAGE_CHILDREN, &kids);
    fault_rusage_children(2200);
    getrusage(RUSAGE_CHILDREN, &raised);
    getrusage(RUSAGE_SELF, &self);
    fault_disarm_all();
    getrusage(RUSAGE_CHILDREN, &again);
    cr_assert_eq(raised.ru_utime.tv_sec, kids.ru_utime.tv_sec + 2200, "raised by 2200 s");
    cr_assert(raised.ru_utime.tv_usec == kids.ru_utime.tv_usec &&
                  memcmp(&raised.ru_stime, &kids.ru_stime, sizeof kids.ru_stime) == 0,
              "the microseconds and the system time as true");
    cr_assert(self.ru_utime.tv_sec < 2200, "the process's own time as true");
    cr_assert(memcmp(&again, &kids, sizeof kids) == 0, "disarmed: true again");
}

/* fault_rusage_children_system(): the same in the children's system time, their user time as
 * true; fault_disarm_all(): true again */
Test(fault, rusage_children_system_raised)
{
    struct rusage kids, raised, again;

    getrusage(RUSAGE_CHILDREN, &kids);
    fault_rusage_children_system(5);
    getrusage(RUSAGE_CHILDREN, &raised);
    fault_disarm_all();
    getrusage(RUSAGE_CHILDREN, &again);
    cr_assert_eq(raised.ru_stime.tv_sec, kids.ru_stime.tv_sec + 5, "raised by 5 s");
    cr_assert(raised.ru_stime.tv_usec == kids.ru_stime.tv_usec &&
                  memcmp(&raised.ru_utime, &kids.ru_utime, sizeof kids.ru_utime) == 0,
              "the microseconds and the user time as true");
    cr_assert(memcmp(&again, &kids, sizeof kids) == 0, "disarmed: true again");
}

/* FAULT_GETRUSAGE: the k-th call, whatever it asks for, fails with -1 and errno, writing
 * nothing; counted when armed with err = 0 */
Test(fault, getrusage_fails_kth)
{
    struct rusage r[3];
    int rc[3], e[3];

    memset(r, 0x5e, sizeof r);
    fault_arm(FAULT_GETRUSAGE, 2, 0, EFAULT);
    for (int i = 0; i < 3; i++) {
        errno = 0;
        rc[i] = getrusage(i == 0 ? RUSAGE_SELF : RUSAGE_CHILDREN, &r[i]);
        e[i] = errno;
    }
    unsigned calls = fault_calls(FAULT_GETRUSAGE), failed = fault_failed(FAULT_GETRUSAGE);
    fault_disarm_all();
    cr_assert(rc[0] == 0 && rc[1] == -1 && rc[2] == -1, "returns %d %d %d", rc[0], rc[1], rc[2]);
    cr_assert(e[1] == EFAULT && e[2] == EFAULT, "errno %d %d", e[1], e[2]);
    cr_assert(calls == 3 && failed == 2, "calls %u, failed %u", calls, failed);
    unsigned char poison[sizeof r[1]];
    memset(poison, 0x5e, sizeof poison);
    cr_assert(memcmp(&r[1], poison, sizeof poison) == 0, "a failed call writes nothing");
    cr_assert_eq(getrusage(RUSAGE_SELF, &r[0]), 0, "disarmed: as the C library's");
}

/* FAULT_CLOCK: the k-th reading of any clock fails with -1 and errno, writing nothing:
 * clock_gettime(), whichever clock, gettimeofday() and time() counted as one kind */
Test(fault, clock_fails_kth)
{
    struct timespec ts[2];
    struct timeval tv;
    int rc[2], e[3];

    memset(ts, 0x5e, sizeof ts);
    memset(&tv, 0x5e, sizeof tv);
    fault_arm(FAULT_CLOCK, 2, 2, EINVAL);
    rc[0] = clock_gettime(CLOCK_MONOTONIC, &ts[0]);
    errno = 0;
    rc[1] = clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts[1]);
    e[0] = errno;
    errno = 0;
    int tv_rc = gettimeofday(&tv, NULL);
    e[1] = errno;
    errno = 0;
    time_t t = time(NULL);
    e[2] = errno;
    unsigned calls = fault_calls(FAULT_CLOCK), failed = fault_failed(FAULT_CLOCK);
    fault_disarm_all();
    cr_assert(rc[0] == 0 && rc[1] == -1 && tv_rc == -1, "returns %d %d %d", rc[0], rc[1], tv_rc);
    cr_assert(e[0] == EINVAL && e[1] == EINVAL, "errno %d %d", e[0], e[1]);
    cr_assert(t != (time_t)-1 && e[2] == 0, "the 4th call, past the 2 failed: a true time()");
    cr_assert(calls == 4 && failed == 2, "calls %u, failed %u", calls, failed);
    unsigned char poison[sizeof ts[1]];
    memset(poison, 0x5e, sizeof poison);
    cr_assert(memcmp(&ts[1], poison, sizeof poison) == 0, "a failed call writes nothing");
    cr_assert(memcmp(&tv, poison, sizeof tv) == 0, "a failed gettimeofday() writes nothing");
    fault_arm(FAULT_CLOCK, 1, 1, EFAULT);
    errno = 0;
    t = time(NULL);
    cr_assert(t == (time_t)-1 && errno == EFAULT, "time() fails: %lld, errno %d", (long long)t,
              errno);
    fault_disarm_all();
    cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts[0]), 0, "disarmed: as the C library's");
}

pid_t fault_note_forked(pid_t pid); /* fault_int.h's: what __wrap_fork() tells the record */

/* fault_stale_waits(): a wait naming a pid this process already reaped counts; one for a
 * live child, a WNOWAIT look before the real wait, or a pid fork() gave again does not */
Test(fault, stale_waits_counted)
{
    unsigned before = fault_stale_waits();
    siginfo_t si;
    int st;
    pid_t a = fork();

    if (a == 0)
        _exit(3);
    cr_assert(a > 0);
    memset(&si, 0, sizeof si);
    cr_assert_eq(waitid(P_PID, (id_t)a, &si, WEXITED | WNOWAIT), 0, "a look, not a reaping");
    cr_assert_eq(waitpid(a, &st, 0), a);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    cr_assert_eq(fault_stale_waits(), before, "waits for a live child are not stale");
    cr_assert_eq(waitpid(a, NULL, WNOHANG), -1, "a reaped child: ECHILD");
    cr_assert_eq(fault_stale_waits(), before + 1, "a waitpid() for a reaped pid counts");
    cr_assert_eq(waitid(P_PID, (id_t)a, &si, WEXITED | WNOHANG), -1);
    cr_assert_eq(fault_stale_waits(), before + 2, "so does a waitid(P_PID)");
    pid_t b = fork();
    if (b == 0)
        _exit(0);
    cr_assert(b > 0);
    cr_assert_eq(waitpid(-1, &st, 0), b, "a wait for any child names no pid");
    cr_assert_eq(fault_stale_waits(), before + 2);
    fault_note_forked(b); /* as if fork() had given b again */
    cr_assert_eq(waitpid(b, NULL, WNOHANG), -1);
    cr_assert_eq(fault_stale_waits(), before + 2, "a pid forked again is no stale pid");
}

struct parked_read {
    atomic_int done;
    int rc;
};

static void *read_parked(void *arg)
{
    struct parked_read *p = arg;
    struct timespec ts;

    fault_clock_park_next();
    p->rc = clock_gettime(CLOCK_MONOTONIC, &ts);
    atomic_store(&p->done, 1);
    return NULL;
}

/* fault_clock_park_next(): that thread's next clock reading waits until fault_clock_unpark();
 * other threads' readings do not */
Test(fault, clock_park)
{
    struct parked_read p = {.rc = -2};
    struct timespec ts;
    pthread_t t;

    cr_assert_eq(pthread_create(&t, NULL, read_parked, &p), 0);
    for (int ms = 0; ms < 2000 && !fault_clock_parked(); ms++)
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    cr_assert(fault_clock_parked(), "the thread never parked in its clock reading");
    cr_assert_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0, "another thread reads on");
    nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
    cr_assert(!atomic_load(&p.done), "the parked reading returned before it was let go");
    fault_clock_unpark();
    pthread_join(t, NULL);
    cr_assert(atomic_load(&p.done) && p.rc == 0, "let go: its reading made (%d)", p.rc);
    cr_assert(!fault_clock_parked());
}

Test(fault, short_moves_one_byte)
{
    int fd[2];
    char buf[8] = "";

    cr_assert_eq(pipe(fd), 0);
    fault_arm(FAULT_WRITE, 1, 1, FAULT_SHORT);
    cr_assert_eq(write(fd[1], "abc", 3), 1, "a short write moves one byte");
    cr_assert_eq(write(fd[1], "de", 2), 2, "then whole again");
    fault_arm(FAULT_READ, 1, 0, FAULT_SHORT);
    cr_assert_eq(read(fd[0], buf, sizeof(buf)), 1);
    cr_assert_eq(read(fd[0], buf + 1, sizeof(buf) - 2), 1);
    fault_disarm_all();
    cr_assert_eq(read(fd[0], buf + 2, sizeof(buf) - 3), 1, "what is left: one byte");
    cr_assert_str_eq(buf, "ade");
    close(fd[0]);
    close(fd[1]);
}

Test(fault, cut_moves_one_byte_then_fails)
{
    int fd[2];
    char buf[8] = "";

    cr_assert_eq(pipe(fd), 0);
    fault_arm(FAULT_WRITE, 1, 0, FAULT_CUT);
    cr_assert_eq(write(fd[1], "abc", 3), 1, "the first cut write moves one byte");
    cr_assert_eq(write(fd[1], "bc", 2), -1, "then the stream is broken");
    cr_assert_eq(errno, EIO);
    cr_assert_eq(write(fd[1], "bc", 2), -1, "and stays broken");
    fault_disarm_all();
    cr_assert_eq(fault_failed(FAULT_WRITE), 3);
    cr_assert_eq(read(fd[0], buf, sizeof(buf) - 1), 1, "one byte went through");
    cr_assert_str_eq(buf, "a");
    close(fd[0]);
    close(fd[1]);
}

/* A child killed by a signal: with FAULT_CORE its status says it dumped core; unarmed, the
 * true status (the runner's RLIMIT_CORE may or may not allow a core: SIGKILL never dumps). */
Test(fault, core_marks_a_signalled_child)
{
    for (int armed = 0; armed < 2; armed++) {
        int st = 0;
        pid_t p = fork();

        cr_assert(p >= 0);
        if (p == 0) {
            pause();
            _exit(0);
        }
        kill(p, SIGKILL);
        if (armed)
            fault_arm(FAULT_WAIT, 1, 0, FAULT_CORE);
        cr_assert_eq(waitpid(p, &st, 0), p);
        fault_disarm_all();
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status %#x", st);
        cr_assert_eq(!!WCOREDUMP(st), armed, "status %#x, armed %d", st, armed);
    }
    pid_t p = fork();
    siginfo_t si = {0};

    cr_assert(p >= 0);
    if (p == 0) {
        pause();
        _exit(0);
    }
    kill(p, SIGTERM);
    fault_arm(FAULT_WAIT, 1, 0, FAULT_CORE);
    cr_assert_eq(waitid(P_PID, (id_t)p, &si, WEXITED), 0);
    fault_disarm_all();
    cr_assert_eq(si.si_code, CLD_DUMPED);
    cr_assert_eq(si.si_status, SIGTERM);
    p = fork();
    cr_assert(p >= 0);
    if (p == 0)
        _exit(3);
    int st = 0;
    fault_arm(FAULT_WAIT, 1, 0, FAULT_CORE);
    cr_assert_eq(waitpid(p, &st, 0), p);
    fault_disarm_all();
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3, "an exit is left as it is: %#x", st);
}

/* fault_reaped_killed(): children reaped whose end was a signal, by signal, through
 * waitpid() and waitid() (not a waitid() with WNOWAIT, which reaps nothing); a child that
 * exits is not counted. */
Test(fault, reaped_killed_counted)
{
    unsigned pipes = fault_reaped_killed(SIGPIPE), kills = fault_reaped_killed(SIGKILL);
    int fd[2], st;
    siginfo_t si;
    pid_t a, b, c;

    cr_assert_eq(pipe(fd), 0);
    close(fd[0]);
    if ((a = fork()) == 0) { /* writes to a pipe with no reader: SIGPIPE */
        (void)!write(fd[1], "x", 1);
        _exit(0);
    }
    close(fd[1]);
    if ((b = fork()) == 0) {
        pause();
        _exit(0);
    }
    if ((c = fork()) == 0)
        _exit(3);
    kill(b, SIGKILL);
    cr_assert_eq(waitpid(a, &st, 0), a);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
    cr_assert_eq(fault_reaped_killed(SIGPIPE), pipes + 1, "a child SIGPIPE ended, reaped");
    cr_assert_eq(waitid(P_PID, (id_t)b, &si, WEXITED | WNOWAIT), 0);
    cr_assert_eq(fault_reaped_killed(SIGKILL), kills, "WNOWAIT: not reaped yet, not counted");
    cr_assert_eq(waitid(P_PID, (id_t)b, &si, WEXITED), 0);
    cr_assert_eq(fault_reaped_killed(SIGKILL), kills + 1, "reaped by waitid(): counted");
    cr_assert_eq(waitpid(c, &st, 0), c);
    cr_assert_eq(fault_reaped_killed(SIGPIPE) + fault_reaped_killed(SIGKILL), pipes + kills + 2,
                 "a child that exits is not counted");
    cr_assert_eq(fault_reaped_killed(0) + fault_reaped_killed(65), 0, "no such signal");
}

/* FAULT_EINTR_LATE: an armed wait longer than FAULT_LATE_MS is cut there with EINTR; a
 * shorter one is made as asked; one that finds a descriptor ready returns it. */
Test(fault, eintr_late_cuts_long_waits)
{
    struct pollfd p;
    struct timespec a, b;
    int fd[2];
    double ms;

    cr_assert_eq(pipe(fd), 0);
    p = (struct pollfd){.fd = fd[0], .events = POLLIN};
    fault_arm(FAULT_POLL, 1, 0, FAULT_EINTR_LATE);
    clock_gettime(CLOCK_MONOTONIC, &a);
    cr_assert_eq(poll(&p, 1, 1000), -1, "a wait of 1 s is cut");
    clock_gettime(CLOCK_MONOTONIC, &b);
    cr_assert_eq(errno, EINTR);
    ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    cr_assert(ms >= FAULT_LATE_MS - 1 && ms < 900, "cut after %.1f ms, expected %d", ms,
              FAULT_LATE_MS);
    cr_assert_eq(poll(&p, 1, -1), -1, "a wait with no limit is cut too");
    cr_assert_eq(errno, EINTR);
    cr_assert_eq(poll(&p, 1, 5), 0, "a wait of 5 ms is made as asked: it times out");
    cr_assert_eq(write(fd[1], "x", 1), 1);
    cr_assert_eq(poll(&p, 1, 1000), 1, "a descriptor ready: the wait returns it");
    cr_assert_eq(fault_calls(FAULT_POLL), 4);

    /* epoll_wait() alike */
    struct epoll_event ev = {.events = EPOLLOUT}, got;
    int ep = epoll_create1(0);

    cr_assert(ep >= 0);
    cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd[0], &ev), 0, "the read end is never writable");
    cr_assert_eq(epoll_wait(ep, &got, 1, 1000), -1, "an epoll_wait() of 1 s is cut");
    cr_assert_eq(errno, EINTR);
    cr_assert_eq(epoll_wait(ep, &got, 1, 5), 0, "one of 5 ms is made as asked");
    fault_disarm_all();
    close(ep);
    close(fd[0]);
    close(fd[1]);
}

/* fault_wait_leads(): a timed wait by another thread notes how far ahead its deadline lies;
 * the caller's own waits and a deadline on another clock (decades off) are not noted */
struct lead_wait {
    pthread_cond_t *c;
    pthread_mutex_t *m;
    long long ahead_ns; /* the deadline: this far ahead of CLOCK_MONOTONIC */
};

static void wait_ahead(struct lead_wait *w)
{
    struct timespec d;

    clock_gettime(CLOCK_MONOTONIC, &d);
    long long ns = (long long)d.tv_sec * 1000000000LL + d.tv_nsec + w->ahead_ns;
    d.tv_sec = (time_t)(ns / 1000000000LL);
    d.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(w->m);
    pthread_cond_timedwait(w->c, w->m, &d);
    pthread_mutex_unlock(w->m);
}

static void *wait_ahead_run(void *arg)
{
    wait_ahead(arg);
    return NULL;
}

Test(fault, wait_leads)
{
    pthread_condattr_t a;
    pthread_cond_t c;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_t t;

    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&c, &a);
    struct lead_wait w = {&c, &m, 3000000}, mine = {&c, &m, 8000000};

    fault_wait_leads(1);
    cr_assert_eq(fault_wait_lead_max(), -1, "nothing noted yet");
    wait_ahead(&mine); /* the caller's own: not noted */
    cr_assert_eq(fault_wait_lead_max(), -1, "the caller's own wait was noted");
    pthread_create(&t, NULL, wait_ahead_run, &w);
    pthread_join(t, NULL);
    long long lead = fault_wait_lead_max();
    cr_assert(lead > 0 && lead <= 3000000, "a deadline 3 ms ahead read %lld ns ahead", lead);
    fault_wait_leads(1);                     /* from nothing again */
    w.ahead_ns = -2LL * 3600 * 1000000000LL; /* two hours past: another clock's deadline */
    pthread_create(&t, NULL, wait_ahead_run, &w);
    pthread_join(t, NULL);
    cr_assert(fault_wait_lead_max() == -1, "a deadline two hours off was noted");
    fault_wait_leads(0);
    pthread_cond_destroy(&c);
}

/* fault_latest_wake(): a wait's end counted from the thread's last CLOCK_MONOTONIC reading
 * (the moment a loop counts its timeout from), not from when the wait began */
Test(fault, latest_wake_from_last_reading)
{
    struct timespec t;

    fault_arm(FAULT_POLL, 1, 0, 0); /* notes the waits, fails none */
    cr_assert_eq(fault_latest_wake(), -1, "no wait yet");
    clock_gettime(CLOCK_MONOTONIC, &t);
    usleep(30000);
    poll(NULL, 0, 20);
    long long from = (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
    cr_assert_eq(fault_latest_wake(), from + 20000000LL,
                 "a 20 ms wait 30 ms after the last reading: %lld ns past it, want 20000000",
                 fault_latest_wake() - from);
    poll(NULL, 0, 5); /* an earlier end does not lower it */
    cr_assert_eq(fault_latest_wake(), from + 20000000LL);
    fault_disarm_all();
}

/* fault_nap_after_unlock(): each unlock that succeeds, of any mutex, is followed by a nap of
 * that many ms in the unlocking thread; 0 and fault_disarm_all() end it */
Test(fault, nap_after_unlock)
{
    pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
    struct timespec t0, t1, t2;

    fault_nap_after_unlock(20);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&a);
    pthread_mutex_unlock(&a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fault_disarm_all();
    pthread_mutex_lock(&a);
    pthread_mutex_unlock(&a);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    double napped = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    double after = (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6;
    cr_assert(napped >= 40, "two unlocks of two mutexes, 20 ms each: %.1f ms", napped);
    cr_assert(after < 20 || after < napped / 2,
              "disarmed: an unlock takes no nap (%.1f ms; armed, two took %.1f)", after, napped);
}

/* A listening socket on a free loopback port; its address in *a. */
static int loopback_listener(struct sockaddr_in *a)
{
    socklen_t len = sizeof(*a);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert(ls >= 0, "socket(): %s", strerror(errno));
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(ls, (struct sockaddr *)a, sizeof(*a)), 0, "bind(): %s", strerror(errno));
    cr_assert_eq(listen(ls, 8), 0);
    cr_assert_eq(getsockname(ls, (struct sockaddr *)a, &len), 0);
    return ls;
}

Test(fault, connect_at_once)
{
    struct sockaddr_in a, peer;
    socklen_t len = sizeof(peer);
    int ls = loopback_listener(&a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    cr_assert(fd >= 0);
    fault_arm(FAULT_CONNECT, 1, 1, FAULT_AT_ONCE);
    errno = 0;
    int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    fault_disarm_all();
    cr_assert_eq(rc, 0, "a non-blocking connect() completed at once: %d (%s)", rc, strerror(e));
    cr_assert_eq(e, FAULT_STALE_ERRNO, "errno left stale: %s", strerror(e));
    cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK, "the socket is non-blocking again");
    cr_assert_eq(getpeername(fd, (struct sockaddr *)&peer, &len), 0, "and connected");
    close(fd);

    /* unarmed, loopback TCP answers a non-blocking connect() with EINPROGRESS (or at once) */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    errno = 0;
    rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    cr_assert(rc == 0 || errno == EINPROGRESS, "unarmed: %d (%s)", rc, strerror(errno));
    close(fd);

    /* armed on a port nobody listens on: the failure as it comes, errno its own */
    close(ls);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fault_arm(FAULT_CONNECT, 1, 1, FAULT_AT_ONCE);
    rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    e = errno;
    fault_disarm_all();
    cr_assert(rc < 0 && e == ECONNREFUSED, "refused: %d (%s)", rc, strerror(e));
    close(fd);
}

Test(fault, opendir_fails)
{
    fault_arm(FAULT_OPENDIR, 2, 1, ENOENT);
    DIR *first = opendir("/"), *second = opendir("/");
    int e = errno;
    DIR *third = opendir("/");
    unsigned calls = fault_calls(FAULT_OPENDIR);
    fault_disarm_all();
    cr_assert(first && third, "the first and third calls are made");
    cr_assert(!second && e == ENOENT, "the second fails with ENOENT: %p, %s", (void *)second,
              strerror(e));
    cr_assert_eq(calls, 3);
    closedir(first);
    closedir(third);
}

Test(fault, static_inits_counted)
{
    static pthread_mutex_t sm;
    static pthread_cond_t sc;
    static pthread_condattr_t sca;
    static pthread_mutexattr_t sma;
    pthread_mutex_t m;
    pthread_condattr_t ca;

    fault_count_static_locks(1);
    cr_assert_eq(pthread_mutex_init(&m, NULL), 0);
    cr_assert_eq(pthread_condattr_init(&ca), 0);
    cr_assert_eq(fault_static_inits(), 0, "a stack's mutex and attributes read as static");
    cr_assert_eq(pthread_mutex_init(&sm, NULL), 0);
    cr_assert_eq(pthread_cond_init(&sc, NULL), 0);
    cr_assert_eq(pthread_condattr_init(&sca), 0);
    cr_assert_eq(pthread_mutexattr_init(&sma), 0);
    cr_assert_eq(fault_static_inits(), 4, "four inits in static storage: %u", fault_static_inits());
    cr_assert_eq(fault_static_locks(), 0, "inits are no locks");
    fault_count_static_locks(1);
    cr_assert_eq(fault_static_inits(), 0, "counting on again starts from 0");
    fault_count_static_locks(0);
    pthread_mutex_destroy(&m);
    pthread_mutex_destroy(&sm);
    pthread_cond_destroy(&sc);
    pthread_condattr_destroy(&ca);
    pthread_condattr_destroy(&sca);
    pthread_mutexattr_destroy(&sma);
}

/* FAULT_NOCLDWAIT: a wait as for a caller that ignores SIGCHLD: it returns once the child has
 * ended (reaped by the wrapper), with ECHILD; WNOHANG on a child still running returns 0. */
Test(fault, wait_nocldwait)
{
    int gate[2];
    char c;

    cr_assert_eq(pipe(gate), 0);
    pid_t pid = fork();

    if (pid == 0) { /* runs until the parent closes the gate */
        close(gate[1]);
        _exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
    }
    cr_assert(pid > 0);
    close(gate[0]);
    int st = 12345;

    fault_arm(FAULT_WAIT, 1, 0, FAULT_NOCLDWAIT);
    pid_t early = waitpid(pid, &st, WNOHANG);
    close(gate[1]);
    pid_t got = waitpid(pid, &st, 0);
    int e = errno;
    fault_disarm_all();
    cr_assert_eq(early, 0, "WNOHANG on a running child: %d", (int)early);
    cr_assert(got == -1 && e == ECHILD, "the wait failed with ECHILD: %d (%s)", (int)got,
              strerror(e));
    cr_assert_eq(st, 12345, "no status written");
    /* gone, not a zombie: the wait returned once it had ended, and reaped it */
    cr_assert(kill(pid, 0) == -1 && errno == ESRCH, "the child was reaped");

    /* waitid() too */
    siginfo_t si;

    pid = fork();
    if (pid == 0)
        _exit(3);
    fault_arm(FAULT_WAIT, 1, 0, FAULT_NOCLDWAIT);
    int rc = waitid(P_PID, (id_t)pid, &si, WEXITED);
    e = errno;
    fault_disarm_all();
    cr_assert(rc == -1 && e == ECHILD, "waitid(): %d (%s)", rc, strerror(e));
    cr_assert(kill(pid, 0) == -1 && errno == ESRCH, "the child was reaped");
}

/* fault_wait_made(1): an armed error (EINVAL) given after the wait is made: the child reaped. */
Test(fault, wait_made_then_fails)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    cr_assert(pid > 0);
    fault_arm(FAULT_WAIT, 1, 0, EINVAL);
    fault_wait_made(1);
    pid_t got = waitpid(pid, NULL, 0);
    int e = errno;
    fault_disarm_all();
    cr_assert(got == -1 && e == EINVAL, "the wait failed with EINVAL: %d (%s)", (int)got,
              strerror(e));
    cr_assert(kill(pid, 0) == -1 && errno == ESRCH, "the child was reaped");
}
