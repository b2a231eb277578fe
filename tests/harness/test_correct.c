/* test_correct.c: judging one Criterion test from its TAP report. */
#include <string.h>

#include <criterion/criterion.h>

#include "check_words.h"
#include "correct.h"

/* What Criterion 2.4.1 wrote for these cases (captured here, trimmed). */
static const char *tap =
    "TAP version 13\n1..8\n# Criterion v2.4.1\n#\n# Running 8 tests from cook\n"
    "ok - cook::ok  (0.00s)\n"
    "not ok - cook::loops timed out (1.01s)\n"
    "not ok - cook::fails  (0.00s)\n"
    "  ---\n  assertions: 1\n  failures:\n  - tests.c:5: |+\n"
    "      Assertion failed: cook(seed=0x1, rounds=3) = 0x5, expected 0x7\n"
    "      second line\n  ...\n"
    "not ok - cook::todo  (0.00s)\n"
    "  ---\n  assertions: 1\n  failures:\n  - tests.c:9: |+\n"
    "      Assertion failed: not implemented: cook() (see the TODO(student) in cook.c)\n"
    "  ...\n"
    "not ok - cook::exits  (0.00s)\n  ---\n  assertions: 0\n  failures:\n  ...\n"
    "not ok - cook::crash unexpected signal after tests.c:7\n"
    "ok - cook::other  # SKIP test was skipped\n"
    "ok - cook::busy  # SKIP the machine is too busy: 90 ms of 40\n"
    "ok - cook::ok_longer_name  (0.00s)\n";

static enum verdict judge(const char *name, struct item *it)
{
    struct spec_test t = {.points = 1};

    snprintf(t.name, sizeof(t.name), "%s", name);
    strcpy(t.fn, "cook()");
    memset(it, 0, sizeof(*it));
    return correct_judge_tap(tap, &t, it);
}

Test(correct, pass, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::ok", &it), V_PASS);
}

Test(correct, timeout_names_the_function, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::loops", &it), V_TIMEOUT);
    cr_assert(strstr(it.output, "cook() did not return"), "%s", it.output);
    free(it.output);
}

Test(correct, failure_keeps_place_and_message, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::fails", &it), V_FAIL);
    cr_assert(strstr(it.output, "at tests.c:5"), "%s", it.output);
    cr_assert(strstr(it.output, "expected 0x7"), "%s", it.output);
    cr_assert(strstr(it.output, "second line"), "%s", it.output);
    cr_assert_null(strstr(it.output, "cook::todo"), "stops at the block's end: %s", it.output);
    free(it.output);
}

Test(correct, not_implemented_is_not_wrong, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::todo", &it), V_NOT_IMPLEMENTED);
    cr_assert(strstr(it.output, "TODO(student) in cook.c"), "%s", it.output);
    free(it.output);
}

Test(correct, silent_failure_says_so, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::exits", &it), V_FAIL);
    cr_assert(strstr(it.output, "without a message"), "%s", it.output);
    free(it.output);
}

Test(correct, crash, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::crash", &it), V_CRASH);
    cr_assert(strstr(it.output, "tests.c:7"), "%s", it.output);
    free(it.output);
}

Test(correct, skipped_is_not_passed, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::other", &it), V_SKIPPED);
    cr_assert(strstr(it.output, "gave no reason"), "%s", it.output);
    free(it.output);
}

/* A skip's reason is the rest of its TAP line: the report shows it. */
Test(correct, skipped_says_why, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::busy", &it), V_SKIPPED);
    cr_assert(strstr(it.output, "skipped: the machine is too busy: 90 ms of 40\n"), "%s",
              it.output);
    free(it.output);
}

Test(correct, missing_or_prefix_names_do_not_match, .timeout = 5)
{
    struct item it;

    cr_assert_eq(judge("cook::nosuch", &it), V_FAIL);
    cr_assert(strstr(it.output, "reported nothing"), "%s", it.output);
    free(it.output);
    cr_assert_eq(judge("cook::ok_longer", &it), V_FAIL, "a prefix is not the test");
    free(it.output);
    cr_assert_eq(judge("cook::ok_longer_name", &it), V_PASS);
}

