/* spec.c: read a lab's grading spec (format in spec.h) and total its items. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "spec_line.h"
#include "sys.h"

int spec_fail(struct spec_line *l, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(l->err, l->errlen, "%s:%d: ", l->name, l->no);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < l->errlen)
        vsnprintf(l->err + n, l->errlen - n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Split one line into words; "quoted words" keep their spaces, \" and \\ escape. */
static int tokenize(struct spec_line *l, const char *s)
{
    l->ntok = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#' || *s == '\n')
            return 0;
        if (l->ntok == SPEC_MAX_WORDS)
            return spec_fail(l, "too many words (at most %d)", SPEC_MAX_WORDS);
        char *t = l->tok[l->ntok++];
        size_t n = 0;
        int quoted = 0;
        while (*s && *s != '\n' && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '"') {
                quoted = !quoted;
                s++;
                continue;
            }
            if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            if (n + 1 >= SPEC_MAX_WORD)
                return spec_fail(l, "a word is longer than %d characters", SPEC_MAX_WORD - 1);
            t[n++] = *s++;
        }
        t[n] = '\0';
        if (quoted)
            return spec_fail(l, "unterminated quote");
    }
}

int spec_copy(struct spec_line *l, char *dst, size_t len, const char *src, const char *what)
{
    if (strlen(src) >= len)
        return spec_fail(l, "%s '%s' is too long (at most %zu characters)", what, src, len - 1);
    strcpy(dst, src);
    return 0;
}

int spec_number(struct spec_line *l, const char *s, double lo, double hi, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    if (errno || end == s || *end || *out < lo || *out > hi)
        return spec_fail(l, "'%s' is not a number from %g to %g", s, lo, hi);
    return 0;
}

/* One kind of declaration: the word that starts its line, and how the rest is read.
 * list, count: where struct spec keeps a file list (student, support) or a name list
 * (api, allow), and its length. */
struct decl {
    const char *word;
    int (*parse)(struct spec_line *l, struct spec *s, const struct decl *d);
    size_t list, count;
};

static int parse_title(struct spec_line *l, struct spec *s, const struct decl *d)
{
    (void)d;
    if (l->ntok != 2)
        return spec_fail(l, "lab takes one quoted title");
    return spec_copy(l, s->title, sizeof(s->title), l->tok[1], "title");
}

const char *spec_file_lab(const char *entry, char *lab, size_t len)
{
    const char *colon = strchr(entry, ':');
    size_t n = colon ? (size_t)(colon - entry) : 0;

    snprintf(lab, len, "%.*s", (int)n, entry);
    return colon ? colon + 1 : entry;
}

