/* matrix.h: the note's table from the student's own speed cells of labs 1-6 (grade --matrix). */
#ifndef MATRIX_H
#define MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "matrix_read.h"

struct opts;

#define MX_MAX_ROWS   12
#define MX_MAX_COLS   4
#define MX_MAX_CLAIMS (MX_MAX_ROWS * MX_MAX_COLS)
#define MX_MAX_CONDS  4

/* A condition of a claim on a cell's median: speedup or eff (speedup / ideal). */
struct mx_cond {
    bool eff;
    bool ge; /* >=; else <= */
    double value;
};

struct mx_claim {
    int row, col;
    char words[160]; /* the note's claim: "no faster: one thread runs bytecode at a time" */
    struct mx_cond conds[MX_MAX_CONDS];
    int nconds;
};

/* harness/labs/lab6-choosing/matrix: rows, columns, and the note's claim per cell. */
struct mx_table {
    char row[MX_MAX_ROWS][24], row_title[MX_MAX_ROWS][48];
    char col[MX_MAX_COLS][16], col_title[MX_MAX_COLS][48];
    int nrows, ncols;
    struct mx_claim claims[MX_MAX_CLAIMS];
    int nclaims;
};

/* Where a table cell's figure stands, worst last but for the verdicts on a fresh one. */
enum mx_state {
    MX_NO_CELL,      /* no speed cell of any lab fills it */
    MX_NO_RESULTS,   /* its lab has no results.json, or the cell is not in it */
    MX_NOT_MEASURED, /* in it, but not measured (skipped, failed tests, no clean pair) */
    MX_STALE,        /* measured before the lab's sources last changed, or another folder's */
    MX_INCONCLUSIVE, /* measured, but the machine was too busy to call it */
    MX_UNTESTABLE,   /* "faster" on one usable core: the ideal itself is 1x */
    MX_HOLDS,
    MX_FAILS, /* measured cleanly, and the note's claim does not hold */
};

/* One cell of the table: the claim, the speed cell that fills it and its figure. */
struct mx_cell {
    const struct mx_claim *claim; /* NULL: the note claims nothing there */
    char lab[32];                 /* "lab6-choosing" ("" for MX_NO_CELL) */
    char item[64];                /* the speed cell's name */
    struct mx_fig fig;
    enum mx_state state;
    char why[256]; /* for MX_STALE and the like: what to run */
};

/* CPython's column: measured now, by harness/drivers/cpython_table.py. */
struct mx_python {
    bool ran;
    char says[160]; /* "CPython 3.11.2, P=2", or why there is no column */
    struct {
        double med, lo, hi;
        bool set;
    } cell[MX_MAX_ROWS][MX_MAX_COLS];
};

struct matrix {
    struct mx_table t;
    struct mx_cell cell[MX_MAX_ROWS][MX_MAX_COLS];
    struct mx_python py;
    char tree[160];  /* the folder of sources it was asked about: "labs", "solutions" */
    char todo[512];  /* "make check LAB=2; make check LAB=4": what is missing or stale */
    char rerun[512]; /* the cells that were inconclusive, "" when none */
};

/* Parse the table file's text; 0, or -EINVAL with "name:line: what" in err. */
int matrix_table_parse(const char *text, const char *name, struct mx_table *t, char *err,
                       size_t errlen);
/* A folder of harness/labs/ that is a lab ("labN-topic"), for scandir(). */
struct dirent;
int matrix_lab_dir(const struct dirent *d);
/* ROOT/harness/labs/<lab>/matrix into t: the last lab folder that holds one. */
int matrix_table_load(const char *root, struct mx_table *t, char *err, size_t errlen);
/* The claim for "row/col", or NULL; *row and *col (may be NULL) get the indexes, -1 when
 * the table has no such row or column. */
const struct mx_claim *matrix_claim(const struct mx_table *t, const char *key, int *row, int *col);

/* A speed item of this grading (report.h) as results.json would give it back. */
struct item;
void matrix_fig_of(const struct item *it, struct mx_fig *f);
/* The note on a grading's own cells that fill the table (cells.c): a line per cell, its
 * figure against the note's claim; nothing when none does or there is no table at ROOT. */
struct report;
void matrix_note(struct report *r, const char *root);

/* The verdict on a measured figure alone, against the claim: MX_NOT_MEASURED,
 * MX_INCONCLUSIVE, MX_UNTESTABLE, MX_HOLDS or MX_FAILS. */
enum mx_state matrix_verdict(const struct mx_claim *c, const struct mx_fig *f);
const char *matrix_state_name(enum mx_state s); /* "holds", "stale", ... */

/* Is a figure measured at `when` stale against sources last changed at `newest`, or
 * measured on folder `source` when `want` was asked for? why gets the reason. */
bool matrix_stale(const struct mx_fig *f, time_t newest, const char *want, char *why, size_t len);

/* Build the whole matrix: the table, every lab spec's matrix= keys (checked against the
 * table: 0, or -EINVAL naming the spec line's cell in err), each lab's results.json in
 * `results`, the sources in ROOT/<tree>/<lab> for staleness. */
int matrix_build(struct matrix *m, const char *root, const char *tree, const char *results,
                 char *err, size_t errlen);
/* CPython's column: run `python` (a path or a name on PATH; "none": no column) on
 * ROOT/harness/drivers/cpython_table.py, and read what it says. */
void matrix_python(struct matrix *m, const char *root, const char *python);
/* Parse the script's output (tests call it); fills m->py. */
void matrix_python_parse(struct matrix *m, const char *text);

/* The figure and verdict of a cell in a few words: "0.98x (0.94-1.05) holds". */
void matrix_cell_text(const struct mx_cell *c, char *buf, size_t len);
/* The sentence of a cell: "threads under a GIL on CPU-bound work: 0.98x (0.94-1.05),
 * ideal 1 (P=2, W=2, N=4); the note says no faster: holds (lab6-choosing gil.threads_cpu,
 * seed 5, 2026-12-01T19:47:43Z)". */
void matrix_sentence(const struct matrix *m, int row, int col, char *buf, size_t len);

/* The renderings (matrix_render.c): terminal (colour when `color`), Markdown, SVG. */
void matrix_print(const struct matrix *m, FILE *f, bool color);
void matrix_markdown(const struct matrix *m, FILE *f);
void matrix_svg(const struct matrix *m, FILE *f);

/* grade --matrix: build, measure CPython, print, write matrix.md and matrix.svg beside the
 * results; with --measure, first grade the speed cells whose figures are missing, stale or
 * inconclusive (--only, a partial run per lab into its results.json). 0; 1 when some cell
 * is missing or stale; 2 when it cannot. */
int matrix_run(const struct opts *o);

#endif
