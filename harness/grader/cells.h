/* cells.h: a lab's speed cells: calibration, shared measurements, retries, verdicts. */
#ifndef CELLS_H
#define CELLS_H

#include <stdbool.h>

#include "report.h"
#include "spec.h"
#include "speed.h"
#include "trial.h"

#define CELLS_MAX_MEASURED SPEC_MAX_SPEEDS
#define CELLS_ATTEMPTS     2 /* an inconclusive cell is measured once more, afresh */

/* One experiment measured in this grading, for every cell that asks for it. */
struct measured {
    struct cell c;  /* c.spec: the first cell that asked for this experiment */
    enum verdict v; /* V_PASS when measured; else what went wrong */
};

/* The speed cells of one grading. Fill site, bench_ok and r; the rest starts zeroed. */
struct cells {
    struct bench_site site;
    bool bench_ok;    /* the bench driver was built with the student's code */
    struct report *r; /* items go here; requires= are looked up here */
    const char *root; /* the kit, for the note's table (matrix.h); NULL: no such note */
    trial_fn trial;   /* NULL: trial_run (tests script their own) */
    double rate;      /* cooking rounds a second, calibrated when a cell first needs it */
    /* A folder for timelines (NULL: none): <cell>.svg, who ran on which core when during
     * each measured cell's warm-up runs (timeline.h), named in the cell's output. */
    const char *timelines;
    struct measured measured[CELLS_MAX_MEASURED];
    int nmeasured;
    /* Set by cells_grade: the cells of this grading, so that a measurement knows every
     * cell it decides (struct judge) and stops once they all pass. */
    const struct spec *spec;
    const char *only;
};

/* Grade the cells of s named in `only` (comma-separated; NULL: all), one item each,
 * then a note on those that fill the note's table (cells_note_matrix). */
void cells_grade(struct cells *cs, const struct spec *s, const char *only);

/* Will cells_grade(cs, s, only) time anything? Not when the bench driver did not build or
 * every wanted cell waits for a test that did not pass (a skeleton): then the machine's
 * speed lock need not be waited for. */
bool cells_any_to_time(const struct cells *cs, const struct spec *s, const char *only);

/* The cell's ideal: its spec's formula with this grading's kitchen latency (L) and, for a
 * mixed cell, the cooking (T) its baseline really did (c->base_cpu's median) once its
 * pairs are measured, the calibration's target (TRIAL_CPU_TARGET_S) before. */
double cells_ideal(const struct cells *cs, const struct cell *c);

/* Grade one cell into an item of cs->r: gated by its requires= and the bench driver's
 * build, measured (or its experiment's earlier measurement reused), judged; an
 * inconclusive measurement, or a verdict that measuring again could change, is measured
 * once more, afresh. Wrong, hung or crashed code is not retried: not the machine's fault. */
void cells_grade_one(struct cells *cs, const struct spec_speed *s);

/* Do two cells ask for the same experiment (their checks may differ)? */
bool cells_same_experiment(const struct spec_speed *a, const struct spec_speed *b);
/* This grading's measurement of s's experiment, or NULL. */
struct measured *cells_shared(struct cells *cs, const struct spec_speed *s);
/* Is `name` in the comma-separated `list` (NULL: everything is)? */
bool cells_wanted(const char *list, const char *name);
/* The version's workers: the spec's, or P (the usable cores) rounded down, at least 1. */
int cells_workers(const struct spec_speed *s, double P);
/* The cores that must be free before c is measured: cooking in parallel needs its
 * min(W, P) (all P for cores=all); waiting needs next to none (0). */
double cells_cores_needed(const struct cell *c);

/* The cells of this grading that fill the note's table (their spec's matrix=), as a note
 * of cs->r: each one's figure against the note's claim (matrix_note). */
void cells_note_matrix(struct cells *cs);

#endif
