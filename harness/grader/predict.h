/* predict.h: the student's predictions (predictions.txt) beside what the speed cells measured. */
#ifndef PREDICT_H
#define PREDICT_H

#include <stdio.h>

#include "report.h"

#define PREDICT_MAX    64
#define PREDICT_FILE   "predictions.txt"
#define PREDICT_FACTOR 2.0  /* a prediction further off than this is named */
#define PREDICT_FLOOR  0.05 /* figures below it count as it: 0.01 vs 0.03 CPU / wall is close */

/* One `cell = value` line: `cell` predicts the cell's median speedup, `cell.cpuwall` its
 * version's CPU / wall. */
struct prediction {
    char name[96];
    double value;
    int line;
};

struct predictions {
    struct prediction p[PREDICT_MAX];
    int n;
    int blank;        /* lines `cell =` left empty */
    int bad_lines[8]; /* lines that are neither a prediction, a blank one nor a comment */
    int nbad;
};

/* Parse the text of a predictions file: `name = number` (a trailing `x` allowed), `#`
 * comments, blank lines. Never fails: what it cannot read is counted in bad_lines. */
void predict_parse(const char *text, struct predictions *ps);

/* How far off a prediction is: max(p/m, m/p) with both raised to PREDICT_FLOOR. */
double predict_off(double predicted, double measured);

/* The predictions in `dir`/predictions.txt beside the report's speed cells, as a table on
 * f, naming each one off by more than PREDICT_FACTOR. Nothing when the file is missing
 * or the report has no speed cell. Returns how many were off (-1: no file). */
int predict_print(const struct report *r, const char *dir, FILE *f);

#endif