/* A file entry: a plain name, or (support, borrow) "labN-topic:name"; borrow needs one. */
static int check_file(struct spec_line *l, const struct decl *d, const char *t)
{
    char lab[64];
    const char *file = spec_file_lab(t, lab, sizeof(lab));
    bool other = strcmp(d->word, "student") != 0;

    if (strchr(t, '/') || !file[0] || strchr(file, ':'))
        return spec_fail(l, "%s file '%s' must be a plain name", d->word, t);
    if (file != t &&
        (!other || strspn(lab, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(lab) ||
         strncmp(lab, "lab", 3)))
        return spec_fail(l, "%s file '%s': 'labN-topic:' names another lab", d->word, t);
    if (!strcmp(d->word, "borrow") && file == t)
        return spec_fail(l, "borrow '%s' needs the lab it comes from: labN-topic:%s", t, t);
    return 0;
}

/* student, support and borrow: file names (support and borrow may name another lab). */
static int parse_files(struct spec_line *l, struct spec *s, const struct decl *d)
{
    char(*files)[64] = (char(*)[64])((char *)s + d->list);
    int *n = (int *)((char *)s + d->count);

    for (int i = 1; i < l->ntok; i++) {
        if (*n == SPEC_MAX_FILES)
            return spec_fail(l, "at most %d %s files (SPEC_MAX_FILES in spec.h)", SPEC_MAX_FILES,
                             d->word);
        if (check_file(l, d, l->tok[i]))
            return -EINVAL;
        if (spec_copy(l, files[(*n)++], sizeof(files[0]), l->tok[i], "file"))
            return -EINVAL;
    }
    return 0;
}

/* api and allow: C identifiers, kept in s->names, listed NULL-ended in the decl's list. */
static int parse_names(struct spec_line *l, struct spec *s, const struct decl *d)
{
    const char **list = (const char **)((char *)s + d->list);
    int *n = (int *)((char *)s + d->count);

    for (int i = 1; i < l->ntok; i++) {
        const char *t = l->tok[i];
        if (*n == SPEC_MAX_NAMES || s->nnames == 2 * SPEC_MAX_NAMES)
            return spec_fail(l, "at most %d names in %s (SPEC_MAX_NAMES in spec.h)", SPEC_MAX_NAMES,
                             d->word);
        if (!t[0] || strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_") != strlen(t))
            return spec_fail(l, "'%s' is not a C name", t);
        if (spec_copy(l, s->names[s->nnames], sizeof(s->names[0]), t, "name"))
            return -EINVAL;
        list[(*n)++] = s->names[s->nnames++];
    }
    return 0;
}

static int parse_item(struct spec_line *l, struct spec *s, const struct decl *d)
{
    (void)d;
    return spec_item(l, s); /* spec_item.c */
}

#define LIST(f, n) .list = offsetof(struct spec, f), .count = offsetof(struct spec, n)

static const struct decl decls[] = {
    {.word = "lab", .parse = parse_title},
    {.word = "student", .parse = parse_files, LIST(files, nfiles)},
    {.word = "support", .parse = parse_files, LIST(support, nsupport)},
    {.word = "borrow", .parse = parse_files, LIST(borrow, nborrow)},
    {.word = "api", .parse = parse_names, LIST(api, napi)},
    {.word = "allow", .parse = parse_names, LIST(allow, nallow)},
    {.word = "test", .parse = parse_item},
    {.word = "speed", .parse = parse_item},
    {.word = "race", .parse = parse_item},
};

static int parse_line(struct spec_line *l, struct spec *s)
{
    for (size_t i = 0; i < sizeof(decls) / sizeof(decls[0]); i++)
        if (!strcmp(l->tok[0], decls[i].word))
            return decls[i].parse(l, s, &decls[i]);
    return spec_fail(l,
                     "unknown declaration '%s' (lab, student, support, borrow, api, allow, "
                     "test, speed or race)",
                     l->tok[0]);
}

static int known_test(const struct spec *s, const char *name)
{
    for (int k = 0; k < s->ntests; k++)
        if (!strcmp(s->tests[k].name, name))
            return 1;
    return 0;
}

/* Every requires= must name a declared test (one declared later, too). */
static int check_requires(struct spec_line *l, const struct spec *s)
{
    for (int i = 0; i < s->nspeeds; i++)
        for (int j = 0; j < s->speeds[i].nrequires; j++)
            if (!known_test(s, s->speeds[i].requires[j]))
                return spec_fail(l, "speed %s requires unknown test %s", s->speeds[i].name,
                                 s->speeds[i].requires[j]);
    for (int i = 0; i < s->nraces; i++)
        for (int j = 0; j < s->races[i].nrequires; j++)
            if (!known_test(s, s->races[i].requires[j]))
                return spec_fail(l, "race %s requires unknown test %s", s->races[i].name,
                                 s->races[i].requires[j]);
    return 0;
}

/* Entries that name another lab ("lab4-gil:gil.c") are split: the file's name, and its
 * lab beside it. Borrowed files are built as the student's, after the lab's own: files[]
 * lists them too, with the lab each comes from in file_lab[]. */
static int split_labs(struct spec_line *l, struct spec *s)
{
    for (int i = 0; i < s->nsupport; i++) {
        char lab[64];
        const char *file = spec_file_lab(s->support[i], lab, sizeof(lab));

        snprintf(s->support_lab[i], sizeof(s->support_lab[0]), "%s", lab);
        memmove(s->support[i], file, strlen(file) + 1);
    }
    for (int i = 0; i < s->nborrow; i++) {
        char lab[64];
        const char *file = spec_file_lab(s->borrow[i], lab, sizeof(lab));

        if (s->nfiles == SPEC_MAX_FILES)
            return spec_fail(l,
                             "at most %d student and borrowed files (SPEC_MAX_FILES in "
                             "spec.h)",
                             SPEC_MAX_FILES);
        for (int j = 0; j < s->nfiles; j++)
            if (!strcmp(s->files[j], file))
                return spec_fail(l, "borrowed %s has the name of another student file", file);
        snprintf(s->files[s->nfiles], sizeof(s->files[0]), "%s", file);
        snprintf(s->file_lab[s->nfiles++], sizeof(s->file_lab[0]), "%s", lab);
    }
    return 0;
}

static int add_lab(const char *labs[], int n, int max, const char *lab)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(labs[i], lab))
            return n;
    if (n < max && lab[0])
        labs[n++] = lab;
    return n;
}

