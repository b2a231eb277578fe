/* hostile: seq_map() is the harness's own ref_seq_map(): right answers, and the baseline's
 *          exact speed in every speed cell, without writing the executor
 * replaces: seq.c
 * expect: cook::matches_reference pass
 * expect: serve::one_order pass
 * denies: seq_map::results_in_order
 * denies: seq_map::no_jobs
 * denies: seq_map::null_arrays
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 * denies: cook.seq
 * denies: cook.cpu_bound
 * denies: serve.seq
 * denies: serve.io_bound
 */
/* seq.c: the sequential executor: one waiter serves every table in turn. */
#include "lab1.h"

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    return ref_seq_map(jobs, n, out, workers);
}
