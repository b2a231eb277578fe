/* coverage_report.c: gcovr's JSON read back, and the summary a student reads: lines and
 * branches per file, the lines never run by function. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"

/* A reader of just enough JSON: a cursor, and an error that stops every reader after it. */
struct jp {
    const char *p;
    int depth;
    bool err;
};

static void ws(struct jp *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
        j->p++;
}

static bool eat(struct jp *j, char c)
{
    ws(j);
    if (j->err || *j->p != c)
        return false;
    j->p++;
    return true;
}

/* A string into buf (NULL: skipped); escapes read as the character, \u as '?'. */
static void jstr(struct jp *j, char *buf, size_t len)
{
    size_t n = 0;

    if (!eat(j, '"')) {
        j->err = true;
        return;
    }
    while (*j->p && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\' && *j->p) {
            c = *j->p++;
            if (c == 'u') {
                for (int k = 0; k < 4 && *j->p; k++)
                    j->p++;
                c = '?';
            }
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        if (buf && n + 1 < len)
            buf[n++] = c;
    }
    if (buf && len)
        buf[n] = '\0';
    if (*j->p != '"')
        j->err = true;
    else
        j->p++;
}

static double jnum(struct jp *j)
{
    char *end;
    double v;

    ws(j);
    v = strtod(j->p, &end);
    if (end == j->p)
        j->err = true;
    j->p = end;
    return v;
}

static bool jbool(struct jp *j)
{
    ws(j);
    if (!strncmp(j->p, "true", 4)) {
        j->p += 4;
        return true;
    }
    if (!strncmp(j->p, "false", 5))
        j->p += 5;
    else
        j->err = true;
    return false;
}

typedef void member_fn(struct jp *j, const char *key, void *ctx);
typedef void element_fn(struct jp *j, void *ctx);

/* Each member of an object: `on` reads its value. */
static void jobject(struct jp *j, member_fn *on, void *ctx)
{
    char key[64];

    if (!eat(j, '{') || ++j->depth > 64) {
        j->err = true;
        return;
    }
    if (!eat(j, '}')) {
        do {
            jstr(j, key, sizeof(key));
            if (!eat(j, ':'))
                j->err = true;
            else
                on(j, key, ctx);
        } while (!j->err && eat(j, ','));
        if (!eat(j, '}'))
            j->err = true;
    }
    j->depth--;
}

/* Each element of an array: `on` reads it. */
static void jarray(struct jp *j, element_fn *on, void *ctx)
{
    if (!eat(j, '[') || ++j->depth > 64) {
        j->err = true;
        return;
    }
    if (!eat(j, ']')) {
        do
            on(j, ctx);
        while (!j->err && eat(j, ','));
        if (!eat(j, ']'))
            j->err = true;
    }
    j->depth--;
}

static void skip(struct jp *j);

static void skip_member(struct jp *j, const char *key, void *ctx)
{
    (void)key, (void)ctx;
    skip(j);
}

static void skip_element(struct jp *j, void *ctx)
{
    (void)ctx;
    skip(j);
}

/* Any value, read and dropped. */
static void skip(struct jp *j)
{
    ws(j);
    if (*j->p == '"')
        jstr(j, NULL, 0);
    else if (*j->p == '{')
        jobject(j, skip_member, NULL);
    else if (*j->p == '[')
        jarray(j, skip_element, NULL);
    else if (*j->p == 't' || *j->p == 'f')
        jbool(j);
    else if (!strncmp(j->p, "null", 4))
        j->p += 4;
    else
        jnum(j);
}

/* One element more in *v (n of them, each sz bytes), zeroed; NULL when memory ran out. */
static void *grow(void **v, int *n, size_t sz)
{
    char *more = realloc(*v, (size_t)(*n + 1) * sz);

    if (!more)
        return NULL;
    *v = more;
    memset(more + (size_t)*n * sz, 0, sz);
    return more + (size_t)(*n)++ * sz;
}

static void func_member(struct jp *j, const char *key, void *ctx)
{
    struct cov_func *f = ctx;

    if (!strcmp(key, "name"))
        jstr(j, f->name, sizeof(f->name));
    else if (!strcmp(key, "lineno"))
        f->line = (int)jnum(j);
    else if (!strcmp(key, "execution_count"))
        f->calls = (long)jnum(j);
    else
        skip(j);
}

static void func_element(struct jp *j, void *ctx)
{
    struct cov_file *file = ctx;
    struct cov_func *f = grow((void **)&file->fn, &file->nfn, sizeof(*f));

    if (!f)
        j->err = true;
    else
        jobject(j, func_member, f);
}

/* One line of gcovr's: its number, count, branches, and whether it is code at all. */
struct line_in {
    struct cov_line l;
    bool noncode, excluded;
    int branches, hit;
};

static void branch_member(struct jp *j, const char *key, void *ctx)
{
    struct line_in *in = ctx;

    if (!strcmp(key, "count"))
        in->hit += jnum(j) > 0;
    else
        skip(j);
}

static void branch_element(struct jp *j, void *ctx)
{
    ((struct line_in *)ctx)->branches++;
    jobject(j, branch_member, ctx);
}

