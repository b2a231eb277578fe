/* gradebook.c: a CSV gradebook (a row per submission) from the batch run's results. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gradebook.h"
#include "report_file.h" /* report_finite: numbers as results.json has them */

#define GRADEBOOK_NOTELEN 256

/* A new row at the end of g, zeroed, or NULL when out of memory. */
static struct gradebook_row *new_row(struct gradebook *g)
{
    struct gradebook_row *rows;

    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;

        rows = realloc(g->rows, cap * sizeof(*rows));
        if (!rows)
            return NULL;
        g->rows = rows;
        g->cap = cap;
    }
    memset(&g->rows[g->n], 0, sizeof(g->rows[0]));
    return &g->rows[g->n++];
}

static void free_row(struct gradebook_row *row)
{
    free(row->submission);
    free(row->lab);
    free(row->cells);
    free(row->error);
}

/* Drop the row just added (its allocation failed part way). */
static int drop_last(struct gradebook *g)
{
    free_row(&g->rows[--g->n]);
    return -ENOMEM;
}

int gradebook_add(struct gradebook *g, const char *submission, const struct report *r)
{
    struct gradebook_row *row = new_row(g);

    if (!row)
        return -ENOMEM;
    row->submission = strdup(submission);
    row->lab = strdup(r->lab);
    row->cells = calloc(r->n ? r->n : 1, sizeof(*row->cells));
    if (!row->submission || !row->lab || !row->cells)
        return drop_last(g);
    row->score = report_finite(report_score(r, &row->max_score));
    row->max_score = report_finite(row->max_score);
    for (size_t i = 0; i < r->n; i++) {
        memcpy(row->cells[i].name, r->items[i].name, sizeof(row->cells[i].name));
        row->cells[i].score = report_finite(r->items[i].score);
        row->cells[i].verdict = r->items[i].verdict;
        if (r->items[i].output &&
            (r->items[i].verdict == V_INCONCLUSIVE || r->items[i].verdict == V_ERROR))
            snprintf(row->cells[i].why, sizeof(row->cells[i].why), "%.*s",
                     (int)strcspn(r->items[i].output, "\n"), r->items[i].output);
    }
    row->n = r->n;
    return 0;
}

int gradebook_add_error(struct gradebook *g, const char *submission, const char *lab,
                        const char *why)
{
    struct gradebook_row *row = new_row(g);

    if (!row)
        return -ENOMEM;
    row->submission = strdup(submission);
    row->lab = strdup(lab);
    row->error = strdup(why);
    if (!row->submission || !row->lab || !row->error)
        return drop_last(g);
    return 0;
}

void gradebook_free(struct gradebook *g)
{
    for (size_t i = 0; i < g->n; i++)
        free_row(&g->rows[i]);
    free(g->rows);
    *g = (struct gradebook){0};
}

/* ---- the CSV ---- */

/* The union of item names over all rows, first seen first (borrowed from the rows). */
struct columns {
    const char **names;
    size_t n, cap;
};

static int add_column(struct columns *c, const char *name)
{
    const char **names;

    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->names[i], name))
            return 0;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        names = realloc(c->names, c->cap * sizeof(*names));
        if (!names)
            return -ENOMEM;
        c->names = names;
    }
    c->names[c->n++] = name;
    return 0;
}

