/* html.c: the HTML report of a run (labN.html): the page, its head, header and figures. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "html.h"
#include "html_int.h"
#include "json.h"
#include "report_file.h"

#define HTML_MAX_FIGS 64

static const enum item_kind kind_order[] = {ITEM_BUILD, ITEM_TEST, ITEM_RACE, ITEM_SPEED};

/* Responsive without a framework: cards that wrap, text that breaks, figures that shrink
 * or scroll in their own box; the scoreboard never scrolls sideways. */
static const char css[] =
    ":root{--pass:#2e7d32;--fail:#c62828;--todo:#8d6e00;--inc:#e65100;--skip:#757575;"
    "--err:#6a1b9a}\n"
    "*{box-sizing:border-box}\n"
    "body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;padding:.75rem;max-width:62rem;"
    "color:#222;background:#fafafa;overflow-wrap:anywhere}\n"
    "h1{font-size:1.35rem;margin:.3rem 0}h2{font-size:1.1rem;margin:1.2rem 0 .3rem}\n"
    ".score{font-size:1.2rem}.score b{font-size:1.6rem}\n"
    ".run{display:grid;grid-template-columns:max-content 1fr;gap:0 .75rem;font-size:.9rem;"
    "margin:.3rem 0}.run dt{color:#666}.run dd{margin:0;min-width:0}\n"
    ".banner{border:2px dashed var(--inc);background:#fff3e0;padding:.5rem .75rem;"
    "border-radius:6px}.banner.err{border:2px solid var(--err);background:#f3e5f5}\n"
    ".item{--c:var(--fail);background:#fff;border:1px solid #ddd;border-left:6px solid var(--c);"
    "border-radius:6px;padding:.4rem .7rem;margin:.45rem 0}\n"
    ".top{display:flex;flex-wrap:wrap;gap:.2rem .6rem;align-items:baseline}\n"
    ".badge{background:var(--c);color:#fff;font-weight:bold;font-size:.75rem;padding:.05rem .4rem;"
    "border-radius:4px;text-transform:uppercase;white-space:nowrap}\n"
    ".name{font-family:ui-monospace,monospace;font-weight:600;flex:1 1 10rem;min-width:0}\n"
    ".pts{margin-left:auto;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".mx,.hint,.reason{font-size:.9rem;margin:.2rem 0}.hint{color:#444}\n"
    ".v-pass{--c:var(--pass)}.v-not-implemented{--c:var(--todo)}.v-skipped{--c:var(--skip)}\n"
    ".v-harness-error{--c:var(--err)}\n"
    ".v-inconclusive{--c:var(--inc);border-style:dashed;border-left-style:dashed;"
    "background:repeating-linear-gradient(135deg,#fff 0 12px,#fff3e0 12px 24px)}\n"
    ".v-inconclusive .badge::after{content:' \\2014 not a fail'}\n"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f4f4;padding:.4rem;"
    "font-size:.8rem;max-height:24rem;overflow-y:auto;margin:.3rem 0}\n"
    "figure{margin:.5rem 0}.fig{background:#fff;border:1px solid #ddd}\n"
    ".fig img{display:block;max-width:100%;height:auto}figcaption{font-size:.85rem;color:#555}\n"
    ".labs{padding-left:1.2rem}.labs .cur{font-weight:bold}\n";

void html_put(FILE *f, const char *s, size_t max)
{
    uint32_t cp;
    size_t len;

    for (const char *end = max == SIZE_MAX ? NULL : s + max; *s && (!end || s < end); s += len) {
        len = json_utf8_len(s, &cp);
        if (len == 0 || (len == 1 && *s != '\t' && *s != '\n' && (cp < 0x20 || cp == 0x7F)) ||
            (cp >= 0x80 && cp < 0xA0)) {
            fprintf(f, "\\x%02x", (unsigned char)*s);
            len = 1;
        } else if (*s == '<') {
            fputs("&lt;", f);
        } else if (*s == '>') {
            fputs("&gt;", f);
        } else if (*s == '&') {
            fputs("&amp;", f);
        } else if (*s == '"') {
            fputs("&quot;", f);
        } else if (*s == '\'') {
            fputs("&#39;", f);
        } else {
            fwrite(s, 1, len, f);
        }
    }
}

/* A relative link to a file name: unreserved bytes as they are, the rest %XX. */
void html_put_url(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c))
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

