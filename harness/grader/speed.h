/* speed.h: the measurement protocol: interleaved pairs, medians, honest verdicts. */
#ifndef SPEED_H
#define SPEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"
#include "spec.h"
#include "stats.h"
#include "sysload.h"

/* One timed run of one version, as the bench driver and the machine saw it. */
struct trial {
    enum verdict fault; /* V_PASS when it ran and answered right; else what went wrong */
    char what[768];     /* for a fault: the driver's or the jail's words, and what the
                           run printed last */
    double wall, cpu;   /* seconds, inside the driver around the map call */
    uint64_t hash;      /* of the results, to compare with the reference */
    double x;           /* the lab's own metric, when the version reports one (has_x) */
    bool has_x;
    bool disturbed; /* another process took CPU from us meanwhile */
    char why[160];  /* for disturbed: what was seen */
};

/* Runs one side of a cell once into t (side 0 the baseline, 1 the version); returns 0,
 * or -errno when it could not be run at all. */
typedef int (*trial_fn)(void *ctx, int side, struct trial *t);

/* A cell that one measurement decides, with its ideal (cells sharing an experiment share
 * its pairs). */
struct judge {
    const struct spec_speed *spec;
    double ideal;
};

struct cell {
    const struct spec_speed *spec;
    double P, W, N, ideal;              /* as used for this cell */
    int rounds, clean;                  /* pairs measured, pairs kept */
    struct summary speedup, cpuwall, x; /* x: over the version's trials that reported it */
    struct summary rough;               /* speedup over every pair, disturbed ones too */
    struct summary base_cpu;            /* the baseline's CPU seconds over the kept pairs */
    char dropped[256];                  /* why pairs were dropped, summarised */
    char fault[1024];                   /* why a trial failed, when one did */
    /* The cells this measurement decides (cells.c fills them; none: measure every pair):
     * speed_measure stops early once each passes whatever the pairs still to come say. */
    struct judge judges[SPEC_MAX_SPEEDS];
    int njudges;
};

#define SPEED_MIN_CLEAN  3
#define SPEED_WANT_CLEAN 5
#define SPEED_MAX_ROUNDS 10
#define SPEED_SETTLED    (SPEED_WANT_CLEAN / 2 + 1) /* pairs that decide a verdict early */
#define SPEED_FAR        2.0 /* a fail this factor off its threshold on every pair is settled */
#define SPEED_NEAR                                                                                 \
    0.10 /* a fail within 10% of its threshold, or whose best pair comes                           \
            that close, is inconclusive: noise could explain it */

/*
 * Measure one cell: a warm-up of each side, then interleaved pairs (the order
 * rotated each round), each pair's speedup = baseline wall / version wall, disturbed
 * pairs dropped, until SPEED_WANT_CLEAN clean pairs or SPEED_MAX_ROUNDS rounds, or
 * sooner, when c->judges all pass whatever the pairs still to come measure: a median of
 * up to SPEED_WANT_CLEAN pairs meets a condition once more than half of them do, so
 * when SPEED_SETTLED clean pairs meet every condition of every judge (and stay
 * under its ceiling), measuring the rest could not change a verdict, only the figure.
 * A fail is decided early only when far off: some condition of the judge missed on every
 * clean pair so far, SPEED_SETTLED of them at least, each by more than a factor SPEED_FAR
 * (a speedup under half its threshold, a cpu/wall over twice its limit). Its median of 5
 * fails whatever comes; what the last pairs could still do is reach within SPEED_NEAR of
 * the threshold and make it inconclusive, an improvement of 1.8x over three undisturbed
 * pairs that a correct version does not make (a fail near its threshold, or one pair
 * that meets it, still gets every pair).
 * `ref_hash` is the reference's result hash (0: the driver checks the answers itself):
 * a trial that disagrees is wrong. Returns V_PASS when the cell was measured, or what
 * went wrong with a trial (c->fault says it): wrong code ends the cell, it is not noise.
 */
enum verdict speed_measure(struct cell *c, trial_fn run, void *ctx, uint64_t ref_hash);

/*
 * The sanity ceiling: no version is much faster than its ideal says it can be (a serial
 * version that read the answers from an earlier run, or made them up, is: 78x for an
 * ideal of 2). For a cell whose check= claims speed (speedup or eff >=), the most its
 * median may be is SPEED_CEIL_FACTOR x ideal + SPEED_CEIL_SLACK; 0 (no ceiling) when
 * the cell says otherwise: its check= bounds speedup or eff from above itself, or asks
 * for a speedup above its ideal (its ideal is then no limit: meal.beats_threads). A busy
 * machine slows either side of a pair, so with too few clean pairs a cell still fails
 * when every pair measured, disturbed or not, is above twice the ceiling.
 */
#define SPEED_CEIL_FACTOR 1.5
#define SPEED_CEIL_SLACK  0.5
double speed_ceiling(const struct cell *c);

/* The verdict on measured medians alone (no running): pass, fail or inconclusive;
 * `retry` is set when measuring again could change the answer. A median above the
 * ceiling fails ("faster than possible"), inconclusive when some pair stays below it. */
enum verdict speed_judge(const struct cell *c, struct item *it, bool *retry);

/* ">= 1.50x (0.75 of min(W,P) = 2)" and the like, for the cell's conditions. */
void speed_expected(const struct cell *c, char *buf, size_t len);

#endif
