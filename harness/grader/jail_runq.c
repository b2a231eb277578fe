/* jail_runq.c: how long the run's tasks waited for a CPU (run-queue delay), sampled from
 * /proc while it runs: what a busy machine took from it, told apart from its own doing. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "jail_int.h"
#include "proc_tree.h"

/* A task's run-queue delay so far (the second field of /proc/<pid>/task/<tid>/schedstat,
 * in ns); 0 when it cannot be read (gone, or a kernel without sched_info). */
static void note(struct runq *q, pid_t tid, unsigned long long run, unsigned long long wait);

/* A task's CPU time and run-queue delay so far (the first two fields of
 * /proc/<pid>/task/<tid>/schedstat, in ns), noted; nothing when it cannot be read (gone,
 * or a kernel without sched_info). */
static void task_stat(struct runq *q, pid_t pid, pid_t tid)
{
    char path[96], buf[128];
    unsigned long long run, wait;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    if (jail_read_str(path, buf, sizeof(buf)) < 0 || sscanf(buf, "%llu %llu", &run, &wait) != 2)
        return;
    q->known = true;
    note(q, tid, run, wait);
}

/* Keep the largest figures seen for a task: the counters only grow while it lives. */
static void note(struct runq *q, pid_t tid, unsigned long long run, unsigned long long wait)
{
    for (int i = 0; i < q->n; i++)
        if (q->tid[i] == tid) {
            if (wait > q->ns[i])
                q->ns[i] = wait;
            if (run > q->run[i])
                q->run[i] = run;
            return;
        }
    if (q->n < JAIL_RUNQ_TASKS) {
        q->tid[q->n] = tid;
        q->run[q->n] = run;
        q->ns[q->n++] = wait;
    }
}

static void task_fn(pid_t pid, pid_t tid, void *q)
{
    task_stat(q, pid, tid);
}

void jail_runq_sample(struct runq *q, pid_t pid)
{
    proc_tree_tasks(pid, task_fn, q);
}

/* The sum of one of the counters over every task, in seconds; -1 when none was read. */
static double total(const struct runq *q, const unsigned long long *v)
{
    unsigned long long sum = 0;

    if (!q->known)
        return -1;
    for (int i = 0; i < q->n; i++)
        sum += v[i];
    return (double)sum / 1e9;
}

double jail_runq_seconds(const struct runq *q)
{
    return total(q, q->ns);
}

double jail_runq_cpu_seconds(const struct runq *q)
{
    return total(q, q->run);
}
