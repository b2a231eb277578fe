/* html.c: the HTML report of a run (labN.html) and the index of the lab pages beside it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "html.h"
#include "json.h"
#include "report_file.h"
#include "sys.h"

#define HTML_OUTPUT_CAP (16 * 1024) /* bytes of an item's output on the page */
#define HTML_REASON_CAP 240         /* bytes of an inconclusive item's reason */
#define HTML_HEAD_CAP   4096        /* bytes of a page the index reads for its <meta>s */
#define HTML_PAGE_CAP   (32u << 20) /* bytes of the page the index embeds */
#define HTML_MAX_PAGES  64
#define HTML_MAX_FIGS   64
#define BEGIN           "<!-- lab-report:begin -->"
#define END             "<!-- lab-report:end -->"

static const enum item_kind kind_order[] = {ITEM_BUILD, ITEM_TEST, ITEM_RACE, ITEM_SPEED};
static const char *const kind_title[] = {
    [ITEM_BUILD] = "Build", [ITEM_TEST] = "Tests", [ITEM_RACE] = "Races", [ITEM_SPEED] = "Speed"};

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
static void put_url(FILE *f, const char *s)
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

/* "not implemented" as a CSS class: "v-not-implemented". */
static void put_class(FILE *f, enum verdict v)
{
    fputs("v-", f);
    for (const char *s = verdict_name(v); *s; s++)
        fputc(*s == ' ' ? '-' : *s, f);
}

static bool is_file(const char *dir, const char *name)
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

static void head(FILE *f, const char *title, const struct report *r)
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

/* The first line of an inconclusive item's output is its reason. */
static void put_reason(FILE *f, const struct item *it)
{
    const char *out = it->output ? it->output : "";
    size_t len = strcspn(out, "\n");

    fputs("<p class=\"reason\"><b>Inconclusive, not a fail:</b> ", f);
    if (len > HTML_REASON_CAP) {
        html_put(f, out, HTML_REASON_CAP);
        fputs(" [...]", f);
    } else if (len) {
        html_put(f, out, len);
    } else
        fputs("the speed could not be measured cleanly", f);
    fputs("<br>It scores 0 this run; rerun on a quiet machine.</p>\n", f);
}

/* An item's output, cut after HTML_OUTPUT_CAP bytes at a character boundary. */
static void put_output(FILE *f, const char *out)
{
    size_t len = strlen(out), keep = len;

    if (!len)
        return;
    if (len > HTML_OUTPUT_CAP) {
        keep = HTML_OUTPUT_CAP;
        while (keep > 0 && ((unsigned char)out[keep] & 0xC0) == 0x80)
            keep--;
    }
    fputs("<pre>", f);
    html_put(f, out, keep);
    if (keep < len)
        fprintf(f, "\n[... %zu more bytes cut: the whole text is in the results JSON]", len - keep);
    fputs("</pre>\n", f);
}

/* An item's name, which a narrow screen may break after each "::" (suite::test). */
static void put_name(FILE *f, const char *name)
{
    const char *sep;

    while ((sep = strstr(name, "::"))) {
        html_put(f, name, (size_t)(sep - name) + 2);
        fputs("<wbr>", f);
        name = sep + 2;
    }
    html_put(f, name, SIZE_MAX);
}

static void put_item(FILE *f, const struct item *it)
{
    const char *out = it->output ? it->output : "";

    fputs("<div class=\"item ", f);
    put_class(f, it->verdict);
    fprintf(f,
            "\" data-verdict=\"%s\" data-kind=\"%s\">\n<div class=\"top\"><span class=\"badge\">",
            verdict_name(it->verdict), item_kind_name(it->kind));
    fprintf(f, "%s</span><span class=\"name\">", verdict_name(it->verdict));
    put_name(f, it->name);
    fprintf(f, "</span><span class=\"pts\">%g / %g</span></div>\n", it->score, it->max_score);
    if (it->measured[0] || it->expected[0]) {
        fputs("<p class=\"mx\">", f);
        if (it->measured[0]) {
            fputs("measured <b class=\"measured\">", f);
            html_put(f, it->measured, SIZE_MAX);
            fputs("</b>", f);
        }
        if (it->expected[0]) {
            fputs(it->measured[0] ? "; want <span class=\"expected\">"
                                  : "want <span class=\"expected\">",
                  f);
            html_put(f, it->expected, SIZE_MAX);
            fputs("</span>", f);
        }
        fputs("</p>\n", f);
    }
    if (it->verdict == V_PASS)
        goto out;
    if (it->verdict == V_INCONCLUSIVE) {
        put_reason(f, it);
        out += strcspn(out, "\n");
        out += *out == '\n';
    }
    if (it->hint[0]) {
        fputs("<p class=\"hint\">hint: ", f);
        html_put(f, it->hint, SIZE_MAX);
        fputs("</p>\n", f);
    }
    put_output(f, out);
out:
    fputs("</div>\n", f);
}

