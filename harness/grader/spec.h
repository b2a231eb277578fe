/* spec.h: a lab's grading spec: its files, and its items: tests, speed cells, races. */
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
 * support interp.c          (harness-side files of the lab, linked into everything; a
 *                            file of another lab's definition as lab4-gil:interp.c)
 * borrow  lab4-gil:gil.c    (the student's own files of an earlier lab, built with this
 *                            one's: found beside the graded folder, else that lab's
 *                            skeleton stands in; a later lab builds on the student's code)
 * api     cook serve seq_map (the functions the lab's header declares: the only names a
 *                            student file may make visible to the others)
 * allow   socket connect     (what the student's files may call beyond the C library's
 *                            memory, string, printing, maths, time and thread functions)
 * race    shared_total 4 driver=race_driver.c requires=... hint="..."
 *
 * Every item (test, speed, race) is "<word> <name> <points> key=value ...", points from
 * 0 to 1000; each key at most once, in any order.
 *
 * test:  a Criterion test "suite::name" worth <points>; fn names the student function it
 *        exercises (a timeout says so); file= the student file it needs (a build error
 *        there scores it 0). timing=sensitive: its assertions hold on time windows (a
 *        thread got the GIL within 0.5 s), so a failure while other processes took the
 *        cores is run again, as a timeout always is (correct.h). tasks=N: the run may
 *        have N tasks (threads too) alive at once instead of 64, for a test of many
 *        workers. nofile=N: the run's open-file limit (soft and hard) is N instead of
 *        4096 (no more than the grader's own hard limit), for a test of a high one.
 *        values=reference: what the test observes (check_observe, check.h) must equal what
 *        the same test observes of the reference solution, same seed, compared by the
 *        grader outside the run (values.h): a pass forged from inside the process still
 *        needs the right values. A test name is
 * declared once. speed: a cell of the matrix: <version> against <baseline>, measured in interleaved
 *        pairs. Needs workload=, version=, baseline= and check=. workload= cpu (cooking)
 *        or io (orders to the kitchen); jobs= N (default 4); workers= a number or P
 *        (the usable cores; default 1); ideal= 1 (the default), P, N, W or min(...) of
 *        them; check= conditions on the medians: speedup (baseline wall / version
 *        wall), eff (speedup / ideal), cpuwall (version CPU / wall) and x, each with >=
 *        or <=. requires= tests that must pass before speed is graded (a fast wrong
 *        answer earns nothing). cores=all: needs every usable core free (probe). skew=
 *        even (the default) or skewed cooking job sizes. baseline_jobs= runs the
 *        baseline with another job count (e.g. 8 vs 10,000; default: jobs). Metric x is
 *        what the lab's version reports itself (bench_metric()), named by xname= ("I/O
 *        wait / switch interval"); x=threads: x is instead the most threads any one
 *        process of the version's run had, counted by the grader from /proc every ms
 *        for the whole run (threads_seen.h), where the code under test cannot stop it. latency= the
 * ms an order is expected to take (default 50): it sizes the trial's time limit only, the kitchen
 * grade starts answers after 50 ms whatever it says. Numbers are from 1 to 100000 (latency from 0).
 * matrix= row/column: the cell of the course's matrix (`grade --matrix`) it fills, two words of
 * a-z, 0-9 and _; the rows and columns, and the note's claim for each cell, are
 * harness/labs/lab6-choosing/matrix (matrix.c checks every key against it). race:  a
 * ThreadSanitizer run of a plain driver (harness/labs/<lab>/<driver>) built with the student's
 * files; a data race costs its points, and the report quotes the two conflicting accesses.
 * Criterion cannot run under TSan. Needs driver=. sanitizer=address builds it with AddressSanitizer
 * instead (the default is thread): an access out of bounds or to freed memory costs the points, and
 * the report quotes the access and where the memory was allocated; sanitizer=undefined with
 * UndefinedBehaviorSanitizer (and float-cast-overflow): a signed overflow, a shift too far, a
 * conversion out of range... costs the points, and the report quotes the line and what
 * overflowed. wrap=NAME[,NAME] links the
 * driver with -Wl,--wrap=NAME for each: every call of NAME from the student's files (and ours) goes
 * to the driver's own __wrap_NAME, which may fail it on purpose (a pthread_create() that fails
 * midway) and calls __real_NAME else.
 *
 * A word from a closed set (workload, skew, cores, the metrics of check=) is read into
 * its enum; the grader compares enums, and names them back with spec_workload_name(),
 * spec_skew_name() and metric_name(). The parser refuses, naming the line, what it
 * would otherwise drop or misread: an unknown declaration, key or word, a key given
 * twice, a missing required key, a requires= naming no declared test, and more than
 * the SPEC_MAX_* below (or 32 words on one line). spec.c reads the lines and the
 * declarations; spec_item.c the items: one table of keys per kind (add a key there).
 */

enum metric { M_SPEEDUP, M_EFF, M_CPUWALL, M_X };
enum cmp { CMP_GE, CMP_LE };
/* cooking (CPU-bound), orders (I/O-bound), or meals: an order, then cooking its reply */
enum workload { WORKLOAD_CPU, WORKLOAD_IO, WORKLOAD_MIXED };
enum skew { SKEW_EVEN, SKEW_SKEWED }; /* cooking job sizes */

struct cond {
    enum metric metric;
    enum cmp op;
    double value;
};

/* How much a spec may declare. The grader sizes its own arrays by these (build.h's
 * per-race and per-file slots), so the parser refuses a spec past any of them rather
 * than let the grader skip what does not fit. */
#define SPEC_MAX_FILES  16 /* student files; support files, separately */
#define SPEC_MAX_TESTS  128
#define SPEC_MAX_SPEEDS 16 /* as many as grade remembers measurements for */
#define SPEC_MAX_RACES  6
#define SPEC_MAX_CONDS  4  /* conditions in one check= */
#define SPEC_MAX_REQ    8  /* tests in one requires= */
#define SPEC_MAX_NAMES  64 /* names in api, and in allow */

struct spec_test {
    char name[96]; /* suite::name */
    double points;
    char fn[64];
    char file[64];
    char hint[256];
    int timing; /* timing=sensitive: a failure on a disturbed machine is run again (correct.h) */
    int tasks;  /* tasks=N: the run's tasks alive at once (threads too; 0: CORRECT_TASKS) */
    int values; /* values=reference: its check_observe() values are compared with the
                 * reference solution's run of the same test, outside the process (values.h) */
    int nofile; /* nofile=N: the run's open-file limit, soft and hard (0: CORRECT_NOFILE) */
    double limit_s; /* the test's own time limit, tests.c's `.timeout` (0: unknown) */
};

struct spec_speed {
    char name[64];
    double points;
    enum workload workload;
    char version[32];
    char baseline[32];
    int jobs;
    int baseline_jobs; /* jobs for the baseline side (default: jobs) */
    int workers;       /* 0 means P, the usable cores (rounded down, at least 1) */
    char ideal[32];    /* expression over W, P, N */
    int latency_ms;    /* io only */
    enum skew skew;    /* cpu only; even by default */
    int all_cores;     /* 1: the probe must find every usable core free */
    struct cond conds[SPEC_MAX_CONDS];
    int nconds;
    char requires[SPEC_MAX_REQ][96];
    int nrequires;
    char hint[256];
    char xname[64];  /* what metric x means, for the scoreboard */
    int x_threads;   /* x=threads: x is counted by the grader (threads_seen.h), not reported */
    char matrix[32]; /* "row/column": the cell of the course's matrix it fills, or "" */
};

enum sanitizer {
    SAN_THREAD,
    SAN_ADDRESS,
    SAN_UNDEFINED
}; /* what a race item's driver is built with */

struct spec_race {
    char name[64];
    double points;
    char driver[64];
    enum sanitizer sanitizer; /* sanitizer=thread (the default), address or undefined */
    char wrap[64];            /* wrap=a,b: names the driver wraps (-Wl,--wrap=), or "" */
    char requires[SPEC_MAX_REQ][96];
    int nrequires;
    char hint[256];
};

struct spec {
    char title[128];
    char files[SPEC_MAX_FILES][64];    /* the student's files: this lab's, then borrowed */
    char file_lab[SPEC_MAX_FILES][64]; /* "" for this lab's; a borrowed file's lab */
    int nfiles;
    char support[SPEC_MAX_FILES][64];     /* harness-side files, by name ("pool.c") */
    char support_lab[SPEC_MAX_FILES][64]; /* "" for this lab's; "lab4-gil" for another's */
    int nsupport;
    char borrow[SPEC_MAX_FILES][64]; /* the student's files of earlier labs: "lab4-gil:gil.c" */
    int nborrow;
    const char *api[SPEC_MAX_NAMES + 1];   /* NULL-ended; strings owned by names */
    const char *allow[SPEC_MAX_NAMES + 1]; /* NULL-ended */
    char names[2 * SPEC_MAX_NAMES][48];
    int nnames, napi, nallow;
    struct spec_test tests[SPEC_MAX_TESTS];
    int ntests;
    struct spec_speed speeds[SPEC_MAX_SPEEDS];
    int nspeeds;
    struct spec_race races[SPEC_MAX_RACES];
    int nraces;
};

/* A race item's link words for its wrap= ("-Wl,--wrap=a,--wrap=b"), or "" without one. */
const char *spec_race_wrap(const struct spec_race *r, char *buf, size_t len);

/* Parse `path`; on error returns -EINVAL and writes "file:line: what" into err. */
int spec_load(const char *path, struct spec *s, char *err, size_t errlen);
int spec_parse(const char *text, const char *name, struct spec *s, char *err, size_t errlen);
/* spec_limits.c: each test's limit_s from the `.timeout = N` of its `Test(suite, name,
 * ...)` in tests.c's text (a definition starts a line); spec_load reads the tests.c beside
 * the spec. Both return how many of s's tests have a limit, or -errno. */
int spec_read_limits(struct spec *s, const char *text);
int spec_load_limits(struct spec *s, const char *tests_c);
/* Nothing to free since the items are arrays in struct spec; it empties s, and stays so
 * that callers need not change if the items move to the heap again. */
void spec_free(struct spec *s);

/* Evaluate an ideal expression ("min(W,P)", "(N*L+T)/(L+T/min(W,P))": expr.h) for W
 * workers, P cores, N jobs, L the kitchen's latency and T the sequential cooking, in
 * seconds; returns -1 when the expression is not valid or not positive. */
double spec_ideal(const char *expr, double W, double P, double N, double L, double T);
/* "lab4-gil:gil.c" -> lab "lab4-gil" and the file "gil.c"; a plain "gil.c" -> lab "" (the
 * spec's own lab). */
const char *spec_file_lab(const char *entry, char *lab, size_t len);
/* The other labs a spec builds on (borrowed files, support files): up to max names, each
 * once; returns how many. */
int spec_other_labs(const struct spec *s, const char *labs[], int max);
/* The word the spec uses for a value: for messages and the JSON report. */
const char *metric_name(enum metric m);
const char *spec_workload_name(enum workload w);
const char *spec_skew_name(enum skew k);
double spec_max_score(const struct spec *s);
/* Is item `name` in `only`, a comma-separated list of item names and suites ("serve"
 * selects serve::one_order, serve::refused, ...)? Every item is, when only is NULL. */
bool spec_selected(const char *only, const char *name);
/* The first word of `only` (into word) that names no item or suite of s; NULL when every
 * word names one (a typo in a list must not narrow the grading to the rest in silence). */
const char *spec_unknown(const struct spec *s, const char *only, char *word, size_t len);
/* Narrow s to the items `only` selects, plus the tests those need first (requires=).
 * Returns how many items are left; 0 when a word of the list names nothing (spec_unknown). */
int spec_select(struct spec *s, const char *only);

#endif
