/* report.c: the graded items of a run: the terminal scoreboard, results.json and JUnit XML. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "report.h"

#define REPORT_OUTPUT_CAP  (64 * 1024) /* bytes of an output kept in the files */
#define REPORT_SHOWN_LINES 20          /* lines of an output shown in the terminal */
#define REPORT_LINE_CAP    240         /* bytes of one output line shown in the terminal */
#define NVERDICTS          (V_ERROR + 1)

static const enum item_kind kind_order[] = {ITEM_BUILD, ITEM_TEST, ITEM_RACE, ITEM_SPEED};

const char *verdict_name(enum verdict v)
{
    static const char *const names[NVERDICTS] = {
        [V_PASS] = "pass",
        [V_FAIL] = "fail",
        [V_NOT_IMPLEMENTED] = "not implemented",
        [V_TIMEOUT] = "timeout",
        [V_CRASH] = "crash",
        [V_BUILD_ERROR] = "build error",
        [V_INCONCLUSIVE] = "inconclusive",
        [V_SKIPPED] = "skipped",
        [V_ERROR] = "harness error",
    };

    return (unsigned)v < NVERDICTS ? names[v] : "unknown";
}

static const char *kind_name(enum item_kind k)
{
    static const char *const names[] = {
        [ITEM_BUILD] = "build", [ITEM_TEST] = "test", [ITEM_SPEED] = "speed", [ITEM_RACE] = "race"};

    return (unsigned)k <= ITEM_RACE ? names[k] : "unknown";
}

void report_init(struct report *r, const char *lab, const char *title)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->lab, sizeof(r->lab), "%s", lab ? lab : "");
    snprintf(r->title, sizeof(r->title), "%s", title ? title : "");
}

/* The returned pointer lives until the next report_add (the array may move). */
struct item *report_add(struct report *r, const struct item *it)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct item *items = realloc(r->items, cap * sizeof(*items));

        if (!items) {
            free(it->output);
            return NULL;
        }
        r->items = items;
        r->cap = cap;
    }
    r->items[r->n] = *it;
    return &r->items[r->n++];
}

/* Append formatted text to a malloc'd string (NULL = empty); on no memory it is left as is. */
static void append_v(char **buf, const char *fmt, va_list ap)
{
    size_t old = *buf ? strlen(*buf) : 0;
    va_list again;
    int add;
    char *s;

    va_copy(again, ap);
    add = vsnprintf(NULL, 0, fmt, ap);
    if (add > 0 && (s = realloc(*buf, old + (size_t)add + 1))) {
        vsnprintf(s + old, (size_t)add + 1, fmt, again);
        *buf = s;
    }
    va_end(again);
}

void item_printf(struct item *it, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    append_v(&it->output, fmt, ap);
    va_end(ap);
}

void report_note(struct report *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    append_v(&r->output, fmt, ap);
    va_end(ap);
}

double report_score(const struct report *r, double *max_score)
{
    double score = 0, max = 0;

    for (size_t i = 0; i < r->n; i++) {
        score += r->items[i].score;
        max += r->items[i].max_score;
    }
    if (max_score)
        *max_score = max;
    return score;
}

/* Full marks: something was graded, and every item passed with all its points (an item
 * worth nothing may also have been skipped). */
bool report_full(const struct report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];

        if (it->verdict == V_SKIPPED && it->max_score == 0)
            continue;
        if (it->verdict != V_PASS || it->score < it->max_score)
            return false;
    }
    return r->n > 0;
}

int report_errors(const struct report *r)
{
    int n = 0;

    for (size_t i = 0; i < r->n; i++)
        n += r->items[i].verdict == V_ERROR;
    return n;
}

void report_free(struct report *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i].output);
    free(r->items);
    free(r->output);
    r->items = NULL;
    r->output = NULL;
    r->n = r->cap = 0;
}

/* ---- the terminal scoreboard ---- */

