/* run.h: grade --run: time one version of the student's code on the spot, beside a baseline. */
#ifndef RUN_H
#define RUN_H

#include <stddef.h>
#include <stdio.h>

#include "build.h"
#include "options.h"
#include "spec.h"
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

/* The lab's spec (no race drivers: nothing here runs them) and the build of --src into
 * b; 0, 1 when the student's files did not build (said), 2 or 3 when the spec or the
 * harness failed (said). The caller frees both (build_free, spec_free). */
int run_prepare(const struct opts *o, struct spec *sp, struct build_out *b);

/* The versions in a lab's versions.c (the names of bench_versions[]), comma-separated
 * into buf; how many. */
int run_versions(const char *versions_c, char *buf, size_t len);

/* The table of f (medians, then each run's speedup) on out; `wv`, `wb` the version's
 * and the baseline's names. */
void run_print(FILE *out, const struct run_figures *f, const char *wv, const char *wb);

#endif
