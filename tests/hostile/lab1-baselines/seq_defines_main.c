/* hostile: seq.c defines main(): in the test runner it would take the place of Criterion's
 *          main (a shared library's), run no test and write "ok - <the filtered test>" into
 *          the --tap= file. Refused: it calls fopen(); and were it not, the grader keeps
 *          only lab1.h's names global in a student object, so this main() would never run
 * replaces: seq.c
 * expect: build seq.c build error
 * expect: seq_map::results_in_order build error
 * expect: cook::matches_reference pass
 * expect: serve::one_order pass
 */
/* seq.c: the sequential executor: one waiter serves every table in turn. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab1.h"

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)workers; /* one waiter, however many were asked for */
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
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

/* tests --jobs 1 --filter=suite/name --tap=FILE: say it passed, run nothing. */
int main(int argc, char **argv)
{
    char name[256] = "";
    FILE *tap = NULL;

    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--filter=", 9)) {
            char *slash;
            snprintf(name, sizeof(name), "%s", argv[i] + 9);
            if ((slash = strchr(name, '/'))) {
                memmove(slash + 2, slash + 1, strlen(slash + 1) + 1);
                slash[0] = slash[1] = ':';
            }
        } else if (!strncmp(argv[i], "--tap=", 6)) {
            tap = fopen(argv[i] + 6, "w");
        }
    }
    if (tap) {
        fprintf(tap, "TAP version 13\n1..1\nok - %s  (0.00s)\n", name);
        fclose(tap);
    }
    return 0;
}
