/* trial.h: one timed trial of the bench driver, contained, its clock held by the grader. */
#ifndef TRIAL_H
#define TRIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cores.h"
#include "jail.h"
#include "kitchen.h"
#include "spec.h"
#include "speed.h"
#include "timeline.h"

#define TRIAL_CPU_TARGET_S 0.3 /* a sequential cooking run takes about this long */

/* Where trials run: the build's bench driver and folders (build.h), the kitchen, the
 * machine's cores, the run's seed. */
struct bench_site {
    const char *bench, *box, *run, *logs;
    const struct kitchen *k;
    const struct cores *cores;
    uint64_t seed;
};

/* The trials of one cell: the context trial_run takes. */
struct trial_ctx {
    const struct bench_site *site;
    const struct spec_speed *s;
    int workers;     /* the version's (the baseline has one) */
    uint64_t rounds; /* cooking rounds in all, from calibration */
    /* When set, the next trial of that side (the warm-up: speed_measure times it, never
     * counts it) is sampled into it by a thread of ours, then the pointer is cleared. */
    struct timeline *tl[2];
};

/* A trial_fn (speed.h): run one side of x's cell once into t (sampled into x->tl[side]
 * when set). 0, or -EIO when the
 * driver could not be started (t->fault V_ERROR). */
int trial_run(void *x, int side, struct trial *t);

/* Cooking rounds a second on this machine, from the bench driver (our code in it), into
 * *rate. 0, or -EIO. */
int trial_calibrate(const struct bench_site *site, double *rate);

/* The reference's answer hash for a cooking or a meals cell, computed here (our own code;
 * a meal's reply asked of the cell's kitchen by the grader itself): 0 for an orders cell,
 * whose replies the kitchen checks. Nothing of it is in the timed run: code under test
 * finds no answer in its memory to copy (red team, bench_reads_expected). */
uint64_t trial_ref_hash(const struct trial_ctx *x);

/* The cores a trial of one side could keep busy: all usable ones for a cores=all cell,
 * min(W, P) for a cooking version, else one (the kitchen and the waiters mostly wait). */
double trial_need(const struct trial_ctx *x, int side);

/* The bench driver's result channel: a pipe read by a thread of ours, each line stamped
 * with the time it arrived, so that the grader, not the timed process, holds the clock. */
#define CHAN_LINES 4
#define CHAN_BYTES 4096

struct chan {
    int fd;                    /* the read end */
    char text[CHAN_BYTES + 1]; /* what arrived, NUL-ended */
    size_t len;
    double at[CHAN_LINES]; /* when each of the first lines was complete (sys_now) */
    int lines;
    bool overflow;   /* more than CHAN_BYTES: not the driver's doing */
    uint64_t key[2]; /* the run's key (CHECK_DONE_KEY): a harness error's line is tagged */
};

/* jail_run argv with the channel as its fd 3 (o->pass_fd); returns jail_run's answer. */
int trial_run_with_chan(char *const argv[], struct jail_opts *o, struct jail_result *r,
                        struct chan *c);

/* Judge a trial from its channel: "start cpu=C", then "ok ... hash=H [x=X]" (or a fault
 * line). Wall time runs from the "start" line's arrival to the end of the run's process
 * (seen by the jail), not to the "ok" line, which the code under test could send early
 * and then silence the real one; after "ok" the driver only exits. CPU is the run's own
 * (the kernel's count, from its end) less what it had used at "start". */
void trial_judge(const struct chan *c, const struct jail_result *r, struct trial *t);

/* Add the last lines a failed run printed to `path` (the lab's own diagnosis, a
 * student's printf) to its message in buf: a few hundred bytes, as the run wrote them. */
void trial_append_tail(char *buf, size_t len, const char *path);

#endif
