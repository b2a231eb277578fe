/* race_procs.c: proc_map() under AddressSanitizer: its tables, full, as children end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "done.h"
#include "lab3.h"
#include "race_jobs.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with AddressSanitizer, any
 * access outside the memory the code was given ends the run with its report (exit 66, which
 * the harness quotes); a wrong result exits 1. Env: SEED (the jobs).
 *
 * proc_map() keeps its children in a table sized min(workers, n) (and often a pollfd array
 * beside it), full as long as jobs are left. A child that ends frees a slot in any position:
 * the first, one in the middle, the last. Code that closes the gap moves entries about, and
 * one entry too many (a memmove of alive - i entries from i + 1, or a loop to <= alive)
 * reads or writes one past the table: without a sanitizer that is a few bytes of the heap
 * nobody looks at, and every result still comes out right.
 *
 * The jobs: in each group of `workers`, one short cook (its child ends first, in slot 0, 1,
 * 2, ... in turn), the others long; among them children that die at once (SIGABRT: under
 * AddressSanitizer a SIGSEGV would be caught and reported as the driver's own error) and
 * jobs that fail in their child (a kind ref_job_run() does not know: -EINVAL). Every call
 * is made with full tables: more jobs than workers, and workers = n.
 */
enum { N = 18 };

int main(void)
{
    uint64_t seed = check_env_seed();
    static const int workers[] = {2, 3, 4, 6, N};
    struct job jobs[N];
    struct result out[N];
    struct sigaction sa;

    check_seal(); /* before any student code: see done.h */
    if (sigaction(SIGABRT, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL ||
        sigaction(SIGCHLD, NULL, &sa) != 0 || sa.sa_handler == SIG_IGN)
        return check_harness_error("race_procs: SIGABRT not at its default, or SIGCHLD ignored");

    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        /* group g of `workers` jobs: its short cook in slot g % workers */
        for (int i = 0; i < N; i++) {
            int g = i / workers[w], slot = i % workers[w];
            uint64_t rounds = slot == g % workers[w] ? 1 + workload_rand(&seed) % 200
                                                     : 20000 + workload_rand(&seed) % 20000;

            jobs[i] = race_job(&seed, rounds);
        }
        if (race_map_checked(jobs, N, out, workers[w], ""))
            return 1;
    }
    printf("proc_map: %d jobs (cooks, crashes, failures) right with 2, 3, 4, 6 and %d workers, "
           "nothing seen by the sanitizer\n",
           N, N);
    check_finished("race driver");
    return 0;
}
