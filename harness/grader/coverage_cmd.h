/* coverage_cmd.h: the command lines of grade --coverage: each compile, the tests' filter,
 * gcovr's; and where a student's file is. */
#ifndef COVERAGE_CMD_H
#define COVERAGE_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "spec.h"

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

#endif
