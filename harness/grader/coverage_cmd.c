/* coverage_cmd.c: the command lines of grade --coverage: each compile, the tests' filter,
 * gcovr's; and where a student's file is. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "coverage.h"
#include "coverage_cmd.h"

void cov_arg(struct cov_argv *a, const char *fmt, ...)
{
    size_t room = sizeof(a->pool) - a->used;
    va_list ap;
    int n;

    if (a->full || a->n >= COV_MAX_ARGS) {
        a->full = true;
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(a->pool + a->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        a->full = true;
        return;
    }
    a->v[a->n++] = a->pool + a->used;
    a->v[a->n] = NULL;
    a->used += (size_t)n + 1;
}

void cov_words(struct cov_argv *a, const char *words)
{
    for (const char *p = words ? words : ""; *p;) {
        p += strspn(p, " \t\n");
        size_t k = strcspn(p, " \t\n");
        if (k)
            cov_arg(a, "%.*s", (int)k, p);
        p += k;
    }
}

void coverage_cc(const struct cov_build *b, const char *src, const char *obj, bool instrument,
                 struct cov_argv *a)
{
    cov_arg(a, "%s", b->cc);
    cov_words(a, b->cflags);
    cov_arg(a, "-O0"); /* every line its own: an optimiser merges and drops them */
    if (instrument)
        cov_arg(a, "--coverage");
    cov_arg(a, "-I%s/harness/include", b->root);
    cov_arg(a, "-I%s/harness/labs/%s", b->root, b->lab);
    for (int k = 0; k < b->nother; k++)
        cov_arg(a, "-I%s/harness/labs/%s", b->root, b->other_labs[k]);
    cov_words(a, b->cr_cflags);
    cov_arg(a, "-c");
    cov_arg(a, "%s", src);
    cov_arg(a, "-o");
    cov_arg(a, "%s", obj);
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

int coverage_source(const struct opts *o, const struct spec *s, int i, char *path, size_t len)
{
    const char *name = s->files[i], *lab = s->file_lab[i], *base = strrchr(o->src, '/');

    if (!lab[0]) {
        snprintf(path, len, "%s/%s", o->src, name);
        return exists(path) ? 0 : -ENOENT;
    }
    /* as build.c's borrowed(): labs/lab6-choosing -> labs/lab4-gil/gil.c, then inside */
    if (base && !strcmp(base + 1, o->lab)) {
        snprintf(path, len, "%.*s/%s/%s", (int)(base - o->src), o->src, lab, name);
        if (exists(path))
            return 0;
    }
    snprintf(path, len, "%s/%s/%s", o->src, lab, name);
    if (exists(path))
        return 0;
    snprintf(path, len, "%s/%s", o->src, name);
    if (exists(path))
        return 0;
    snprintf(path, len, "%s/labs/%s/%s", o->root, lab, name);
    return 1;
}

int coverage_filter(const struct spec *s, bool all, char *buf, size_t len)
{
    size_t used;
    int n;

    buf[0] = '\0';
    if (all)
        return s->ntests;
    n = snprintf(buf, len, "--filter=@(");
    for (int i = 0; i < s->ntests && n >= 0 && (size_t)n < len; i++) {
        const char *name = s->tests[i].name, *sep = strstr(name, "::");
        used = (size_t)n;
        n += snprintf(buf + used, len - used, "%s%.*s/%s", i ? "|" : "",
                      sep ? (int)(sep - name) : (int)strlen(name), name, sep ? sep + 2 : "*");
    }
    if (n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, ")");
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return -1;
    }
    return s->ntests;
}

/* A path as a regex that matches it alone (gcovr: one starting with '/' is absolute). */
static void regex_of(const char *path, char *buf, size_t len)
{
    size_t n = 0;

    for (const char *p = path; *p && n + 3 < len; p++) {
        if (strchr(".^$*+?()[]{}|\\", *p))
            buf[n++] = '\\';
        buf[n++] = *p;
    }
    buf[n++] = '$';
    buf[n] = '\0';
}

void coverage_gcovr(const char *root, const char *objdir, const char *dir, const char *title,
                    char sources[][1100], int n, struct cov_argv *a)
{
    char re[2300];

    cov_arg(a, "gcovr");
    cov_arg(a, "--root");
    cov_arg(a, "%s", root);
    for (int i = 0; i < n; i++) {
        regex_of(sources[i], re, sizeof(re));
        cov_arg(a, "--filter");
        cov_arg(a, "%s", re);
    }
    cov_arg(a, "--html-details");
    cov_arg(a, "%s/index.html", dir);
    cov_arg(a, "--html-title");
    cov_arg(a, "%s", title);
    cov_arg(a, "--json");
    cov_arg(a, "%s/coverage.json", dir);
    cov_arg(a, "%s", objdir);
}
