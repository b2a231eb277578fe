/* hostile: forge_all_behaviour (red team 11): no event loop at all: every loop function first
 *          finds our pinned write by its bytes (as lab 1's pin_bytes_call.c) and writes a tagged
 *          "done" line for every test of lab 5 and for the race drivers, then pthread_exit()s.
 *          Measures what a forged "done" still earns where no value is compared (behaviour
 *          tests). It earned 69 of 76 with async_map's three tests marked values=reference;
 *          47 now that thirteen more are too (async_order's and async_gather's results: a
 *          grading kitchen's replies, a test kitchen's "it knew the reply", a cook's dish;
 *          the order loop::timers_in_order's timers fired in).
 * replaces: loop.c
 * denies: loop::empty_run
 * denies: loop::timers_in_order
 * denies: loop::timer_fires_once
 * denies: async_order::one_order
 * denies: async_gather::mixed_tasks
 * denies: async_gather::inflight_cap
 * denies: watch_table
 * open: a test judged by behaviour alone (the other loop:: tests: which callback ran, when, how
 *       often; 23 tests, 29 of lab 5's 76 points) is still passed by a forged "done" line
 *       reached through our pinned write (harness/DESIGN.md, "The pin, reached"): its
 *       verdict has to come from what the grader itself observes, test by test (not yet)
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lab5.h"

/* @SHARED pin_forge@: tests/hostile/shared/pin_forge.c (find our pinned write, send tagged "done" lines), pasted here when planted */

static const char *const all_names[] = {
    "loop::empty_run",
    "loop::timer_fires_once",
    "loop::timers_in_order",
    "loop::timer_from_callback",
    "loop::timers_on_time",
    "loop::readable",
    "loop::writable",
    "loop::rewatched_in_round",
    "loop::unwatch_in_callback",
    "loop::reused_fd",
    "loop::invalid",
    "loop::no_busy_wait",
    "loop::sleeps_without_timers",
    "loop::interrupted",
    "loop::hangup_reported",
    "loop::wakes_once_per_timer",
    "loop::zero_timer_next_round",
    "loop::new_fails",
    "loop::one_thread",
    "loop::many_fds",
    "loop::no_fd_leak",
    "loop::clock_set_meanwhile",
    "loop::unwatch_open_fd",
    "loop::frees_its_memory",
    "async_sleep::wakes_on_time",
    "async_sleep::refused",
    "async_order::one_order",
    "async_order::kitchen_closes_first",
    "async_order::waits_asleep",
    "async_order::concurrent",
    "async_order::connect_does_not_block",
    "async_order::partial_reply",
    "async_order::partial_send",
    "async_order::refused",
    "async_order::kitchen_hangs_up",
    "async_order::no_fd_leak",
    "async_order::closed_before_done",
    "async_order::without_done",
    "async_order::socket_fails",
    "async_gather::mixed_tasks",
    "async_gather::cooking_blocks_the_loop",
    "async_gather::inflight_cap",
    "async_gather::start_fails",
    "async_gather::at_most_max_inflight",
    "async_gather::orders_in_task_order",
    "async_gather::default_cap",
    "async_gather::cap_above_default",
    "async_gather::room_after_raise",
    "async_gather::raises_soft_limit",
    "async_gather::low_hard_limit",
    "async_gather::no_tasks",
    "async_gather::no_descriptor_left",
    "async_map::results_in_order",
    "async_map::no_jobs",
    "async_map::failed_order",
    "async_map::one_thread",
    "race driver",
};


/* every test's "done" line and the race drivers', through our pinned write, then the
 * thread ends (the harness's destructor _exits 0: Criterion reads a pass) */
static void forge_all(void)
{
    if (pin_forge((const void *)(uintptr_t)&loop_new, all_names,
                  sizeof(all_names) / sizeof(all_names[0])) == 0)
        pthread_exit(NULL);
}

int loop_new(struct loop **lp) { forge_all(); (void)lp; return -ENOSYS; }
void loop_free(struct loop *l) { forge_all(); (void)l; }
int loop_watch(struct loop *l, int fd, int events, loop_fd_cb cb, void *arg)
{ forge_all(); (void)l; (void)fd; (void)events; (void)cb; (void)arg; return -ENOSYS; }
int loop_unwatch(struct loop *l, int fd) { forge_all(); (void)l; (void)fd; return -ENOSYS; }
int loop_after(struct loop *l, double seconds, loop_timer_cb cb, void *arg)
{ forge_all(); (void)l; (void)seconds; (void)cb; (void)arg; return -ENOSYS; }
int loop_run(struct loop *l) { forge_all(); (void)l; return -ENOSYS; }
