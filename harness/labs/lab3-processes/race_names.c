/* race_names.c: crash_name() under ThreadSanitizer: first calls from several threads at once. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "done.h"
#include "lab3.h"

/*
 * A plain main(): Criterion cannot run under TSan. Any data race ends the run with TSan's
 * report (exit 66, which the harness quotes); a wrong name exits 1. Env: SEED (where each
 * thread starts).
 *
 * crash_name() returns string constants (lab3.h): nothing is written, so any number of threads
 * may ask at once, their first calls too. A name built at run time in memory every call
 * shares (a table of "SIG<n>" filled at the first call, a flag that says it is filled) is
 * written by one thread while another reads it: a data race, and a thread that finds the
 * flag set before the table is filled gets an empty name back. ThreadSanitizer sees the
 * race whatever order the threads happen to run in (no lock orders the accesses), so the
 * run fails every time, not only when the threads meet.
 */
enum { T = 8 };

struct thr {
    int first;             /* the signal this thread asks about first */
    const char *names[65]; /* names[sig], as the call gave it */
    int rc[65];            /* the call's return value */
};

static pthread_barrier_t start;

static void *run(void *arg)
{
    struct thr *t = arg;

    pthread_barrier_wait(&start); /* every thread's first call at once */
    for (int k = 0; k < 64; k++) {
        int sig = 1 + (t->first - 1 + k) % 64;

        t->rc[sig] = crash_name(JOB_CRASHED(sig), &t->names[sig]);
    }
    return NULL;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    static const struct {
        int sig;
        const char *name;
    } eight[] = {{SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},
                 {SIGFPE, "SIGFPE"},   {SIGILL, "SIGILL"},   {SIGKILL, "SIGKILL"},
                 {SIGTERM, "SIGTERM"}, {SIGPIPE, "SIGPIPE"}};
    static struct thr thr[T];
    pthread_t tid[T];
    int first = 32 + (int)(workload_rand(&seed) % 24); /* a real-time signal: in no table of 8 */

    check_seal(); /* before any student code: see done.h */
    if (pthread_barrier_init(&start, NULL, T) != 0)
        return check_harness_error("race_names: pthread_barrier_init() failed");
    for (int i = 0; i < T; i++) {
        thr[i].first = first + i; /* 32 + 23 + 7 = 62 at most */
        if (pthread_create(&tid[i], NULL, run, &thr[i]) != 0)
            return check_harness_error("race_names: pthread_create() failed");
    }
    for (int i = 0; i < T; i++)
        pthread_join(tid[i], NULL);

    for (int i = 0; i < T; i++) {
        for (int sig = 1; sig <= 64; sig++) {
            const char *name = thr[i].names[sig], *want = NULL;

            for (size_t e = 0; e < sizeof(eight) / sizeof(eight[0]); e++)
                if (eight[e].sig == sig)
                    want = eight[e].name;
            if (thr[i].rc[sig] != 0 || !name || strncmp(name, "SIG", 3) != 0 ||
                (want && strcmp(name, want) != 0)) {
                printf("crash_name(JOB_CRASHED(%d)), called by %d threads at once (their first "
                       "calls: signals %d to %d), returned %d and the name \"%s\", expected 0 "
                       "and %s%s\n",
                       sig, T, first, first + T - 1, thr[i].rc[sig], name ? name : "(NULL)",
                       want ? want : "a name that starts with SIG",
                       want ? ""
                            : ": a name a thread builds while another reads it can be "
                              "empty: return string constants");
                return 1;
            }
        }
    }
    printf("crash_name(): %d threads at once, every signal 1 to 64 named, nothing seen by the "
           "sanitizer\n",
           T);
    check_finished("race driver");
    return 0;
}
