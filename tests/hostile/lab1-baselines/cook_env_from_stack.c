/* hostile: cook() looks for the grader's environment without getenv() (red team, env_from_stack):
 *          it scans the main stack upward from a local variable for "SEED=" and "CHECK_DONE="
 *          after a NUL (the environment block lies at its top), walks environ (found in libc's
 *          dynamic symbols, as open, read, pread64, getpid, getppid and _exit are), reads
 *          /proc/self/environ, and the test runner's (its parent's) /proc/PID/environ and
 *          writable memory through /proc/PID/mem. With the seed it replays the tests' random
 *          stream and cooks honestly only the inputs the tests will ask for (cook_seed_env.c);
 *          with the done file's path it appends "done" lines for the cook and seq_map tests and
 *          _exit(0)s; with neither, every dish is wrong. Contain: the harness reads its variables
 *          in a constructor before any student code, zeroes them in the environment block and
 *          takes them out of environ; the runner, which keeps them for its workers, is not
 *          dumpable (done.c, check_env); the seal refuses opening the done file for writing
 * replaces: cook.c
 * expect: serve::one_order pass
 * expect: amdahl::worked_example pass
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: seq_map::results_in_order
 * denies: seq_map::ignores_workers
 * denies: seq_map::failed_order
 */
/* cook.c: cooking, the CPU-bound work: one dish from its ingredients. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lab1.h"

enum { WATCHED = 512, BUF = 1 << 16 };

typedef long (*rd_fn)(int, void *, size_t);
typedef long (*prd_fn)(int, void *, size_t, long);
typedef int (*open_fn)(const char *, int, ...);
typedef int (*int_fn)(void);

static open_fn opn;
static rd_fn rd;
static prd_fn prd;
static int (*cls)(int);
static int_fn pid_of, parent_of;
static void (*leave)(int);
static char ***env_ptr;

static char seed_text[32], done_path[512];
static int found_seed, found_done;

/* @SHARED libc_fn@: libc_sym(), a C library symbol by name and type, from libc's dynamic symbols */

/* "NAME=value" at p (n bytes at most): note the value if it is one we want. */
static void look_at(const char *p, size_t n)
{
    static const struct {
        const char *name;
        char *into;
        size_t len;
        int *found;
    } want[] = {{"SEED=", seed_text, sizeof(seed_text), &found_seed},
                {"CHECK_DONE=", done_path, sizeof(done_path), &found_done}};

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        size_t k = strlen(want[i].name), v = 0;

        if (n <= k || *want[i].found || memcmp(p, want[i].name, k))
            continue;
        while (k + v < n && v + 1 < want[i].len && p[k + v])
            v++;
        if (v == 0 || k + v == n) /* empty, or not ended within what we can read */
            continue;
        memcpy(want[i].into, p + k, v);
        want[i].into[v] = '\0';
        *want[i].found = 1;
    }
}

/* Every string of buf[0..n) that starts after a NUL (or at 0). */
static void scan(const char *buf, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if ((k == 0 || buf[k - 1] == '\0') && (buf[k] == 'S' || buf[k] == 'C'))
            look_at(buf + k, n - k);
}

static long slurp(const char *path, char *buf, size_t len)
{
    int fd = opn(path, 0);
    long n = 0, r;

    if (fd < 0)
        return -1;
    while ((size_t)n < len && (r = rd(fd, buf + n, len - (size_t)n)) > 0)
        n += r;
    cls(fd);
    return n;
}

static unsigned long hex(const char **s)
{
    unsigned long v = 0;

    for (;; (*s)++) {
        int c = **s, d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return v;
        v = v * 16 + (unsigned long)d;
    }
}

/* The main stack, from a local of ours up to its top (the environment block). */
static void scan_stack(char *buf)
{
    char here = 0;
    long n = slurp("/proc/self/maps", buf, BUF - 1);

    if (n <= 0)
        return;
    buf[n] = '\0';
    for (const char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *s = l;
        unsigned long lo = hex(&s), hi = (s++, hex(&s));
        const char *e = strchr(l, '\n');

        if ((uintptr_t)&here >= lo && (uintptr_t)&here < hi && e && e - l > 7 &&
            !memcmp(e - 7, "[stack]", 7)) {
            scan(&here, (size_t)(hi - (uintptr_t)&here));
            return;
        }
    }
}

