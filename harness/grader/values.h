/* values.h: the values a test observed, judged outside the process that ran the student's
 * code: the same test run with the same seed on the reference solution's build, and the two
 * lists compared (check_observe, check.h; spec `values=reference`). */
#ifndef VALUES_H
#define VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "report.h"
#include "spec.h"

struct values {
    struct build_out ref; /* the reference's test runner, in a box of its own */
    bool have_ref;        /* solutions/<lab> is here: tests marked values=reference are compared */
    bool built;           /* its runner was built (values_build, at the first test that needs it) */
    struct build_conf bc; /* how: the grading's build, src solutions/<lab>, dir <build>/reference */
    char src[1200], dir[1200], skeleton[1100], libharness[1100]; /* bc's strings */
    const struct spec *spec;
    bool ref_error; /* solutions/<lab> is there but did not build: the grader's fault */
    char why[1400]; /* without a reference: why (a note, or the harness error) */
    char *last;     /* the values the last test run reported ("label value\n" each) */
    /* each test's (by name, values_slot: a batch runs a test again in a spec of its own),
     * from the reference's run */
    char ref_name[SPEC_MAX_TESTS][96];
    int nslots;
    char *ref_values[SPEC_MAX_TESTS];
    enum verdict ref_verdict[SPEC_MAX_TESTS];
    bool ref_ran[SPEC_MAX_TESTS];
    uint64_t ref_seed[SPEC_MAX_TESTS]; /* the seed it ran with (--repeat runs others) */
};

/* Does any test of s (those --only kept) have its values judged against the reference? */
bool values_wanted(const struct spec *s);

/* Where the reference is: solutions/<lab> under bc->root, built (values_build) only when a
 * test that needs it has passed, so a grading where none passes builds nothing more. No
 * solutions/<lab> (a student release): have_ref false and why says the values are judged by
 * the tests' own assertions alone. Env GRADE_VALUES=off does as if there were none, and says
 * so: the kit's checks of its mutants (each a mistake its tests catch, graded on the items
 * its header names) leave the reference's build and runs to the checks of the solutions,
 * the hostile corpus and the engines, saving CI a second or so a mutant. s must outlive v. */
void values_prepare(struct values *v, const struct build_conf *bc, const struct spec *s);

/* Build the reference's test runner (the same tests, no bench driver, no race drivers)
 * into <build>/reference, its sources and the objects made of them removed at once. A reference
 * that does not build: ref_error, have_ref false, why says what, its box removed (the grader's
 * fault: each such test reads ERR!). Returns 0, or -errno (why says it) when the harness itself
 * failed. */
int values_build(struct values *v);
/* Its box removed (after the reference's runs: correct.c), so that no run that follows
 * can read it, even without namespaces; values_build makes it anew if another seed needs
 * it (--repeat). */
void values_unbuild(struct values *v);

/* The slot of test `name` in ref_*[] (a new one the first time); -1 when all are taken. */
int values_slot(struct values *v, const char *name);

/* The "obs" lines of a done file's text (already checked for the run's tags) as "label
 * value\n" each, in order; "" when there are none; NULL without memory. */
char *values_parse(const char *done_text);

/* Judge a run's values (got, NULL: none) against the reference's (want): V_PASS when the
 * same, else V_FAIL with the first difference said in it's output. */
enum verdict values_compare(const char *got, const char *want, struct item *it);

void values_free(struct values *v);

#endif
