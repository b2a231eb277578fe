/* done.h: a test or driver says it reached its end (not for student code). */
#ifndef DONE_H
#define DONE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A run that ends early (exit(0) in the middle of a test, a parent that _exits, the main
 * thread's pthread_exit) must not read as a pass. So the harness's own code, and only
 * it, writes "done <what> <pid> <tag>" into the file named by env CHECK_DONE when a test
 * or driver reaches its end, and the grader passes nothing that lacks that line. The tag
 * is check_tag() of the rest of the line: SipHash-2-4 under the key the grader drew for
 * this run alone (env CHECK_DONE_KEY, 32 hex digits), so the grader knows each line of
 * ours, and any other line in the file (a guess at the key, a forged line, garbage)
 * fails the run as a forgery: a wrong guess is never tried for free, in this process or a
 * forked child, since nothing in the run learns whether it was right (red team,
 * seal_fork_oracle). Student code may not call it (the audit's allowlist), nor open the
 * file. What is left: DESIGN.md, "The seal".
 */
void check_finished(const char *what);

/* A value a test observed (check_observe, check.h): "obs <label> <16 hex digits> <pid> <tag>",
 * the label's blanks and unprintable bytes as '_', cut at CHECK_LABEL_MAX bytes. */
#define CHECK_LABEL_MAX 120
void check_value_line(const char *label, uint64_t value);

/* SipHash-2-4 of len bytes of text under the run's key (env CHECK_DONE_KEY; the zero key
 * when there is none, as by hand): the tag of a line the grader is to believe. */
uint64_t check_tag(const char *text, size_t len);
/* 32 hex digits (lowercase) into key[0], key[1]: 0, or -EINVAL and a zero key. */
int check_key_parse(const char *hex, uint64_t key[2]);

/*
 * A driver whose own set-up failed (no kitchen, no socket: before or beside any code under
 * test, never because of it) says so: prints why, writes the done line "harness error"
 * (check_finished: code under test cannot forge it) and returns CHECK_HARNESS_EXIT, for the
 * driver's main to return. The grader reads that exit with that line as its own error
 * (ERR!, "harness error, not your code"), never as the student's failure.
 */
#define CHECK_HARNESS_EXIT 70
int check_harness_error(const char *why);

/*
 * The harness's environment: SEED, CHECK_DONE, CHECK_DONE_KEY, KITCHEN_PORT, KITCHEN_BIN and
 * CHECK_VALUES (set for a test whose values the grader compares: check_observe, check.h),
 * as the grader
 * handed them to this process. A constructor of done.c reads them before any code under
 * test runs (the audit refuses the student's constructors), keeps copies here, zeroes
 * their "NAME=value" strings in place (the environment block at the top of the main
 * stack, which /proc/PID/environ shows) and takes them out of environ: code under test
 * finds them neither with getenv nor by scanning the stack, environ or /proc. A Criterion
 * runner, whose workers are its children started with its environ, puts copies back
 * into environ (heap, not the stack block) and makes itself non-dumpable, so its workers
 * cannot read its memory or /proc/PID/environ. Returns our copy, or getenv(name) for a
 * name the constructor did not find (a unit test sets one later); CHECK_DONE's copy is
 * wiped once the process is sealed (the done fd is all it needs then).
 */
const char *check_env(const char *name);
/* The run's SEED as a number (1 when unset), and the grading kitchen's KITCHEN_PORT (0
 * when unset): check_env's copies, for the drivers' inputs. */
uint64_t check_env_seed(void);
uint16_t check_env_port(void);

/*
 * Called before any code under test runs (check_begin does): opens the CHECK_DONE file
 * as a high fd and installs a seccomp filter on the process, inherited by its threads
 * and children: no file may be opened for writing or changed by name, and the done file
 * is written only by write() (what it holds is judged by its tags, above), and on x86-64
 * only by our own write (check_write_pinned: the filter checks the caller's address and
 * buffer; a write() from anywhere else ends the process). No route copies the done fd to
 * another number (pidfd_getfd, SCM_RIGHTS but on the Unix sockets open at the seal, a
 * seccomp listener) or writes it unseen (AIO, io_uring). So code that found write() or
 * the key in memory still cannot forge the line, short of running our own code
 * (harness/DESIGN.md, "The seal"). 0, or -errno where seccomp is not to be had (then the
 * line is written the plain way).
 */
int check_seal(void);

/*
 * The same filter for a run that has no done file (the bench driver, whose result the
 * grader reads from a pipe it holds): no file may be opened for writing or changed, so
 * nothing the code under test learns in one run (the untimed warm-up) reaches the next.
 * Call it before any code under test runs. result_fd (-1: none) is the result pipe: once
 * sealed, only check_write_pinned may write to it (a write to it from anywhere else ends
 * the process, where seccomp reports the caller's address: x86-64). 0, or -errno where
 * seccomp is not to be had.
 */
int check_seal_nodone(int result_fd);

/* Writes len bytes of data to fd by the one write the seal lets through to a pinned fd
 * (the done file; result_fd above): bytes written, or -errno. */
long check_write_pinned(int fd, const void *data, size_t len);

#endif