static const char *const tags[NVERDICTS] = {
    [V_PASS] = "PASS",         [V_FAIL] = "FAIL",    [V_NOT_IMPLEMENTED] = "TODO",
    [V_TIMEOUT] = "TIME",      [V_CRASH] = "CRSH",   [V_BUILD_ERROR] = "BILD",
    [V_INCONCLUSIVE] = "????", [V_SKIPPED] = "SKIP",  [V_ERROR] = "ERR!",
};

static const char *verdict_color(enum verdict v)
{
    switch (v) {
    case V_PASS:
        return "\033[32m";
    case V_NOT_IMPLEMENTED:
    case V_INCONCLUSIVE:
        return "\033[33m";
    case V_SKIPPED:
        return "\033[2m";
    default:
        return "\033[31m";
    }
}

/* Student text on a terminal: control bytes and bad UTF-8 shown as \xNN, never sent raw. */
static void put_safe(FILE *f, const char *s, size_t max)
{
    uint32_t cp;
    size_t len;

    for (const char *end = s + max; *s && *s != '\n' && s < end; s += len) {
        len = json_utf8_len(s, &cp);
        if (len == 0 || (len == 1 && *s != '\t' && (cp < 0x20 || cp == 0x7F)) ||
            (cp >= 0x80 && cp < 0xA0)) {
            fprintf(f, "\\x%02x", (unsigned char)*s);
            len = 1;
        } else {
            fwrite(s, 1, len, f);
        }
    }
}

static void print_output(FILE *f, const char *out)
{
    size_t shown = 0, cut = 0;

    for (const char *line = out; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        if (shown < REPORT_SHOWN_LINES) {
            fputs("         | ", f);
            put_safe(f, line, REPORT_LINE_CAP);
            fputs(len > REPORT_LINE_CAP ? " [...]\n" : "\n", f);
            shown++;
        } else {
            cut++;
        }
        line = nl ? nl + 1 : line + len;
    }
    if (cut)
        fprintf(f, "         | ... %zu more line%s cut (the full text is in results.json)\n", cut,
                cut == 1 ? "" : "s");
}

static int name_width(const struct report *r)
{
    size_t w = 24;

    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->items[i].name) > w)
            w = strlen(r->items[i].name);
    return w > 48 ? 48 : (int)w;
}

static void print_item(FILE *f, const struct item *it, int width, bool color)
{
    char points[64];

    snprintf(points, sizeof(points), "%g/%g", it->score, it->max_score);
    fprintf(f, "  %s[%s]%s %-*s %7s", color ? verdict_color(it->verdict) : "", tags[it->verdict],
            color ? "\033[0m" : "", width, it->name, points);
    if (it->measured[0] || it->expected[0])
        fprintf(f, "   %s  want %s", it->measured[0] ? it->measured : "-",
                it->expected[0] ? it->expected : "-");
    fputc('\n', f);
    if (it->verdict == V_PASS)
        return;
    const char *line = it->output ? strstr(it->output, "not implemented") : NULL;
    if (it->verdict == V_NOT_IMPLEMENTED && line) { /* one line says it all */
        while (line > it->output && line[-1] != '\n')
            line--;
        line += strspn(line, " ");
        fprintf(f, "         ");
        put_safe(f, line, strcspn(line, "\n"));
        fputc('\n', f);
        return;
    }
    if (it->hint[0])
        fprintf(f, "         hint: %s\n", it->hint);
    print_output(f, it->output);
}

static void print_header(const struct report *r, FILE *f, bool color)
{
    fprintf(f, "%s== %s: %s ==%s\n", color ? "\033[1m" : "", r->lab, r->title,
            color ? "\033[0m" : "");
    fprintf(f, "source:  %s\n", r->source[0] ? r->source : "-");
    fprintf(f, "seed:    %llu (SEED=%llu to replay)\n", (unsigned long long)r->seed,
            (unsigned long long)r->seed);
    fprintf(f, "machine: %s\n", r->machine[0] ? r->machine : "-");
}