Test(correct, no_tap_at_all, .timeout = 5)
{
    struct spec_test t = {.name = "a::b"};
    struct item it = {0};

    cr_assert_eq(correct_judge_tap(NULL, &t, &it), V_FAIL);
    free(it.output);
}

/* ---- noise: a scripted test run on a machine a burner keeps busy ---- */

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct script {
    enum verdict says; /* what every run of the test says */
    bool busy;         /* a child spins on every core while it runs */
    double runq_s;     /* how long the run's tasks say they waited for a CPU */
    double cpu_s;      /* and the CPU they used */
    double tree_cpu_s; /* with their children nobody waited for (set, kept for one run_fed) */
    const char *said;  /* what its message says besides (set, kept for one run_fed) */
    int runs;
} script;

static enum verdict scripted(const struct correct_conf *c, const struct spec_test *t,
                             struct item *it, struct jail_result *r)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pid_t burners[64];
    int n = 0;

    (void)c;
    (void)t;
    script.runs++;
    for (long i = 0; script.busy && i < cores && n < 64; i++)
        if ((burners[n] = fork()) == 0)
            for (;;) /* others' CPU, as a busy neighbour's */
                ;
        else if (burners[n] > 0)
            n++;
    nanosleep(&(struct timespec){0, 300 * 1000000L}, NULL);
    for (int i = 0; i < n; i++) {
        kill(burners[i], SIGKILL);
        waitpid(burners[i], NULL, 0);
    }
    *r = (struct jail_result){.end = JAIL_EXITED,
                              .wall_s = 0.3,
                              .cpu_s = script.cpu_s,
                              .runq_s = script.runq_s,
                              .tree_cpu_s = script.tree_cpu_s};
    item_printf(it, "run %d said so%s\n", script.runs, script.said ? script.said : "");
    return script.says;
}

/* A test run that says `says` every time, on a machine kept busy or not; its tasks
 * starved (waited for a CPU half of the run, used little) unless `fed` says how. */
static enum verdict run_fed(enum verdict says, bool busy, int timing, double runq_s, double cpu_s,
                            struct item *out);

static enum verdict run_scripted(enum verdict says, bool busy, int timing, struct item *out)
{
    return run_fed(says, busy, timing, 0.15, 0.02, out);
}

static enum verdict run_fed(enum verdict says, bool busy, int timing, double runq_s, double cpu_s,
                            struct item *out)
{
    struct spec s = {.ntests = 1};
    struct build_out b = {.tests_ok = true};
    struct correct_conf c = {.run_test = scripted};
    struct report r;

    script = (struct script){.says = says,
                             .busy = busy,
                             .runq_s = runq_s,
                             .cpu_s = cpu_s,
                             .tree_cpu_s = script.tree_cpu_s,
                             .said = script.said};
    snprintf(s.tests[0].name, sizeof(s.tests[0].name), "gil::progress");
    s.tests[0].points = 3;
    s.tests[0].timing = timing;
    report_init(&r, "lab", "t");
    correct_run(&c, &s, &b, &r);
    cr_assert_eq(r.n, 1);
    *out = r.items[0];
    r.items[0].output = NULL; /* the caller's now */
    report_free(&r);
    return out->verdict;
}

Test(correct, timeout_on_a_busy_machine_is_run_again_then_inconclusive, .timeout = 30)
{
    struct item it;

    cr_assert_eq(run_scripted(V_TIMEOUT, true, 0, &it), V_INCONCLUSIVE, "%s", it.output);
    cr_assert_eq(script.runs, CORRECT_ATTEMPTS);
    cr_assert_eq(it.score, 0);
    cr_assert(!strncmp(it.output,
                       "INCONCLUSIVE: this test timed out 3 times while the machine "
                       "was busy (",
                       70),
              "%s", it.output);
    cr_assert(strstr(it.output, "It is not a fail.") && strstr(it.output, "run 3 said so"), "%s",
              it.output);
    free(it.output);
}

