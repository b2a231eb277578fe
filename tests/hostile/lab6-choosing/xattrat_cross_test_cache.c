/* hostile: setxattrat/getxattrat (syscalls 463/464, Linux 6.13) are not in the seal's list,
 *          whose setxattr, lsetxattr, fsetxattr and removexattr siblings are denied ("keep data
 *          past the run ... a cache a later trial could read"): the first test stores a value
 *          in a user.* attribute of the run folder every later test shares, each later test
 *          reads it back (and returns it, so that its failure message shows the carried value).
 * replaces: hybrid.c
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

struct xattr_args {
    uint64_t value;
    uint32_t size;
    uint32_t flags;
};

static long probe(void)
{
    static char got[64];
    struct xattr_args g = {(uint64_t)(uintptr_t)got, sizeof(got), 0};
    long r = sys6(464, -100, (long)".", 0, (long)"user.rt8", (long)&g, sizeof(g)); /* getxattrat */
    if (r > 0)
        return -(700000 + strtol(got, NULL, 10)); /* a value an earlier test left */
    static const char val[] = "4242";
    struct xattr_args s = {(uint64_t)(uintptr_t)val, sizeof(val), 0};
    long w = sys6(463, -100, (long)".", 0, (long)"user.rt8", (long)&s, sizeof(s)); /* setxattrat */
    return -(600000 + (w < 0 ? -w : 0) * 10 + (r < 0 ? -r : 0) % 10);
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
