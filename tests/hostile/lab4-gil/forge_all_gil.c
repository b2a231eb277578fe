/* hostile: forge_all_gil (red team 11): no GIL at all: every GIL function first finds our
 *          pinned write by its bytes (as lab 1's pin_bytes_call.c) and writes a tagged "done"
 *          line for every test of lab 4 and the race driver, then pthread_exit()s. It earned
 *          34 of 34. Now 16: the seven tests marked values=reference (gil::init, take_drop,
 *          blocking_result, mutual_exclusion and interp's three, whose cooking is sized by the
 *          rate the grader hands both runs) fail it: "the test reported none of the N values
 *          it observes"; the race (requires gil::take_drop) is skipped.
 * replaces: gil.c
 * denies: gil::take_drop
 * denies: gil::mutual_exclusion
 * denies: interp::one_thread_in_bytecode
 * denies: gil_race
 * denies: gil::forced_switch
 * open: a test judged by behaviour alone (timing: gil::forced_switch, drop_request, interval
 *       and seven more, 16 of lab 4's 34 points) is still passed by a forged "done" line
 *       reached through our pinned write (harness/DESIGN.md, "The pin, reached"): its
 *       verdict has to come from what the grader itself observes, test by test (not yet)
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab4.h"

/* @SHARED pin_forge@: tests/hostile/shared/pin_forge.c (find our pinned write, send tagged "done" lines), pasted here when planted */

static const char *const all_names[] = {
    "gil::init",
    "gil::take_drop",
    "gil::yield_without_request",
    "gil::blocking_result",
    "gil::mutual_exclusion",
    "gil::blocking_releases",
    "gil::drop_request",
    "gil::interval",
    "gil::request_needs_no_switch",
    "gil::asks_again_after_switch",
    "gil::waits_asleep",
    "gil::clock_set_meanwhile",
    "gil::drop_wakes_waiter",
    "gil::forced_switch",
    "interp::one_thread_in_bytecode",
    "interp::refcounts_intact",
    "interp::every_thread_progresses",
    "race driver",
};


/* every test's "done" line and the race drivers', through our pinned write, then the
 * thread ends (the harness's destructor _exits 0: Criterion reads a pass) */
static void forge_all(void)
{
    if (pin_forge((const void *)(uintptr_t)&gil_init, all_names,
                  sizeof(all_names) / sizeof(all_names[0])) == 0)
        pthread_exit(NULL);
}


int gil_init(struct gil *g, long interval_us) { forge_all(); (void)g; (void)interval_us; return -ENOSYS; }
int gil_destroy(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_take(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_drop(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_yield(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_blocking(struct gil *g, int (*call)(void *arg), void *arg) { forge_all(); (void)g; (void)call; (void)arg; return -ENOSYS; }
