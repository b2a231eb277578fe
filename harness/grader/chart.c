/* chart.c: an SVG chart of a run's speed cells: measured speedups against their bands. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "chart.h"
#include "report.h"

#define W     900
#define LEFT  230 /* labels to the left of the plot */
#define RIGHT 690 /* the plot ends here; values are written after it */
#define ROW   34
#define TOP   64

static double xmax_of(const struct report *r)
{
    double m = 1.2;

    for (size_t i = 0; i < r->n; i++) {
        const struct figure *f = &r->items[i].fig;
        if (!f->set)
            continue;
        m = fmax(m, f->hi * 1.1);
        m = fmax(m, f->ideal * 1.15);
        m = fmax(m, f->want_ge * 1.2);
        m = fmax(m, f->want_le * 1.1);
    }
    return m;
}

static double px(double v, double xmax)
{
    return LEFT + (RIGHT - LEFT) * (v < 0 ? 0 : v > xmax ? xmax : v) / xmax;
}

/* XML text: what json_put_string escapes is not enough here; <, >, & and quotes are. */
void chart_put_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '\'')
            fputs("&apos;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else if ((unsigned char)*s >= 0x20)
            fputc(*s, f);
    }
}

void chart_begin(FILE *f, int w, int h)
{
    fprintf(f,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "font-family='sans-serif'>\n<style>.label{font-size:13px}.tick{font-size:11px;"
            "fill:#666}.value{font-size:12px}.title{font-size:15px;font-weight:bold}"
            ".note{font-size:11px;fill:#555}</style>\n<rect width='100%%' height='100%%' "
            "fill='white'/>\n",
            w, h);
}

static void axis(FILE *f, double xmax, int bottom)
{
    double step = xmax <= 2.5 ? 0.5 : xmax <= 6 ? 1 : xmax <= 15 ? 2 : 5;

    for (double v = 0; v <= xmax + 1e-9; v += step) {
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>\n", px(v, xmax),
                TOP - 8, px(v, xmax), bottom);
        fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle' class='tick'>%gx</text>\n",
                px(v, xmax), bottom + 14, v);
    }
}

static const char *colour(enum verdict v)
{
    return v == V_PASS ? "#2e7d32" : v == V_INCONCLUSIVE ? "#ef6c00" : "#c62828";
}

static void row(FILE *f, const struct item *it, int y, double xmax)
{
    const struct figure *g = &it->fig;
    double lo = g->want_ge, hi = g->want_le ? g->want_le : xmax;

    fprintf(f, "<text x='%d' y='%d' text-anchor='end' class='label'>", LEFT - 10, y + 5);
    chart_put_text(f, it->name);
    fprintf(f, "</text>\n");
    if (g->want_ge || g->want_le) /* a cell that checks only cpu/wall has no band here */
        fprintf(f, "<rect x='%.1f' y='%d' width='%.1f' height='18' fill='#e8f5e9'/>\n",
                px(lo, xmax), y - 9, px(hi, xmax) - px(lo, xmax));
    if (g->ideal > 0)
        fprintf(f,
                "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#555' "
                "stroke-dasharray='3,2'/>\n",
                px(g->ideal, xmax), y - 11, px(g->ideal, xmax), y + 11);
    fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' stroke-width='3'/>\n",
            px(g->lo, xmax), y, px(g->hi, xmax), y, colour(it->verdict));
    fprintf(f, "<circle cx='%.1f' cy='%d' r='5' fill='%s'/>\n", px(g->med, xmax), y,
            colour(it->verdict));
    fprintf(f, "<text x='%d' y='%d' class='value' fill='%s'>%.2fx, cpu/wall %.2f: %s</text>\n",
            RIGHT + 8, y + 5, colour(it->verdict), g->med, g->cpuwall, verdict_name(it->verdict));
}

int report_write_svg(const struct report *r, const char *path)
{
    int rows = 0, y;
    double xmax = xmax_of(r);
    FILE *f;

    for (size_t i = 0; i < r->n; i++)
        rows += r->items[i].kind == ITEM_SPEED && r->items[i].fig.set;
    if (!rows) { /* and no chart left from an earlier run to mislead */
        if (remove(path) < 0 && errno != ENOENT)
            return -errno;
        return 0;
    }
    if (!(f = fopen(path, "w")))
        return -errno;
    y = TOP + rows * ROW;
    chart_begin(f, W + 80, y + 50);
    fputs("<text x='12' y='22' class='title'>", f);
    chart_put_text(f, r->lab);
    fputs(": speedup over the baseline (median and range of clean pairs)</text>\n"
          "<text x='12' y='40' class='note'>green band: what passes; dashed: the ideal; ",
          f);
    chart_put_text(f, r->machine);
    fputs("</text>\n", f);
    axis(f, xmax, y - ROW / 2 + 6);
    y = TOP;
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].kind != ITEM_SPEED || !r->items[i].fig.set)
            continue;
        row(f, &r->items[i], y, xmax);
        y += ROW;
    }
    fputs("</svg>\n", f);
    return fclose(f) ? -EIO : 0;
}
