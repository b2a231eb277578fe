/* batch_parallel.c: a batch's gradings in parallel: a grader process per submission, the
 * tests of several at once; what must run alone (the speed cells, a test that read
 * inconclusive beside the others) one grading at a time when none tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "batch_int.h"
#include "grading.h"

static struct job *volatile live_jobs; /* for the signal handler: whose graders to stop */
static volatile int live_n;

/* Interrupted: each grader removes its own box (its own handler); then we die of it. */
static void forward(int sig)
{
    for (int i = 0; i < live_n; i++)
        if (live_jobs[i].pid > 0 && live_jobs[i].st != J_DONE)
            kill(live_jobs[i].pid, sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_forward(void)
{
    struct sigaction sa = {.sa_handler = forward};

    sigemptyset(&sa.sa_mask);
    for (int s = 0; s < 3; s++)
        sigaction((int[]){SIGINT, SIGTERM, SIGHUP}[s], &sa, NULL);
}

/* The grader of job `me`: the tests and races; "R" to the parent, then wait for "G" to
 * run alone what must (grading_alone: its cells, its tests that read inconclusive); the
 * report. Its output goes to its log, shown in order later. */
static _Noreturn void child(struct job *jobs, int n, int me, const int status[2], const int go[2])
{
    struct job *j = &jobs[me];
    struct grading *g;
    int out = open(j->log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0640);
    int err = open(j->err, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0640);
    int rc;
    char c = 'R';

    close(status[0]), close(go[1]); /* the parent's ends: a read of "G" must see it go */
    for (int i = 0; i < n; i++)
        if (i != me && jobs[i].st != J_DONE && jobs[i].pid > 0)
            close(jobs[i].status_fd), close(jobs[i].go_fd);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(2);
    close(out), close(err);
    grading_catch_interrupts();
    batch_own_network();
    if (!(g = batch_grader.begin(&j->o, &rc))) {
        fflush(NULL);
        _exit(rc);
    }
    if (batch_grader.wants_alone(g)) {
        fflush(NULL);
        /* no "G" (the batch has gone): nothing alone, so no timing */
        if (write(status[1], &c, 1) == 1 && read(go[0], &c, 1) == 1)
            batch_grader.alone(g);
    }
    rc = batch_grader.end(g);
    fflush(NULL);
    _exit(rc);
}

static void start(struct job *jobs, int n, int i)
{
    int status[2], go[2];
    struct job *j = &jobs[i];

    j->st = J_DONE;
    j->rc = 2;
    if (pipe2(status, O_CLOEXEC) < 0)
        return;
    if (pipe2(go, O_CLOEXEC) < 0) {
        close(status[0]), close(status[1]);
        return;
    }
    fflush(NULL);
    j->pid = fork();
    if (j->pid == 0)
        child(jobs, n, i, status, go);
    close(status[1]), close(go[0]);
    if (j->pid < 0) {
        fprintf(stderr, "grade: %s: could not start its grader: %s\n", JOB_SHOWN(j),
                strerror(errno));
        close(status[0]), close(go[1]);
        return;
    }
    j->status_fd = status[0], j->go_fd = go[1];
    j->st = J_TESTING;
}

/* The grader of j has ended (or is about to): reap it, keep its exit code. */
static void reap(struct job *j)
{
    int ws;

    while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    j->rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : 2;
    if (!WIFEXITED(ws))
        fprintf(stderr, "grade: %s: its grader died (%s)\n", JOB_SHOWN(j),
                WIFSIGNALED(ws) ? strsignal(WTERMSIG(ws)) : "?");
    close(j->status_fd), close(j->go_fd);
    j->status_fd = j->go_fd = -1;
    j->st = J_DONE;
}

/* Wait until a testing grader parks ("R") or ends. */
static void wait_event(struct job *jobs, int n)
{
    struct pollfd p[n];
    int k = 0;

    for (int i = 0; i < n; i++)
        if (jobs[i].st == J_TESTING)
            p[k++] = (struct pollfd){.fd = jobs[i].status_fd, .events = POLLIN};
    if (poll(p, k, -1) < 0)
        return; /* EINTR: look again */
    for (int i = 0, m = 0; i < n && m < k; i++) {
        char c;
        if (jobs[i].st != J_TESTING || p[m++].revents == 0)
            continue;
        if (read(jobs[i].status_fd, &c, 1) == 1)
            jobs[i].st = J_PARKED;
        else
            reap(&jobs[i]);
    }
}

/* Nothing is testing: time the parked ones, in order, one at a time. */
static void time_parked(struct job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        if (jobs[i].st != J_PARKED)
            continue;
        if (write(jobs[i].go_fd, "G", 1) != 1)
            kill(jobs[i].pid, SIGTERM);
        reap(&jobs[i]);
    }
}

static int count(const struct job *jobs, int n, enum job_state st)
{
    int k = 0;

    for (int i = 0; i < n; i++)
        k += jobs[i].st == st;
    return k;
}

/*
 * Up to `par` graders test at once; a grader with cells to time (or tests to run again
 * alone: grading_alone) parks until no grader tests (all are tested, or BATCH_PARKED_MAX
 * wait), then the parked ones run alone, one after another, in order. Each grading's
 * output is shown in order as the ones before it are done: the same text, rows and
 * scores as one after another.
 */
void batch_run_parallel(const struct opts *o, struct gradebook *book, struct job *jobs, int n,
                        int par, char *again, size_t size)
{
    int next = 0, shown = 0;

    live_jobs = jobs, live_n = n;
    catch_forward();
    while (shown < n) {
        int testing = count(jobs, n, J_TESTING), parked = count(jobs, n, J_PARKED);

        while (next < n && testing < par && testing + parked < BATCH_PARKED_MAX) {
            if (!jobs[next].skip)
                start(jobs, n, next), testing += jobs[next].st == J_TESTING;
            else
                jobs[next].st = J_DONE;
            next++;
        }
        if (testing == 0 && parked)
            time_parked(jobs, n);
        else if (testing)
            wait_event(jobs, n);
        for (; shown < n && jobs[shown].st == J_DONE; shown++) {
            batch_header(&jobs[shown], shown, n);
            batch_show(o, book, &jobs[shown], !jobs[shown].skip, again, size);
        }
    }
    grading_catch_interrupts();
    live_n = 0;
}
