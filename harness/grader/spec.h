/* spec.h: a lab's grading spec: its student files, tests with points, speed cells. */
#ifndef SPEC_H
#define SPEC_H

#include <stdbool.h>

#include <stddef.h>

/*
 * The file harness/labs/<lab>/spec, one declaration a line, '#' starts a comment,
 * values with spaces in double quotes:
 *
 *   lab     "Baselines: one waiter"
 *   student cook.c serve.c seq.c timer.c metrics.c
 *   test    cook::matches_reference 3 fn=cook() hint="..."
 *   speed   cook.seq 3 workload=cpu version=seq baseline=ref jobs=4 workers=1
 *           ideal=1 check="speedup>=0.67 speedup<=1.5" requires=cook::matches_reference
 *           hint="..."
 *
 * (a speed declaration is one line; it is folded here to fit.)
 *
 * support interp.c          (harness-side files of the lab, linked into everything)
 * api     cook serve seq_map (the functions the lab's header declares: the only names a
 *                            student file may make visible to the others)
 * allow   socket connect     (what the student's files may call beyond the C library's
 *                            memory, string, printing, maths, time and thread functions)
 * race    shared_total 4 driver=race_driver.c requires=... hint="..."
 *
 * test:  a Criterion test "suite::name" worth <points>; fn names the student function it
 *        exercises (a timeout says so); file= the student file it needs (a build error
 *        there scores it 0).
 * speed: a cell of the matrix: <version> against <baseline>, measured in interleaved
 *        pairs. workload cpu (cooking) or io (orders to the kitchen, latency= ms);
 *        jobs= N; workers= a number or P (the usable cores); ideal= 1, P, N, W or
 *        min(...) of them; check= conditions on the medians: speedup (baseline wall /
 *        version wall), eff (speedup / ideal) and cpuwall (version CPU / wall), with
 *        >= or <=. requires= tests that must pass before speed is graded (a fast wrong
 *        answer earns nothing). cores=all: needs every usable core free (probe).
 *        baseline_jobs= runs the baseline with another job count (e.g. 8 vs 10,000).
 *        Metric x is what the lab's version reports itself (bench_metric()), named by
 *        xname= ("I/O wait / switch interval").
 * race:  a ThreadSanitizer run of a plain driver (harness/labs/<lab>/<driver>) built
 *        with the student's files; a data race costs its points, and the report quotes
 *        the two conflicting accesses. Criterion cannot run under TSan.
 */

enum metric { M_SPEEDUP, M_EFF, M_CPUWALL, M_X };
enum cmp { CMP_GE, CMP_LE };

struct cond {
    enum metric metric;
    enum cmp op;
    double value;
};

#define SPEC_MAX_FILES 16
#define SPEC_MAX_CONDS 4
#define SPEC_MAX_REQ 8
#define SPEC_MAX_NAMES 64

struct spec_test {
    char name[96]; /* suite::name */
    double points;
    char fn[64];
    char file[64];
    char hint[256];
};

struct spec_speed {
    char name[64];
    double points;
    char workload[8]; /* "cpu" or "io" */
    char version[32];
    char baseline[32];
    int jobs;
    int baseline_jobs; /* jobs for the baseline side (default: jobs) */
    int workers;      /* 0 means P, the usable cores (rounded down, at least 1) */
    char ideal[32];   /* expression over W, P, N */
    int latency_ms;   /* io only */
    char skew[16];    /* cpu job sizes: "even" (default) or "skewed" */
    int all_cores;    /* 1: the probe must find every usable core free */
    struct cond conds[SPEC_MAX_CONDS];
    int nconds;
    char requires[SPEC_MAX_REQ][96];
    int nrequires;
    char hint[256];
    char xname[64];   /* what metric x means, for the scoreboard */
};

struct spec_race {
    char name[64];
    double points;
    char driver[64];
    char requires[SPEC_MAX_REQ][96];
    int nrequires;
    char hint[256];
};

struct spec {
    char title[128];
    char files[SPEC_MAX_FILES][64];
    int nfiles;
    char support[SPEC_MAX_FILES][64]; /* harness-side files of the lab */
    int nsupport;
    const char *api[SPEC_MAX_NAMES + 1];   /* NULL-ended; strings owned by names */
    const char *allow[SPEC_MAX_NAMES + 1]; /* NULL-ended */
    char names[2 * SPEC_MAX_NAMES][48];
    int nnames, napi, nallow;
    struct spec_test *tests;
    int ntests;
    struct spec_speed *speeds;
    int nspeeds;
    struct spec_race *races;
    int nraces;
};

/* Parse `path`; on error returns -EINVAL and writes "file:line: what" into err. */
int spec_load(const char *path, struct spec *s, char *err, size_t errlen);
int spec_parse(const char *text, const char *name, struct spec *s, char *err, size_t errlen);
void spec_free(struct spec *s);

/* Evaluate an ideal expression ("min(W,P)") for W workers, P cores, N jobs;
 * returns -1 when the expression is not valid. */
double spec_ideal(const char *expr, double W, double P, double N);
const char *metric_name(enum metric m);
double spec_max_score(const struct spec *s);
/* Is item `name` in `only`, a comma-separated list of item names and suites ("serve"
 * selects serve::one_order, serve::refused, ...)? Every item is, when only is NULL. */
bool spec_selected(const char *only, const char *name);
/* Narrow s to the items `only` selects, plus the tests those need first (requires=).
 * Returns how many items are left; 0 when the list matches nothing. */
int spec_select(struct spec *s, const char *only);

#endif