static void put_section(FILE *f, const struct report *r, enum item_kind k)
{
    double got = 0, max = 0;
    size_t n = 0;

    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kind == k) {
            got += r->items[i].score, max += r->items[i].max_score;
            n++;
        }
    if (!n)
        return;
    fprintf(f, "<section class=\"kind-%s\"><h2>%s <small>(%g / %g)</small></h2>\n",
            item_kind_name(k), kind_title[k], got, max);
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].kind == k)
            put_item(f, &r->items[i]);
    fputs("</section>\n", f);
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
static void put_figure(FILE *f, const char *src, const char *caption)
{
    fputs("<figure><div class=\"fig\"><a href=\"", f);
    put_url(f, src);
    fputs("\"><img src=\"", f);
    put_url(f, src);
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
            put_figure(f, rel, names[i]->d_name);
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
    put_output(f, r->output);
    fputs("</section>\n", f);
}

static struct {
    const char *dir, *stem, *current;
} page; /* what the emitters below need beyond the report; the grader has one thread */

static int emit_lab(const struct report *r, FILE *f)
{
    char title[256];
    double max, got = report_score(r, &max);
    char chart[NAME_MAX + 1];

    snprintf(title, sizeof(title), "%s: %g/%g", r->lab, got, max);
    head(f, title, r);
    fputs("<nav><a href=\"index.html\">every lab graded so far</a></nav>\n", f);
    fprintf(f, "%s\n<article class=\"lab\">\n", BEGIN);
    put_header(f, r);
    for (size_t k = 0; k < sizeof(kind_order) / sizeof(kind_order[0]); k++)
        put_section(f, r, kind_order[k]);
    snprintf(chart, sizeof(chart), "%s.svg", page.stem);
    if (is_file(page.dir, chart)) {
        fputs("<section class=\"chart\"><h2>Speed against the bands</h2>\n", f);
        put_figure(f, chart, "each cell's speedup (median, range) against what passes");
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

/* A lab page found beside the index: its file, lab, score and state (from its <meta>s). */
struct page_meta {
    char file[NAME_MAX + 1];
    char lab[64], score[64], state[64];
    struct timespec mtime;
};

/* The content of <meta name="NAME" content="..."> in head, if it holds only letters,
 * digits and " ./_-" (what html.c writes there): anything else is not ours. */
static bool meta(const char *head, const char *name, char *buf, size_t size)
{
    char key[96];
    const char *p, *q;

    snprintf(key, sizeof(key), "<meta name=\"%s\" content=\"", name);
    if (!(p = strstr(head, key)))
        return false;
    p += strlen(key);
    if (!(q = strchr(p, '"')) || (size_t)(q - p) >= size)
        return false;
    for (const char *c = p; c < q; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./_-", *c))
            return false;
    snprintf(buf, size, "%.*s", (int)(q - p), p);
    return true;
}

static int html_only(const struct dirent *d)
{
    size_t len = strlen(d->d_name);
    return d->d_name[0] != '.' && len > 5 && !strcmp(d->d_name + len - 5, ".html") &&
           strcmp(d->d_name, "index.html");
}

/* The lab pages in dir, in version order (lab2 before lab10); how many. */
static int find_pages(const char *dir, struct page_meta *pages, int max)
{
    struct dirent **names;
    char path[PATH_MAX];
    struct stat st;
    int n = scandir(dir, &names, html_only, versionsort), found = 0;

    for (int i = 0; i < n; i++) {
        struct page_meta *p = &pages[found];
        char *text = NULL;

        if (found < max &&
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path))
            text = sys_slurp(path, HTML_HEAD_CAP, NULL);
        if (text && meta(text, "restaurant-lab", p->lab, sizeof(p->lab)) &&
            meta(text, "restaurant-score", p->score, sizeof(p->score)) && !stat(path, &st)) {
            if (!meta(text, "restaurant-state", p->state, sizeof(p->state)))
                p->state[0] = '\0';
            snprintf(p->file, sizeof(p->file), "%s", names[i]->d_name);
            p->mtime = st.st_mtim;
            found++;
        }
        free(text);
        free(names[i]);
    }
    if (n > 0)
        free(names);
    return found;
}

static bool newer(struct timespec a, struct timespec b)
{
    return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

/* The current page's report, copied as it is: its student text is already escaped, so
 * the markers cannot occur inside it. */
static void put_embedded(FILE *f, const char *dir, const char *file)
{
    char path[PATH_MAX];
    char *text, *b, *e;

    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return;
    text = sys_slurp(path, HTML_PAGE_CAP, NULL);
    if (text && (b = strstr(text, BEGIN)) && (e = strstr(b, END))) {
        fputs("<hr>\n", f);
        fwrite(b + strlen(BEGIN), 1, (size_t)(e - b) - strlen(BEGIN), f);
    }
    free(text);
}

static void put_matrix(FILE *f, const char *dir)
{
    bool svg = is_file(dir, "matrix.svg"), md = is_file(dir, "matrix.md");

    if (!svg && !md)
        return;
    fputs("<section class=\"matrix\"><h2>The course's matrix</h2>\n", f);
    if (svg)
        put_figure(f, "matrix.svg", "every lab's versions, measured on this machine");
    if (md)
        fputs("<p><a href=\"matrix.md\">matrix.md</a> (the same, as a Markdown table)</p>\n", f);
    fputs("</section>\n", f);
}

static int emit_index(const struct report *unused, FILE *f)
{
    static struct page_meta pages[HTML_MAX_PAGES];
    int n = find_pages(page.dir, pages, HTML_MAX_PAGES), cur = -1;

    (void)unused;
    for (int i = 0; i < n; i++)
        if (page.current ? !strcmp(pages[i].file, page.current)
                         : cur < 0 || newer(pages[i].mtime, pages[cur].mtime))
            cur = i;
    head(f, "The restaurant lab: results", NULL);
    fputs("<h1>The restaurant lab: results</h1>\n<ul class=\"labs\">\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "<li%s><a href=\"", i == cur ? " class=\"cur\"" : "");
        put_url(f, pages[i].file);
        fprintf(f, "\">%s</a> <span class=\"score\" data-lab=\"%s\">%s</span>%s%s</li>\n",
                pages[i].lab, pages[i].lab, pages[i].score, pages[i].state[0] ? ", " : "",
                pages[i].state);
    }
    if (!n)
        fputs("<li>no lab graded yet: make check LAB=N</li>\n", f);
    fputs("</ul>\n", f);
    put_matrix(f, page.dir);
    if (cur >= 0)
        put_embedded(f, page.dir, pages[cur].file);
    fputs("</body></html>\n", f);
    return 0;
}

int html_write_index(const char *dir, const char *current)
{
    char path[PATH_MAX];
    int rc;

    struct stat st;

    if (snprintf(path, sizeof(path), "%s/index.html", dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) /* a folder of pages, not one made up */
        return -ENOENT;
    page.dir = dir, page.current = current;
    rc = report_write_file(path, emit_index, NULL);
    page.dir = page.current = NULL;
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

int html_index_main(const char *dir)
{
    int rc = html_write_index(dir, NULL);

    if (rc < 0)
        fprintf(stderr, "grade: could not write %s/index.html: %s\n", dir, strerror(-rc));
    return rc < 0 ? 2 : 0;
}
