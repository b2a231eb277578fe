/* mutant: not a mistake: printf debugging left in, even lines that look like the
 * harness's own; grading must not be fooled or garbled by what student code prints
 * replaces: seq.c
 * expect: seq_map::results_in_order pass
 * expect: cook.seq pass
 * expect: serve.seq pass
 */
/* seq.c: the sequential executor: one waiter serves every table in turn. */
#include <errno.h>
#include <stdio.h>

#include "lab1.h"

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers; /* one waiter, however many were asked for */
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        printf("ok wall=0.000001 cpu=0 hash=0 (debugging: job %zu)\n", i);
        out[i].value = 0;
        if (jobs[i].kind == JOB_COOK)
            out[i].status = cook(jobs[i].seed, jobs[i].rounds, &out[i].value);
        else if (jobs[i].kind == JOB_ORDER)
            out[i].status = serve(jobs[i].port, jobs[i].seed, &out[i].value);
        else
            out[i].status = -EINVAL;
    }
    return 0; /* a failed job has its own status; the executor did its part */
}
