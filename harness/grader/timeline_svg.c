/* timeline_svg.c: timelines drawn as SVG, a lane per core and a row per waiting worker. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "timeline.h"
#include "timeline_int.h"
#include "timeline_svg.h"

#define SVG_W   960
#define LEFT    150 /* lane names to the left */
#define RIGHT   930
#define LANE    24
#define WAITROW 11

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                      "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

static const char *colour(int w)
{
    return palette[w % (int)(sizeof(palette) / sizeof(*palette))];
}
/* A panel's boxes and the names and colours of its workers. */
struct view {
    struct tl_box *b;
    int n, nnamed;
    int order[TIMELINE_MAX_WORKERS];
    char names[TIMELINE_MAX_WORKERS][40];
};

static struct view *view_of(const struct timeline *tl)
{
    struct view *v = calloc(1, sizeof(*v));

    if (!v)
        return NULL;
    v->n = timeline_boxes(tl, &v->b);
    if (v->n < 0) {
        free(v);
        return NULL;
    }
    v->nnamed = timeline_names(tl, v->b, v->n, v->order, v->names);
    return v;
}

static void view_free(struct view *v)
{
    if (v)
        free(v->b);
    free(v);
}

/* Which workers ever wait (a row each under the cores, in order of appearance);
 * rows[w] = their row, or -1. Returns how many rows. */
static int wait_rows(const struct timeline *tl, const struct view *v, int *rows)
{
    int k = 0;

    for (int w = 0; w < tl->nw; w++)
        rows[w] = -1;
    for (int i = 0; i < v->n; i++)
        if (v->b[i].kind != TL_COOK)
            rows[v->b[i].worker] = 0;
    for (int o = 0; o < v->nnamed; o++)
        for (int w = 0; w < tl->nw; w++)
            if (v->order[w] == o && !rows[w])
                rows[w] = k++;
    return k;
}

static double xpx(double t, double tmax)
{
    return LEFT + (RIGHT - LEFT) * (t < 0 ? 0 : t > tmax ? tmax : t) / tmax;
}

static void box(FILE *f, const struct timeline *tl, const struct view *v, const struct tl_box *b,
                double y, double h, double tmax)
{
    const char *c = colour(v->order[b->worker]);
    double x0 = xpx(b->t0, tmax), x1 = xpx(b->t1, tmax);

    if (b->kind == TL_COOK)
        fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'>", x0, y, x1 - x0,
                h, c);
    else if (b->kind == TL_KITCHEN)
        fprintf(f,
                "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s' "
                "fill-opacity='0.25' stroke='%s' stroke-width='0.5'>",
                x0, y, x1 - x0, h, c, c);
    else
        fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='2' fill='#bbb'>", x0,
                y + h / 2 - 1, x1 - x0);
    fprintf(f, "<title>%s (", v->names[b->worker]);
    chart_put_text(f, tl->w[b->worker].comm);
    fprintf(f, "): %s %.1f-%.1f ms</title></rect>\n",
            b->kind == TL_COOK      ? "running"
            : b->kind == TL_KITCHEN ? "waiting on I/O"
                                    : "blocked",
            b->t0 * 1000, b->t1 * 1000);
}

static void lane_name(FILE *f, double y, const char *text, const char *fill)
{
    fprintf(f, "<text x='%d' y='%.1f' text-anchor='end' class='tick' fill='%s'>", LEFT - 8, y,
            fill);
    chart_put_text(f, text);
    fputs("</text>\n", f);
}

/* The core lanes and their boxes, from y on. */
static void cores(FILE *f, const struct timeline *tl, const struct view *v, double y, double tmax)
{
    char name[32];

    for (int c = 0; c < tl->ncores; c++) {
        snprintf(name, sizeof(name), "core %d", c);
        lane_name(f, y + LANE * c + LANE / 2 + 4, name, "#333");
        fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='#f4f4f4'/>\n", LEFT,
                (int)y + LANE * c + 1, RIGHT - LEFT, LANE - 2);
    }
    for (int i = 0; i < v->n; i++) {
        const struct tl_box *b = &v->b[i];
        if (b->kind == TL_COOK && b->cpu >= 0 && b->cpu < tl->ncores) {
            double h = (LANE - 2.0) / b->nslots;
            box(f, tl, v, b, y + LANE * b->cpu + 1 + h * b->slot, h, tmax);
        }
    }
}

