/* matrix_render.c: the note's table as words: terminal, Markdown, SVG, and a grading's note. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "report.h"

#define CELL_W 27 /* terminal: a table cell's width */
#define ROW_W  24

/* A few words for the grid; the sentences below it say the rest. */
static const char *tag(enum mx_state s)
{
    static const char *tags[] = {
        [MX_NO_CELL] = "(no cell)", [MX_NO_RESULTS] = "not run", [MX_NOT_MEASURED] = "not measured",
        [MX_STALE] = "STALE",       [MX_INCONCLUSIVE] = "????",  [MX_UNTESTABLE] = "1 core",
        [MX_HOLDS] = "holds",       [MX_FAILS] = "NOT",
    };
    return s <= MX_FAILS ? tags[s] : "?";
}

static const char *color_of(enum mx_state s)
{
    return s == MX_HOLDS                                ? "\033[32m"
           : s == MX_FAILS                              ? "\033[31m"
           : s == MX_INCONCLUSIVE || s == MX_UNTESTABLE ? "\033[33m"
                                                        : "\033[2m";
}

void matrix_cell_text(const struct mx_cell *c, char *buf, size_t len)
{
    if (!c->claim)
        snprintf(buf, len, "-");
    else if (c->state >= MX_STALE && c->fig.set)
        snprintf(buf, len, "%.2fx (%.2f-%.2f) %s", c->fig.med, c->fig.lo, c->fig.hi, tag(c->state));
    else
        snprintf(buf, len, "%s", tag(c->state));
}

static void python_text(const struct matrix *m, int row, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int c = 0; c < m->t.ncols && used < len; c++)
        if (m->py.cell[row][c].set)
            used += snprintf(buf + used, len - used, "%s%s %.2fx", used ? ", " : "", m->t.col[c],
                             m->py.cell[row][c].med);
    if (!used)
        snprintf(buf, len, "-");
}

void matrix_sentence(const struct matrix *m, int row, int col, char *buf, size_t len)
{
    const struct mx_cell *c = &m->cell[row][col];
    const struct mx_fig *f = &c->fig;
    int n = snprintf(buf, len, "%s, %s: ", m->t.row_title[row], m->t.col_title[col]);

    if (n < 0 || (size_t)n >= len)
        return;
    buf += n, len -= (size_t)n;
    if (c->state == MX_NO_CELL) {
        snprintf(buf, len, "no speed cell of the course measures it (the note says %s)",
                 c->claim->words);
        return;
    }
    if (!f->set) {
        char when[80] = "";
        if (f->at[0])
            snprintf(when, sizeof(when), ", seed %llu, graded %s", f->seed, f->at);
        snprintf(buf, len, "%s (%s %s%s%s%s); the note says %s", matrix_state_name(c->state),
                 c->lab, c->item, c->why[0] ? ": " : "", c->why, when, c->claim->words);
        return;
    }
    snprintf(buf, len,
             "%.2fx (%.2f-%.2f), cpu/wall %.2f, ideal %.2fx = %s (P=%g, W=%d, N=%d); the note says "
             "%s: %s%s%s (%s %s, seed %llu, measured %s)",
             f->med, f->lo, f->hi, f->cpuwall, f->ideal, f->ideal_expr[0] ? f->ideal_expr : "?",
             f->P, f->workers, f->jobs, c->claim->words, matrix_state_name(c->state),
             c->why[0] ? ": " : "", c->why, c->lab, c->item, f->seed, f->at[0] ? f->at : "?");
}

