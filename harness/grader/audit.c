/* audit.c: what a student's compiled file may call (the allowlist every lab shares), and
 * reading what the jail user wrote without trusting it. The checks themselves:
 * audit_elf.c (the object), audit_source.c (headers, inline assembly, #line). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "siphash.h"
#include "audit_int.h"

/* What every lab may call: no files by name, no processes, no signals, no exec, no
 * raw system calls, no dynamic loading, no memory protection, no exit. A lab's spec
 * adds what its topic needs (`allow fork waitpid pipe ...`). */
static const char *const base_allowed[] = {
    /* memory and strings */
    "malloc",
    "calloc",
    "realloc",
    "free",
    "aligned_alloc",
    "posix_memalign",
    "memcpy",
    "memmove",
    "memset",
    "memcmp",
    "memchr",
    "memrchr",
    "strlen",
    "strnlen",
    "strcmp",
    "strncmp",
    "strcpy",
    "strncpy",
    "strcat",
    "strncat",
    "strchr",
    "strrchr",
    "strstr",
    "strtok",
    "strtok_r",
    "strdup",
    "strndup",
    "strspn",
    "strcspn",
    "strpbrk",
    "strerror",
    "strerror_r",
    "strsignal",
    "strerrorname_np",
    "strerrordesc_np",
    "sigabbrev_np",
    "sigdescr_np",
    "__libc_current_sigrtmin", /* SIGRTMIN and SIGRTMAX: numbers, for a signal's name */
    "__libc_current_sigrtmax",
    "strcasecmp",
    "strncasecmp",
    "stpcpy",
    "strtol",
    "strtoul",
    "strtoll",
    "strtoull",
    "strtod",
    "strtof",
    "atoi",
    "atol",
    "atoll",
    "atof",
    "abs",
    "labs",
    "llabs",
    "div",
    "ldiv",
    "qsort",
    "bsearch",
    "rand",
    "rand_r",
    "srand",
    "random",
    "srandom",
    "toupper",
    "tolower",
    "__ctype_b_loc",
    "__ctype_tolower_loc",
    "__ctype_toupper_loc",
    "sscanf",
    "__isoc99_sscanf",
    /* printing to stdout and stderr */
    "printf",
    "fprintf",
    "vprintf",
    "vfprintf",
    "snprintf",
    "vsnprintf",
    "sprintf",
    "vsprintf",
    "puts",
    "fputs",
    "putchar",
    "fputc",
    "putc",
    "fwrite",
    "fflush",
    "perror",
    "stdout",
    "stderr",
    "__printf_chk",
    "__fprintf_chk",
    "__vfprintf_chk",
    "__vprintf_chk",
    "__snprintf_chk",
    "__vsnprintf_chk",
    "__sprintf_chk",
    "__vsprintf_chk",
    /* what gcc itself calls */
    "__stack_chk_fail",
    "__assert_fail",
    "__errno_location",
    "__memcpy_chk",
    "__memmove_chk",
    "__memset_chk",
    "__strcpy_chk",
    "__strncpy_chk",
    "__strcat_chk",
    "__fdelt_chk",
    "abort",
    /* maths */
    "sqrt",
    "pow",
    "exp",
    "log",
    "log2",
    "log10",
    "floor",
    "ceil",
    "fabs",
    "fmin",
    "fmax",
    "round",
    "lround",
    "llround",
    "trunc",
    "fmod",
    "sin",
    "cos",
    "tan",
    "atan",
    "atan2",
    "sqrtf",
    "powf",
    "expf",
    "logf",
    "floorf",
    "ceilf",
    "fabsf",
    /* time and this process */
    "clock_gettime",
    "clock_getres",
    "clock",
    "time",
    "gettimeofday",
    "difftime",
    "nanosleep",
    "clock_nanosleep",
    "usleep",
    "sleep",
    "sched_yield",
    "sched_getcpu",
    "sysconf",
    "get_nprocs",
    "getpid",
    "getppid",
    "gettid",
    "getrusage",
    /* threads and their locks */
    "pthread_create",
    "pthread_join",
    "pthread_detach",
    "pthread_self",
    "pthread_equal",
    "pthread_exit",
    "pthread_once",
    "pthread_key_create",
    "pthread_key_delete",
    "pthread_getspecific",
    "pthread_setspecific",
    "pthread_attr_init",
    "pthread_attr_destroy",
    "pthread_attr_setstacksize",
    "pthread_attr_setdetachstate",
    "pthread_mutex_init",
    "pthread_mutex_destroy",
    "pthread_mutex_lock",
    "pthread_mutex_trylock",
    "pthread_mutex_unlock",
    "pthread_mutex_timedlock",
    "pthread_mutexattr_init",
    "pthread_mutexattr_destroy",
    "pthread_mutexattr_settype",
    "pthread_mutexattr_setpshared", /* a lock in memory shared with children (mmap) */
    "pthread_mutexattr_setrobust",
    "pthread_mutex_consistent",
    "pthread_cond_init",
    "pthread_cond_destroy",
    "pthread_cond_wait",
    "pthread_cond_timedwait",
    "pthread_cond_signal",
    "pthread_cond_broadcast",
    "pthread_condattr_init",
    "pthread_condattr_destroy",
    "pthread_condattr_setclock",
    "pthread_condattr_setpshared",
    "pthread_rwlock_init",
    "pthread_rwlock_destroy",
    "pthread_rwlock_rdlock",
    "pthread_rwlock_wrlock",
    "pthread_rwlock_unlock",
    "pthread_spin_init",
    "pthread_spin_destroy",
    "pthread_spin_lock",
    "pthread_spin_trylock",
    "pthread_spin_unlock",
    "pthread_barrier_init",
    "pthread_barrier_destroy",
    "pthread_barrier_wait",
    "sem_init",
    "sem_destroy",
    "sem_wait",
    "sem_trywait",
    "sem_timedwait",
    "sem_post",
    "sem_getvalue",
    NULL,
};

