/* jobs.c: the jobs of a speed trial and the hash of its results. */
#include "bench.h"

/* Skewed jobs: the second half SKEW times the first. Split in two contiguous chunks,
 * one worker gets 5/6 of the work: 1.2x on 2 cores, far below a 1.5x threshold. */
#define SKEW 5

void bench_make_jobs(struct job *jobs, size_t n, int cpu, uint64_t total_rounds, uint16_t port,
                     uint64_t seed, int skewed)
{
    size_t half = n / 2;
    uint64_t unit = total_rounds / (skewed ? half + SKEW * (n - half) : n);

    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct job){
            .kind = cpu ? JOB_COOK : JOB_ORDER,
            .seed = workload_rand(&seed),
            .rounds = cpu ? unit * (skewed && i >= half ? SKEW : 1) : 0,
            .port = port,
        };
    }
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t bench_hash(const struct result *out, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < n; i++)
        h = fnv(fnv(h, out[i].value), (uint64_t)(int64_t)out[i].status);
    return h;
}

static double metric = -1;

void bench_metric(double x)
{
    metric = x;
}

double bench_metric_get(void)
{
    return metric;
}
