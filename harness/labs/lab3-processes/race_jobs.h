/* race_jobs.h: the jobs lab 3's sanitizer drivers give proc_map() (race_procs.c, race_fds.c,
 * race_ub.c), and the check of what comes back: one copy for all. */
#ifndef RACE_JOBS_H
#define RACE_JOBS_H

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "lab3.h"

/* A cook job of `rounds` rounds, or now and then a crash (SIGABRT: under AddressSanitizer a
 * SIGSEGV would be caught and reported as the driver's own error) or a failure (a kind
 * ref_job_run() does not know: -EINVAL in the child). */
static inline struct job race_job(uint64_t *seed, uint64_t rounds)
{
    uint64_t r = workload_rand(seed);
    struct job j = {.kind = JOB_COOK, .seed = workload_rand(seed), .rounds = rounds};

    if (r % 6 == 0)
        j = (struct job){.kind = JOB_POISON, .seed = j.seed | 1}; /* odd: SIGABRT */
    else if (r % 6 == 1)
        j = (struct job){.kind = (enum job_kind)77, .seed = j.seed}; /* -EINVAL in the child */
    return j;
}

/* 0 when out[] is each job's result, else 1 (having said which one is not, and `how` the
 * call was made: "" or ", every descriptor below 1024 held by the caller"). */
static inline int race_check_out(const struct job *jobs, const struct result *out, size_t n,
                                 int workers, const char *how)
{
    for (size_t i = 0; i < n; i++) {
        struct result want = {.value = 0, .status = JOB_CRASHED(SIGABRT)};

        if (jobs[i].kind != JOB_POISON)
            ref_job_run(&jobs[i], &want);
        if (out[i].status != want.status || out[i].value != want.value) {
            printf("proc_map(%zu jobs, workers=%d)%s: out[%zu] = {value %llu, status %d}, "
                   "expected {value %llu, status %d}%s\n",
                   n, workers, how, i, (unsigned long long)out[i].value, out[i].status,
                   (unsigned long long)want.value, want.status,
                   jobs[i].kind == JOB_POISON ? " (its child died of SIGABRT)" : "");
            return 1;
        }
    }
    return 0;
}

/* proc_map(jobs, n, out, workers) with out[] poisoned first: 0 when it returned 0 and out[] is
 * each job's result, else 1 (having said what, and `how` the call was made, as race_check_out). */
static inline int race_map_checked(const struct job *jobs, size_t n, struct result *out,
                                   int workers, const char *how)
{
    memset(out, 0x5e, n * sizeof(*out));
    int rc = proc_map(jobs, n, out, workers);
    if (rc != 0) {
        printf("proc_map(%zu jobs, workers=%d)%s%s returned %d (%s), expected 0\n", n, workers, how,
               how[0] ? "," : "", rc, strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    return race_check_out(jobs, out, n, workers, how);
}

#endif
