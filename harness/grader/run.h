/* run.h: grade --run: time one version of the student's code on the spot, beside a baseline. */
#ifndef RUN_H
#define RUN_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "speed.h"

#define RUN_MAX_RUNS 20

/* The figures of one experiment: `n` interleaved runs of the baseline (b) and the version
 * (v), and what print_table shows of them. */
struct run_figures {
    struct trial b[RUN_MAX_RUNS], v[RUN_MAX_RUNS];
    int n;
};

/* Build the --src folder (no race drivers), start the kitchen, time o->run_version and
 * o->run_baseline (default "ref", the sequential reference) o->run_runs times each,
 * interleaved, and print wall, CPU, cpu/wall and the speedup. "list" as the version
 * prints the lab's versions. Returns 0 when every run answered right; 1 when the code
 * did not build or a run failed (the reason printed); 2 when the line or the lab is
 * wrong; 3 when the harness could not do its part. */
int run_experiment(const struct opts *o);

/* Build the --src folder as run_experiment does, start the kitchen, and run the test
 * o->debug_test ("suite::name") in gdb (env GDB names another debugger), as the grader
 * runs it (--filter, one job, SEED, KITCHEN_PORT, KITCHEN_BIN), but as the user and
 * without the jail, gdb following the process that runs the test. Returns gdb's exit
 * code; 2 for a test the lab does not have; 3 when the harness could not do its part. */
int run_debug(const struct opts *o);

/* "suite::name" as Criterion's --filter=suite/name, into buf. */
void run_filter(const char *test, char *buf, size_t len);

/* The versions in a lab's versions.c (the names of bench_versions[]), comma-separated
 * into buf; how many. */
int run_versions(const char *versions_c, char *buf, size_t len);

/* The table of f (medians, then each run's speedup) on out; `wv`, `wb` the version's
 * and the baseline's names. */
void run_print(FILE *out, const struct run_figures *f, const char *wv, const char *wb);

#endif
