/* threads_seen.h: the most threads any one process of a run had, counted by a thread of the
 * grader's from /proc for the whole run: a speed cell's x with `x=threads` (spec.h). */
#ifndef THREADS_SEEN_H
#define THREADS_SEEN_H

#include <sys/types.h>

/* The tasks (threads) of each process of the tree under root (root, its children, theirs,
 * found through /proc/<pid>/task/<tid>/children): the most of any one process, now. 0 when
 * root is gone. */
int threads_seen_now(pid_t root);

/* A thread of the grader's that samples threads_seen_now() every THREADS_SEEN_MS, on the
 * pid root() returns once it returns one (jail_running: the run under way), until
 * threads_seen_stop(), which returns the most it saw (0: none seen). Nothing in the run
 * can stop it or forge what it reads. NULL when the thread cannot start. */
#define THREADS_SEEN_MS 1
struct threads_seen;
struct threads_seen *threads_seen_start(pid_t (*root)(void));
int threads_seen_stop(struct threads_seen *ts);

#endif
