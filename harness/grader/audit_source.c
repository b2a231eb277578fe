/* audit_source.c: a student's source as the compiler saw it: the headers it included
 * (gcc -MD's list), inline assembly and sanitizer opt-outs in its own lines, and #line
 * directives. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_int.h"

/* ---- headers ---- */

/* What audit_deps and audit_includes say of a header they refuse. */
#define INCLUDE_RULE                                                                               \
    "a file may include only system headers and the kit's headers (harness/include, the lab's "    \
    "header)"

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
            audit_add_why(why, len, "%s includes %s: %s\n", shown, real, INCLUDE_RULE);
    }
    free(text);
    return bad > 0;
}

/* Before the compiler runs: an #include of an absolute path outside the system's headers
 * (hostile include_dev_zero: "/dev/zero", an endless file the preprocessor would read
 * until its time limit) is refused at once, as audit_deps would refuse it afterwards. */
int audit_includes(const char *raw_text, const char *shown, char *why, size_t len)
{
    static const char *const ok[] = {AUDIT_SYSTEM_HEADER_DIRS, NULL};
    int bad = 0;

    why[0] = '\0';
    for (const char *l = raw_text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        const char *p = l, *end;
        bool fine = false;

        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '#')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, "include", 7) != 0)
            continue;
        p += 7;
        p += !strncmp(p, "_next", 5) ? 5 : 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if ((*p != '"' && *p != '<') || p[1] != '/')
            continue;
        end = strpbrk(p + 1, *p == '"' ? "\"\n" : ">\n");
        if (!end || *end == '\n')
            continue;
        for (const char *const *a = ok; *a && !fine; a++)
            fine =
                !strncmp(p + 1, *a, strlen(*a)) && !memmem(p + 1, (size_t)(end - p - 1), "..", 2);
        if (!fine && bad++ < 4)
            audit_add_why(why, len, "%s includes %.*s: %s\n", shown, (int)(end - p - 1), p + 1,
                          INCLUDE_RULE);
    }
    return bad > 0;
}

/* ---- inline assembly ---- */

static bool is_ident(int c)
{
    return isalnum(c) || c == '_';
}

/* Does this line of C (outside strings and character constants) use one of the words? */
static bool has_word(const char *l, const char *const *words)
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
            for (const char *const *w = words; *w; w++)
                if (strlen(*w) == n && !strncmp(p, *w, n))
                    return true;
            p += n - 1;
        }
    }
    return false;
}

static const char *const asm_words[] = {"asm", "__asm", "__asm__", NULL};

/* The attributes that take a function out of a sanitizer's sight, in GCC's and Clang's
 * spellings: a race the ThreadSanitizer run is there to catch would go unseen (red team,
 * no_sanitize_thread: a racy tally_add() passed shared_tally). */
static const char *const unsanitized_words[] = {"no_sanitize",
                                                "__no_sanitize__",
                                                "no_sanitize_thread",
                                                "__no_sanitize_thread__",
                                                "no_sanitize_address",
                                                "__no_sanitize_address__",
                                                "no_sanitize_undefined",
                                                "__no_sanitize_undefined__",
                                                "no_address_safety_analysis",
                                                "__no_address_safety_analysis__",
                                                "disable_sanitizer_instrumentation",
                                                "__disable_sanitizer_instrumentation__",
                                                NULL};

/* A line marker of gcc -E ("# 12 \"file\" 1 3"): its file name into name (len), whether it
 * enters or leaves an include (flag 1 or 2). False when the line is no marker. */
static bool marker(const char *line, char *name, size_t len, bool *include)
{
    const char *q, *end;

    if (line[0] != '#' || line[1] != ' ' || !isdigit((unsigned char)line[2]))
        return false;
    q = strchr(line, '"');
    end = q ? strrchr(q + 1, '"') : NULL;
    name[0] = '\0';
    *include = false;
    if (q && end) {
        snprintf(name, len, "%.*s", (int)(end - q - 1), q + 1);
        *include = strpbrk(end + 1, "12") != NULL;
    }
    return true;
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

int audit_source(const char *preprocessed, const char *src, const char *raw_text, const char *shown,
                 char *why, size_t len)
{
    char *copy = strdup(raw_text ? raw_text : ""), *save = NULL, cur[PATH_MAX] = "";
    bool mine = false, preamble = true;
    int bad = 0;

    if (!copy)
        return -ENOMEM;
    why[0] = '\0';
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (is_line_directive(l) && !bad++)
            audit_add_why(why, len,
                          "%s sets its own line numbers or file name (#line): the grader "
                          "refuses it, so that every line says where it comes from\n",
                          shown);
    free(copy);
    for (const char *p = preprocessed; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *line = strndup(p, n), name[PATH_MAX];
        bool include;

        if (!line)
            return -ENOMEM;
        if (marker(line, name, sizeof(name), &include)) {
            /* Past the compiler's preamble (its markers for <built-in>, <command-line> and
             * stdc-predef.h, which ends where the file itself begins), a new file name with
             * no include entered or left is a #line at work, however it was spelled
             * (%:line, ??=line, a comment or a continued line between # and line): the
             * raw text's check sees only the plain one. */
            if (preamble)
                preamble = !(cur[0] == '<' && strcmp(name, src) == 0);
            else if (!include && strcmp(name, cur) != 0 && !bad++)
                audit_add_why(why, len,
                              "%s sets its own line numbers or file name (#line): the grader "
                              "refuses it, so that every line says where it comes from\n",
                              shown);
            snprintf(cur, sizeof(cur), "%s", name);
            mine = strcmp(name, src) == 0;
            free(line);
            p = e ? e + 1 : p + n;
            continue;
        }
        if (line[strspn(line, " \t\r")])
            preamble = false; /* a line of code: whatever came before was the preamble */
        if (mine && has_word(line, asm_words) && bad++ < 4) {
            audit_add_why(why, len,
                          "%s uses inline assembly (asm): the grader refuses it, since "
                          "it could make system calls the lab does not allow\n",
                          shown);
        } else if (mine && has_word(line, unsanitized_words) && bad++ < 4) {
            audit_add_why(why, len,
                          "%s takes code out of the sanitizers' sight (a no_sanitize "
                          "attribute): the grader refuses it, since its race and memory "
                          "checks run the code with them\n",
                          shown);
        }
        free(line);
        p = e ? e + 1 : p + n;
    }
    return bad > 0;
}
