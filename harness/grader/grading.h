/* grading.h: one grading of one folder: build, tests, races, speed cells, report. */
#ifndef GRADING_H
#define GRADING_H

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "options.h"
#include "report.h"
#include "spec.h"

/* Grade o->src into o->out (and o->junit, o->svg); returns 0 on a full score, 1 below
 * it, 3 when a step of the grader's own failed (a harness error: regrade), 2 when it
 * could not grade at all (the spec, --only). */
int grading_run(const struct opts *o);

/* grading_run in its halves, for a batch that runs the first halves of several gradings
 * at once and what must run alone one grading at a time. grading_begin: the spec, the
 * build, the kitchen, the tests and races; NULL (*rc = 2) when it could not grade at all.
 * grading_alone: holding the machine's speed lock (speedlock.h), the tests that read
 * inconclusive beside the others run again (and a race that waited for them), then the
 * speed cells; nothing when grading_wants_alone says there is nothing to run alone
 * (no such test, and no cell to time: --no-speed, none in the spec, no kitchen).
 * grading_end: the kitchen stopped, the report shown and saved (o->state too), everything
 * freed; returns what grading_run returns. */
struct grading;
struct grading *grading_begin(const struct opts *o, int *rc);
bool grading_wants_alone(const struct grading *g);
void grading_alone(struct grading *g);
int grading_end(struct grading *g);

/* How the grader builds o->src against the kit (build_lab's conf): the kit's compiler
 * (env CC_PATH), Criterion's flags (CRITERION_CFLAGS, CRITERION_LIBS), the harness
 * library, the lab's skeleton for a file that does not compile. It points into the
 * caller's skel and lib. */
struct build_conf grading_build_conf(const struct opts *o, char skel[1100], char lib[1100]);

/* Interrupted (Ctrl-C, a batch system's SIGTERM): kill the run under way and remove the
 * box of the grading under way, which lies outside the kit, then die of the signal. */
void grading_catch_interrupts(void);

/* What a grading makes of its results (grading_items.c), in a header of its own: */
#include "grading_items.h"

#endif
