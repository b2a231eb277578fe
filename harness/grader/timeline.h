/* timeline.h: who ran on which core when, sampled from /proc by the grader, drawn as SVG:
 * the samples and their boxes (timeline.c), the sampler (timeline_proc.h), the SVG
 * (timeline_svg.h). */
#ifndef TIMELINE_H
#define TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TIMELINE_INTERVAL_MS 2   /* a sample of every task of the run every 2 ms */
#define TIMELINE_MAX_WORKERS 256 /* a run has at most 256 tasks (trial.c's nproc) */
#define TIMELINE_MAX_SAMPLES 400000

/*
 * What a task was doing at one sample, read by the grader from
 * /proc/<pid>/task/<tid>/stat (state, field 39 `processor`) and, for a sleeping task,
 * /proc/<pid>/task/<tid>/syscall (what it is blocked in): nothing the run can forge.
 */
enum tl_kind {
    TL_COOK,    /* running (state R) on `cpu`: CPU work, or waiting for that core */
    TL_KITCHEN, /* blocked on a socket (recv, poll, epoll, connect): an order outstanding */
    TL_BLOCKED, /* blocked on a lock, the GIL, a join, a pipe, a child */
};

/* One line of /proc/<pid>/stat (or task/<tid>/stat), as far as we need it. */
struct tl_stat {
    pid_t pid, ppid;
    char comm[64]; /* between the first '(' and the last ')': may hold spaces and ')' */
    char state;    /* R, S, D, Z, ... */
    int cpu;       /* field 39: the core it last ran on */
};

/* A task seen by the sampler. Named when drawn, by order of appearance in the span:
 * the first process's tasks are "main thread", "thread 1", ...; the others' "process 1",
 * "process 1 thread 1", ... */
struct tl_worker {
    pid_t pid, tid;
    char comm[64];
};

struct tl_sample {
    int tick;   /* index into at[] */
    int worker; /* index into workers[] */
    int cpu;
    enum tl_kind kind;
};

/* The samples of one run. Zero it (or timeline_init), sample, draw, timeline_free. */
struct timeline {
    char label[64];    /* e.g. "version threads" */
    int ncores;        /* lanes: the machine's cores online */
    double start, end; /* the span drawn (sys_now); 0: from the first to the last tick */
    double *at;        /* when each tick was taken (sys_now) */
    int nticks, cap_ticks;
    struct tl_sample *s;
    size_t n, cap;
    struct tl_worker w[TIMELINE_MAX_WORKERS];
    int nw;
    bool full; /* a limit was reached: later samples were dropped */
};

/* One box of the chart: a worker in one state over [t0, t1) (seconds from the start). */
struct tl_box {
    double t0, t1;
    int worker, cpu;
    enum tl_kind kind;
    int slot, nslots; /* TL_COOK: several tasks on one core at one tick share its lane */
};

void timeline_init(struct timeline *tl, const char *label);
void timeline_free(struct timeline *tl);

/* Parse one stat line; 0, or -EINVAL when it is not one. */
int timeline_parse_stat(const char *line, struct tl_stat *st);

/* Add one task's state at tick `tick` (from timeline_tick). 0, or -ENOSPC when full. */
int timeline_add(struct timeline *tl, int tick, pid_t pid, pid_t tid, const char *comm,
                 enum tl_kind kind, int cpu);
/* Start a tick taken at time t; returns its index, or -ENOSPC. */
int timeline_tick(struct timeline *tl, double t);

/* The boxes of tl between start and end, merged over consecutive ticks, each cooking
 * box given its slot in its core's lane; *out is malloc'd. Returns how many, or -ENOMEM. */
int timeline_boxes(const struct timeline *tl, struct tl_box **out);

/* The name of each worker with a box in b (in order of appearance; -1 in order[] for
 * those without), e.g. "thread 2", "process 1", into names[w]; returns how many. */
int timeline_names(const struct timeline *tl, const struct tl_box *b, int n, int *order,
                   char (*names)[40]);

/* Sampling from /proc and drawing, in files of their own: */
#include "timeline_proc.h"
#include "timeline_svg.h"

#endif