int spec_other_labs(const struct spec *s, const char *labs[], int max)
{
    int n = 0;

    for (int i = 0; i < s->nfiles; i++)
        n = add_lab(labs, n, max, s->file_lab[i]);
    for (int i = 0; i < s->nsupport; i++)
        n = add_lab(labs, n, max, s->support_lab[i]);
    return n;
}

int spec_parse(const char *text, const char *name, struct spec *s, char *err, size_t errlen)
{
    struct spec_line *l = calloc(1, sizeof(*l)); /* 16 KiB of words: not on the stack */
    int rc = 0;

    if (!l)
        return -ENOMEM;
    memset(s, 0, sizeof(*s));
    *l = (struct spec_line){.name = name, .err = err, .errlen = errlen};
    for (const char *p = text; *p && !rc;) {
        const char *nl = strchr(p, '\n');
        l->no++;
        rc = tokenize(l, p);
        if (!rc && l->ntok)
            rc = parse_line(l, s);
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (!rc && !s->nfiles)
        rc = spec_fail(l, "no student files declared");
    if (!rc)
        rc = split_labs(l, s);
    if (!rc)
        rc = check_requires(l, s);
    free(l);
    if (rc)
        spec_free(s);
    return rc;
}

int spec_load(const char *path, struct spec *s, char *err, size_t errlen)
{
    char *text;
    int rc;

    errno = 0;
    if (!(text = sys_slurp(path, SIZE_MAX, NULL))) {
        rc = errno ? -errno : -EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    rc = spec_parse(text, path, s, err, errlen);
    free(text);
    if (rc == 0) { /* the tests' own limits, from the tests.c beside the spec */
        char tc[PATH_MAX];
        const char *slash = strrchr(path, '/');

        snprintf(tc, sizeof(tc), "%.*stests.c", slash ? (int)(slash - path + 1) : 0, path);
        spec_load_limits(s, tc);
    }
    return rc;
}

void spec_free(struct spec *s)
{
    s->ntests = s->nspeeds = s->nraces = 0;
}

double spec_ideal(const char *expr, double W, double P, double N, double L, double T)
{
    struct expr_vars v = {.W = W, .P = P, .N = N, .L = L, .T = T};
    double x = expr_eval(expr, &v);

    return isfinite(x) && x > 0 ? x : -1;
}

double spec_max_score(const struct spec *s)
{
    double sum = 0;

    for (int i = 0; i < s->ntests; i++)
        sum += s->tests[i].points;
    for (int i = 0; i < s->nspeeds; i++)
        sum += s->speeds[i].points;
    for (int i = 0; i < s->nraces; i++)
        sum += s->races[i].points;
    return sum;
}
