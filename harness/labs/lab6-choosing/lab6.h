/* lab6.h: what you write in lab 6 (choosing). Read it; do not edit it. */
#ifndef LAB6_H
#define LAB6_H

#include <stddef.h>

#include "interp.h"
#include "workload.h"

/*
 * Lab 6 builds on your own code of labs 2 to 5: the grader links your lab 4 gil.c
 * (the GIL) and your lab 5 loop.c and async.c (the event loop, async_order()) into
 * this lab, from your folders of those labs. Every function returns 0 on success, a
 * negative errno on failure, and -ENOSYS while it still holds its TODO(student) stub.
 * As in labs 2 and 3, calls may run at once from several threads of the caller: each
 * call has its own everything (no state in statics).
 */

/*
 * gilpool.c: Python's multiprocessing.Pool, in C: `workers` worker processes, each
 * with an interpreter of its own under a GIL of its own (gil_init(), interp_init(),
 * one interp_thread; GIL_DEFAULT_INTERVAL_US), each running jobs as bytecode with
 * interp_run_job(t, job, POOL_CHUNK, &res) between interp_enter() and interp_leave().
 * - A worker that finishes a job takes the next job nobody has taken (a counter the
 *   processes share: a shared mapping), so a few long jobs do not leave a core idle.
 * - Never more workers than jobs; the pool is started once per call, not once per job.
 *   workers has no upper bound (INT_MAX): what the call allocates is sized by the
 *   workers it starts, min(workers, n), as in labs 2 and 3.
 * - out[i] holds jobs[i]'s result (value and status), whichever worker ran it. A
 *   job that fails (an order refused) is finished all the same: out[i] gets its own
 *   status (-ECONNREFUSED), and its worker goes on to the next job. A job whose
 *   worker died before it wrote the result gets status -EIO (a worker that crashes
 *   costs its own jobs, and the call still returns 0).
 * - Workers end with _exit(); when the call returns every worker has been waited
 *   for, the shared mapping is unmapped and whatever it allocated freed (no memory
 *   kept), on every path, a failed fork() too. The caller sleeps while it waits (a
 *   blocking waitpid(), no WNOHANG loop): its core is the workers'.
 * -EINVAL for NULL arrays with n > 0, or workers < 1 (n = 0 included: the arguments
 * are checked first); n = 0 with workers >= 1 returns 0 and writes nothing. If fork()
 * fails, even once (no retry: the caller decides), waits for the workers already
 * started and returns that -errno. A call
 * interrupted by a signal (EINTR) is no failure: make it again.
 */
#define POOL_CHUNK 64 /* dish_mix() rounds per MIX instruction, as lab 4's pool */
int gil_pool_map(const struct job *jobs, size_t n, struct result *out, int workers);

/*
 * hybrid.c: asyncio with run_in_executor(), in C. One thread, the waiter, runs an
 * event loop (your lab 5 loop_new(), async_order(), loop_run()) with every order in
 * flight at once. A crew of min(workers, n) cook threads does the cooking: never more
 * cooks than jobs, so workers = INT_MAX is fine, as for the pool. (A crew of
 * min(workers, the jobs that need cooking) is as good, and none when no job does.)
 * The crew is fed through a queue: a mutex and a condition variable. Every job put on
 * it wakes an idle cook, and a free cook takes the next: the one put first of those
 * waiting. By kind of job:
 * - JOB_ORDER: ordered on the loop; out[i] gets the reply itself (an order's rounds is
 *   unused, whatever it holds: the reply is never cooked).
 * - JOB_COOK: straight to the crew; out[i] gets ref_cook(seed, rounds).
 * - JOB_MEAL (order `seed`, then cook the reply `rounds` rounds: workload.h): ordered
 *   on the loop; the order's callback hands the meal to the crew and returns at once;
 *   a cook makes ref_cook(reply, rounds). The loop never cooks and never waits for a
 *   cook. A meal whose order failed gets the order's status and is not cooked.
 * - any other kind: status -EINVAL.
 * An order that fails, whether async_order() cannot start it (no socket: its -errno) or
 * the kitchen refuses or botches it, is its own job's failure: out[i] gets the status, the
 * other jobs go on, and the call still returns 0.
 * out[i] is jobs[i]'s whichever cook made it; the call returns 0 once every job has
 * its result, every cook thread has been joined, the loop freed (no descriptor stays
 * open) and whatever else it allocated freed (the queue: no memory kept). -EINVAL
 * for NULL arrays with n > 0, or workers < 1 (n = 0 included: the arguments are checked
 * first); n = 0 with workers >= 1 returns 0. A failed pthread_create(), allocation of the
 * executor's own (the queue, the threads' ids) or loop_new() is the executor's failure:
 * return its -errno (after joining the threads already started; no retry), with no
 * memory kept on that path either. The crew's other pthread calls are not failed here
 * (lab 2 tested them): with default attributes glibc's pthread_mutex_init() and
 * pthread_cond_init() return 0, and joining a cook the call started cannot fail; a
 * version that checks them anyway is right too.
 */
int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers);

#endif
