/* versions.c: what lab 5's speed cells time: your async_map() (the grader counts its threads). */
#include "bench.h"
#include "lab5.h"

/* async_map() as it is: the grader counts the run's threads from /proc, outside it, for
 * the whole run (spec x=threads, harness/grader/threads_seen.c). It was once a monitor
 * process of the run's own that stopped when this process closed a pipe: code under test
 * could close that pipe first and start its threads after the monitor's report. */
static int async_plain(const struct job *jobs, size_t n, struct result *out, int workers)
{
    return async_map(jobs, n, out, workers);
}

struct bench_version bench_versions[] = {
    {"async", async_plain, "async_map()"},
    {"ref", ref_seq_map, NULL},
    {NULL, NULL, NULL},
};