void matrix_print(const struct matrix *m, FILE *f, bool color)
{
    const char *on = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
    char text[256];

    fprintf(f,
            "%sThe note's table, measured on your code (%s/): speedup over sequential, "
            "median (lo-hi), and the note's claim%s\n",
            on, m->tree, off);
    fprintf(f, "%-*s", ROW_W, "");
    for (int c = 0; c < m->t.ncols; c++)
        fprintf(f, " %-*s", CELL_W, m->t.col_title[c]);
    fprintf(f, " CPython, now\n");
    for (int r = 0; r < m->t.nrows; r++) {
        fprintf(f, "%-*s", ROW_W, m->t.row_title[r]);
        for (int c = 0; c < m->t.ncols; c++) {
            const struct mx_cell *cell = &m->cell[r][c];
            matrix_cell_text(cell, text, sizeof(text));
            fprintf(f, " %s%-*s%s", color && cell->claim ? color_of(cell->state) : "", CELL_W, text,
                    color && cell->claim ? off : "");
        }
        python_text(m, r, text, sizeof(text));
        fprintf(f, " %s\n", text);
    }
    fprintf(f, "(holds / NOT: the note's claim holds or not; ????: inconclusive, the machine was "
               "busy; 1 core: cannot show; STALE: older than your sources)\n");
    for (int r = 0; r < m->t.nrows; r++)
        for (int c = 0; c < m->t.ncols; c++)
            if (m->cell[r][c].claim) {
                matrix_sentence(m, r, c, text, sizeof(text));
                fprintf(f, "  - %s\n", text);
            }
    fprintf(f, "CPython: %s\n", m->py.says);
    if (m->rerun[0])
        fprintf(f,
                "inconclusive (the machine was busy): %s: rerun their labs on a quieter machine\n",
                m->rerun);
    if (m->todo[0])
        fprintf(f, "%snot current: %s%s (or make matrix MEASURE=1: the missing cells only)\n",
                color ? "\033[33m" : "", m->todo, off);
}

void matrix_markdown(const struct matrix *m, FILE *f)
{
    char text[1024];

    fprintf(f, "# The note's table, measured on your code (`%s/`)\n\n", m->tree);
    fprintf(f, "Speedup over sequential: median (lo-hi) of clean pairs, and whether the note's "
               "claim holds.\n\n| |");
    for (int c = 0; c < m->t.ncols; c++)
        fprintf(f, " %s |", m->t.col_title[c]);
    fprintf(f, " CPython, now |\n|---|");
    for (int c = 0; c <= m->t.ncols; c++)
        fprintf(f, "---|");
    fputc('\n', f);
    for (int r = 0; r < m->t.nrows; r++) {
        fprintf(f, "| %s |", m->t.row_title[r]);
        for (int c = 0; c < m->t.ncols; c++) {
            matrix_cell_text(&m->cell[r][c], text, sizeof(text));
            fprintf(f, " %s |", text);
        }
        python_text(m, r, text, sizeof(text));
        fprintf(f, " %s |\n", text);
    }
    fputc('\n', f);
    for (int r = 0; r < m->t.nrows; r++)
        for (int c = 0; c < m->t.ncols; c++)
            if (m->cell[r][c].claim) {
                matrix_sentence(m, r, c, text, sizeof(text));
                fprintf(f, "- %s\n", text);
            }
    fprintf(f, "\nCPython: %s\n", m->py.says);
    if (m->rerun[0])
        fprintf(f, "\nInconclusive (the machine was busy): %s\n", m->rerun);
    if (m->todo[0])
        fprintf(f, "\n**Not current**: %s\n", m->todo);
}

/* XML text: <, > and & escaped, control characters dropped. */
static void put_xml(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '<' || *s == '>' || *s == '&')
            fputs(*s == '<' ? "&lt;" : *s == '>' ? "&gt;" : "&amp;", f);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
}

static const char *fill_of(const struct mx_cell *c)
{
    if (!c->claim)
        return "#ffffff";
    return c->state == MX_HOLDS                                       ? "#cfe8cf"
           : c->state == MX_FAILS                                     ? "#f4c7c3"
           : c->state == MX_INCONCLUSIVE || c->state == MX_UNTESTABLE ? "#fce8b2"
                                                                      : "#eeeeee";
}

#define SVG_LEFT 190
#define SVG_COL  190
#define SVG_ROW  44
#define SVG_TOP  56

static void svg_cell(FILE *f, const struct mx_cell *c, int x, int y)
{
    char fig[64];

    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='%s' stroke='#999'/>\n", x, y,
            SVG_COL, SVG_ROW, fill_of(c));
    if (!c->claim)
        return;
    if (c->fig.set)
        snprintf(fig, sizeof(fig), "%.2fx (%.2f-%.2f)", c->fig.med, c->fig.lo, c->fig.hi);
    else
        snprintf(fig, sizeof(fig), "-");
    fprintf(f, "<text x='%d' y='%d' class='fig'>%s</text>\n", x + 8, y + 18, fig);
    fprintf(f, "<text x='%d' y='%d' class='tag'>", x + 8, y + 36);
    put_xml(f, matrix_state_name(c->state));
    fputs("</text>\n", f);
}

