/* sys.h: what the grader asks of the system, each in one place: clocks, a whole file, a
 * folder and its parents. */
#ifndef SYS_H
#define SYS_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds: the clock of jail_result.t_end, so the two compare. */
double sys_now(void);
/* Any clock in seconds (CLOCK_THREAD_CPUTIME_ID: this thread's CPU). */
double sys_clock(clockid_t clk);
/* User + system CPU seconds this process has used (its threads, not its children). */
double sys_self_cpu(void);
/* The first `max` bytes of a file as a NUL-ended malloc'd string (SIZE_MAX: all of it);
 * `len` (may be NULL) gets how many were read, NUL bytes included. NULL when the file
 * cannot be opened or read, or memory runs out. Follows links: for files of ours. */
char *sys_slurp(const char *path, size_t max, size_t *len);
/* The size of the regular file at path (a link is not followed), or -1 (none, NULL, not a
 * regular file). */
long long sys_file_size(const char *path);

/* mkdir -p, without a shell (any byte of a name is only a byte: ' " $ ` ; a newline): dir
 * and each missing parent made with `mode` (less the umask); one that is there already,
 * folder or not, is left as it is (the caller checks what it got). 0 or -errno. */
int sys_mkdirs(const char *dir, mode_t mode);

/* An exclusive flock on `path` (made 0600 when missing, never through a link), taken at
 * once or not at all: its fd (the lock lasts until it is closed, or the process ends),
 * -EWOULDBLOCK when another process holds it, or -errno. */
int sys_trylock(const char *path);

#endif