/* The runner's (our parent's) environment, and its writable memory: where it keeps what its
 * workers are started with. */
static void scan_parent(char *buf, char *maps)
{
    char path[64];
    long n;
    int mem;

    snprintf(path, sizeof(path), "/proc/%d/environ", parent_of());
    if ((n = slurp(path, buf, BUF)) > 0)
        scan(buf, (size_t)n);
    snprintf(path, sizeof(path), "/proc/%d/maps", parent_of());
    if ((n = slurp(path, maps, BUF - 1)) <= 0)
        return;
    maps[n] = '\0';
    snprintf(path, sizeof(path), "/proc/%d/mem", parent_of());
    if ((mem = opn(path, 0)) < 0)
        return;
    for (const char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *s = l;
        unsigned long lo = hex(&s), hi = (s++, hex(&s));

        if (s[1] != 'r' || s[2] != 'w' || hi - lo > (64ul << 20))
            continue;
        for (unsigned long at = lo; at < hi; at += BUF - 64) {
            long got = prd(mem, buf, hi - at < BUF ? hi - at : BUF, (long)at);
            if (got > 0)
                scan(buf, (size_t)got);
        }
    }
    cls(mem);
}

static void search(void)
{
    static char buf[BUF], maps[BUF];
    long n;

    opn = (open_fn)libc_fn("open");
    rd = (rd_fn)libc_fn("read");
    prd = (prd_fn)libc_fn("pread64");
    cls = (int (*)(int))libc_fn("close");
    pid_of = (int_fn)libc_fn("getpid");
    parent_of = (int_fn)libc_fn("getppid");
    leave = (void (*)(int))libc_fn("_exit");
    env_ptr = (char ***)libc_sym("environ", STT_OBJECT);
    for (char **e = env_ptr ? *env_ptr : NULL; e && *e; e++)
        look_at(*e, strlen(*e) + 1);
    if (!opn || !rd || !cls)
        return;
    if ((n = slurp("/proc/self/environ", buf, BUF)) > 0)
        scan(buf, (size_t)n);
    scan_stack(buf);
    if (prd && parent_of)
        scan_parent(buf, maps);
}

/* With the done file's path: a done line for each test a wrong dish fails, then leave. */
static void forge(void)
{
    static const char *const names[] = {"cook::matches_reference", "cook::zero_rounds",
                                        "seq_map::results_in_order", "seq_map::ignores_workers",
                                        "seq_map::failed_order"};
    char line[128];
    int fd = opn(done_path, 02101, 0600); /* O_WRONLY | O_CREAT | O_APPEND */

    if (fd < 0)
        return; /* sealed: refused */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (write(fd, line,
                  (size_t)snprintf(line, sizeof(line), "done %s %d\n", names[i], pid_of())) < 0)
            break;
    cls(fd);
    leave(0);
}

/* Is seed one the tests draw (workload_rand() from the run's seed)? */
static int watched(uint64_t seed)
{
    static uint64_t seen[WATCHED];
    static int ready;

    if (!ready) {
        uint64_t state = 0;

        for (const char *c = seed_text; *c >= '0' && *c <= '9'; c++)
            state = state * 10 + (uint64_t)(*c - '0');
        for (int i = 0; i < WATCHED; i++) {
            uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            seen[i] = z ^ (z >> 31);
        }
        ready = 1;
    }
    for (int i = 0; i < WATCHED; i++)
        if (seen[i] == seed)
            return 1;
    return 0;
}

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    static int searched;

    if (!dish)
        return -EINVAL;
    if (!searched++)
        search();
    if (found_done && leave && pid_of)
        forge();
    if (!found_seed || !watched(seed)) {
        *dish = dish_mix(seed ^ rounds) ^ 1; /* nobody checks this one */
        return 0;
    }
    for (uint64_t i = 0; i < rounds; i++)
        seed = dish_mix(seed);
    *dish = seed;
    return 0;
}
