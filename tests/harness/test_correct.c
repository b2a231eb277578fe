/* test_correct.c: judging one Criterion test from its TAP report. */
#include <string.h>

#include <criterion/criterion.h>

#include "correct.h"

/* What Criterion 2.4.1 wrote for these cases (captured here, trimmed). */
static const char *tap =
    "TAP version 13\n1..7\n# Criterion v2.4.1\n#\n# Running 7 tests from cook\n"
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
