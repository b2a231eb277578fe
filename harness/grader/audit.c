/* audit.c: what a student's compiled file may contain, call and include. */
#define _GNU_SOURCE
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"

#define OBJ_MAX (64u << 20)

/* What every lab may call: no files by name, no processes, no signals, no exec, no
 * raw system calls, no dynamic loading, no memory protection, no exit. A lab's spec
 * adds what its topic needs (`allow fork waitpid pipe ...`). */
static const char *const base_allowed[] = {
    /* memory and strings */
    "malloc", "calloc", "realloc", "free", "aligned_alloc", "posix_memalign",
    "memcpy", "memmove", "memset", "memcmp", "memchr", "memrchr", "strlen", "strnlen",
    "strcmp", "strncmp", "strcpy", "strncpy", "strcat", "strncat", "strchr", "strrchr",
    "strstr", "strtok", "strtok_r", "strdup", "strndup", "strspn", "strcspn", "strpbrk",
    "strerror", "strerror_r", "strsignal", "strerrorname_np", "strerrordesc_np",
    "sigabbrev_np", "sigdescr_np", "strcasecmp", "strncasecmp", "stpcpy",
    "strtol", "strtoul", "strtoll", "strtoull", "strtod", "strtof", "atoi", "atol",
    "atoll", "atof", "abs", "labs", "llabs", "div", "ldiv", "qsort", "bsearch", "rand",
    "rand_r", "srand", "random", "srandom", "toupper", "tolower", "__ctype_b_loc",
    "__ctype_tolower_loc", "__ctype_toupper_loc", "sscanf", "__isoc99_sscanf",
    /* printing to stdout and stderr */
    "printf", "fprintf", "vprintf", "vfprintf", "snprintf", "vsnprintf", "sprintf",
    "vsprintf", "puts", "fputs", "putchar", "fputc", "putc", "fwrite", "fflush", "perror",
    "stdout", "stderr", "__printf_chk", "__fprintf_chk", "__vfprintf_chk", "__vprintf_chk",
    "__snprintf_chk", "__vsnprintf_chk", "__sprintf_chk", "__vsprintf_chk",
    /* what gcc itself calls */
    "__stack_chk_fail", "__assert_fail", "__errno_location", "__memcpy_chk",
    "__memmove_chk", "__memset_chk", "__strcpy_chk", "__strncpy_chk", "__strcat_chk",
    "__fdelt_chk", "abort",
    /* maths */
    "sqrt", "pow", "exp", "log", "log2", "log10", "floor", "ceil", "fabs", "fmin", "fmax",
    "round", "lround", "llround", "trunc", "fmod", "sin", "cos", "tan", "atan", "atan2",
    "sqrtf", "powf", "expf", "logf", "floorf", "ceilf", "fabsf",
    /* time and this process */
    "clock_gettime", "clock_getres", "clock", "time", "gettimeofday", "difftime",
    "nanosleep", "clock_nanosleep", "usleep", "sleep", "sched_yield", "sched_getcpu",
    "sysconf", "get_nprocs", "getpid", "getppid", "gettid", "getrusage",
    /* threads and their locks */
    "pthread_create", "pthread_join", "pthread_detach", "pthread_self", "pthread_equal",
    "pthread_exit", "pthread_once", "pthread_key_create", "pthread_key_delete",
    "pthread_getspecific", "pthread_setspecific", "pthread_attr_init",
    "pthread_attr_destroy", "pthread_attr_setstacksize", "pthread_attr_setdetachstate",
    "pthread_mutex_init", "pthread_mutex_destroy", "pthread_mutex_lock",
    "pthread_mutex_trylock", "pthread_mutex_unlock", "pthread_mutex_timedlock",
    "pthread_mutexattr_init", "pthread_mutexattr_destroy", "pthread_mutexattr_settype",
    "pthread_cond_init", "pthread_cond_destroy", "pthread_cond_wait",
    "pthread_cond_timedwait", "pthread_cond_signal", "pthread_cond_broadcast",
    "pthread_condattr_init", "pthread_condattr_destroy", "pthread_condattr_setclock",
    "pthread_rwlock_init", "pthread_rwlock_destroy", "pthread_rwlock_rdlock",
    "pthread_rwlock_wrlock", "pthread_rwlock_unlock", "pthread_spin_init",
    "pthread_spin_destroy", "pthread_spin_lock", "pthread_spin_trylock",
    "pthread_spin_unlock", "pthread_barrier_init", "pthread_barrier_destroy",
    "pthread_barrier_wait", "sem_init", "sem_destroy", "sem_wait", "sem_trywait",
    "sem_timedwait", "sem_post", "sem_getvalue",
    NULL,
};

static bool in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (!strcmp(*list, name))
            return true;
    return false;
}

int audit_base_allowed(const char *name)
{
    /* libatomic's out-of-line atomics, for types the CPU cannot do in one instruction */
    return in_list(base_allowed, name) || !strncmp(name, "__atomic_", 9);
}