static void line_member(struct jp *j, const char *key, void *ctx)
{
    struct line_in *in = ctx;

    if (!strcmp(key, "line_number"))
        in->l.line = (int)jnum(j);
    else if (!strcmp(key, "count"))
        in->l.count = (long)jnum(j);
    else if (!strcmp(key, "gcovr/noncode"))
        in->noncode = jbool(j);
    else if (!strcmp(key, "gcovr/excluded"))
        in->excluded = jbool(j);
    else if (!strcmp(key, "branches"))
        jarray(j, branch_element, in);
    else
        skip(j);
}

static void line_element(struct jp *j, void *ctx)
{
    struct cov_file *file = ctx;
    struct line_in in = {0};
    struct cov_line *l;

    jobject(j, line_member, &in);
    if (j->err || in.excluded)
        return;
    file->branches += in.branches;
    file->branches_hit += in.hit;
    if (in.noncode)
        return;
    if (!(l = grow((void **)&file->ln, &file->nln, sizeof(*l))))
        j->err = true;
    else
        *l = in.l;
}

static void file_member(struct jp *j, const char *key, void *ctx)
{
    struct cov_file *f = ctx;

    if (!strcmp(key, "file"))
        jstr(j, f->path, sizeof(f->path));
    else if (!strcmp(key, "functions"))
        jarray(j, func_element, f);
    else if (!strcmp(key, "lines"))
        jarray(j, line_element, f);
    else
        skip(j);
}

static void file_element(struct jp *j, void *ctx)
{
    struct cov_report *r = ctx;
    struct cov_file *f = grow((void **)&r->f, &r->nf, sizeof(*f));

    if (!f)
        j->err = true;
    else
        jobject(j, file_member, f);
}

static void top_member(struct jp *j, const char *key, void *ctx)
{
    if (!strcmp(key, "files"))
        jarray(j, file_element, ctx);
    else
        skip(j);
}

static int line_order(const void *a, const void *b)
{
    return ((const struct cov_line *)a)->line - ((const struct cov_line *)b)->line;
}

static int func_order(const void *a, const void *b)
{
    return ((const struct cov_func *)a)->line - ((const struct cov_func *)b)->line;
}

int coverage_parse(const char *json, struct cov_report *r)
{
    struct jp j = {.p = json ? json : ""};

    memset(r, 0, sizeof(*r));
    jobject(&j, top_member, r);
    ws(&j);
    if (j.err || *j.p) {
        coverage_report_free(r);
        return -EINVAL;
    }
    for (int i = 0; i < r->nf; i++) {
        if (r->f[i].nln)
            qsort(r->f[i].ln, (size_t)r->f[i].nln, sizeof(*r->f[i].ln), line_order);
        if (r->f[i].nfn)
            qsort(r->f[i].fn, (size_t)r->f[i].nfn, sizeof(*r->f[i].fn), func_order);
    }
    return 0;
}

void coverage_report_free(struct cov_report *r)
{
    for (int i = 0; i < r->nf; i++) {
        free(r->f[i].fn);
        free(r->f[i].ln);
    }
    free(r->f);
    memset(r, 0, sizeof(*r));
}

/* The function a line belongs to: the last one to start at or before it; -1 for none. */
static int owner(const struct cov_file *f, int line)
{
    int k = -1;

    for (int i = 0; i < f->nfn && f->fn[i].line <= line; i++)
        k = i;
    return k;
}

/* The lines never run, a line per function: runs of executable lines not run (the
 * comments and braces between them do not break a run), never across two functions. */
static void print_missed(FILE *out, const struct cov_file *f)
{
    int cur = -2;

    for (int i = 0; i < f->nln; i++) {
        if (f->ln[i].count)
            continue;
        int k = owner(f, f->ln[i].line), first = f->ln[i].line;
        while (i + 1 < f->nln && !f->ln[i + 1].count && owner(f, f->ln[i + 1].line) == k)
            i++;
        if (k != cur) {
            const char *name = k >= 0 ? f->fn[k].name : "(outside any function)";
            fprintf(out, "%s    %s%s %s: ", cur == -2 ? "" : "\n", name, k >= 0 ? "()" : "",
                    k >= 0 && !f->fn[k].calls ? "never called" : "never ran");
            cur = k;
        } else {
            fprintf(out, ", ");
        }
        fprintf(out, first == f->ln[i].line ? "%d" : "%d-%d", first, f->ln[i].line);
    }
    if (cur != -2)
        fprintf(out, "\n");
}

static double pct(int part, int whole)
{
    return whole ? 100.0 * part / whole : 100.0;
}

void coverage_print(FILE *out, const struct cov_report *r)
{
    int width = 0;

    for (int i = 0; i < r->nf; i++)
        if ((int)strlen(r->f[i].path) > width)
            width = (int)strlen(r->f[i].path);
    for (int i = 0; i < r->nf; i++) {
        const struct cov_file *f = &r->f[i];
        int hit = 0;
        for (int k = 0; k < f->nln; k++)
            hit += f->ln[k].count > 0;
        fprintf(out, "  %-*s  lines %5.1f%% (%d/%d)", width, f->path, pct(hit, f->nln), hit,
                f->nln);
        if (f->branches)
            fprintf(out, "  branches %5.1f%% (%d/%d)\n", pct(f->branches_hit, f->branches),
                    f->branches_hit, f->branches);
        else
            fprintf(out, "  no branches\n");
        if (hit)
            print_missed(out, f);
        else if (f->nln)
            fprintf(out, "    none of it ran: these tests never call it\n");
    }
}
