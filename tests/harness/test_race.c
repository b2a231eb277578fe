/* test_race.c: judging a ThreadSanitizer run: the report quoted, exits and hangs named. */
#include <string.h>

#include <criterion/criterion.h>

#include "done.h"
#include "race.h"

/* What TSan (gcc 12) printed here for two threads doing counter++ (trimmed). */
static const char *report =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=22148)\n"
    "  Read of size 8 at 0x55cb4acb9058 by thread T2:\n"
    "    #0 worker threads.c:41 (race-total+0x11bf)\n"
    "\n"
    "  Previous write of size 8 at 0x55cb4acb9058 by thread T1:\n"
    "    #0 worker threads.c:41 (race-total+0x11e9)\n"
    "\n"
    "  Location is global 'total' of size 8 at 0x55cb4acb9058 (race-total+0x4058)\n"
    "\n"
    "  Thread T2 (tid=22152, running) created by main thread at:\n"
    "    #0 pthread_create tsan_interceptors_posix.cpp:1001 (libtsan.so.2+0x5e686)\n"
    "    #1 thread_map threads.c:60 (race-total+0x1247)\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race threads.c:41 in worker\n"
    "==================\n";

Test(race, report_quotes_both_accesses, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_EXITED, .code = 66};
    struct item it = {0};

    cr_assert_eq(race_judge(report, &r, &it), V_FAIL);
    cr_assert(strstr(it.output, "WARNING: ThreadSanitizer: data race"), "%s", it.output);
    cr_assert(strstr(it.output, "Read of size 8 by thread T2, in worker at threads.c:41"), "%s",
              it.output);
    cr_assert(strstr(it.output, "Previous write of size 8 by thread T1, in worker at threads.c:41"),
              "%s", it.output);
    cr_assert(strstr(it.output, "global 'total'"), "%s", it.output);
    cr_assert_null(strstr(it.output, "pthread_create"), "only the accesses: %s", it.output);
    free(it.output);
}

/* What UBSan (gcc 12, -fno-sanitize-recover) printed for a signed overflow in crash_name(),
 * compiled in the box: the location is the box's path (the frames' debug information is
 * mapped by -ffile-prefix-map; ours has none). */
static const char *ub_report =
    "/tmp/restaurant-lab-cQcPFV/src/procs.c:194:9: runtime error: signed integer overflow: "
    "-1000 - 2147483646 cannot be represented in type 'int'\n"
    "    #0 0x55c684f3f18c in crash_name procs.c:194\n"
    "    #1 0x55c684f3f1c4 in main (race-ub_edges+0x21c4)\n"
    "    #2 0x7f13c2845249 in __libc_start_call_main ../sysdeps/nptl/libc_start_call_main.h:58\n";

Test(race, undefined_behaviour_quoted_where_the_student_sees_it, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_EXITED, .code = 66};
    struct item it = {0};
    char out[1024];

    /* the driver's own lines before it, and a ThreadSanitizer warning after: the first wins */
    snprintf(out, sizeof(out), "starting\n%sWARNING: ThreadSanitizer: data race\n", ub_report);
    cr_assert_eq(race_judge(out, &r, &it), V_FAIL);
    cr_assert(strstr(it.output, "UndefinedBehaviorSanitizer: procs.c:194:9: runtime error: signed "
                                "integer overflow: -1000 - 2147483646 cannot be represented"),
              "%s", it.output);
    cr_assert(strstr(it.output, "in crash_name at procs.c:194"), "%s", it.output);
    cr_assert_null(strstr(it.output, "restaurant-lab-"), "the box's path: %s", it.output);
    cr_assert_null(strstr(it.output, "ThreadSanitizer"), "the first report only: %s", it.output);
    free(it.output);
}

Test(race, clean_run_passes, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_EXITED, .code = 0};
    struct item it = {0};

    cr_assert_eq(race_judge("all 64 results right\n", &r, &it), V_PASS);
}

Test(race, wrong_results_fail_with_the_drivers_words, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_EXITED, .code = 1};
    struct item it = {0};

    cr_assert_eq(race_judge("total 1999, want 2000\n", &r, &it), V_FAIL);
    cr_assert(strstr(it.output, "total 1999, want 2000"), "%s", it.output);
    free(it.output);
}

Test(race, a_drivers_own_set_up_failing_is_the_harness_error_only_with_its_done_line, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_EXITED, .code = CHECK_HARNESS_EXIT};
    struct item it = {0};

    cr_assert_eq(race_verdict("race_orders: no kitchen (a harness error)\n", &r, true, &it),
                 V_ERROR);
    cr_assert(strstr(it.output, "harness error, not your code") && strstr(it.output, "no kitchen"),
              "%s", it.output);
    free(it.output);
    it.output = NULL;
    cr_assert_eq(race_verdict("a harness error, says the student\n", &r, false, &it), V_FAIL,
                 "exit 70 without the done line: code under test may exit so");
    free(it.output);
    it.output = NULL;
    r.code = 1;
    cr_assert_eq(race_verdict("total 1999, want 2000\n", &r, true, &it), V_FAIL,
                 "another exit is judged as ever");
    free(it.output);
}

Test(race, hang_is_a_timeout, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_TIMEOUT, .lim = {.wall_s = 60}};
    struct item it = {0};

    cr_assert_eq(race_judge("", &r, &it), V_TIMEOUT);
    cr_assert(strstr(it.output, "deadlock"), "%s", it.output);
    free(it.output);
}

Test(race, crash_is_a_crash, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_SIGNALED, .code = 11};
    struct item it = {0};

    cr_assert_eq(race_judge(NULL, &r, &it), V_CRASH);
    free(it.output);
}

Test(race, other_tsan_warnings_fail_too, .timeout = 5)
{
    struct jail_result r = {.end = JAIL_EXITED, .code = 66};
    struct item it = {0};

    cr_assert_eq(race_judge("WARNING: ThreadSanitizer: lock-order-inversion (potential "
                            "deadlock) (pid=1)\n  Mutex M1 acquired here while holding mutex "
                            "M2:\n",
                            &r, &it),
                 V_FAIL);
    cr_assert(strstr(it.output, "lock-order-inversion"), "%s", it.output);
    cr_assert(strstr(it.output, "Mutex M1"), "%s", it.output);
    free(it.output);
}
