/* proc_tree.h: each task of a process and of its descendants, read from /proc. */
#ifndef PROC_TREE_H
#define PROC_TREE_H

#include <sys/types.h>

#define PROC_TREE_MAX   256 /* processes visited at most (a run has at most 256 tasks) */
#define PROC_TREE_DEPTH 16

/* fn(pid, tid, arg) for each task of root, then of each of its children (through every
 * task's `children` list), at most PROC_TREE_DEPTH deep and PROC_TREE_MAX processes: all
 * the tasks of one process before any of its children's. Orphans adopted by a subreaper
 * are not followed (a run that daemonizes is never a correct test's). */
void proc_tree_tasks(pid_t root, void (*fn)(pid_t pid, pid_t tid, void *arg), void *arg);

#endif
