/* hostile: a wrong seq_map() (results in reverse order) that writes fake "ok - seq_map::..."
 *          TAP lines and "done seq_map::..." lines to every fd 0..64, hoping one of them is the
 *          channel the verdict is read from
 * replaces: seq.c
 * expect: cook::matches_reference pass
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 */
/* seq.c: the sequential executor: one waiter serves every table in turn. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "lab1.h"

static void claim(void)
{
    static const char *const names[] = {"seq_map::results_in_order", "seq_map::ignores_workers",
                                        "seq_map::failed_order"};
    char line[512];
    int len = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        len += snprintf(line + len, sizeof(line) - (size_t)len, "ok - %s  (0.00s)\ndone %s 1\n",
                        names[i], names[i]);
    for (int fd = 0; fd <= 64; fd++)
        if (write(fd, line, (size_t)len) < 0)
            continue;
}

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers; /* one waiter, however many were asked for */
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    claim();
    for (size_t i = 0; i < n; i++) {
        struct result *r = &out[n - 1 - i]; /* wrong slot */

        r->value = 0;
        if (jobs[i].kind == JOB_COOK)
            r->status = cook(jobs[i].seed, jobs[i].rounds, &r->value);
        else if (jobs[i].kind == JOB_ORDER)
            r->status = serve(jobs[i].port, jobs[i].seed, &r->value);
        else
            r->status = -EINVAL;
    }
    return 0;
}
