/* race_threads.c: proc_map() under ThreadSanitizer: two calls at once, from two threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "done.h"
#include "lab3.h"
#include "race_jobs.h"

/*
 * A plain main(): Criterion cannot run under TSan. Any data race ends the run with TSan's
 * report (exit 66, which the harness quotes); a wrong result exits 1. Env: SEED (the jobs).
 *
 * lab3.h: a call keeps nothing in a file-static (its children's table, pipes, poll array,
 * next job, where its last scan stopped): two calls at once, from two threads, each run their
 * own children. Memory both calls write with nothing ordering them is a data race, which
 * ThreadSanitizer reports whatever order the threads happen to run in, even when each call's
 * results come out right (an index kept modulo the call's own count). Then calls of one
 * child at a time, one worker or one job, at once too.
 */
enum { T = 2, N = 8, W = 3, CALLS = 2 };

struct thr {
    struct job jobs[N];
    struct result out[N];
    int bad;
};

static pthread_barrier_t start;

static void *run(void *arg)
{
    struct thr *t = arg;

    pthread_barrier_wait(&start); /* both calls at once */
    for (int c = 0; c < CALLS && !t->bad; c++)
        t->bad = race_map_checked(t->jobs, N, t->out, W, ", two threads calling at once");
    /* and one child at a time (workers = 1, then a single job): no table needed, and none
     * kept in a file-static for it either (an examiner's, round 72: a one-entry table in a
     * file-static for calls of one worker, which two such calls at once share) */
    pthread_barrier_wait(&start);
    if (!t->bad)
        t->bad = race_map_checked(t->jobs, 4, t->out, 1, ", workers=1, two threads at once");
    pthread_barrier_wait(&start);
    if (!t->bad)
        t->bad = race_map_checked(t->jobs, 1, t->out, 2, ", one job, two threads at once");
    return NULL;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    static struct thr thr[T];
    pthread_t tid[T];

    check_seal(); /* before any student code: see done.h */
    for (int i = 0; i < T; i++)
        for (int k = 0; k < N; k++)
            thr[i].jobs[k] = race_job(&seed, 20000);
    if (pthread_barrier_init(&start, NULL, T) != 0)
        return check_harness_error("race_threads: pthread_barrier_init() failed");
    for (int i = 0; i < T; i++)
        if (pthread_create(&tid[i], NULL, run, &thr[i]) != 0)
            return check_harness_error("race_threads: pthread_create() failed");
    for (int i = 0; i < T; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < T; i++)
        if (thr[i].bad)
            return 1;
    printf("proc_map(): %d threads, %d calls each of %d jobs on %d workers, then 4 jobs on 1 "
           "worker and 1 job on 2, at once: every result right, nothing seen by the "
           "sanitizer\n",
           T, CALLS, N, W);
    check_finished("race driver");
    return 0;
}