static int collect_columns(const struct gradebook *g, struct columns *c)
{
    for (size_t i = 0; i < g->n; i++)
        for (size_t k = 0; k < g->rows[i].n; k++)
            if (add_column(c, g->rows[i].cells[k].name))
                return -ENOMEM;
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

/* ",<number>", or an empty field when there is none. */
static void put_number(FILE *out, const double *x)
{
    fputc(',', out);
    if (x)
        fprintf(out, "%.10g", *x);
}

/* The first cell of the row named name, and how many there are. */
static const struct gradebook_cell *find_cell(const struct gradebook_row *row, const char *name,
                                              size_t *count)
{
    const struct gradebook_cell *found = NULL;

    *count = 0;
    for (size_t k = 0; k < row->n; k++)
        if (!strcmp(row->cells[k].name, name) && (*count)++ == 0)
            found = &row->cells[k];
    return found;
}

/* The notes of a graded row: the grader's own errors, inconclusive items, duplicate names. */
static void put_notes(FILE *out, const struct gradebook_row *row, size_t dups)
{
    char notes[GRADEBOOK_NOTELEN] = "";
    size_t inconclusive = 0, errors = 0, used = 0;

    for (size_t k = 0; k < row->n; k++) {
        inconclusive += row->cells[k].verdict == V_INCONCLUSIVE;
        errors += row->cells[k].verdict == V_ERROR;
    }
    if (errors)
        used = (size_t)snprintf(notes, sizeof(notes),
                                "%zu harness errors (the grader's "
                                "fault; regrade)",
                                errors);
    if (inconclusive && used < sizeof(notes))
        used += (size_t)snprintf(notes + used, sizeof(notes) - used,
                                 "%s%zu inconclusive (scored 0; rerun)", used ? "; " : "",
                                 inconclusive);
    if (dups && used < sizeof(notes))
        snprintf(notes + used, sizeof(notes) - used, "%s%zu duplicate item names (first kept)",
                 used ? "; " : "", dups);
    put_field(out, notes, false);
}

static void put_row(FILE *out, const struct gradebook_row *row, const struct columns *c)
{
    char note[GRADEBOOK_NOTELEN + 8];
    size_t dups = 0, count;

    put_field(out, row->submission, true);
    put_field(out, row->lab, false);
    put_number(out, row->error ? NULL : &row->score);
    put_number(out, row->error ? NULL : &row->max_score);
    for (size_t i = 0; i < c->n; i++) {
        const struct gradebook_cell *cell = find_cell(row, c->names[i], &count);

        put_number(out, cell ? &cell->score : NULL);
        dups += count > 1;
    }
    if (!row->error) {
        put_notes(out, row, dups);
        return;
    }
    snprintf(note, sizeof(note), "error: %s", row->error);
    put_field(out, note, false);
}

int gradebook_write(const struct gradebook *g, FILE *out)
{
    struct columns c = {0};

    if (collect_columns(g, &c)) {
        free(c.names);
        return -ENOMEM;
    }
    put_field(out, "submission", true);
    put_field(out, "lab", false);
    put_field(out, "score", false);
    put_field(out, "max_score", false);
    for (size_t i = 0; i < c.n; i++)
        put_field(out, c.names[i], false);
    put_field(out, "notes", false);
    fputc('\n', out);
    for (size_t i = 0; i < g->n; i++) {
        put_row(out, &g->rows[i], &c);
        fputc('\n', out);
    }
    free(c.names);
    return fflush(out) || ferror(out) ? -EIO : 0;
}

/* ---- the summary ---- */

enum { SUMMARY_BINS = 11, SUMMARY_TOP = 10 };

/* Per item name (a column): how often each verdict. */
struct tally {
    const char *name;
    size_t column; /* ties keep the gradebook's column order */
    int count[NVERDICTS];
    int not_passed; /* verdicts the student's code earned: not pass, inconclusive, error */
};

/* Per reason (numbers as '#'): how many inconclusive cells gave it. */
struct reason {
    char text[sizeof(((struct gradebook_cell *)0)->why)];
    int n;
};

static void put_histogram(FILE *out, const struct gradebook *g, int graded)
{
    int bins[SUMMARY_BINS] = {0};

    fprintf(out, "\n## Scores\n\n```\n");
    for (size_t i = 0; i < g->n; i++) {
        const struct gradebook_row *row = &g->rows[i];
        double f = row->max_score > 0 ? row->score / row->max_score : 0;
        int b = f >= 1 ? SUMMARY_BINS - 1 : f <= 0 ? 0 : (int)(f * 10);
        if (!row->error)
            bins[b]++;
    }
    for (int b = 0; b < SUMMARY_BINS; b++) {
        char label[16];
        if (b == SUMMARY_BINS - 1)
            snprintf(label, sizeof(label), "100%%");
        else
            snprintf(label, sizeof(label), "%d-%d%%", b * 10, b * 10 + 9);
        fprintf(out, "%8s %4d ", label, bins[b]);
        for (int k = 0; k < bins[b] && k < 60; k++)
            fputc('#', out);
        fputc('\n', out);
    }
    fprintf(out, "```\n(%d graded)\n", graded);
}

static int cmp_tally(const void *a, const void *b)
{
    const struct tally *x = a, *y = b;

    if (y->not_passed != x->not_passed)
        return y->not_passed - x->not_passed;
    return x->column < y->column ? -1 : x->column > y->column;
}

static bool earned(enum verdict v)
{
    return v != V_PASS && v != V_INCONCLUSIVE && v != V_ERROR;
}

static void put_failed(FILE *out, const struct gradebook *g, const struct columns *c, int graded)
{
    struct tally *t = calloc(c->n ? c->n : 1, sizeof(*t));
    int shown = 0;

    if (!t)
        return;
    for (size_t k = 0; k < c->n; k++) {
        t[k].name = c->names[k], t[k].column = k;
        for (size_t i = 0; i < g->n; i++) {
            size_t dup;
            const struct gradebook_cell *cell = find_cell(&g->rows[i], c->names[k], &dup);
            if (!cell)
                continue;
            t[k].count[cell->verdict]++;
            t[k].not_passed += earned(cell->verdict);
        }
    }
    qsort(t, c->n, sizeof(*t), cmp_tally);
    fprintf(out, "\n## Most often not passed\n\n");
    for (size_t k = 0; k < c->n && shown < SUMMARY_TOP && t[k].not_passed; k++, shown++) {
        fprintf(out, "- %s: %d of %d (", t[k].name, t[k].not_passed, graded);
        for (int v = 0, first = 1; v < NVERDICTS; v++)
            if (earned((enum verdict)v) && t[k].count[v]) {
                fprintf(out, "%s%s %d", first ? "" : ", ", verdict_name((enum verdict)v),
                        t[k].count[v]);
                first = 0;
            }
        fprintf(out, ")\n");
    }
    if (!shown)
        fprintf(out, "- none: every graded item passed (or was inconclusive)\n");
    free(t);
}

/* A reason without its numbers, so that "3 of 5 pairs" and "2 of 5 pairs" count as one. */
static void reason_key(const char *why, char *key, size_t len)
{
    size_t k = 0;

    for (const char *p = why; *p && k + 1 < len; p++) {
        if ((*p >= '0' && *p <= '9') || (*p == '.' && p > why && p[-1] >= '0' && p[-1] <= '9')) {
            while ((p[1] >= '0' && p[1] <= '9') || (p[1] == '.' && p[2] >= '0' && p[2] <= '9'))
                p++;
            key[k++] = '#';
        } else {
            key[k++] = *p;
        }
    }
    key[k] = '\0';
}

static int cmp_reason(const void *a, const void *b)
{
    const struct reason *x = a, *y = b;

    return y->n != x->n ? y->n - x->n : strcmp(x->text, y->text);
}

/* Inconclusive cells: per reason, then per item. */
static void put_inconclusive(FILE *out, const struct gradebook *g, const struct columns *c)
{
    size_t total = 0, nr = 0, rows = 0;
    struct reason *rs = NULL;

    for (size_t i = 0; i < g->n; i++) {
        bool any = false;
        for (size_t k = 0; k < g->rows[i].n; k++) {
            const struct gradebook_cell *cell = &g->rows[i].cells[k];
            char key[sizeof(rs->text)];
            size_t r;
            if (cell->verdict != V_INCONCLUSIVE)
                continue;
            total++, any = true;
            reason_key(cell->why[0] ? cell->why : "no reason given", key, sizeof(key));
            for (r = 0; r < nr && strcmp(rs[r].text, key); r++)
                ;
            if (r == nr) {
                struct reason *more = realloc(rs, (nr + 1) * sizeof(*rs));
                if (!more)
                    continue;
                rs = more;
                rs[nr] = (struct reason){.n = 0};
                memcpy(rs[nr++].text, key, sizeof(key));
            }
            rs[r].n++;
        }
        rows += any;
    }
    fprintf(out, "\n## Inconclusive\n\n%zu inconclusive cells in %zu submissions", total, rows);
    if (!total) {
        fprintf(out, ".\n");
        free(rs);
        return;
    }
    fprintf(out, " (each scores 0 until re-timed: `make regrade`).\n\nBy item:\n");
    for (size_t k = 0; k < c->n; k++) {
        int n = 0;
        for (size_t i = 0; i < g->n; i++)
            for (size_t m = 0; m < g->rows[i].n; m++)
                n += g->rows[i].cells[m].verdict == V_INCONCLUSIVE &&
                     !strcmp(g->rows[i].cells[m].name, c->names[k]);
        if (n)
            fprintf(out, "- %s: %d\n", c->names[k], n);
    }
    qsort(rs, nr, sizeof(*rs), cmp_reason);
    fprintf(out, "\nWhy (numbers shown as #):\n");
    for (size_t r = 0; r < nr; r++)
        fprintf(out, "- %d: %s\n", rs[r].n, rs[r].text);
    free(rs);
}

int gradebook_summary(const struct gradebook *g, FILE *out)
{
    struct columns c = {0};
    int graded = 0, errors = 0, harness = 0, full = 0;

    if (collect_columns(g, &c)) {
        free(c.names);
        return -ENOMEM;
    }
    for (size_t i = 0; i < g->n; i++) {
        const struct gradebook_row *row = &g->rows[i];
        if (row->error) {
            errors++;
            continue;
        }
        graded++;
        full += row->max_score > 0 && row->score >= row->max_score;
        for (size_t k = 0; k < row->n; k++)
            if (row->cells[k].verdict == V_ERROR) {
                harness++;
                break;
            }
    }
    fprintf(out, "# %s: %zu submissions\n\n", g->n ? g->rows[0].lab : "batch", g->n);
    fprintf(out, "- graded: %d (full score: %d)\n- not graded: %d\n", graded, full, errors);
    fprintf(out, "- with harness errors (the grader's fault; regrade): %d\n", harness);
    put_histogram(out, g, graded);
    put_failed(out, g, &c, graded);
    put_inconclusive(out, g, &c);
    free(c.names);
    return fflush(out) || ferror(out) ? -EIO : 0;
}
