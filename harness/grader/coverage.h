/* coverage.h: grade --coverage: the student's own files built with gcov, run under the lab's
 * tests, and which of their lines and branches ran (gcovr); for their own view, never graded. */
#ifndef COVERAGE_H
#define COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "spec.h"

/*
 * The grader's build (build.c) is audited and its tests run sealed as the jail user, who
 * cannot write gcov's .gcda files; and the audit refuses --coverage (it adds constructors
 * and calls to __gcov_*). So this is a build of its own, for the student's own machine:
 * unaudited, unsealed, as the user, in the kit's folders (no box). Into --build DIR:
 *
 *   obj/    the student's files (-O0 --coverage), the lab's tests.c and support files
 *           (plain), the test runner `obj/tests`, gcov's .gcno and .gcda files
 *   run/    the runner's working folder
 *   tests.log, gcovr.log   what the runner and gcovr printed
 *   index.html (+ a page per file), coverage.json   gcovr's report
 *
 * Never point it at code you do not trust: nothing contains it.
 */

/* The command lines (coverage_cmd.c), in a header of their own: */
#include "coverage_cmd.h"

/* gcovr's JSON (--json), read back: per file its functions and executable lines. */
struct cov_func {
    char name[96];
    int line;   /* where it starts */
    long calls; /* how often it ran */
};
struct cov_line {
    int line;
    long count;
};
struct cov_file {
    char path[512];      /* as gcovr names it: relative to --root */
    struct cov_func *fn; /* sorted by line */
    int nfn;
    struct cov_line *ln; /* executable lines, sorted */
    int nln;
    int branches, branches_hit;
};
struct cov_report {
    struct cov_file *f;
    int nf;
};

/* Parse gcovr's JSON text into r; 0, or -EINVAL when it is not gcovr's JSON (r is freed). */
int coverage_parse(const char *json, struct cov_report *r);
void coverage_report_free(struct cov_report *r);
/* Per file: lines and branches run, then the lines never run, by function, as ranges of
 * executable lines ("thread_map()  never ran: 93, 97-98"; "waiter()  never called: 66-80"). */
void coverage_print(FILE *out, const struct cov_report *r);

/* grade --coverage: build o->src with gcov into o->build, start the kitchen, run the
 * lab's tests once (o->only: those), then gcovr, and print the summary. 0 when the report
 * was made (whatever the tests said); 1 when the student's code did not build (the
 * compiler's words printed); 2 when the line or spec is wrong; 3 when the harness could
 * not do its part (the kitchen, gcovr, our own files). */
int coverage_run(const struct opts *o);

#endif
