/* grading_items.h: what a grading makes of its results: the build's items, the note on
 * stubs, harness errors, the folding in of --repeat's other seeds. */
#ifndef GRADING_ITEMS_H
#define GRADING_ITEMS_H

#include <stdint.h>

#include "build.h"
#include "report.h"
#include "spec.h"

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