/* One timeline's panel from y on; returns the y after it. */
static double panel(FILE *f, const struct timeline *tl, const struct view *v, double y, double tmax)
{
    int rows[TIMELINE_MAX_WORKERS], nrows = wait_rows(tl, v, rows);
    char waits[64];

    fprintf(f, "<text x='12' y='%.1f' class='label'>", y + 14);
    chart_put_text(f, tl->label);
    fprintf(f, " (%.0f ms, %d task%s%s)</text>\n", (span_end(tl) - span_start(tl)) * 1000,
            v->nnamed, v->nnamed == 1 ? "" : "s", tl->full ? "; too many samples: cut short" : "");
    y += 22;
    cores(f, tl, v, y, tmax);
    y += LANE * tl->ncores + 4;
    for (int w = 0; w < tl->nw; w++)
        if (rows[w] >= 0) {
            snprintf(waits, sizeof(waits), "%s waits", v->names[w]);
            lane_name(f, y + WAITROW * rows[w] + 9, waits, colour(v->order[w]));
        }
    for (int i = 0; i < v->n; i++)
        if (v->b[i].kind != TL_COOK)
            box(f, tl, v, &v->b[i], y + WAITROW * rows[v->b[i].worker] + 1, WAITROW - 2, tmax);
    return y + WAITROW * nrows + 10;
}

static double panel_height(const struct timeline *tl, const struct view *v)
{
    int rows[TIMELINE_MAX_WORKERS];

    return 22 + LANE * tl->ncores + 4 + WAITROW * wait_rows(tl, v, rows) + 10;
}

static void time_axis(FILE *f, double tmax, double top, double bottom)
{
    double ms = tmax * 1000, step = ms <= 20 ? 2 : ms <= 100 ? 10 : ms <= 500 ? 50 : 100;

    while (ms / step > 12)
        step *= 2;
    for (double v = 0; v <= ms + 1e-9; v += step) {
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#e4e4e4'/>\n",
                xpx(v / 1000, tmax), top, xpx(v / 1000, tmax), bottom);
        fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle' class='tick'>%g ms</text>\n",
                xpx(v / 1000, tmax), bottom + 13, v);
    }
}

static void legend(FILE *f, const struct timeline *tl, const struct view *v, double y)
{
    double x = LEFT;

    fprintf(f,
            "<text x='12' y='%.1f' class='note'>solid: running on that core (or ready to); "
            "pale box: waiting on I/O (an order at the kitchen); grey line: blocked (a lock, "
            "the GIL, a join, a pipe)</text>\n",
            y);
    y += 16;
    for (int o = 0; o < v->nnamed && o < 10; o++)
        for (int w = 0; w < tl->nw; w++)
            if (v->order[w] == o) {
                fprintf(f, "<rect x='%.1f' y='%.1f' width='10' height='10' fill='%s'/>", x, y - 9,
                        colour(o));
                fprintf(f, "<text x='%.1f' y='%.1f' class='tick'>%s</text>\n", x + 14, y,
                        v->names[w]);
                x += 14 + 6.5 * strlen(v->names[w]) + 12;
            }
}

int timeline_write_svg(const struct timeline *const *tl, int n, const char *title, const char *note,
                       const char *path)
{
    struct view *v[8] = {0};
    double tmax = 0.001, h = 70, y = 52;
    int most = 0, rc = -ENOMEM;
    FILE *f = NULL;

    if (n < 1 || n > 8)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        double d = span_end(tl[i]) - span_start(tl[i]);
        if (!(v[i] = view_of(tl[i])))
            goto out;
        tmax = d > tmax ? d : tmax;
        h += panel_height(tl[i], v[i]);
        most = v[i]->nnamed > v[most]->nnamed ? i : most; /* its names make the legend */
    }
    if (!(f = fopen(path, "w"))) {
        rc = -errno;
        goto out;
    }
    chart_begin(f, SVG_W, (int)h + 56);
    fputs("<text x='12' y='22' class='title'>", f);
    chart_put_text(f, title ? title : "");
    fputs("</text>\n<text x='12' y='40' class='note'>", f);
    chart_put_text(f, note ? note : "");
    fputs("</text>\n", f);
    for (int i = 0; i < n; i++)
        y = panel(f, tl[i], v[i], y, tmax);
    time_axis(f, tmax, 52, y);
    legend(f, tl[most], v[most], y + 34);
    fputs("</svg>\n", f);
    rc = fclose(f) ? -EIO : 0;
out:
    for (int i = 0; i < n; i++)
        view_free(v[i]);
    return rc;
}
