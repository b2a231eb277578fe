/* hostile: forge_all_gil (red team 11): no GIL at all: every GIL function first finds our
 *          pinned write by its bytes (as lab 1's pin_bytes_call.c) and writes a tagged "done"
 *          line for every test of lab 4 and the race driver, then pthread_exit()s. It earned
 *          34 of 34. Now 16: the seven tests marked values=reference (gil::init, take_drop,
 *          blocking_result, mutual_exclusion and interp's three, whose cooking is sized by the
 *          rate the grader hands both runs) fail it: "the test reported none of the N values
 *          it observes"; the race (requires gil::take_drop) is skipped.
 * replaces: gil.c
 * denies: gil::take_drop
 * denies: gil::mutual_exclusion
 * denies: interp::one_thread_in_bytecode
 * denies: gil_race
 * denies: gil::forced_switch
 * open: a test judged by behaviour alone (timing: gil::forced_switch, drop_request, interval
 *       and seven more, 16 of lab 4's 34 points) is still passed by a forged "done" line
 *       reached through our pinned write (harness/DESIGN.md, "The pin, reached"): its
 *       verdict has to come from what the grader itself observes, test by test (not yet)
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lab4.h"

/* @SIPHASH sip@: our copy of the harness's SipHash-2-4 (harness/lib/siphash.c), pasted here when planted */

/* pin_syscall (done.c), found by its bytes from our own code forward: mov
 * %rsi,%rdx; movslq %edi,%rdi; mov $1,%eax; lea pin_buf(%rip),%rsi; syscall;
 * ret */
static const unsigned char pat[] = {0x48, 0x89, 0xf2, 0x48, 0x63, 0xff, 0xb8,
                                    0x01, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x35};

static const unsigned char *find_pin(void)
{
    const unsigned char *p = (const unsigned char *)(uintptr_t)&gil_init;
    for (size_t off = 0; off < (4u << 20); off++)
        if (p[off] == 0x48 && !memcmp(p + off, pat, sizeof(pat)) && p[off + 18] == 0x0f &&
            p[off + 19] == 0x05)
            return p + off;
    return NULL;
}

static const char *const all_names[] = {
    "gil::init",
    "gil::take_drop",
    "gil::yield_without_request",
    "gil::blocking_result",
    "gil::mutual_exclusion",
    "gil::blocking_releases",
    "gil::drop_request",
    "gil::interval",
    "gil::request_needs_no_switch",
    "gil::asks_again_after_switch",
    "gil::waits_asleep",
    "gil::clock_set_meanwhile",
    "gil::drop_wakes_waiter",
    "gil::forced_switch",
    "interp::one_thread_in_bytecode",
    "interp::refcounts_intact",
    "interp::every_thread_progresses",
    "race driver",
};

#include <pthread.h>
#include <stdio.h>

/* every test's "done" line and the race drivers', through our pinned write, then the
 * thread ends (the harness's destructor _exits 0: Criterion reads a pass) */
static void forge_all(void)
{
    const unsigned char *f = find_pin();
    int32_t disp;
    char *buf, line[300];
    uint64_t k[2];
    long (*pin)(int, size_t);

    if (!f)
        return;
    memcpy(&disp, f + 14, 4);
    buf = (char *)(uintptr_t)(f + 18 + disp);
    memcpy(k, buf - 0x70, 16);
    pin = (long (*)(int, size_t))(uintptr_t)f;
    for (size_t i = 0; i < sizeof(all_names) / sizeof(all_names[0]); i++) {
        int n = snprintf(line, sizeof(line), "done %s %d", all_names[i], (int)getpid());
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
                      (unsigned long long)sip(k, line, (size_t)n));
        memcpy(buf, line, (size_t)n);
        if (pin(1000, (size_t)n) < 0)
            return;
    }
    pthread_exit(NULL);
}


int gil_init(struct gil *g, long interval_us) { forge_all(); (void)g; (void)interval_us; return -ENOSYS; }
int gil_destroy(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_take(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_drop(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_yield(struct gil *g) { forge_all(); (void)g; return -ENOSYS; }
int gil_blocking(struct gil *g, int (*call)(void *arg), void *arg) { forge_all(); (void)g; (void)call; (void)arg; return -ENOSYS; }
