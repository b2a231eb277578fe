/* options.h: the grade program's command line, read into one struct. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdint.h>
#include <stdio.h>

struct gradebook;

#define OPTS_ONLY_FOR 64 /* --only-for options at most */

struct opts {
    const char *root, *lab, *src, *build, *out, *junit, *batch, *svg, *html; /* absolute paths */
    const char *timelines;  /* absolute: a folder for the cells' timelines, or NULL */
    const char *html_index; /* --html-index DIR: only write DIR/index.html, grade nothing */
    const char *only_speed; /* comma-separated cell names, or NULL for all */
    const char *only;       /* comma-separated items or suites to grade, or NULL for all */
    /* batch: --only-for NAME=A,B: submission NAME on these items alone (the kit's tests) */
    const char *only_for[OPTS_ONLY_FOR];
    int n_only_for;
    int repeat; /* > 1: run the tests this many times, seeds seed, seed + 1, ... */
    char bindir[1024], kitchen_bin[1100]; /* where this program and its kitchen are */
    char objcache[1100]; /* the kit's objects (objcache.h): BINDIR/../cache/objs, or
                          * GRADE_OBJ_CACHE=/a/folder; "": off (GRADE_OBJ_CACHE=0) */
    uint64_t seed;       /* never 0: drawn when not given */
    int color;           /* 0 or 1 */
    int no_speed;
    char dflt_build[1100], dflt_out[1100]; /* ROOT/build/check/LAB, ROOT/build/results/LAB.json */
    int matrix;                            /* --matrix: the note's table (matrix.c), no grading */
    int measure;             /* --matrix --measure: grade missing or stale cells first */
    const char *results;     /* --matrix: the labs' results.json folder (absolute) */
    const char *python;      /* --matrix: CPython's command, or "none"; NULL: python3 */
    char dflt_results[1100]; /* ROOT/build/results */
    struct gradebook *book;  /* batch: the gradebook this grading adds a row to, as `name` */
    const char *name;
    const char *top; /* batch: the submission's own folder; no file above it is read (a
                      * borrowed file: never a sibling's, build_conf.top) */
    /* --run VERSION: time that version on the spot (run.h) instead of grading */
    const char *run_version, *run_baseline, *run_workload, *run_skew; /* NULL: defaults */
    int run_jobs, run_workers, run_runs;                              /* 0: defaults */
    const char *debug_test; /* --debug suite::name: that test under gdb (run.h) */
    const char *state;      /* batch: save the whole report here too (batch_state.h), or NULL */
    int jobs;               /* batch: gradings whose tests run at once (0: the usable cores) */
    int regrade;            /* batch: re-time only the cells the last batch left inconclusive */
    int coverage;           /* --coverage: the student's files under gcov (coverage.h) */
};

enum { OPTS_GRADE, OPTS_HELP, OPTS_BAD };

/* Read argv into o: defaults for --build and --out under --root, every path made
 * absolute (runs chdir into their scratch folder), a seed drawn when none is given,
 * colour decided, this program's folder found. Returns OPTS_GRADE; OPTS_HELP for --help
 * (usage printed on stdout); OPTS_BAD when the line is wrong (usage, or what failed,
 * on stderr). Paths made absolute live as long as the program. */
int opts_parse(int argc, char **argv, struct opts *o);

void opts_usage(FILE *f);

#endif
