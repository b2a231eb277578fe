/* lab2.h: what you write in lab 2 (several waiters, one kitchen). Read it; do not edit it. */
#ifndef LAB2_H
#define LAB2_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/*
 * Every function returns 0 on success, a negative errno on failure, and
 * -ENOSYS while it still holds its TODO(student) stub. A failed pthread call
 * is an error of the executor: return its error number, negated.
 */

/*
 * threads.c: the thread executor (see map_fn in workload.h): runs each job
 * with ref_job_run() on at most `workers` threads that share one queue of
 * jobs: a waiter who finishes a table takes the next table nobody has taken
 * yet (dynamic scheduling), so a few long jobs do not leave the others idle.
 *
 * - out[i] holds the result of jobs[i], whichever thread ran it;
 * - every job runs exactly once; a failed job has its own out[i].status and
 *   the others still run (a failed order is not placed again);
 * - never more threads than jobs: n = 0 starts none and returns 0;
 * - workers has no upper bound (100, INT_MAX): what the call allocates is
 *   sized by the threads it starts, min(workers, n);
 * - every thread it started has been joined (pthread_join()) when it
 *   returns: no waiter is still working, and none is left behind, once the
 *   call is over; what it allocated (thread ids, shared state) is freed,
 *   and a lock it made with pthread_mutex_init() (or a condition variable,
 *   pthread_cond_init(), or the attributes object one was made with,
 *   pthread_mutexattr_init()) destroyed, when it fails too; the caller waits for its waiters asleep
 * in pthread_join(), not in a loop that naps and looks at a counter;
 * - a call keeps no state between or across calls (no file-static index,
 *   lock or table): two calls at once, from two threads, each run their
 *   own jobs into their own out[];
 * - -EINVAL when workers < 1 (n = 0 included: the arguments are checked
 *   first, and a refused call writes nothing, out[] is left as it was), or
 *   when n > 0 and jobs or out is NULL.
 */
int thread_map(const struct job *jobs, size_t n, struct result *out, int workers);

/* The totals of a night's service, shared by every waiter. */
struct tally {
    uint64_t served; /* jobs whose status was 0 */
    uint64_t failed; /* jobs whose status was not 0 */
    uint64_t sum;    /* the values of the served jobs added up, modulo 2^64 */
};

/*
 * threads.c: like thread_map() (never more threads than jobs, none for
 * n = 0; no upper bound on workers; every one joined; what it allocated
 * freed, when it fails too), but with no result array: each waiter adds
 * each result into the one *t they all share, as soon as it has it. While
 * the jobs run, *t counts only the jobs done so far: a job is counted once
 * its result is in, not when a waiter takes it.
 * *t starts from zero; when it returns, *t counts every job exactly once and
 * every thread has been joined. Like thread_map(), it keeps no state between
 * or across calls: two calls at once each count their own jobs into their own
 * *t. -EINVAL when t is NULL, workers < 1 (n = 0 included: the arguments are
 * checked first, and a refused call leaves *t as it was), or n > 0 and jobs
 * is NULL.
 */
int thread_tally(const struct job *jobs, size_t n, int workers, struct tally *t);

#endif
