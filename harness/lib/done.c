/* done.c: a test or driver says it reached its end, into the file env CHECK_DONE names,
 * each line tagged with the run's key (check_tag); the harness's environment taken before
 * any code under test runs (check_env); the seal: the done file held at a fixed fd, the
 * process kept from the file system and other processes (check_seal; the seccomp filter
 * itself is seal_filter.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "done.h"
#include "seal_filter.h"
#include "siphash.h"

enum { SEAL_FD = 1000 }; /* where the done file sits once sealed (below RLIMIT_NOFILE) */

static int sealed_fd = -1; /* the done file, opened before the code under test ran */
static bool sealed;        /* the filter is on (with or without a done file) */

/* ---- the pinned write (seal_filter.h, struct seal_pin) ----------------------------------- */

/* Every line we write to a pinned fd (the done file; the bench's result pipe) is copied
 * here first and written by the one system call instruction below: once sealed, the filter
 * lets a write to such an fd through only from that instruction's address and from this
 * buffer. Code under test that found the key and made a line of its own is ended by the
 * filter wherever else it calls write() from (red team, round 9: six attacks read the key
 * from memory and wrote their lines with libc's write()). x86-64 only; elsewhere the filter
 * pins nothing and the tags alone stand. */
static char pin_buf[512];
static int pin_lock; /* one line at a time (threads of a race driver) */

#ifdef __x86_64__
extern const char check_pin_ip[]; /* defined by the asm below, after the syscall */

__attribute__((noinline, noclone)) static long pin_syscall(int fd, size_t len)
{
    long ret;

    __asm__ volatile("syscall\n\t"
                     ".globl check_pin_ip\n\t"
                     ".hidden check_pin_ip\n"
                     "check_pin_ip:"
                     : "=a"(ret)
                     : "0"((long)SYS_write), "D"((long)fd), "S"(pin_buf), "d"(len)
                     : "rcx", "r11", "memory");
    return ret;
}
#else
static long pin_syscall(int fd, size_t len)
{
    long rc = syscall(SYS_write, fd, pin_buf, len);

    return rc < 0 ? -errno : rc;
}
#endif

long check_write_pinned(int fd, const void *data, size_t len)
{
    size_t done = 0;
    long rc = 0;

    while (__atomic_exchange_n(&pin_lock, 1, __ATOMIC_ACQUIRE))
        ;
    while (done < len) {
        size_t n = len - done < sizeof(pin_buf) ? len - done : sizeof(pin_buf);
        memcpy(pin_buf, (const char *)data + done, n);
        rc = pin_syscall(fd, n);
        if (rc == -EINTR)
            continue;
        if (rc <= 0)
            break;
        done += (size_t)rc;
    }
    explicit_bzero(pin_buf, sizeof(pin_buf));
    __atomic_store_n(&pin_lock, 0, __ATOMIC_RELEASE);
    return rc < 0 ? rc : (long)done;
}

#ifdef SEAL_ARCH
/* The pin the filter checks: where our write comes from. */
static struct seal_pin our_pin(void)
{
#ifdef __x86_64__
    return (struct seal_pin){.ip = (uintptr_t)check_pin_ip, .buf = (uintptr_t)pin_buf};
#else
    return (struct seal_pin){0, 0};
#endif
}
#endif

/* ---- the harness's environment (done.h, check_env) ---------------------------------------- */

extern char **environ;
/* Criterion's options: defined in a test runner (libcriterion), absent (NULL) in a driver */
extern const char criterion_options __attribute__((weak));

static const char *const env_names[] = {"SEED",           "CHECK_DONE",  "CHECK_DONE_KEY",
                                        "KITCHEN_PORT",   "KITCHEN_BIN", "CHECK_VALUES",
                                        "CHECK_COOK_RATE"};
#define NENV (sizeof(env_names) / sizeof(env_names[0]))
static char *env_values[NENV]; /* our copies, taken before any code under test ran */
static bool env_taken[NENV];   /* found in the environment at start (a copy, maybe wiped) */
/* The run's key (CHECK_DONE_KEY), as 16 bytes: no string of 32 hex digits stays in the
 * memory of a process that runs code under test, for it to find by its look. */
static uint64_t run_key[2];
static bool run_key_set;

static void env_forget(const char *name);

/* The key's hex string into run_key, then gone. */
static void take_key(void)
{
    for (size_t i = 0; i < NENV; i++)
        if (env_values[i] && !strcmp(env_names[i], "CHECK_DONE_KEY"))
            run_key_set = check_key_parse(env_values[i], run_key) == 0;
    env_forget("CHECK_DONE_KEY");
}

/* Is entry ("NAME=value") one of ours? */
static bool env_ours(const char *entry)
{
    for (size_t i = 0; i < NENV; i++) {
        size_t n = strlen(env_names[i]);
        if (!strncmp(entry, env_names[i], n) && entry[n] == '=')
            return true;
    }
    return false;
}

/* Runs before main(), and so before any code under test: nothing of the student's runs
 * before it (the audit refuses constructors, IFUNC resolvers and init arrays of every
 * priority), and 101 puts it first among ours. */
