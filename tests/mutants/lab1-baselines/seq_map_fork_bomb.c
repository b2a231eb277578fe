/* mutant: forks a helper per job and forgets that the child returns into the loop too
 * replaces: seq.c
 * expect: build seq.c build error
 * expect: seq_map::results_in_order build error
 * expect: cook::matches_reference pass
 * (lab 1 allows no fork(): the audit refuses it; lab 3's hostile corpus has a fork bomb
 * that runs, contained)
 */
/* seq.c: the sequential executor: one waiter serves every table in turn. */
#include <errno.h>
#include <unistd.h>

#include "lab1.h"

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers;
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        fork(); /* "a helper to clear the table": parent and child both go on looping */
        i = 0;  /* and both start over: a fork bomb */
        out[i].value = 0;
        if (jobs[i].kind == JOB_COOK)
            out[i].status = cook(jobs[i].seed, jobs[i].rounds, &out[i].value);
        else
            out[i].status = serve(jobs[i].port, jobs[i].seed, &out[i].value);
    }
    return 0;
}
