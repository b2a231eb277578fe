/* scoreboard.c: the terminal scoreboard of a run (report_print). */
#include <string.h>

#include "json.h"
#include "predict.h"
#include "report.h"

#define REPORT_SHOWN_LINES 20  /* lines of an output shown in the terminal */
#define REPORT_LINE_CAP    240 /* bytes of one output line shown in the terminal */

static const enum item_kind kind_order[] = {ITEM_BUILD, ITEM_TEST, ITEM_RACE, ITEM_SPEED};

static const char *const tags[NVERDICTS] = {
    [V_PASS] = "PASS",         [V_FAIL] = "FAIL",    [V_NOT_IMPLEMENTED] = "TODO",
    [V_TIMEOUT] = "TIME",      [V_CRASH] = "CRSH",   [V_BUILD_ERROR] = "BILD",
    [V_INCONCLUSIVE] = "????", [V_SKIPPED] = "SKIP", [V_ERROR] = "ERR!",
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

/* Student text on a terminal: control bytes and bad UTF-8 shown as \xNN, characters that
 * reorder the text as \u{NNNN}, never sent raw. */
static void put_safe(FILE *f, const char *s, size_t max)
{
    /* a character begun before `max` is shown whole (SIZE_MAX: never cut short) */
    for (const char *end = s + max; *s && *s != '\n' && s < end;)
        s += json_put_shown(f, s, SIZE_MAX, "\t");
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
    /* inconclusive: the reason is all there is to say; a hint on what to fix would read
     * as a diagnosis of code that nothing faulted */
    if (it->hint[0] && it->verdict != V_INCONCLUSIVE)
        fprintf(f, "         hint: %s\n", it->hint);
    print_output(f, it->output);
}

static void print_header(const struct report *r, FILE *f, bool color)
{
    char source[4 * sizeof(r->source)]; /* a batch's folder names are anyone's: \xNN */

    fprintf(f, "%s== %s: %s ==%s\n", color ? "\033[1m" : "", r->lab, r->title,
            color ? "\033[0m" : "");
    fprintf(f, "source:  %s\n", r->source[0] ? json_plain(source, sizeof(source), r->source) : "-");
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
    predict_print(r, r->source, f); /* the student's predictions beside the cells */
    print_footer(r, f, color);
}
