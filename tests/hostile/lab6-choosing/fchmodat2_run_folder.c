/* hostile: fchmodat2 (syscall 452, Linux 6.6) is not in the seal's list of denied calls (chmod,
 *          fchmod and fchmodat are): hybrid_map() takes every permission off its working folder,
 *          the run folder every later test of the grading shares (it owns it), then fails.
 *          Every later test's runner (the jail user) can then no longer enter the folder nor
 *          write its TAP: the grader must see the student's fault (or undo the mode), never
 *          report the later tests as its own failure (harness error), and the seal must refuse
 *          fchmodat2 like its siblings.
 * replaces: hybrid.c
 * expect: hybrid::meals fail
 * denies: hybrid::meals
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab5.h"
#include "lab6.h"

/* @SHARED libc_fn@: a C library function by name, from libc's dynamic symbols */

/* @SHARED sys6@: syscall(), found by libc_fn(): -errno on failure */

static long probe(void)
{
    long r = sys6(452, -100, (long)".", 0, 0, 0, 0); /* fchmodat2(AT_FDCWD, ".", 0, 0) */
    return -(5000 + (r < 0 ? -r : 0));
}

int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)jobs;
    (void)out;
    (void)workers;
    if (n == 0)
        return 0;
    return (int)probe();
}