bool html_is_file(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;

    return snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) &&
           stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The short state the index shows beside a score: letters, digits and spaces only. */
static void state_of(const struct report *r, char *buf, size_t size)
{
    int inconclusive = 0, errors = report_errors(r);

    for (size_t i = 0; i < r->n; i++)
        inconclusive += r->items[i].verdict == V_INCONCLUSIVE;
    if (errors)
        snprintf(buf, size, "%d harness error%s regrade", errors, errors == 1 ? "" : "s");
    else if (inconclusive)
        snprintf(buf, size, "%d inconclusive", inconclusive);
    else
        snprintf(buf, size, "%s", report_full(r) ? "full" : "");
}

void html_head(FILE *f, const char *title, const struct report *r)
{
    double max, got;
    char state[64];

    fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n",
          f);
    if (r) {
        got = report_score(r, &max);
        state_of(r, state, sizeof(state));
        fputs("<meta name=\"restaurant-lab\" content=\"", f);
        html_put(f, r->lab, SIZE_MAX);
        fprintf(f, "\">\n<meta name=\"restaurant-score\" content=\"%g/%g\">\n", got, max);
        fprintf(f, "<meta name=\"restaurant-state\" content=\"%s\">\n", state);
    }
    fputs("<title>", f);
    html_put(f, title, SIZE_MAX);
    fprintf(f, "</title>\n<style>\n%s</style></head>\n<body>\n", css);
}

static void put_banners(FILE *f, const struct report *r)
{
    int inconclusive = 0, errors = report_errors(r);

    for (size_t i = 0; i < r->n; i++)
        inconclusive += r->items[i].verdict == V_INCONCLUSIVE;
    if (errors)
        fprintf(f,
                "<p class=\"banner err\"><b>%d harness error%s</b>: the grader's own fault, not "
                "your code. This run must be graded again.</p>\n",
                errors, errors == 1 ? "" : "s");
    if (inconclusive)
        fprintf(f,
                "<p class=\"banner\"><b>%d inconclusive cell%s</b>: the machine was too busy to "
                "measure %s. %s 0 this run and %s never a fail: rerun on a quiet machine.</p>\n",
                inconclusive, inconclusive == 1 ? "" : "s", inconclusive == 1 ? "it" : "them",
                inconclusive == 1 ? "It scores" : "They score", inconclusive == 1 ? "is" : "are");
}

static void put_header(FILE *f, const struct report *r)
{
    double max, got = report_score(r, &max);

    fprintf(f, "<header>\n<h1>");
    html_put(f, r->lab, SIZE_MAX);
    fputs(": ", f);
    html_put(f, r->title, SIZE_MAX);
    fprintf(f,
            "</h1>\n<p class=\"score\">score <b class=\"got\">%g</b> / <span class=\"max\">%g"
            "</span>%s</p>\n<dl class=\"run\">\n<dt>source</dt><dd>",
            got, max, report_full(r) ? " (full marks)" : "");
    html_put(f, r->source[0] ? r->source : "-", SIZE_MAX);
    fprintf(f, "</dd>\n<dt>seed</dt><dd>%llu (SEED=%llu replays it)</dd>\n<dt>machine</dt><dd>",
            (unsigned long long)r->seed, (unsigned long long)r->seed);
    html_put(f, r->machine[0] ? r->machine : "-", SIZE_MAX);
    fprintf(f, "</dd>\n<dt>took</dt><dd>%.0f s</dd>\n</dl>\n</header>\n", r->elapsed_s);
    put_banners(f, r);
}

/* Speed chart and timelines beside the page: <stem>.svg, <stem>-timelines/x.svg. */
void html_put_figure(FILE *f, const char *src, const char *caption)
{
    fputs("<figure><div class=\"fig\"><a href=\"", f);
    html_put_url(f, src);
    fputs("\"><img src=\"", f);
    html_put_url(f, src);
    fputs("\" alt=\"", f);
    html_put(f, caption, SIZE_MAX);
    fputs("\"></a></div><figcaption>", f);
    html_put(f, caption, SIZE_MAX);
    fputs(" (open the figure for full size)</figcaption></figure>\n", f);
}

