/* mutant: serves the tables last to first and files each result in the order it was served
 * replaces: seq.c
 * expect: seq_map::results_in_order fail
 * expect: seq_map::ignores_workers fail
 * expect: seq_map::no_jobs pass
 * expect: seq_map::failed_order fail
 */
/* seq.c: the sequential executor: one waiter serves every table in turn. */
#include <errno.h>

#include "lab1.h"

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    size_t k = 0;

    (void)workers;
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    for (size_t i = n; i-- > 0; k++) { /* the nearest table first */
        out[k].value = 0;
        if (jobs[i].kind == JOB_COOK)
            out[k].status = cook(jobs[i].seed, jobs[i].rounds, &out[k].value);
        else
            out[k].status = serve(jobs[i].port, jobs[i].seed, &out[k].value);
    }
    return 0;
}
