/* gradebook.c: a CSV gradebook (a row per submission) from the batch run's results. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gradebook.h"
#include "gradebook_int.h"
#include "json.h"        /* json_plain: a field's control characters escaped */
#include "report_file.h" /* report_finite: numbers as results.json has them */

#define GRADEBOOK_NOTELEN 256
#define GRADEBOOK_FIELD   2048 /* bytes of a text field, escapes included (a name: 255) */

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

int gradebook_add_refused(struct gradebook *g, const char *submission, const char *lab,
                          double max_score, const char *why)
{
    int rc = gradebook_add_error(g, submission, lab, why);

    if (rc == 0) {
        g->rows[g->n - 1].refused = true;
        g->rows[g->n - 1].max_score = max_score;
    }
    return rc;
}

void gradebook_free(struct gradebook *g)
{
    for (size_t i = 0; i < g->n; i++)
        free_row(&g->rows[i]);
    free(g->rows);
    *g = (struct gradebook){0};
}

/* ---- the CSV ---- */

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

int gradebook_columns(const struct gradebook *g, struct columns *c)
{
    for (size_t i = 0; i < g->n; i++)
        for (size_t k = 0; k < g->rows[i].n; k++)
            if (add_column(c, g->rows[i].cells[k].name))
                return -ENOMEM;
    return 0;
}

/* One CSV text field, made safe first: a spreadsheet reads it as text and never runs it,
 * and a row stays one line. A field that starts with =, +, -, @, a tab or a carriage
 * return gets a ' in front (OWASP's advice against CSV injection: a submission named
 * "=cmd|..." is a folder name, not a formula); control characters (line breaks too) and
 * invalid UTF-8 become \xNN (json_plain). Quoted when it holds a comma, a quote or an
 * edge space. */
static void put_field(FILE *out, const char *s, bool first)
{
    char text[GRADEBOOK_FIELD];
    bool formula = s[0] && strchr("=+-@\t\r", s[0]);
    size_t len;
    bool quote;

    text[0] = '\'';
    json_plain(text + formula, sizeof(text) - formula, s);
    len = strlen(text);
    /* a ';' too: where a spreadsheet splits rows on it (Excel in most European locales),
     * an unquoted "a;=cmd|..." would be a cell of its own, a formula (red team 13) */
    quote = strpbrk(text, ",;\"") || (len && (text[0] == ' ' || text[len - 1] == ' '));
    if (!first)
        fputc(',', out);
    if (!quote) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
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
const struct gradebook_cell *gradebook_find_cell(const struct gradebook_row *row, const char *name,
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
    const double zero = 0;
    bool scored = !row->error || row->refused; /* a refused entry scores 0 */

    put_field(out, row->submission, true);
    put_field(out, row->lab, false);
    put_number(out, !row->error ? &row->score : row->refused ? &zero : NULL);
    put_number(out, scored && row->max_score >= 0 ? &row->max_score : NULL);
    for (size_t i = 0; i < c->n; i++) {
        const struct gradebook_cell *cell = gradebook_find_cell(row, c->names[i], &count);

        put_number(out, cell ? &cell->score : NULL);
        dups += count > 1;
    }
    if (!row->error) {
        put_notes(out, row, dups);
        return;
    }
    snprintf(note, sizeof(note), "%s%s", row->refused ? "" : "error: ", row->error);
    put_field(out, note, false);
}

int gradebook_write(const struct gradebook *g, FILE *out)
{
    struct columns c = {0};

    if (gradebook_columns(g, &c)) {
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
