/* gradebook_summary.c: <lab>-summary.md, what an instructor reads first about a batch. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gradebook.h"
#include "gradebook_int.h"
#include "gradebook_summary.h"
#include "json.h"
#include "report_md.h"

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
            const struct gradebook_cell *cell = gradebook_find_cell(&g->rows[i], c->names[k], &dup);
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

/* The entries refused unread (links), by name: each scores 0. */
static void put_refused(FILE *out, const struct gradebook *g)
{
    char name[4 * 256];
    int n = 0;

    for (size_t i = 0; i < g->n; i++)
        n += g->rows[i].refused;
    if (!n)
        return;
    fprintf(out, "- refused, nothing of them read (0 points): %d:", n);
    for (size_t i = 0, k = 0; i < g->n; i++) {
        if (!g->rows[i].refused)
            continue;
        fputs(k++ ? "; " : " ", out);
        md_put_text(out, json_plain(name, sizeof(name), g->rows[i].submission));
        fputs(" (", out);
        md_put_text(out, g->rows[i].error);
        fputc(')', out);
    }
    fputc('\n', out);
}

int gradebook_summary(const struct gradebook *g, FILE *out)
{
    struct columns c = {0};
    int graded = 0, errors = 0, harness = 0, full = 0;

    if (gradebook_columns(g, &c)) {
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
    put_refused(out, g);
    fprintf(out, "- with harness errors (the grader's fault; regrade): %d\n", harness);
    put_histogram(out, g, graded);
    put_failed(out, g, &c, graded);
    put_inconclusive(out, g, &c);
    free(c.names);
    return fflush(out) || ferror(out) ? -EIO : 0;
}
