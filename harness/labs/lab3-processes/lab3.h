/* lab3.h: what you write in lab 3 (separate kitchens, separate memory). Read it; do not edit it. */
#ifndef LAB3_H
#define LAB3_H

#include <stddef.h>

#include "workload.h"

/*
 * Every function returns 0 on success, a negative errno on failure, and
 * -ENOSYS while it still holds its TODO(student) stub.
 */

/*
 * procs.c: the process executor (the shape of map_fn in workload.h).
 *
 * Runs each job with ref_job_run() in a child process of its own and brings
 * the child's whole result (value and status: a job can fail in its child)
 * back to out[i] through a pipe or a shared mapping (the child's memory is not
 * the parent's: a global it writes stays in the child).
 *
 * - At most `workers` children at once, counting those that have ended but
 *   were not yet waited for (zombies): with more jobs than workers, wait for
 *   one as it ends (crashed or not), then start the next. Wait for the child
 *   you mean (its pid): a wait for any child may reap any that has ended,
 *   the caller's own too, even when you have one child at a time.
 * - workers may be more than n, up to INT_MAX: no more than n children are
 *   ever needed, so what the call allocates is sized by the smaller of the two.
 * - A child that dies by a signal (a JOB_POISON job makes ref_job_run raise
 *   SIGSEGV or SIGABRT) costs only its own job: out[i].status =
 *   JOB_CRASHED(sig) and out[i].value = 0, every other result is intact, and
 *   proc_map() still returns 0. A child that exits without sending a whole
 *   result gets out[i].status = -EIO; one that sent its whole result keeps
 *   it, even if its waitpid() then fails for good, with whatever error
 *   (ECHILD, as for a caller that ignores SIGCHLD: the kernel reaps its
 *   children itself; EINVAL), unless the call returns that -errno.
 * - Children end with _exit(), never exit() or a return into the caller, and
 *   flush no stdio stream (no fflush()) and print nothing (a printf() that
 *   fills its copy of a buffer writes it out): the caller's pending output,
 *   which every child has a copy of, is written once, by the caller.
 * - When proc_map() returns, every child has been waited for (no zombies) and
 *   every descriptor it opened is closed, once (a number closed twice may be
 *   another thread's file by then), and what it allocated is freed, on every
 *   path.
 * - A call keeps nothing in a file-static (its children's table, pipes,
 *   poll array, next job): two calls at once, from two threads, each run
 *   their own children and bring back their own results.
 *
 * -EINVAL for NULL arrays with n > 0, or workers < 1 (n = 0 included: the
 * arguments are checked first); n = 0 with workers >= 1 returns 0 and writes
 * nothing. A call interrupted by a signal (EINTR), the caller's or a child's
 * (its write() of the result too), is no failure: make it again, except
 * close(), which has already freed the descriptor on Linux (a second close()
 * may close a file another thread has opened since). If fork()
 * or pipe() fails, proc_map() waits for the children already started and
 * returns that -errno; after EAGAIN (the process limit) with children still
 * running, it may instead wait for one to end and retry.
 */
int proc_map(const struct job *jobs, size_t n, struct result *out, int workers);

/*
 * procs.c: the name of the signal that killed a worker, for a report.
 * For status = JOB_CRASHED(sig) with 1 <= sig <= 64, *name is the signal's name
 * with its SIG prefix: exactly "SIGSEGV", "SIGABRT", "SIGBUS", "SIGFPE", "SIGILL",
 * "SIGKILL", "SIGTERM" or "SIGPIPE" for those eight; for any other signal, a
 * name of your choice that starts with "SIG". The name stays as it is: a later
 * call does not change it (a string constant, not one buffer every call fills).
 * -EINVAL for a status that is not a crash (0, -errno) or a NULL name.
 */
int crash_name(int status, const char **name);

#endif