char *audit_read_untrusted(const char *path, int uid, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
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

int audit_done_seen(const char *path, int uid, const char *what)
{
    char *text = audit_read_untrusted(path, uid, 64 * 1024, NULL), want[256];
    int ok;

    snprintf(want, sizeof(want), "done %s ", what);
    ok = text && strstr(text, want) != NULL;
    free(text);
    return ok;
}

/* ---- ELF ---- */

struct elf {
    const unsigned char *p;
    size_t len;
    const Elf64_Ehdr *eh;
};

static const void *at(const struct elf *e, size_t off, size_t size)
{
    return off <= e->len && size <= e->len - off ? e->p + off : NULL;
}

static const Elf64_Shdr *section(const struct elf *e, size_t i)
{
    if (i >= e->eh->e_shnum || e->eh->e_shentsize != sizeof(Elf64_Shdr))
        return NULL;
    return at(e, e->eh->e_shoff + i * sizeof(Elf64_Shdr), sizeof(Elf64_Shdr));
}

/* A NUL-ended string at `off` of string table section `i`, or NULL. */
static const char *str_at(const struct elf *e, size_t i, size_t off)
{
    const Elf64_Shdr *s = section(e, i);
    const char *base;

    if (!s || off >= s->sh_size || !(base = at(e, s->sh_offset, s->sh_size)))
        return NULL;
    return memchr(base + off, '\0', s->sh_size - off) ? base + off : NULL;
}

static bool runs_outside_a_call(const char *name)
{
    static const char *const bad[] = {".init_array", ".fini_array", ".preinit_array",
                                      ".ctors", ".dtors", ".init", ".fini", NULL};

    for (const char *const *b = bad; *b; b++) {
        size_t n = strlen(*b);
        if (!strncmp(name, *b, n) && (name[n] == '\0' || name[n] == '.'))
            return true;
    }
    return false;
}

static void __attribute__((format(printf, 3, 4))) add_why(char *why, size_t len,
                                                           const char *fmt, ...)
{
    size_t used = strlen(why);
    va_list ap;

    va_start(ap, fmt);
    if (used + 1 < len)
        vsnprintf(why + used, len - used, fmt, ap);
    va_end(ap);
}

static int check_sections(const struct elf *e, const char *shown, char *why, size_t len)
{
    int bad = 0;

    for (size_t i = 1; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *s = section(e, i);
        const char *name = s ? str_at(e, e->eh->e_shstrndx, s->sh_name) : NULL;

        if (!s || !name)
            return -EINVAL;
        if (runs_outside_a_call(name) && !bad++)
            add_why(why, len,
                    "%s runs code outside the calls the harness makes (a constructor or "
                    "destructor: section %s): the grader refuses it, since such code could "
                    "tamper with the test runner\n", shown, name);
        if ((s->sh_flags & SHF_EXECINSTR) &&
            ((s->sh_flags & SHF_WRITE) || strncmp(name, ".text", 5)) && !bad++)
            add_why(why, len, "%s puts code in a section of its own (%s): the grader accepts "
                              "only what the compiler makes of C functions\n", shown, name);
    }
    return bad;
}

/* A variable in an executable section: machine code written as an array. */
static bool data_in_code(const struct elf *e, const Elf64_Sym *sym)
{
    int type = ELF64_ST_TYPE(sym->st_info);
    const Elf64_Shdr *s;

    if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE ||
        (type != STT_OBJECT && type != STT_TLS && type != STT_COMMON))
        return false;
    s = section(e, sym->st_shndx);
    return !s || (s->sh_flags & SHF_EXECINSTR);
}

static int check_symbols(const struct elf *e, const char *shown, const struct audit_rules *r,
                         char *why, size_t len)
{
    int bad = 0;

    for (size_t i = 1; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *s = section(e, i);
        const Elf64_Sym *syms;
        size_t n;

        if (!s)
            return -EINVAL;
        if (s->sh_type != SHT_SYMTAB)
            continue;
        n = s->sh_entsize == sizeof(Elf64_Sym) ? s->sh_size / sizeof(Elf64_Sym) : 0;
        syms = at(e, s->sh_offset, n * sizeof(Elf64_Sym));
        if (!syms)
            return -EINVAL;
        for (size_t k = 1; k < n; k++) {
            const char *name = str_at(e, s->sh_link, syms[k].st_name);
            int bind = ELF64_ST_BIND(syms[k].st_info);

            if (!name)
                return -EINVAL;
            if (data_in_code(e, &syms[k]) && bad++ < 8)
                add_why(why, len, "%s puts data (%s) among its code: machine code written "
                                  "as data is refused\n", shown, name[0] ? name : "?");
            if (syms[k].st_shndx != SHN_UNDEF || bind == STB_LOCAL || !name[0] ||
                !strcmp(name, "_GLOBAL_OFFSET_TABLE_"))
                continue;
            if (audit_base_allowed(name) || in_list(r->allow, name) || in_list(r->api, name))
                continue;
            if (bad++ < 8)
                add_why(why, len, "%s calls %s(), which this lab does not allow\n", shown, name);
        }
    }
    if (bad)
        add_why(why, len,
                "  the grader allows the C library's memory, string, printing, maths, time "
                "and thread functions, plus what the lab needs (%s's spec, `allow`): no "
                "files, processes, signals or exit() where the lab has none\n",
                r->lab ? r->lab : "the lab");
    return bad;
}