void matrix_svg(const struct matrix *m, FILE *f)
{
    int w = SVG_LEFT + (m->t.ncols + 1) * SVG_COL + 10, h = SVG_TOP + m->t.nrows * SVG_ROW + 40;
    char text[256];

    fprintf(f,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "font-family='sans-serif' font-size='13'>\n",
            w, h);
    fputs("<style>.fig{font-weight:bold}.tag{fill:#444}.head{font-weight:bold}</style>\n", f);
    fprintf(f, "<text x='10' y='22' class='head'>The note's table, measured on your code (");
    put_xml(f, m->tree);
    fputs("/): speedup over sequential</text>\n", f);
    for (int c = 0; c <= m->t.ncols; c++) {
        fprintf(f, "<text x='%d' y='%d' class='head'>", SVG_LEFT + c * SVG_COL + 8, SVG_TOP - 8);
        put_xml(f, c < m->t.ncols ? m->t.col_title[c] : "CPython, now");
        fputs("</text>\n", f);
    }
    for (int r = 0; r < m->t.nrows; r++) {
        int y = SVG_TOP + r * SVG_ROW;
        fprintf(f, "<text x='10' y='%d' class='head'>", y + 27);
        put_xml(f, m->t.row_title[r]);
        fputs("</text>\n", f);
        for (int c = 0; c < m->t.ncols; c++)
            svg_cell(f, &m->cell[r][c], SVG_LEFT + c * SVG_COL, y);
        python_text(m, r, text, sizeof(text));
        fprintf(f, "<text x='%d' y='%d'>", SVG_LEFT + m->t.ncols * SVG_COL + 8, y + 27);
        put_xml(f, text);
        fputs("</text>\n", f);
    }
    fprintf(f, "<text x='10' y='%d' class='tag'>CPython: ", h - 14);
    put_xml(f, m->py.says);
    fputs("</text>\n</svg>\n", f);
}

void matrix_fig_of(const struct item *it, struct mx_fig *f)
{
    const struct figure *g = &it->fig;
    time_t t = (time_t)g->at;
    struct tm tm;

    *f = (struct mx_fig){.set = g->set,
                         .med = g->med,
                         .lo = g->lo,
                         .hi = g->hi,
                         .cpuwall = g->cpuwall,
                         .want_ge = g->want_ge,
                         .want_le = g->want_le,
                         .ideal = g->ideal,
                         .P = g->P,
                         .workers = g->workers,
                         .jobs = g->jobs,
                         .clean = g->clean,
                         .seed = g->seed,
                         .when = t};
    snprintf(f->name, sizeof(f->name), "%.63s", it->name);
    snprintf(f->verdict, sizeof(f->verdict), "%s", verdict_name(it->verdict));
    snprintf(f->matrix, sizeof(f->matrix), "%s", g->matrix);
    snprintf(f->ideal_expr, sizeof(f->ideal_expr), "%s", g->ideal_expr);
    snprintf(f->source, sizeof(f->source), "%s", g->source);
    if (g->at && gmtime_r(&t, &tm))
        strftime(f->at, sizeof(f->at), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void matrix_note(struct report *r, const char *root)
{
    struct matrix *m = calloc(1, sizeof(*m));
    char err[1400], line[700];
    bool any = false;

    if (!m || !root || matrix_table_load(root, &m->t, err, sizeof(err)) < 0)
        goto out;
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];
        int row, col;
        if (it->kind != ITEM_SPEED || !it->fig.matrix[0])
            continue;
        const struct mx_claim *claim = matrix_claim(&m->t, it->fig.matrix, &row, &col);
        if (!claim)
            continue;
        struct mx_cell *c = &m->cell[row][col];
        c->claim = claim;
        snprintf(c->lab, sizeof(c->lab), "%.31s", r->lab);
        snprintf(c->item, sizeof(c->item), "%.63s", it->name);
        matrix_fig_of(it, &c->fig);
        c->state = matrix_verdict(c->claim, &c->fig);
        matrix_sentence(m, row, col, line, sizeof(line));
        if (!any)
            report_note(r, "the note's table (make matrix), this lab's cells:\n");
        any = true;
        report_note(r, "  %s\n", line);
    }
out:
    free(m);
}
