/* report.h: the graded items of one run (report.c), and how they are shown and saved:
 * the scoreboard (scoreboard.c), results.json (results_json.c), JUnit XML (junit.c), the
 * SVG chart (chart.c). */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fingerprint.h"

enum verdict {
    V_PASS,
    V_FAIL,            /* ran, wrong answer or too slow */
    V_NOT_IMPLEMENTED, /* the stub still answers -ENOSYS */
    V_TIMEOUT,         /* did not finish in time (a hang, a deadlock) */
    V_CRASH,           /* died by a signal */
    V_BUILD_ERROR,     /* the code it needs did not compile */
    V_INCONCLUSIVE,    /* speed could not be measured cleanly; says why */
    V_SKIPPED,         /* not run: what it needs failed first (e.g. a speed cell of wrong code) */
    V_ERROR,           /* the grader's own fault, not the code's ("harness error"): regrade */
};
#define NVERDICTS (V_ERROR + 1)

enum item_kind { ITEM_BUILD, ITEM_TEST, ITEM_SPEED, ITEM_RACE };

struct item {
    char name[96];
    enum item_kind kind;
    double score, max_score;
    enum verdict verdict;
    char measured[160]; /* speed: e.g. "1.97x (1.93-1.99 over 5 clean pairs)" */
    char expected[160]; /* speed: e.g. ">= 1.50x (0.75 of min(W,P) = 2)" */
    char hint[256];     /* one line naming the concept; shown when not passed */
    char *output;       /* details, malloc'd (may be NULL) */
    struct figure {     /* speed: the numbers behind measured/expected, for charts */
        bool set;
        double lo, med, hi; /* the speedup's range and median over clean pairs */
        double want_ge;     /* the speedup it must reach (0: none) */
        double want_le;     /* the speedup it must not pass (0: none) */
        double ideal;
        double cpuwall; /* median CPU / wall of the version */
        int clean;      /* pairs kept */
        /* what was measured, on what and when: set by cells.c after the verdict, kept by
         * results.json for the course's matrix (matrix.c) */
        char workload[8], version[32], baseline[32], ideal_expr[32];
        char matrix[32];  /* the spec's matrix= ("gil_threads/cpu"), or "" */
        char source[160]; /* the folder graded, as the report shows it */
        int workers, jobs;
        double P;      /* usable cores */
        uint64_t seed; /* the run's */
        long long at;  /* when it was measured (or found unmeasurable): epoch seconds */
    } fig;
    double elapsed_s; /* wall time it took to grade (report_add stamps it when 0) */
};

struct report {
    char lab[64];      /* "lab1-baselines" */
    char title[128];   /* "Baselines: one waiter" */
    char source[512];  /* the folder that was graded */
    char machine[256]; /* e.g. "2 usable cores (affinity 2, no CPU quota)" */
    uint64_t seed;
    double elapsed_s;
    double last_add;       /* sys_now() at the last report_add (or report_init) */
    struct fingerprint fp; /* the machine, taken before grading (fingerprint.c) */
    char *output;          /* run-level notes, malloc'd (may be NULL) */
    struct item *items;
    size_t n, cap;
};

void report_init(struct report *r, const char *lab, const char *title);
/* Append an item (copied; .output is taken over) and return it. An item without an
 * elapsed_s gets the wall time since the previous item was added (items are graded one
 * after another, each added when judged). */
struct item *report_add(struct report *r, const struct item *it);
/* Append printf-style text to an item's output or the run's output. */
void item_printf(struct item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_note(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double report_score(const struct report *r, double *max_score);
bool report_full(const struct report *r);
/* How many items are the grader's own fault (V_ERROR): such a run must be regraded. */
int report_errors(const struct report *r);
const char *verdict_name(enum verdict v);     /* "pass", "not implemented", ... */
const char *item_kind_name(enum item_kind k); /* "build", "test", "speed", "race" */

/* The terminal scoreboard: a line per item with verdict, points, measured vs expected,
 * and the hint and output for what did not pass; colour only when `color`. */
void report_print(const struct report *r, FILE *f, bool color);
/* Gradescope results.json: score, max_score, output (Markdown: output_format "md"),
 * extra_data (the machine: fingerprint.h), leaderboard (each speed cell's median speedup),
 * tests[] (name, number, visibility, score, max_score, status "passed"/"failed", output
 * in Markdown, extra_data{verdict, kind, measured, expected}). */
int report_write_json(const struct report *r, const char *path);
/* The environment variable that sets results.json's per-test "visibility", e.g.
 * "speed=after_due_date" or "all=after_published,build=visible": KEY=WHEN pairs, KEY a kind
 * (build, test, race, speed), an item's name or "all", WHEN one of Gradescope's hidden,
 * after_due_date, after_published, visible; the last pair naming the item wins. */
#define RESULTS_VISIBILITY_ENV "GRADESCOPE_VISIBILITY"
/* An item's visibility under such a setting (NULL: none): "visible" unless it says else. */
const char *results_visibility(const char *conf, const struct item *it);
/* An SVG chart of the speed items: each cell's speedup (range and median) against
 * the band it must fall in. 0, or -errno; when no cell was measured, no chart (an old one
 * at `path` is removed). */
int report_write_svg(const struct report *r, const char *path);
/* JUnit XML: a testcase per item (classname its suite, time, score and verdict as
 * properties; <failure> a wrong answer, <error> a crash, timeout, build or harness error,
 * <skipped> not judged), the score and the machine as the suite's properties. */
int report_write_junit(const struct report *r, const char *path);
void report_free(struct report *r);

#endif
