/* correct.h: run a lab's Criterion tests one at a time, contained, and judge each. */
#ifndef CORRECT_H
#define CORRECT_H

#include <stdint.h>

#include "build.h"
#include "jail.h"
#include "report.h"
#include "spec.h"
#include "values.h"

struct correct_conf {
    const char *tests; /* the linked test runner */
    const char *box;   /* the build's box (build.h): bound read-only under namespaces */
    const char *run;   /* scratch folder, the jail user's: what it holds is untrusted */
    const char *logs;  /* where the runs' output goes: ours alone */
    uint64_t seed;
    uint16_t port;       /* the kitchen's */
    double timeout_s;    /* outer limit a test (Criterion's .timeout fires first) */
    const char *kitchen; /* the kitchen binary, for tests that start one of their own */
    /* One run of one test (NULL: the runner, jailed); tests script it. */
    enum verdict (*run_test)(const struct correct_conf *c, const struct spec_test *t,
                             struct item *it, struct jail_result *r);
    /* The values the tests observe and the reference's build (values.h; NULL: not judged):
     * each run's values land in values->last; a test marked values=reference that passed
     * is run again on the reference (once a seed) and the two compared. */
    struct values *values;
};

/* Add one item per spec test to r. A test whose student file did not compile is a
 * build error without running. A test that timed out, or a timing=sensitive one that
 * failed, while other processes took the cores it needed, is noise before it is the
 * code's: it runs again, up to CORRECT_ATTEMPTS times in all; still so on a disturbed
 * machine, it reads inconclusive with the reason (0 points this run, not a fail). On a
 * quiet machine its verdict stands. A test that skipped itself (it could not judge, and
 * says why: often a busy machine) runs again too, busy or not: skipped every time, it reads
 * inconclusive if the machine was disturbed, else skipped. A timeout is noise's only if the test
 * was starved: its tasks waited for a CPU at least CORRECT_STARVED of its time, and it had less
 * than CORRECT_FED of a core all along (a hang waits for nothing; an endless computation had more
 * CPU than any test needs: tests end in a fraction of their limit). The runner is killed
 * CORRECT_SLACK_S after the test's own limit (tests.c's `.timeout`, in spec_test.limit_s), at
 * timeout_s at most. Returns 0, or -errno when the harness failed. */
#define CORRECT_ATTEMPTS 3
#define CORRECT_STARVED  0.10
#define CORRECT_FED      0.50
#define CORRECT_SLACK_S  3.0
#define CORRECT_TASKS    64   /* tasks alive at once in a test's run, unless its spec says tasks= */
#define CORRECT_NOFILE   4096 /* a test run's open-file limit, unless its spec says nofile= */
int correct_run(const struct correct_conf *c, const struct spec *s, const struct build_out *b,
                struct report *r);

/* What a test reads when its process ended before its done line came: the student's code
 * ended it early (exit, pthread_exit), or check_end's guard refused Criterion's own call. */
#define CORRECT_ENDED_EARLY "the test's process ended before the test did"

/*
 * The grader's canary: harness::canary, a test of the harness's own in every test runner
 * (check.c; no student code in it). Called after the student's tests (correct_run, and
 * --repeat's runs): when one of them ended early (CORRECT_ENDED_EARLY), the canary runs
 * like any test. It passes whenever the runner works as the harness assumes, above all
 * check_end's guard (Criterion calls a test's .fini from libcriterion's code, at
 * check_begin's depth): a Criterion built otherwise reads every passing test as ended
 * early, and then the canary too. A timeout is run again (CORRECT_ATTEMPTS in all: only
 * the machine can make a test of nothing slow). Returns 0 when no test ended early, or
 * the canary passed (the student's code ended it: the verdicts stand), or the runner did
 * not link; otherwise turns every test item of r into a harness error "not judged", adds
 * the canary's item (ERR!, naming the grader) and returns -1: the caller runs no more.
 */
#define CORRECT_CANARY "harness::canary"
/* Measure now the cooking rate every test run is handed (CHECK_COOK_RATE, measured once a
 * process, ~25 ms): a batch, before it forks its graders, so that they share one. */
void correct_warm(void);

int correct_canary(const struct correct_conf *c, const struct build_out *b, struct report *r);

/* Judge one test from the TAP text of a run filtered to it (exposed for tests):
 * fills verdict and output. */
enum verdict correct_judge_tap(const char *tap, const struct spec_test *t, struct item *it);
/* A test that failed an assertion and then crashed (a smashed stack on the way out) shows
 * only the crash in its TAP line: the assertions its console (the file `console`) kept,
 * added to the item's output. */
void correct_earlier_failures(const char *console, struct item *it);
/* The most a test's TAP file or console is read (bytes). */
#define TAP_MAX (256 * 1024)

#endif