__attribute__((constructor(101))) static void env_take(void)
{
    /* a Criterion runner spawns its workers (BoxFort: fork, then exec of itself with
     * BXFI_MAP set) with its environ: they need the values; no test runs in it */
    bool runner = &criterion_options != NULL && !getenv("BXFI_MAP"), any = false;
    char **w = environ;

    for (size_t i = 0; i < NENV; i++) {
        const char *v = getenv(env_names[i]);
        if (v && (env_values[i] = strdup(v))) /* no memory: as if it were not set */
            env_taken[i] = any = true;
    }
    if (!any || !environ)
        return;
    for (char **e = environ; *e; e++) { /* zero ours in place, keep the others in order */
        if (env_ours(*e))
            explicit_bzero(*e, strlen(*e));
        else
            *w++ = *e;
    }
    *w = NULL;
    if (!runner) {
        take_key();
        return;
    }
    /* the runner runs no test: it keeps the key's string, for its workers */
    for (size_t i = 0; i < NENV; i++)
        if (env_values[i])
            setenv(env_names[i], env_values[i], 1);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* its memory and /proc files: not its workers' */
}

const char *check_env(const char *name)
{
    for (size_t i = 0; i < NENV; i++)
        if (env_taken[i] && !strcmp(name, env_names[i]))
            return env_values[i];
    return getenv(name);
}

uint64_t check_env_seed(void)
{
    const char *s = check_env("SEED");

    return s ? strtoull(s, NULL, 0) : 1;
}

uint16_t check_env_port(void)
{
    const char *p = check_env("KITCHEN_PORT");

    return p ? (uint16_t)atoi(p) : 0;
}

/* Our copy of one variable, zeroed and gone (check_env then says NULL). */
static void env_forget(const char *name)
{
    for (size_t i = 0; i < NENV; i++)
        if (env_taken[i] && env_values[i] && !strcmp(name, env_names[i])) {
            explicit_bzero(env_values[i], strlen(env_values[i]));
            free(env_values[i]);
            env_values[i] = NULL;
        }
}

int check_key_parse(const char *hex, uint64_t key[2])
{
    char half[17];

    key[0] = key[1] = 0;
    if (!hex || strlen(hex) != 32 || strspn(hex, "0123456789abcdef") != 32)
        return -EINVAL;
    for (int i = 0; i < 2; i++) {
        memcpy(half, hex + 16 * i, 16);
        half[16] = '\0';
        key[i] = strtoull(half, NULL, 16);
    }
    explicit_bzero(half, sizeof(half));
    return 0;
}

uint64_t check_tag(const char *text, size_t len)
{
    uint64_t key[2];
    uint64_t tag;

    if (run_key_set)
        memcpy(key, run_key, sizeof(key));
    else /* set after start (a unit test), or none: the zero key (by hand) */
        check_key_parse(check_env("CHECK_DONE_KEY"), key);
    tag = siphash24(key, text, len);
    explicit_bzero(key, sizeof(key));
    return tag;
}

/* Append "<body> <pid> <tag>" through the sealed fd, or by opening the file (unsealed); one
 * write of one line, O_APPEND: never interleaved with another. */
static void tagged_line(const char *body)
{
    const char *path = check_env("CHECK_DONE");
    char line[300];
    int fd, n = snprintf(line, sizeof(line), "%s %d", body, (int)getpid());

    if (n <= 0 || n + 18 >= (int)sizeof(line))
        return;
    n += snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
                  (unsigned long long)check_tag(line, (size_t)n));
    if (sealed_fd >= 0) {
        /* the pinned system call itself: a test runner is linked with --wrap=write, and a
         * fault a test armed (a short write) must not cut our line (fault.h) */
        check_write_pinned(sealed_fd, line, (size_t)n);
        explicit_bzero(line, sizeof(line));
        return;
    }
    if (!path)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    if (syscall(SYS_write, fd, line, (size_t)n) < 0)
        n = -1;
    close(fd);
}

void check_finished(const char *what)
{
    char body[280];

    if (snprintf(body, sizeof(body), "done %s", what) < (int)sizeof(body))
        tagged_line(body);
}

void check_value_line(const char *label, uint64_t value)
{
    char body[200];
    size_t k = snprintf(body, sizeof(body), "obs ");

    /* one word: what is not printable or is a blank becomes '_' (the grader splits on blanks) */
    for (const char *p = label; p && *p && k < 4 + CHECK_LABEL_MAX; p++)
        body[k++] = *p > ' ' && *p < 127 ? *p : '_';
    snprintf(body + k, sizeof(body) - k, " %016llx", (unsigned long long)value);
    tagged_line(body);
}

int check_harness_error(const char *why)
{
    printf("%s (a harness error)\n", why);
    fflush(stdout);
    check_finished("harness error");
    return CHECK_HARNESS_EXIT;
}

#ifdef SEAL_ARCH

int check_seal(void)
{
    const char *path = check_env("CHECK_DONE");
    int fd, rc;

    if (!path || sealed)
        return 0;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    if (dup3(fd, SEAL_FD, O_CLOEXEC) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    close(fd);
    if ((rc = seal_install(SEAL_FD, -1, our_pin())) < 0) {
        close(SEAL_FD); /* no filter here: the done line is written the plain way */
        return rc;
    }
    sealed = true;
    sealed_fd = SEAL_FD;
    env_forget("CHECK_DONE"); /* the sealed fd is all check_finished needs now */
    return 0;
}

int check_seal_nodone(int result_fd)
{
    int rc;

    if (sealed)
        return 0;
    /* The filter keeps SEAL_FD for a done file: hold it with /dev/null, or the run's
     * thousandth socket (lab 5's c1k) would get it and every write to it be refused. */
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fd != SEAL_FD && dup3(fd, SEAL_FD, O_CLOEXEC) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (fd != SEAL_FD)
        close(fd);
    if ((rc = seal_install(SEAL_FD, result_fd, our_pin())) < 0) {
        close(SEAL_FD);
        return rc;
    }
    sealed = true;
    return 0;
}

#else

int check_seal(void)
{
    return -ENOSYS;
}

int check_seal_nodone(int result_fd)
{
    (void)result_fd;
    return -ENOSYS;
}

#endif
