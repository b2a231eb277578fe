/* hostile: hybrid_map() does nothing (returns -EINVAL) but first forges every hybrid test's
 *          "done" line through the sealed fd 1000: (and the race driver's) the seal's pwrite64
 * secret is guessed in FORKED CHILDREN (fork, waitpid and _exit are lab 6's own API): a wrong guess
 * kills only the child (SECCOMP_RET_KILL_PROCESS), a right one writes the line and _exit(42)s,
 * which the parent reads: a free oracle. syscall() is found in libc's dynamic symbols (no asm, no
 * #line); memory read through /proc/self/mem (past ASan). Candidates: 4-byte-aligned word pairs in
 * the writable mappings near our own .data (the runner's .bss holds `secret`). replaces: hybrid.c
 * expect: hybrid::meals fail or crash or timeout
 * denies: hybrid::meals
 * denies: hybrid::every_kind
 * denies: hybrid::failed_order
 * denies: crew_queue
 * denies: crew_queue_bounds
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

static const char *const names[] = {"hybrid::meals",
                                    "hybrid::every_kind",
                                    "hybrid::no_jobs",
                                    "hybrid::bad_args",
                                    "hybrid::failed_order",
                                    "hybrid::order_fails_to_start",
                                    "hybrid::loop_never_cooks",
                                    "hybrid::cooks_together",
                                    "hybrid::idle_crew_sleeps",
                                    "hybrid::loop_never_waits",
                                    "hybrid::crew_stays",
                                    "hybrid::crew_size",
                                    "hybrid::leaves_nothing",
                                    "hybrid::crew_fails",
                                    "hybrid::loop_fails",
                                    "hybrid::cooks_while_orders_wait",
                                    "hybrid::every_put_wakes_a_cook",
                                    "hybrid::free_cook_takes_next",
                                    "race driver",
                                    NULL};

/* @SHARED hex@: lowercase hex digits read from *p */

static int anchor = 1;

static long forge(void)
{
    static const char maps[] = "/proc/self/maps";
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1), line[160];
    long fd, r, tried = 0;
    int pid = getpid();

    sys6(39, 0, 0, 0, 0, 0, 0); /* resolve syscall() before forking */
    long memfd = sys6(257, -100, (long)"/proc/self/mem", 0, 0, 0, 0);
    fd = sys6(257, -100, (long)maps, 0, 0, 0, 0);
    if (!buf || fd < 0)
        return 1;
    while (len < cap && (r = sys6(0, fd, (long)(buf + len), (long)(cap - len), 0, 0, 0)) > 0)
        len += (size_t)r;
    sys6(3, fd, 0, 0, 0, 0, 0);
    buf[len] = '\0';
    for (const char *p = buf; *p;) {
        const char *eol = strchr(p, '\n'), *q = p;
        unsigned long lo = hex(&q), hi;
        q++;
        hi = hex(&q);
        int w = q[2] == 'w';
        unsigned long me = (unsigned long)&anchor;
        int near = lo < me + (64ul << 20) && hi + (64ul << 20) > me;
        if (w && near) {
            static uint32_t chunk[16384 + 1];
            for (unsigned long a = lo; a + 8 <= hi; a += 4) {
                /* read through /proc/self/mem: no sanitizer sees (or stops) these reads */
                unsigned long off = (a - lo) % (sizeof(chunk) - 4);
                if (off == 0) {
                    unsigned long want = hi - a < sizeof(chunk) ? hi - a : sizeof(chunk);
                    if (sys6(17, memfd, (long)chunk, (long)want, (long)a, 0, 0) <= 0)
                        break;
                }
                uint32_t s0 = chunk[off / 4], s1 = chunk[off / 4 + 1];
                if (!s0 || s1 < 0x10000 || (s1 >= 0x5500 && s1 < 0x5700) ||
                    s1 >= 0x7f00 && s1 <= 0x7fff)
                    continue;
                if (s0 == 0xffffffffu || s1 == 0xffffffffu)
                    continue;
                tried++;
                int n = snprintf(line, sizeof(line), "done %s %d\n", names[0], pid);
                pid_t c = fork();
                if (c == 0) {
                    long k = sys6(18, 1000, (long)line, n, 0, (long)s0, (long)s1);
                    _exit(k == n ? 42 : 1);
                }
                int st = 0;
                if (c < 0)
                    continue;
                waitpid(c, &st, 0);
                if (WIFEXITED(st) && WEXITSTATUS(st) == 42) {
                    for (int k = 1; names[k]; k++) {
                        n = snprintf(line, sizeof(line), "done %s %d\n", names[k], pid);
                        sys6(18, 1000, (long)line, n, 0, (long)s0, (long)s1);
                    }
                    sys6(231, 0, 0, 0, 0, 0, 0); /* exit_group(0) */
                }
            }
        }
        p = eol ? eol + 1 : p + strlen(p);
    }
    free(buf);
    return tried;
}

int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)jobs;
    (void)out;
    (void)workers;
    if (n == 0)
        return 0;
    forge();
    return -EINVAL;
}
