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

#define COV_MAX_ARGS 128

/* A command line under construction: argv (NULL-ended) over a pool of its own strings. */
struct cov_argv {
    char *v[COV_MAX_ARGS + 1];
    int n;
    bool full; /* something did not fit: do not run it */
    char pool[16384];
    size_t used;
};

/* Append one argument (printf-style); every word of a space-separated string. */
void cov_arg(struct cov_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cov_words(struct cov_argv *a, const char *words);

/* What every compile of one lab shares. */
struct cov_build {
    const char *root, *lab, *cc; /* the kit, the lab's name, the compiler */
    const char *cflags;          /* harness/cflags, one line */
    const char *cr_cflags;       /* Criterion's, from pkg-config (may be NULL) */
    const char *other_labs[8];   /* labs whose headers this one uses (spec_other_labs) */
    int nother;
};

/* The compile of src into obj: the kit's flags, -O0, the kit's include folders (the lab's,
 * the other labs'), and --coverage when `instrument` (the student's files only). */
void coverage_cc(const struct cov_build *b, const char *src, const char *obj, bool instrument,
                 struct cov_argv *a);

/* Where the student's file i of s is, into path (absolute when o->src is): a borrowed
 * file (lab 6) where build.c looks for it (beside the graded folder when that folder is
 * named as the lab, then in a folder of its lab inside it, then at its top). Returns 0;
 * 1 when it is in none and its lab's skeleton (root/labs/<lab>/<file>) stands in;
 * -ENOENT when one of this lab's own files is missing. */
int coverage_source(const struct opts *o, const struct spec *s, int i, char *path, size_t len);

/* Criterion's --filter for the tests s lists, "--filter=@(a/b|c/d)", into buf; "" when
 * `all` (no filter: every test of the runner). Returns how many tests; -1 when it does
 * not fit. */
int coverage_filter(const struct spec *s, bool all, char *buf, size_t len);

/* gcovr over the objects in `objdir`, only the n student files `sources` (absolute paths,
 * each a --filter regex that matches it alone), HTML with a page per file and JSON in
 * `dir`. */
void coverage_gcovr(const char *root, const char *objdir, const char *dir, const char *title,
                    char sources[][1100], int n, struct cov_argv *a);

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
