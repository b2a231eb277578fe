/* timeline_proc.h: a run's tasks sampled from /proc by a thread of the grader's. */
#ifndef TIMELINE_PROC_H
#define TIMELINE_PROC_H

#include <sys/types.h>

#include "timeline.h"

/* One sample of every task of the process tree under root (root, its children, theirs),
 * taken now; `tree` keeps the tree's pids between calls (a bwrap of the sandbox is left
 * out). 0, or -ESRCH when no process of the tree is left. */
struct tl_tree;
struct tl_tree *timeline_tree_new(pid_t root);
void timeline_tree_free(struct tl_tree *tree);
int timeline_sample(struct timeline *tl, struct tl_tree *tree);

/* A thread of the grader's that samples, every TIMELINE_INTERVAL_MS, the tree under the
 * pid root() returns once it returns one (jail_running: the run under way), until
 * timeline_stop. NULL when the thread cannot start. */
struct tl_sampler;
struct tl_sampler *timeline_start(struct timeline *tl, pid_t (*root)(void));
void timeline_stop(struct tl_sampler *sp);

#endif
