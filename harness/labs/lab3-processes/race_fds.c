/* race_fds.c: proc_map() under AddressSanitizer, in a caller that holds many descriptors. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "done.h"
#include "lab3.h"
#include "race_jobs.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with AddressSanitizer, any
 * access outside the memory the code was given ends the run with its report (exit 66, which
 * the harness quotes); a wrong result exits 1. Env: SEED (the jobs).
 *
 * Descriptor numbers are not small. A caller that has raised its RLIMIT_NOFILE (a server
 * with thousands of connections) and holds every number below 1024 gets pipes numbered 1024
 * and up, past FD_SETSIZE; likewise past 4096 and 16384. A table indexed by descriptor number
 * ("which job reads on fd", one entry per possible fd, sized FD_SETSIZE or some other fixed
 * guess) is then read and written past its end: without a sanitizer that is memory nobody
 * looks at, and every result still comes out right; with one, the first pipe (numbered
 * exactly the table's size) is one entry past it, every time. A size the hard limit does not
 * allow here is skipped (said on the output).
 */
enum { N = 12, SLACK = 64 };

/* Holds every free descriptor number below top (copies of fd), their numbers in held[]; how
 * many, or -1 (the harness's problem: said). */
static int hold_below(int fd, int top, int *held)
{
    int n = 0;

    for (;;) {
        int d = dup(fd);

        if (d < 0) {
            printf("race_fds: dup() failed with %d descriptors held: %s\n", n, strerror(errno));
            return -1;
        }
        if (d >= top) {
            close(d);
            return n;
        }
        held[n++] = d;
    }
}

int main(void)
{
    uint64_t seed = check_env_seed();
    static const int tops[] = {1024, 4096, 16384};
    static const int workers[] = {3, N};
    struct job jobs[N];
    struct result out[N];
    struct rlimit rl;
    struct sigaction sa;
    int p[2], done = 0;
    char how[80];

    check_seal(); /* before any student code: see done.h */
    if (sigaction(SIGABRT, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL ||
        sigaction(SIGCHLD, NULL, &sa) != 0 || sa.sa_handler == SIG_IGN)
        return check_harness_error("race_fds: SIGABRT not at its default, or SIGCHLD ignored");
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || pipe(p) != 0)
        return check_harness_error("race_fds: getrlimit() or pipe() failed");

    for (size_t t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
        int top = tops[t], *held, nheld;

        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)(top + SLACK)) {
            printf("race_fds: the open-file limit here (%llu) does not reach %d: not tried past "
                   "%d\n",
                   (unsigned long long)rl.rlim_max, top + SLACK, top);
            continue;
        }
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)(top + SLACK)) {
            rl.rlim_cur = (rlim_t)(top + SLACK);
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
                return check_harness_error("race_fds: setrlimit(RLIMIT_NOFILE) failed");
        }
        held = malloc((size_t)top * sizeof(*held));
        if (!held || (nheld = hold_below(p[0], top, held)) < 0)
            return check_harness_error("race_fds: could not hold the descriptors below the top");
        for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
            for (int i = 0; i < N; i++)
                jobs[i] = race_job(&seed, 1 + workload_rand(&seed) % 20000);
            snprintf(how, sizeof(how), ", every descriptor below %d held by the caller", top);
            if (race_map_checked(jobs, N, out, workers[w], how))
                return 1;
        }
        for (int i = 0; i < nheld; i++)
            close(held[i]);
        free(held);
        done++;
    }
    printf("proc_map(): %d jobs (cooks, crashes, failures) right with 3 and %d workers, its "
           "pipes numbered from 1024, 4096 and 16384 up (%d of those 3: the others past the "
           "open-file limit here), nothing seen by the sanitizer\n",
           N, N, done);
    check_finished("race driver");
    return 0;
}
