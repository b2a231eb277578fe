/* hostile: the fork oracle of seal_fork_oracle.c turned on the grader: hybrid_map() forges its
 *          tests' done lines, and in the race driver (found by /proc/self/cmdline) writes the
 *          harness's own "done harness error" line and exits CHECK_HARNESS_EXIT (70), which
 *          race.c reads as the grader's fault, not the student's: the race items are voided as
 *          a harness error instead of failing.
 * replaces: hybrid.c
 * denies: hybrid::meals
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

static int in_race_driver(void)
{
    char cmd[256] = "";
    long fd = sys6(257, -100, (long)"/proc/self/cmdline", 0, 0, 0, 0), n;

    if (fd < 0)
        return 0;
    n = sys6(0, fd, (long)cmd, sizeof(cmd) - 1, 0, 0, 0);
    sys6(3, fd, 0, 0, 0, 0, 0);
    cmd[n > 0 ? n : 0] = '\0';
    return strstr(cmd, "race") != NULL;
}

static long forge(void)
{
    static const char maps[] = "/proc/self/maps";
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1), line[160];
    long fd, r, tried = 0;
    int pid = getpid(), race = in_race_driver();

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
                if (WIFEXITED(st) && WEXITSTATUS(st) == 42 && race) {
                    n = snprintf(line, sizeof(line), "done harness error %d\n", pid);
                    sys6(18, 1000, (long)line, n, 0, (long)s0, (long)s1);
                    sys6(231, 70, 0, 0, 0, 0, 0); /* CHECK_HARNESS_EXIT */
                }
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
