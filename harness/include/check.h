/* check.h: helpers for the labs' Criterion tests (not for student code). */
#ifndef CHECK_H
#define CHECK_H

#include <errno.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include "done.h"

/*
 * Every test starts with check_begin (it notes the test's process) and ends with
 * check_end, which reports "done suite::name" through check_finished() only from that
 * process: a test whose process ended early (exit(0) mid-test), or a forked child that
 * ran on into the test, does not report it, and the grader fails the test.
 */
void check_begin(void);
void check_end(void);
#undef Test
#define Test(Suite, Name, ...)                                                                    \
    CR_TEST_BASE(Suite, Name, .init = check_begin, .fini = check_end, __VA_ARGS__)

/*
 * A stub returns -ENOSYS. The harness reads the words "not implemented" in a
 * failure as its own verdict, distinct from a wrong answer: keep them.
 */
#define CHECK_IMPL(rc, fn, file)                                                                   \
    do {                                                                                           \
        if ((rc) == -ENOSYS)                                                                       \
            cr_assert_fail("not implemented: %s (see the TODO(student) in %s)", fn, file);         \
    } while (0)

/* The run's seed (env SEED, printed by the harness; SEED=n replays a run). */
uint64_t check_seed(void);
/* The next number of the run's random stream (seeded from check_seed()), so a
 * hard-coded answer fails and SEED=n replays the same inputs. */
uint64_t check_rand(void);
/* CLOCK_MONOTONIC in seconds. */
double check_now(void);
/* A loopback port nobody listens on now (bound, then closed): connecting is refused. */
uint16_t check_free_port(void);
/* The kitchen's port (env KITCHEN_PORT, set by the harness), or fails the test. */
uint16_t check_kitchen_port(void);
/* Open file descriptors and threads of this process right now (from /proc). */
int check_open_fds(void);
int check_threads(void);
/* Count how often ref_job_run() runs each cook job whose seed is base + i (i < n), into
 * runs[i] (atomically, from any thread); runs = NULL stops counting. The seed, not the
 * job's address, says which job it is: code may run a copy of a job. */
void workload_count_runs(uint64_t base, size_t n, unsigned *runs);
/* Count how many ref_cook() calls run at once (from any thread of this process), from
 * workload_count_cooks(1) until workload_count_cooks(0); the most there ever were. */
void workload_count_cooks(int on);
int workload_cooks_at_once(void);

#endif