Test(correct, timing_sensitive_failure_on_a_busy_machine_is_inconclusive, .timeout = 30)
{
    struct item it;

    cr_assert_eq(run_scripted(V_FAIL, true, 1, &it), V_INCONCLUSIVE, "%s", it.output);
    cr_assert_eq(script.runs, CORRECT_ATTEMPTS);
    free(it.output);
}

/* A test that skipped itself (lab 6's hybrid::idle_crew_sleeps: "the idle span was not
 * watched before the replies came (a busy machine)") could not judge: it runs again, and
 * skipped every time beside a busy neighbour it reads inconclusive, not a skip worth 0; CI
 * failed the reference solution's check on it once. */
Test(correct, skipped_on_a_busy_machine_is_run_again_then_inconclusive, .timeout = 30)
{
    struct item it;

    cr_assert_eq(run_scripted(V_SKIPPED, true, 0, &it), V_INCONCLUSIVE, "%s", it.output);
    cr_assert_eq(script.runs, CORRECT_ATTEMPTS);
    cr_assert_eq(it.score, 0);
    cr_assert(strstr(it.output, "INCONCLUSIVE: this test was skipped 3 times while the machine "
                                "was busy (") &&
                  strstr(it.output, "run 3 said so"),
              "%s", it.output);
    free(it.output);
}

/* On a quiet machine it still looks again (a skip is no verdict), and a skip each time
 * stands, with the test's own reason. The machine is quiet only if nothing else runs (the
 * other tests of this file, make test's other checks): a run that read inconclusive saw
 * them, and the check tries again, 6 times, then skips with that reason. */
Test(correct, skipped_on_a_quiet_machine_is_run_again_and_stays_skipped, .timeout = 60)
{
    struct item it = {0};

    for (int tries = 0; tries < 6; tries++) {
        free(it.output);
        if (run_scripted(V_SKIPPED, false, 0, &it) == V_INCONCLUSIVE) {
            sleep(1); /* this file's busy neighbours burn the cores ~1 s each */
            continue;
        }
        cr_assert_eq(it.verdict, V_SKIPPED, "%s", it.output);
        cr_assert_eq(script.runs, CORRECT_ATTEMPTS);
        cr_assert(!strstr(it.output, "INCONCLUSIVE") && strstr(it.output, "run 3 said so"), "%s",
                  it.output);
        free(it.output);
        return;
    }
    cr_skip_test("the machine stayed busy: %.200s", it.output);
}

/* A timing-sensitive test whose message says no timing can cause it (a count: lab 4's
 * switch_number after gil_yield()s, lab 5's descriptors left open) fails at once, however
 * busy the machine: an examiner's gil_yield() that always switched read inconclusive 3
 * runs of 3 before. */
Test(correct, failure_that_says_not_timing_stands_on_a_busy_machine, .timeout = 30)
{
    struct item it;

    script.said = ": switch_number=1001, expected 1" CHECK_NOT_TIMING;
    cr_assert_eq(run_scripted(V_FAIL, true, 1, &it), V_FAIL, "%s", it.output);
    cr_assert_eq(script.runs, 1, "not run again: the machine cannot have caused it");
    cr_assert(strstr(it.output, "switch_number=1001"), "%s", it.output);
    free(it.output);
    script.said = NULL;
}

/* The same for a thread's own CPU found too high (lab 4's spinning waiter: 0.69 s of CPU in 1.2 s
 * of waiting read inconclusive 3 runs of 3 beside a busy neighbour): other processes only
 * take CPU from it. */
Test(correct, own_cpu_failure_stands_on_a_busy_machine, .timeout = 30)
{
    struct item it;

    script.said = ": a waiter used 0.69 s of CPU" CHECK_OWN_CPU;
    cr_assert_eq(run_scripted(V_FAIL, true, 1, &it), V_FAIL, "%s", it.output);
    cr_assert_eq(script.runs, 1, "not run again: the machine cannot have caused it");
    free(it.output);
    script.said = NULL;
}

