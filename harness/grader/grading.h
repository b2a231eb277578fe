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
 * at once and their speed cells one at a time, alone. grading_begin: the spec, the build,
 * the kitchen, the tests and races; NULL (*rc = 2) when it could not grade at all.
 * grading_speed: the speed cells, holding the machine's speed lock (speedlock.h); nothing
 * when grading_wants_speed says there are none to time (--no-speed, none in the spec, no
 * kitchen). grading_end: the kitchen stopped, the report shown and saved (o->state too),
 * everything freed; returns what grading_run returns. */
struct grading;
struct grading *grading_begin(const struct opts *o, int *rc);
bool grading_wants_speed(const struct grading *g);
void grading_speed(struct grading *g);
int grading_end(struct grading *g);

/* How the grader builds o->src against the kit (build_lab's conf): the kit's compiler
 * (env CC_PATH), Criterion's flags (CRITERION_CFLAGS, CRITERION_LIBS), the harness
 * library, the lab's skeleton for a file that does not compile. It points into the
 * caller's skel and lib. */
struct build_conf grading_build_conf(const struct opts *o, char skel[1100], char lib[1100]);

/* Interrupted (Ctrl-C, a batch system's SIGTERM): kill the run under way and remove the
 * box of the grading under way, which lies outside the kit, then die of the signal. */
void grading_catch_interrupts(void);

/* The build's items: one per student file (compiled, or the compiler's words), and one
 * for the link when the test runner or the bench driver did not link. */
void grading_build_items(struct report *r, const struct spec *s, const struct build_out *b);

/* A note listing what is still a stub (a not-implemented test's function and file). */
void grading_note_todo(struct report *r, const struct spec *s);

/* A grading step of ours failed: one item that says so, never the student's fault. */
void grading_harness_error(struct report *r, const char *step, const char *what);
/* The grader failed in the middle of a run (its kitchen died): every item that did not
 * pass may have failed for it, so none counts against the student: each becomes a
 * harness error that says so (passes, stubs and build items stand), and a harness error
 * item names the step. */
void grading_void_failures(struct report *r, const char *step, const char *what);

/* --repeat: fold `once`, the tests run again with `seed` (run `run` of `of`), into r: a
 * test that passed in r and not under this seed becomes that verdict (a skip becomes
 * inconclusive) and scores 0; each such result is quoted in its item. A build error is
 * the same under every seed, so it is said once. Returns how many were not a pass. */
int grading_fold_repeat(struct report *r, const struct report *once, uint64_t seed, int run,
                        int of);

#endif
