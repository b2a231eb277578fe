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
 * is written only by check_finished (its write carries a secret drawn here). So code
 * that found open() or write() in memory (the audit sees only the names it calls) still
 * cannot forge the line. 0, or -errno where seccomp is not to be had (then the line is
 * written the plain way).
 */
int check_seal(void);

#endif