static int svg_only(const struct dirent *d)
{
    size_t len = strlen(d->d_name);
    return d->d_name[0] != '.' && len > 4 && !strcmp(d->d_name + len - 4, ".svg");
}

static void put_timelines(FILE *f, const char *dir, const char *stem)
{
    char sub[PATH_MAX], rel[PATH_MAX + 300];
    struct dirent **names;
    int n;

    if (snprintf(sub, sizeof(sub), "%s/%s-timelines", dir, stem) >= (int)sizeof(sub))
        return;
    n = scandir(sub, &names, svg_only, versionsort);
    if (n <= 0)
        return;
    fputs("<section class=\"timelines\"><h2>Timelines</h2>\n", f);
    for (int i = 0; i < n; i++) {
        if (i < HTML_MAX_FIGS) {
            snprintf(rel, sizeof(rel), "%s-timelines/%s", stem, names[i]->d_name);
            html_put_figure(f, rel, names[i]->d_name);
        }
        free(names[i]);
    }
    free(names);
    fputs("</section>\n", f);
}

/* Predictions vs measured: the place for the predictions feature (another module). When
 * the report carries the student's predictions, they are shown here, each beside what was
 * measured; today it carries none, so the page says nothing. */
static void put_predictions(FILE *f, const struct report *r)
{
    (void)r;
    fputs("<!-- predictions vs measured: none in this report -->\n", f);
}

/* The run's notes (sandbox, network, partial runs, the matrix row). */
static void put_notes(FILE *f, const struct report *r)
{
    if (!r->output || !r->output[0])
        return;
    fputs("<section class=\"notes\"><h2>Notes on this run</h2>\n", f);
    html_put_output(f, r->output);
    fputs("</section>\n", f);
}

static struct {
    const char *dir, *stem;
} page; /* what emit_lab needs beyond the report; the grader has one thread */

static int emit_lab(const struct report *r, FILE *f)
{
    char title[256];
    double max, got = report_score(r, &max);
    char chart[NAME_MAX + 1];

    snprintf(title, sizeof(title), "%s: %g/%g", r->lab, got, max);
    html_head(f, title, r);
    fputs("<nav><a href=\"index.html\">every lab graded so far</a></nav>\n", f);
    fprintf(f, "%s\n<article class=\"lab\">\n", BEGIN);
    put_header(f, r);
    for (size_t k = 0; k < sizeof(kind_order) / sizeof(kind_order[0]); k++)
        html_put_section(f, r, kind_order[k]);
    snprintf(chart, sizeof(chart), "%s.svg", page.stem);
    if (html_is_file(page.dir, chart)) {
        fputs("<section class=\"chart\"><h2>Speed against the bands</h2>\n", f);
        html_put_figure(f, chart, "each cell's speedup (median, range) against what passes");
        fputs("</section>\n", f);
    }
    put_timelines(f, page.dir, page.stem);
    put_predictions(f, r);
    put_notes(f, r);
    fprintf(f, "</article>\n%s\n</body></html>\n", END);
    return 0;
}

/* path's folder and its name without ".html", into dir and stem. */
static int split_path(const char *path, char *dir, char *stem)
{
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    size_t len = strlen(name);

    if (!slash)
        strcpy(dir, ".");
    else if (snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path) >= PATH_MAX)
        return -ENAMETOOLONG;
    if (slash == path)
        strcpy(dir, "/");
    if (len > 5 && !strcmp(name + len - 5, ".html"))
        len -= 5;
    if (len > NAME_MAX)
        return -ENAMETOOLONG;
    snprintf(stem, NAME_MAX + 1, "%.*s", (int)len, name);
    return 0;
}

int html_write_lab(const struct report *r, const char *path)
{
    char dir[PATH_MAX], stem[NAME_MAX + 1];
    int rc = split_path(path, dir, stem);

    if (rc)
        return rc;
    page.dir = dir, page.stem = stem;
    rc = report_write_file(path, emit_lab, r);
    page.dir = page.stem = NULL;
    return rc;
}

int html_write(const struct report *r, const char *path)
{
    char dir[PATH_MAX], stem[NAME_MAX + 1];
    const char *slash = strrchr(path, '/');
    int rc = split_path(path, dir, stem);

    if (!rc)
        rc = html_write_lab(r, path);
    if (!rc)
        rc = html_write_index(dir, slash ? slash + 1 : path);
    return rc;
}
