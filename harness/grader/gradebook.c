/* gradebook.c: a CSV gradebook (a row per submission and lab) from results.json files. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gradebook.h"
#include "json.h"

#define GRADEBOOK_ERRLEN 256

/* Every file read, and the union of item names over them in first-seen order. */
struct sheet {
    struct json **docs; /* NULL where the file could not be used */
    char (*errors)[GRADEBOOK_ERRLEN];
    const char **names; /* borrowed from docs */
    size_t n, nnames, cap;
};

/* A document we can use: an object with a tests array. */
static struct json *load(const char *path, char *err)
{
    struct json *doc = json_parse_file(path, err, GRADEBOOK_ERRLEN);
    const struct json *tests = json_get(doc, "tests");

    if (doc && (!tests || tests->type != JSON_ARRAY)) {
        snprintf(err, GRADEBOOK_ERRLEN, "%s: no \"tests\" array", path);
        json_free(doc);
        return NULL;
    }
    return doc;
}

static const char *test_name(const struct json *test)
{
    const struct json *name = json_get(test, "name");

    return name && name->type == JSON_STRING ? name->string : NULL;
}

static int add_name(struct sheet *s, const char *name)
{
    const char **names;

    for (size_t i = 0; i < s->nnames; i++)
        if (!strcmp(s->names[i], name))
            return 0;
    if (s->nnames == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        names = realloc(s->names, s->cap * sizeof(*names));
        if (!names)
            return -ENOMEM;
        s->names = names;
    }
    s->names[s->nnames++] = name;
    return 0;
}

static int collect_names(struct sheet *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct json *tests = json_get(s->docs[i], "tests");

        for (size_t t = 0; tests && t < tests->n; t++) {
            const char *name = test_name(tests->items[t]);

            if (name && add_name(s, name))
                return -ENOMEM;
        }
    }
    return 0;
}

/* One CSV field, quoted when it holds a comma, quote, line break or edge space. */
static void put_field(FILE *out, const char *s, bool first)
{
    size_t len = strlen(s);
    bool quote = strpbrk(s, ",\"\r\n") || (len && (s[0] == ' ' || s[len - 1] == ' '));

    if (!first)
        fputc(',', out);
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void put_number(FILE *out, const struct json *j)
{
    fputc(',', out);
    if (j && j->type == JSON_NUMBER)
        fprintf(out, "%.10g", j->number);
}

/* submission = the parent folder's name, lab = the file name without ".json". */
static void put_names(FILE *out, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *parent = slash ? slash : path;
    size_t blen = strlen(base);
    char *sub, *lab;

    while (parent > path && parent[-1] != '/')
        parent--;
    sub = strndup(parent, (size_t)((slash ? slash : path) - parent));
    if (blen > 5 && !strcmp(base + blen - 5, ".json"))
        blen -= 5;
    lab = strndup(base, blen);
    put_field(out, sub ? sub : "", true);
    put_field(out, lab ? lab : "", false);
    free(sub);
    free(lab);
}

static const struct json *find_test(const struct json *tests, const char *name, size_t *count)
{
    const struct json *found = NULL;

    *count = 0;
    for (size_t t = 0; t < tests->n; t++) {
        const char *tn = test_name(tests->items[t]);

        if (tn && !strcmp(tn, name) && (*count)++ == 0)
            found = tests->items[t];
    }
    return found;
}

static bool has_verdict(const struct json *test, const char *verdict)
{
    const struct json *v = json_get(json_get(test, "extra_data"), "verdict");

    return v && v->type == JSON_STRING && !strcmp(v->string, verdict);
}

/* The notes of a good row: the grader's own errors, inconclusive items, duplicate names. */
static void put_notes(FILE *out, const struct json *tests, size_t dups)
{
    char notes[GRADEBOOK_ERRLEN] = "";
    size_t inconclusive = 0, errors = 0, used = 0;

    for (size_t t = 0; t < tests->n; t++) {
        inconclusive += has_verdict(tests->items[t], "inconclusive");
        errors += has_verdict(tests->items[t], "harness error");
    }
    if (errors)
        used = (size_t)snprintf(notes, sizeof(notes), "%zu harness errors (the grader's "
                                "fault; regrade)", errors);
    if (inconclusive && used < sizeof(notes))
        used += (size_t)snprintf(notes + used, sizeof(notes) - used,
                                 "%s%zu inconclusive (scored 0; rerun)", used ? "; " : "",
                                 inconclusive);
    if (dups && used < sizeof(notes))
        snprintf(notes + used, sizeof(notes) - used, "%s%zu duplicate item names (first kept)",
                 used ? "; " : "", dups);
    put_field(out, notes, false);
}

static void put_row(FILE *out, const struct sheet *s, size_t i, const char *path)
{
    const struct json *doc = s->docs[i], *tests = json_get(doc, "tests");
    size_t dups = 0, count;
    char note[GRADEBOOK_ERRLEN + 8];

    put_names(out, path);
    put_number(out, json_get(doc, "score"));
    put_number(out, json_get(doc, "max_score"));
    for (size_t c = 0; c < s->nnames; c++) {
        const struct json *test = tests ? find_test(tests, s->names[c], &count) : NULL;

        put_number(out, json_get(test, "score"));
        dups += test && count > 1;
    }
    if (doc) {
        put_notes(out, tests, dups);
        return;
    }
    snprintf(note, sizeof(note), "error: %s", s->errors[i]);
    put_field(out, note, false);
}

static int write_sheet(const struct sheet *s, char *const paths[], FILE *out)
{
    put_field(out, "submission", true);
    put_field(out, "lab", false);
    put_field(out, "score", false);
    put_field(out, "max_score", false);
    for (size_t c = 0; c < s->nnames; c++)
        put_field(out, s->names[c], false);
    put_field(out, "notes", false);
    fputc('\n', out);
    for (size_t i = 0; i < s->n; i++) {
        put_row(out, s, i, paths[i]);
        fputc('\n', out);
    }
    return fflush(out) || ferror(out) ? -EIO : 0;
}

int gradebook_write(char *const paths[], size_t n, FILE *out)
{
    struct sheet s = {.n = n};
    int rc = -ENOMEM;

    s.docs = calloc(n ? n : 1, sizeof(*s.docs));
    s.errors = calloc(n ? n : 1, sizeof(*s.errors));
    if (!s.docs || !s.errors)
        goto out_free;
    for (size_t i = 0; i < n; i++)
        s.docs[i] = load(paths[i], s.errors[i]);
    rc = collect_names(&s);
    if (!rc)
        rc = write_sheet(&s, paths, out);
out_free:
    for (size_t i = 0; s.docs && i < n; i++)
        json_free(s.docs[i]);
    free(s.docs);
    free(s.errors);
    free(s.names);
    return rc;
}