static void print_footer(const struct report *r, FILE *f, bool color)
{
    size_t count[NVERDICTS] = {0};
    double max, score = report_score(r, &max);

    for (size_t i = 0; i < r->n; i++)
        if ((unsigned)r->items[i].verdict < NVERDICTS)
            count[r->items[i].verdict]++;
    fprintf(f, "\n%sScore: %g/%g%s   (%.1f s)\n", color ? "\033[1m" : "", score, max,
            color ? "\033[0m" : "", r->elapsed_s);
    for (int v = 0; v < NVERDICTS; v++)
        if (count[v])
            fprintf(f, "  %s%-16s%s %zu\n", color ? verdict_color(v) : "", verdict_name(v),
                    color ? "\033[0m" : "", count[v]);
    for (const char *line = r->output; line && *line;) { /* run-level notes, plainly */
        size_t len = strcspn(line, "\n");
        fputs("  ", f);
        put_safe(f, line, len);
        fputc('\n', f);
        line += len + (line[len] == '\n');
    }
    if (count[V_INCONCLUSIVE])
        fputs("inconclusive cells score 0 this run: rerun on a quiet machine "
              "(they are never a plain fail)\n",
              f);
    if (count[V_ERROR])
        fputs("ERR! items are the grader's own fault, not your code: this run must be "
              "regraded (tell your instructor what it says)\n",
              f);
}

void report_print(const struct report *r, FILE *f, bool color)
{
    static const char *const heads[] = {[ITEM_BUILD] = "build",
                                        [ITEM_TEST] = "tests",
                                        [ITEM_SPEED] = "speed",
                                        [ITEM_RACE] = "race"};
    int width = name_width(r);

    print_header(r, f, color);
    for (size_t k = 0; k < sizeof(kind_order) / sizeof(kind_order[0]); k++) {
        bool head = false;

        for (size_t i = 0; i < r->n; i++) {
            if (r->items[i].kind != kind_order[k] || (unsigned)r->items[i].verdict >= NVERDICTS)
                continue;
            if (!head)
                fprintf(f, "\n%s\n", heads[kind_order[k]]);
            head = true;
            print_item(f, &r->items[i], width, color);
        }
    }
    print_footer(r, f, color);
}

/* ---- text for the files ---- */

/* At most REPORT_OUTPUT_CAP bytes of s, cut at a character boundary, with a note. */
static void put_capped(FILE *f, const char *s)
{
    size_t len = strlen(s), keep = len;

    if (len <= REPORT_OUTPUT_CAP) {
        fputs(s, f);
        return;
    }
    keep = REPORT_OUTPUT_CAP;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--;
    fwrite(s, 1, keep, f);
    fprintf(f, "\n[... %zu more bytes cut]", len - keep);
}

/* The first line of an inconclusive item's output is its reason. */
static void put_inconclusive(FILE *f, const struct item *it)
{
    const char *out = it->output ? it->output : "";
    const char *nl = strchr(out, '\n');
    size_t len = nl ? (size_t)(nl - out) : strlen(out);

    fputs("INCONCLUSIVE: ", f);
    if (len)
        fwrite(out, 1, len > REPORT_LINE_CAP ? REPORT_LINE_CAP : len, f);
    else
        fputs("the speed could not be measured cleanly", f);
    fputs("\nThis cell scores 0 this run; rerun on a quiet machine. It is not a fail.\n", f);
}

/* The details below the first lines: an inconclusive item's reason is already shown. */
static const char *details(const struct item *it)
{
    const char *out = it->output ? it->output : "";
    const char *nl = strchr(out, '\n');

    if (it->verdict != V_INCONCLUSIVE)
        return out;
    return nl ? nl + 1 : "";
}

