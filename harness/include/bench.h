/* bench.h: the versions a lab's bench driver can time (harness/labs/<lab>/versions.c). */
#ifndef BENCH_H
#define BENCH_H

#include "workload.h"

struct bench_version {
    const char *name; /* as the spec's version= and baseline= name it */
    map_fn map;
    const char *fn; /* the student function behind it, for messages; NULL for ours */
};

/* Ends with a {NULL} entry. Not const: the bench driver wipes the table once it has taken
 * the version it runs, so that no pointer to another version (the harness's reference
 * executors) is left in memory for code that scans it (red team, bench_table_ref). */
extern struct bench_version bench_versions[];

/* The jobs of one speed trial, the same for every version: n jobs of one kind (JOB_COOK,
 * JOB_ORDER or JOB_MEAL) from `seed`; cooking (of cook jobs and meals) shares
 * `total_rounds` among them (skewed: in the second half every other job is 9x the rest,
 * so that no split fixed in advance is balanced); orders go to `port`. */
void bench_make_jobs(struct job *jobs, size_t n, enum job_kind kind, uint64_t total_rounds,
                     uint16_t port, uint64_t seed, int skewed);
/* A version may report one number of its own (e.g. the median wait of an I/O thread),
 * judged as metric x in the spec; the last call wins. */
void bench_metric(double x);
/* What was reported, or -1 for nothing (bench.c prints it). */
double bench_metric_get(void);

/* A hash of the results, to compare a version's answers with the reference's. */
uint64_t bench_hash(const struct result *out, size_t n);

/* For the race drivers: `who` (e.g. "thread_map") returned rc for n jobs on `workers`;
 * 0 when rc is 0 and every out[i] is what ref_job_run() makes of jobs[i], else 1 after
 * printing the first that is not. */
int bench_check_call(const char *who, int rc, const struct job *jobs, const struct result *out,
                     size_t n, int workers);
/* bench_check_call() of map(jobs, n, out, workers), out a fresh array (1 when it cannot be
 * allocated, said). */
int bench_check_map(const char *who, map_fn map, const struct job *jobs, size_t n, int workers);

#endif
