/* jobs.c: the jobs of a speed trial and the hash of its results; the race drivers' check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Skewed jobs: in the second half, every other job is HEAVY times the rest. Any split
 * fixed in advance loses on 2 workers: contiguous halves give one worker 40 of 48
 * units, and so does round-robin (i % 2), which puts every heavy job on one worker:
 * 1.2x, far below a 1.5x threshold. A shared queue (dynamic scheduling) gets ~2x. */
#define HEAVY 9

static int heavy(size_t i, size_t n)
{
    return i >= n / 2 && i % 2 == 0;
}

void bench_make_jobs(struct job *jobs, size_t n, enum job_kind kind, uint64_t total_rounds,
                     uint16_t port, uint64_t seed, int skewed)
{
    uint64_t units = 0, unit;
    int cooks = kind != JOB_ORDER;

    for (size_t i = 0; i < n; i++)
        units += skewed && heavy(i, n) ? HEAVY : 1;
    unit = total_rounds / (units ? units : 1);
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct job){
            .kind = kind,
            .seed = workload_rand(&seed),
            .rounds = cooks ? unit * (skewed && heavy(i, n) ? HEAVY : 1) : 0,
            .port = kind != JOB_COOK ? port : 0,
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

int bench_check_call(const char *who, int rc, const struct job *jobs, const struct result *out,
                     size_t n, int workers)
{
    struct result want;

    if (rc != 0) {
        printf("%s(%zu jobs, workers=%d) returned %d (%s), expected 0\n", who, n, workers, rc,
               strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        ref_job_run(&jobs[i], &want);
        if (out[i].status != want.status || out[i].value != want.value) {
            printf("%s(%zu jobs, workers=%d): out[%zu] = {value %llu, status %d}, "
                   "expected {value %llu, status %d}\n",
                   who, n, workers, i, (unsigned long long)out[i].value, out[i].status,
                   (unsigned long long)want.value, want.status);
            return 1;
        }
    }
    return 0;
}

int bench_check_map(const char *who, map_fn map, const struct job *jobs, size_t n, int workers)
{
    struct result *out = calloc(n ? n : 1, sizeof(*out));
    int bad;

    if (!out) {
        printf("%s: the driver could not allocate %zu results\n", who, n);
        return 1;
    }
    bad = bench_check_call(who, map(jobs, n, out, workers), jobs, out, n, workers);
    free(out);
    return bad;
}