bool audit_in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (!strcmp(*list, name))
            return true;
    return false;
}

/* libgcc's arithmetic, which gcc calls for what the CPU cannot do in one instruction: 128-bit
 * division and shifts, conversions between 128-bit integers and floating point, bit counts,
 * the overflow-checked arithmetic of -ftrapv and __builtin_mul_overflow, complex products and
 * quotients, powers to an integer. Pure functions of their arguments (a correct lab 4 GIL
 * whose deadline divided an __int128 was refused: examiner 42c). */
static const char *const libgcc_arith[] = {
    "__divti3",
    "__udivti3",
    "__modti3",
    "__umodti3",
    "__divmodti4",
    "__udivmodti4",
    "__multi3",
    "__muloti4",
    "__mulodi4",
    "__mulosi4",
    "__ashlti3",
    "__ashrti3",
    "__lshrti3",
    "__negti2",
    "__absvti2",
    "__addvdi3",
    "__subvdi3",
    "__mulvdi3",
    "__negvdi2",
    "__absvdi2",
    "__addvsi3",
    "__subvsi3",
    "__mulvsi3",
    "__negvsi2",
    "__absvsi2",
    "__addvti3",
    "__subvti3",
    "__mulvti3",
    "__negvti2",
    "__popcountti2",
    "__popcountdi2",
    "__clzti2",
    "__ctzti2",
    "__ffsti2",
    "__parityti2",
    "__floattidf",
    "__floattisf",
    "__floattixf",
    "__floatuntidf",
    "__floatuntisf",
    "__floatuntixf",
    "__fixdfti",
    "__fixsfti",
    "__fixxfti",
    "__fixunsdfti",
    "__fixunssfti",
    "__fixunsxfti",
    "__powidf2",
    "__powisf2",
    "__powixf2",
    "__mulsc3",
    "__muldc3",
    "__mulxc3",
    "__divsc3",
    "__divdc3",
    "__divxc3",
    "__bswapsi2",
    "__bswapdi2",
    NULL,
};

