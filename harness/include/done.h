/* done.h: a test or driver says it reached its end (not for student code). */
#ifndef DONE_H
#define DONE_H

/*
 * A run that ends early (exit(0) in the middle of a test, a parent that _exits, the main
 * thread's pthread_exit) must not read as a pass. So the harness's own code, and only
 * it, writes "done <what> <pid>" into the file named by env CHECK_DONE when a test or
 * driver reaches its end, and the grader passes nothing that lacks that line. Student
 * code may not call it (the audit's allowlist), nor open the file.
 */
void check_finished(const char *what);

/*
 * Called before any code under test runs (check_begin does): opens the CHECK_DONE file
 * as a high fd and installs a seccomp filter on the process, inherited by its threads
 * and children: no file may be opened for writing or changed by name, and the done file
 * is written only by check_finished (its write carries a secret drawn here). No route
 * copies the done fd to another number (pidfd_getfd, SCM_RIGHTS but on the Unix sockets
 * open at the seal, a seccomp listener) or writes it unseen (AIO, io_uring). So code
 * that found open() or write() in memory (the audit sees only the names it calls) still
 * cannot forge the line, short of finding our own code or secret (harness/DESIGN.md,
 * "The seal"). 0, or -errno where seccomp is not to be had (then the line is written the
 * plain way).
 */
int check_seal(void);

/*
 * The same filter for a run that has no done file (the bench driver, whose result the
 * grader reads from a pipe it holds): no file may be opened for writing or changed, so
 * nothing the code under test learns in one run (the untimed warm-up) reaches the next.
 * Call it before any code under test runs. 0, or -errno where seccomp is not to be had.
 */
int check_seal_nodone(void);

#endif