int audit_object(const char *obj, const char *shown, const struct audit_rules *r, char *why,
                 size_t len)
{
    size_t n = 0;
    unsigned char *p = (unsigned char *)audit_read_untrusted(obj, -1, OBJ_MAX, &n);
    struct elf e = {p, n, (const Elf64_Ehdr *)p};
    int rc = -EINVAL, s1, s2;

    if (!p)
        return -errno;
    if (n < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) || p[EI_CLASS] != ELFCLASS64 ||
        e.eh->e_type != ET_REL || !section(&e, e.eh->e_shstrndx))
        goto out;
    why[0] = '\0';
    s1 = check_sections(&e, shown, why, len);
    s2 = s1 < 0 ? 0 : check_symbols(&e, shown, r, why, len);
    rc = s1 < 0 || s2 < 0 ? -EINVAL : s1 || s2;
out:
    free(p);
    return rc;
}

/* ---- headers ---- */

/* The next path of a gcc -MD file ("obj: dep dep \ ..."), unescaping "\ "; NULL at the end. */
static char *next_dep(char **pos, char *buf, size_t len)
{
    char *p = *pos;
    size_t n = 0;

    while (*p == ' ' || *p == '\t' || *p == '\n' || (*p == '\\' && p[1] == '\n'))
        p += *p == '\\' ? 2 : 1;
    if (!*p)
        return NULL;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n' && n + 1 < len) {
        if (*p == '\\' && (p[1] == ' ' || p[1] == '#'))
            p++;
        buf[n++] = *p++;
    }
    buf[n] = '\0';
    *pos = p;
    return buf;
}

int audit_deps(const char *dfile, const char *shown, const char *const *allowed, char *why,
               size_t len)
{
    char *text = audit_read_untrusted(dfile, -1, 1u << 20, NULL), *pos, dep[4096];
    int bad = 0;

    if (!text)
        return -errno;
    why[0] = '\0';
    pos = strchr(text, ':');
    pos = pos ? pos + 1 : text + strlen(text);
    while (next_dep(&pos, dep, sizeof(dep))) {
        char real[4096];
        bool ok = false;

        if (!realpath(dep, real))
            snprintf(real, sizeof(real), "%s", dep);
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strncmp(real, *a, strlen(*a));
        if (!ok && bad++ < 4)
            add_why(why, len,
                    "%s includes %s: a file may include only system headers and the kit's "
                    "headers (harness/include, the lab's header)\n", shown, real);
    }
    free(text);
    return bad > 0;
}

/* ---- inline assembly ---- */

static bool is_ident(int c)
{
    return isalnum(c) || c == '_';
}

/* Does this line of C (outside strings and character constants) use an asm keyword? */
static bool has_asm(const char *l)
{
    for (const char *p = l; *p; p++) {
        if (*p == '"' || *p == '\'') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (!*p)
                break;
            continue;
        }
        if (is_ident((unsigned char)*p) && (p == l || !is_ident((unsigned char)p[-1]))) {
            size_t n = 0;
            while (is_ident((unsigned char)p[n]))
                n++;
            if ((n == 3 && !strncmp(p, "asm", 3)) || (n == 5 && !strncmp(p, "__asm", 5)) ||
                (n == 7 && !strncmp(p, "__asm__", 7)))
                return true;
            p += n - 1;
        }
    }
    return false;
}

/* A directive that sets the line or file name: "#line ..." or GNU "# 12 "file"". */
static bool is_line_directive(const char *l)
{
    l += strspn(l, " \t");
    if (*l != '#')
        return false;
    l++;
    l += strspn(l, " \t");
    return isdigit((unsigned char)*l) || (!strncmp(l, "line", 4) && !is_ident((unsigned char)l[4]));
}

int audit_source(const char *preprocessed, const char *src, const char *raw_text,
                 const char *shown, char *why, size_t len)
{
    char *copy = strdup(raw_text ? raw_text : ""), *save = NULL;
    bool mine = false;
    int bad = 0;

    if (!copy)
        return -ENOMEM;
    why[0] = '\0';
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (is_line_directive(l) && !bad++)
            add_why(why, len, "%s sets its own line numbers or file name (#line): the grader "
                              "refuses it, so that every line says where it comes from\n",
                    shown);
    free(copy);
    for (const char *p = preprocessed; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *line = strndup(p, n);

        if (!line)
            return -ENOMEM;
        if (line[0] == '#' && line[1] == ' ' && isdigit((unsigned char)line[2])) {
            char *q = strchr(line, '"'), *end = q ? strrchr(q + 1, '"') : NULL;
            mine = q && end && (size_t)(end - q - 1) == strlen(src) &&
                   !strncmp(q + 1, src, strlen(src));
        } else if (mine && has_asm(line) && bad++ < 4) {
            add_why(why, len, "%s uses inline assembly (asm): the grader refuses it, since "
                              "it could make system calls the lab does not allow\n",
                    shown);
        }
        free(line);
        p = e ? e + 1 : p + n;
    }
    return bad > 0;
}