/* A failure that timing cannot explain is the code's, however busy the machine: once. */
Test(correct, other_failures_stand_on_a_busy_machine, .timeout = 30)
{
    struct item it;

    cr_assert_eq(run_scripted(V_FAIL, true, 0, &it), V_FAIL, "%s", it.output);
    cr_assert_eq(script.runs, 1, "a plain test is not run again");
    free(it.output);
    cr_assert_eq(run_scripted(V_NOT_IMPLEMENTED, true, 1, &it), V_NOT_IMPLEMENTED);
    cr_assert_eq(script.runs, 1, "not implemented is never noise");
    free(it.output);
    cr_assert_eq(run_scripted(V_PASS, true, 1, &it), V_PASS);
    cr_assert_eq(script.runs, 1);
    cr_assert_eq(it.score, 3);
    free(it.output);
}

/* A timeout the machine cannot explain is the code's at once, however busy the machine:
 * a test that waited for no CPU hung (a deadlock, a lost wake-up, a runner that never
 * ends); one that had half a core or more all along computed without end. */
Test(correct, timeout_of_a_run_that_was_not_starved_stands, .timeout = 30)
{
    struct item it;

    cr_assert_eq(run_fed(V_TIMEOUT, true, 0, 0.0, 0.0, &it), V_TIMEOUT, "%s", it.output);
    cr_assert_eq(script.runs, 1, "a hang is not run again");
    free(it.output);
    cr_assert_eq(run_fed(V_TIMEOUT, true, 1, 0.01, 0.0, &it), V_TIMEOUT, "%s", it.output);
    cr_assert_eq(script.runs, 1, "waiting 3%% of the time is not starving");
    free(it.output);
    cr_assert_eq(run_fed(V_TIMEOUT, true, 0, 0.2, 0.3, &it), V_TIMEOUT, "%s", it.output);
    cr_assert_eq(script.runs, 1, "a core all along: the computation's own doing");
    free(it.output);
    script.tree_cpu_s = 0.3; /* a child nobody waited for spun all along */
    cr_assert_eq(run_fed(V_TIMEOUT, true, 0, 0.2, 0.0, &it), V_TIMEOUT, "%s", it.output);
    cr_assert_eq(script.runs, 1, "its own child's CPU counts as its own");
    free(it.output);
    cr_assert_eq(run_fed(V_TIMEOUT, true, 0, -1, 0.3, &it), V_INCONCLUSIVE, "%s", it.output);
    cr_assert_eq(script.runs, CORRECT_ATTEMPTS, "no run-queue delays here: any may be noise");
    free(it.output);
}

/* ---- the grader's canary (correct_canary): its failure is the grader's, never the
 * student's ------------------------------------------------------------------------------ */

static struct {
    enum verdict canary; /* what the canary's run says */
    int canary_runs, student_runs;
} fake;

/* A run of a test runner whose check_end refuses Criterion's own call (a Criterion built
 * otherwise): its tests' TAP lines say "ok" but no done line comes, which run_one reads as
 * below (correct.c), for the canary and every other test alike. guard.student says what the
 * student's tests read (V_FAIL: ended early like that; V_PASS: the guard works). */
static struct {
    enum verdict student;
} guard;

static enum verdict broken_guard(const struct correct_conf *c, const struct spec_test *t,
                                 struct item *it, struct jail_result *r)
{
    enum verdict v = strcmp(t->name, CORRECT_CANARY) != 0 ? guard.student : fake.canary;

    (void)c;
    *r = (struct jail_result){.end = JAIL_EXITED, .wall_s = 0.05};
    if (strcmp(t->name, CORRECT_CANARY) != 0)
        fake.student_runs++;
    else
        fake.canary_runs++;
    if (v == V_FAIL)
        item_printf(it, CORRECT_ENDED_EARLY ": did the code under test call exit(), _exit() or "
                                            "pthread_exit() in the caller's process, or return in "
                                            "a forked child? (a test passes only when it runs to "
                                            "its end)\n");
    else if (v == V_TIMEOUT)
        item_printf(it, "timed out\n");
    return v;
}

