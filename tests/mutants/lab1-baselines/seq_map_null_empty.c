/* mutant: seq_map() refuses NULL arrays even when n = 0
 * replaces: seq.c
 * expect: seq_map::no_jobs fail
 * expect: seq_map::results_in_order pass
 */
/* seq.c: the sequential executor: one waiter serves every table in turn. */
#include <errno.h>

#include "lab1.h"

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers;
    if (!jobs || !out)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        int rc;
        switch (jobs[i].kind) {
        case JOB_COOK:
            rc = cook(jobs[i].seed, jobs[i].rounds, &v);
            break;
        case JOB_ORDER:
            rc = serve(jobs[i].port, jobs[i].seed, &v);
            break;
        default:
            rc = -EINVAL;
            break;
        }
        out[i].value = rc == 0 ? v : 0;
        out[i].status = rc;
    }
    return 0;
}