/* An item's text in the files: verdict, measured/expected, hint, then the output. */
static char *item_text(const struct item *it)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    if (!f)
        return NULL;
    if (it->verdict == V_INCONCLUSIVE)
        put_inconclusive(f, it);
    else
        fprintf(f, "%s\n", verdict_name(it->verdict));
    if (it->measured[0])
        fprintf(f, "measured: %s\n", it->measured);
    if (it->expected[0])
        fprintf(f, "expected: %s\n", it->expected);
    if (it->hint[0] && it->verdict != V_PASS)
        fprintf(f, "hint: %s\n", it->hint);
    if (details(it)[0]) {
        fputc('\n', f);
        put_capped(f, details(it));
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

static char *run_text(const struct report *r)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);
    size_t inconclusive = 0;

    if (!f)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        inconclusive += r->items[i].verdict == V_INCONCLUSIVE;
    fprintf(f, "%s: %s\nsource: %s\nmachine: %s\nseed: %llu (SEED=%llu to replay)\n", r->lab,
            r->title, r->source, r->machine, (unsigned long long)r->seed,
            (unsigned long long)r->seed);
    if (inconclusive)
        fprintf(f,
                "%zu inconclusive cell%s 0 this run: rerun on a quiet machine "
                "(they are never a plain fail)\n",
                inconclusive, inconclusive == 1 ? " scores" : "s score");
    if (r->output && r->output[0]) {
        fputc('\n', f);
        put_capped(f, r->output);
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- writing files atomically ---- */

static int make_parents(const char *path)
{
    char dir[4096];

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(dir, 0755) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

/* Write through emit into a temporary file beside path, then rename it over path. */
static int write_atomic(const char *path, int (*emit)(const struct report *, FILE *),
                        const struct report *r)
{
    char tmp[4096];
    FILE *f;
    int fd, rc;

    rc = make_parents(path);
    if (rc)
        return rc;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    fd = mkstemp(tmp);
    if (fd < 0)
        return -errno;
    fchmod(fd, 0644);
    f = fdopen(fd, "w");
    if (!f) {
        rc = -errno;
        close(fd);
        goto out_unlink;
    }
    rc = emit(r, f);
    if (fflush(f) || ferror(f) || fsync(fileno(f)))
        rc = rc ? rc : -EIO;
    if (fclose(f))
        rc = rc ? rc : -EIO;
    if (!rc && rename(tmp, path))
        rc = -errno;
out_unlink:
    if (rc)
        unlink(tmp);
    return rc;
}

/* ---- results.json ---- */

static double or_zero(double x)
{
    return isfinite(x) ? x : 0;
}

static void put_member(FILE *f, const char *key, const char *value, bool comma)
{
    json_put_string(f, key);
    fputs(": ", f);
    json_put_string(f, value);
    if (comma)
        fputs(", ", f);
}

static int emit_test(const struct item *it, FILE *f)
{
    char *text = item_text(it);

    if (!text)
        return -ENOMEM;
    fputs("    {", f);
    put_member(f, "name", it->name, true);
    fprintf(f, "\"score\": %.10g, \"max_score\": %.10g, ", or_zero(it->score),
            or_zero(it->max_score));
    put_member(f, "status", it->verdict == V_PASS ? "passed" : "failed", true);
    put_member(f, "output", text, true);
    fputs("\"extra_data\": {", f);
    put_member(f, "verdict", verdict_name(it->verdict), true);
    put_member(f, "kind", kind_name(it->kind), true);
    put_member(f, "measured", it->measured, true);
    put_member(f, "expected", it->expected, false);
    fputs("}}", f);
    free(text);
    return 0;
}

static int emit_json(const struct report *r, FILE *f)
{
    double max, score = report_score(r, &max);
    char *text = run_text(r);
    int rc = 0;

    if (!text)
        return -ENOMEM;
    fprintf(f, "{\n  \"score\": %.10g,\n  \"max_score\": %.10g,\n  \"execution_time\": %.3f,\n",
            or_zero(score), or_zero(max), or_zero(r->elapsed_s));
    fputs("  \"output\": ", f);
    json_put_string(f, text);
    fputs(",\n  \"tests\": [\n", f);
    for (size_t i = 0; i < r->n && !rc; i++) {
        rc = emit_test(&r->items[i], f);
        fputs(i + 1 < r->n ? ",\n" : "\n", f);
    }
    fputs("  ]\n}\n", f);
    free(text);
    return rc;
}

int report_write_json(const struct report *r, const char *path)
{
    return write_atomic(path, emit_json, r);
}

/* ---- JUnit XML ---- */

/* XML 1.0 allows tab, LF, CR and most characters from U+0020; the rest becomes U+FFFD. */
static void put_xml(FILE *f, const char *s, bool attr, size_t max)
{
    const char *end = s + max;
    uint32_t cp;
    size_t len;

    for (; *s && s < end; s += len) {
        len = json_utf8_len(s, &cp);
        if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE ||
            cp == 0xFFFF) {
            fputs("\xEF\xBF\xBD", f);
            len = 1;
        } else if (cp < 0x80 && strchr("&<>\"'", (int)cp)) {
            fprintf(f, "&%s;",
                    cp == '&'   ? "amp"
                    : cp == '<' ? "lt"
                    : cp == '>' ? "gt"
                    : cp == '"' ? "quot"
                                : "apos");
        } else if ((attr && cp < 0x20) || cp == '\r') {
            fprintf(f, "&#%u;", (unsigned)cp); /* a parser would normalise them */
        } else {
            fwrite(s, 1, len, f);
        }
    }
}

static bool junit_failure(enum verdict v)
{
    return v != V_PASS && v != V_INCONCLUSIVE && v != V_SKIPPED && v != V_ERROR;
}

static int emit_testcase(const struct item *it, FILE *f)
{
    const char *elem = it->verdict == V_PASS        ? NULL
                       : it->verdict == V_ERROR     ? "error"
                       : junit_failure(it->verdict) ? "failure"
                                                    : "skipped";
    char *text;

    fputs("  <testcase name=\"", f);
    put_xml(f, it->name, true, sizeof(it->name));
    fprintf(f, "\" classname=\"%s\">\n", kind_name(it->kind));
    if (!elem)
        goto out_close;
    text = item_text(it);
    if (!text)
        return -ENOMEM;
    fprintf(f, "    <%s message=\"", elem);
    put_xml(f, text, true, strcspn(text, "\n")); /* the first line: verdict or reason */
    if (it->verdict != V_INCONCLUSIVE && it->hint[0]) {
        fputs(": ", f);
        put_xml(f, it->hint, true, sizeof(it->hint));
    }
    fputs("\">", f);
    put_xml(f, text, false, strlen(text));
    fprintf(f, "</%s>\n", elem);
    free(text);
out_close:
    fputs("  </testcase>\n", f);
    return 0;
}

static int emit_junit(const struct report *r, FILE *f)
{
    size_t failures = 0, skipped = 0, errors = 0;
    int rc = 0;

    for (size_t i = 0; i < r->n; i++) {
        failures += junit_failure(r->items[i].verdict);
        errors += r->items[i].verdict == V_ERROR;
        skipped += r->items[i].verdict == V_INCONCLUSIVE || r->items[i].verdict == V_SKIPPED;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"", f);
    put_xml(f, r->lab, true, sizeof(r->lab));
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
            r->n, failures, errors, skipped, or_zero(r->elapsed_s));
    for (size_t i = 0; i < r->n && !rc; i++)
        rc = emit_testcase(&r->items[i], f);
    fputs("</testsuite>\n", f);
    return rc;
}

int report_write_junit(const struct report *r, const char *path)
{
    return write_atomic(path, emit_junit, r);
}