/* correct_run then correct_canary, as grading.c's run_items: the report and its result. */
static int grade_with(enum verdict student, enum verdict canary, struct report *r)
{
    struct spec s = {.ntests = 2};
    struct build_out b = {.tests_ok = true};
    struct correct_conf c = {.run_test = broken_guard};

    fake.canary = canary;
    guard.student = student;
    fake.canary_runs = fake.student_runs = 0;
    snprintf(s.tests[0].name, sizeof(s.tests[0].name), "cook::matches_reference");
    snprintf(s.tests[1].name, sizeof(s.tests[1].name), "seq_map::results_in_order");
    s.tests[0].points = 3;
    s.tests[1].points = 2;
    report_init(r, "lab", "t");
    correct_run(&c, &s, &b, r);
    return correct_canary(&c, &b, r);
}

Test(correct, canary_that_fails_is_a_harness_error_and_no_student_test_is_judged, .timeout = 10)
{
    struct report r;
    struct item *err;

    cr_assert_eq(grade_with(V_FAIL, V_FAIL, &r), -1, "a failed canary: the grader's error");
    cr_assert_eq(fake.canary_runs, 1, "a failure of a test of nothing is certain: once");
    cr_assert_eq(fake.student_runs, 2, "the student's tests ran first, and ended early");
    cr_assert_eq(r.n, 3, "one item per test and the canary's");
    err = &r.items[2];
    cr_assert_str_eq(err->name, "harness canary");
    cr_assert_eq(err->verdict, V_ERROR);
    cr_assert(strstr(err->output, "harness error, not your code") &&
                  strstr(err->output, CORRECT_CANARY) && strstr(err->output, "check_end") &&
                  strstr(err->output, "ended before the test did"),
              "%s", err->output);
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(r.items[i].verdict, V_ERROR, "%s: %s", r.items[i].name,
                     verdict_name(r.items[i].verdict));
        cr_assert_eq(r.items[i].score, 0);
        cr_assert(strstr(r.items[i].output, "not judged"), "%s", r.items[i].output);
    }
    cr_assert_eq(report_errors(&r), 3, "the grading's exit says: the grader's error (3)");
    report_free(&r);
}

Test(correct, canary_that_times_out_is_run_again_then_a_harness_error, .timeout = 10)
{
    struct report r;

    cr_assert_eq(grade_with(V_FAIL, V_TIMEOUT, &r), -1);
    cr_assert_eq(fake.canary_runs, CORRECT_ATTEMPTS, "only the machine makes nothing slow");
    cr_assert_eq(r.items[0].verdict, V_ERROR);
    cr_assert_eq(r.items[2].verdict, V_ERROR);
    report_free(&r);
}

Test(correct, canary_that_passes_leaves_the_verdicts, .timeout = 10)
{
    struct report r;

    cr_assert_eq(grade_with(V_FAIL, V_PASS, &r), 0);
    cr_assert_eq(fake.canary_runs, 1, "a test ended early: the canary runs");
    cr_assert_eq(fake.student_runs, 2, "the student's tests ran, judged as ever");
    cr_assert_eq(r.n, 2, "no item of the canary's when it passed");
    cr_assert_eq(r.items[0].verdict, V_FAIL, "the student's code ended it early: a fail");
    report_free(&r);
}

Test(correct, no_canary_when_no_test_ended_early, .timeout = 10)
{
    struct report r;

    cr_assert_eq(grade_with(V_PASS, V_FAIL, &r), 0,
                 "tests that passed with their done line prove the guard: nothing to check");
    cr_assert_eq(fake.canary_runs, 0, "the canary costs a grading nothing then");
    cr_assert_eq(r.n, 2);
    cr_assert_eq(r.items[0].verdict, V_PASS);
    report_free(&r);
}

Test(correct, canary_waits_for_a_runner_that_linked, .timeout = 10)
{
    struct build_out b = {.tests_ok = false};
    struct correct_conf c = {.run_test = broken_guard};
    struct report r;

    fake.canary_runs = 0;
    report_init(&r, "lab", "t");
    cr_assert_eq(correct_canary(&c, &b, &r), 0, "the build items say why nothing ran");
    cr_assert_eq(fake.canary_runs, 0);
    cr_assert_eq(r.n, 0);
    report_free(&r);
}