int audit_base_allowed(const char *name)
{
    /* libatomic's out-of-line atomics, for types the CPU cannot do in one instruction */
    return audit_in_list(base_allowed, name) || audit_in_list(libgcc_arith, name) ||
           !strncmp(name, "__atomic_", 9);
}

char *audit_read_untrusted(const char *path, int uid, size_t max, size_t *len)
{
    return audit_read_fd(open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), uid, max, len);
}

char *audit_read_fd(int fd, int uid, size_t max, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    ssize_t got;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uid >= 0 && st.st_uid != (uid_t)uid) ||
        (size_t)st.st_size > max) {
        errno = EPERM;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        goto out;
    while (n < (size_t)st.st_size && (got = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    if (len)
        *len = n;
out:
    close(fd);
    return buf;
}

int audit_too_big(const char *path, size_t max, const char *shown, const char *what, char *why,
                  size_t len)
{
    struct stat st;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size <= max)
        return 0;
    snprintf(why, len,
             "%s: its %s is %.0f MiB, over the grader's limit of %zu MiB, and is not read: "
             "the skeleton's copy stands in (a large initialised array? allocate it when the "
             "program runs)\n",
             shown, what, st.st_size / 1048576.0, max >> 20);
    return 1;
}

int audit_done_key(uint64_t key[2], char *env, size_t len)
{
    if (getrandom(key, 2 * sizeof(key[0]), 0) != (ssize_t)(2 * sizeof(key[0])))
        return -EIO;
    snprintf(env, len, "CHECK_DONE_KEY=%016llx%016llx", (unsigned long long)key[0],
             (unsigned long long)key[1]);
    return 0;
}

bool audit_tag_ok(const uint64_t key[2], const char *text, size_t len, const char *hex)
{
    unsigned long long tag;
    int used = 0;

    return strspn(hex, "0123456789abcdef") == 16 && (hex[16] == '\0' || hex[16] == '\n') &&
           sscanf(hex, "%16llx%n", &tag, &used) == 1 && used == 16 &&
           siphash24(key, text, len) == tag;
}

char *audit_done_read(const char *path, int uid, const uint64_t key[2], char *forged, size_t len)
{
    size_t n = 0;
    char *text = audit_read_untrusted(path, uid, 1 << 20, &n), *end;
    int k = 1;

    forged[0] = '\0';
    for (char *line = text; text && line < text + n; line = end + 1, k++) {
        if (!(end = memchr(line, '\n', (size_t)(text + n - line)))) {
            snprintf(forged, len, "line %d has no end (written by something else)", k);
        } else {
            *end = '\0';
            char *sp = strrchr(line, ' ');
            bool ok = sp && audit_tag_ok(key, line, (size_t)(sp - line), sp + 1);
            *end = '\n';
            if (!ok)
                snprintf(forged, len, "line %d does not carry the run's tag", k);
        }
        if (forged[0]) {
            free(text);
            return NULL;
        }
    }
    return text;
}

bool audit_done_has(const char *text, const char *what)
{
    size_t len = strlen(what);

    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, "done ", 5) && !strncmp(l + 5, what, len) && l[5 + len] == ' ' &&
            strchr(l + 6 + len, ' ') && strchr(l + 6 + len, ' ') < strchr(l, '\n'))
            return true;
    return false;
}

int audit_done_seen(const char *path, int uid, const uint64_t key[2], const char *what,
                    char *forged, size_t len, char **text_out)
{
    char *text = audit_done_read(path, uid, key, forged, len);
    int seen = text && audit_done_has(text, what);

    if (text_out)
        *text_out = text;
    else
        free(text);
    return forged[0] ? -1 : seen;
}

void audit_add_why(char *why, size_t len, const char *fmt, ...)
{
    size_t used = strlen(why);
    va_list ap;

    va_start(ap, fmt);
    if (used + 1 < len)
        vsnprintf(why + used, len - used, fmt, ap);
    va_end(ap);
}
