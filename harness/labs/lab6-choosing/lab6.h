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
 */

/*
 * gilpool.c: Python's multiprocessing.Pool, in C: `workers` worker processes, each
 * with an interpreter of its own under a GIL of its own (gil_init(), interp_init(),
 * one interp_thread; GIL_DEFAULT_INTERVAL_US), each running jobs as bytecode with
 * interp_run_job(t, job, POOL_CHUNK, &res) between interp_enter() and interp_leave().
 * - A worker that finishes a job takes the next job nobody has taken (a counter the
 *   processes share: a shared mapping), so a few long jobs do not leave a core idle.
 * - Never more workers than jobs; the pool is started once per call, not once per job.
 * - out[i] holds jobs[i]'s result (value and status), whichever worker ran it. A
 *   job whose worker died before it wrote the result gets status -EIO (a worker
 *   that crashes costs its own jobs, and the call still returns 0).
 * - Workers end with _exit(); when the call returns every worker has been waited
 *   for and the shared mapping is unmapped.
 * -EINVAL for NULL arrays with n > 0, or workers < 1; n = 0 returns 0 and writes
 * nothing. If fork() fails, waits for the workers already started and returns that
 * -errno. A call interrupted by a signal (EINTR) is no failure: make it again.
 */
#define POOL_CHUNK 64 /* dish_mix() rounds per MIX instruction, as lab 4's pool */
int gil_pool_map(const struct job *jobs, size_t n, struct result *out, int workers);

/*
 * hybrid.c: asyncio with run_in_executor(), in C, for meals (JOB_MEAL in
 * workload.h: order `seed` from the kitchen, then cook the reply `rounds` rounds).
 * One thread, the waiter, runs an event loop (your loop_new(), async_order(),
 * loop_run()) that has every meal's order in flight at once; when an order's reply
 * arrives, its callback hands the meal to a pool of `workers` cook threads through a
 * queue (a mutex and a condition variable) and returns at once: the loop never
 * cooks, and never waits for a cook. Cooks cook with ref_cook(reply, rounds, ...).
 * - out[i] is jobs[i]'s: value = the dish, status 0; a meal whose order failed gets
 *   the order's status (its -errno or -EPROTO) and is not cooked; a job that is not a
 *   meal gets -EINVAL. The call still returns 0.
 * - When it returns, every cook thread has been joined and the loop freed; no
 *   descriptor stays open.
 * -EINVAL for NULL arrays with n > 0, or workers < 1; n = 0 returns 0. A failed
 * pthread call or loop_new() is the executor's failure: return its -errno (after
 * joining the threads already started).
 */
int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers);

#endif
