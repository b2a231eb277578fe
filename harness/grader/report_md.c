/* report_md.c: a run's report as Markdown (results.json's output for Gradescope). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report_file.h"
#include "report_md.h"

#define MD_OUTPUT_CAP (64 * 1024) /* bytes of an output kept, as report_file.c keeps */

void md_number(const struct report *r, size_t i, char *buf, size_t len)
{
    static const int section[] = {
        [ITEM_BUILD] = 1, [ITEM_TEST] = 2, [ITEM_RACE] = 3, [ITEM_SPEED] = 4};
    enum item_kind k = r->items[i].kind;
    size_t n = 1;

    for (size_t j = 0; j < i; j++)
        n += r->items[j].kind == k;
    snprintf(buf, len, "%d.%zu", (unsigned)k <= ITEM_RACE ? section[k] : 5, n);
}

void md_put_text(FILE *f, const char *s)
{
    for (size_t n = strlen(s), len; *s; s += len, n -= len) {
        len = 1;
        if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else if (strchr("\\`*_[]<>|~&", *s))
            fprintf(f, "\\%c", *s);
        else
            len = json_put_shown(f, s, n, ""); /* a tab, an escape: as text */
    }
}

void md_put_code(FILE *f, const char *s)
{
    size_t len = strlen(s), keep = len, run = 0, longest = 0;

    if (keep > MD_OUTPUT_CAP) {
        keep = MD_OUTPUT_CAP;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
    }
    for (size_t i = 0; i < keep; i++) {
        run = s[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    for (size_t i = 0; i < (longest < 3 ? 3 : longest + 1); i++)
        fputc('`', f);
    fputs("text\n", f);
    /* a compiler's words, the student's #error: shown, never acting (red team 12,
     * build_log_escape put ESC sequences and U+202E into results.json) */
    for (size_t i = 0; i < keep;)
        i += json_put_shown(f, s + i, keep - i, "\n\t");
    if (keep && s[keep - 1] != '\n')
        fputc('\n', f);
    if (keep < len)
        fprintf(f, "[... %zu more bytes cut]\n", len - keep);
    for (size_t i = 0; i < (longest < 3 ? 3 : longest + 1); i++)
        fputc('`', f);
    fputc('\n', f);
}

/* The first line of an inconclusive item's output is its reason; the rest, details. */
static void split_reason(const struct item *it, const char **reason, size_t *rlen,
                         const char **rest)
{
    const char *out = it->output ? it->output : "";
    const char *nl = strchr(out, '\n');

    *reason = out;
    *rlen = nl ? (size_t)(nl - out) : strlen(out);
    *rest = it->verdict != V_INCONCLUSIVE ? out : nl ? nl + 1 : "";
}

static void put_verdict(FILE *f, const struct item *it, const char *reason, size_t rlen)
{
    char *why = strndup(reason, rlen);

    if (it->verdict != V_INCONCLUSIVE) {
        fprintf(f, "**%s**\n\n", verdict_name(it->verdict));
    } else {
        fputs("**INCONCLUSIVE**: ", f);
        md_put_text(f, why && why[0] ? why : "the speed could not be measured cleanly");
        fputs("\n\nThis cell scores 0 this run; rerun on a quiet machine. It is not a fail.\n\n",
              f);
    }
    free(why);
}

static void put_line(FILE *f, const char *label, const char *value)
{
    if (!value[0])
        return;
    fprintf(f, "- %s: ", label);
    md_put_text(f, value);
    fputc('\n', f);
}

char *md_item_text(const struct item *it)
{
    char *text = NULL;
    size_t size, rlen;
    const char *reason, *rest;
    FILE *f = open_memstream(&text, &size);

    if (!f)
        return NULL;
    split_reason(it, &reason, &rlen, &rest);
    put_verdict(f, it, reason, rlen);
    put_line(f, "measured", it->measured);
    put_line(f, "expected", it->expected);
    put_line(f, "hint", it->verdict != V_PASS ? it->hint : "");
    if (rest[0]) {
        fputc('\n', f);
        md_put_code(f, rest);
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

static void put_table(FILE *f, const struct report *r)
{
    fputs("| # | item | verdict | points | measured | expected |\n"
          "|---|---|---|---|---|---|\n",
          f);
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];
        char num[32];

        md_number(r, i, num, sizeof(num));
        fprintf(f, "| %s | ", num);
        md_put_text(f, it->name[0] ? it->name : "(unnamed)");
        fputs(" | ", f);
        md_put_text(f, verdict_name(it->verdict));
        fprintf(f, " | %.4g/%.4g | ", report_finite(it->score), report_finite(it->max_score));
        md_put_text(f, it->measured);
        fputs(" | ", f);
        md_put_text(f, it->expected);
        fputs(" |\n", f);
    }
}

char *md_run_text(const struct report *r)
{
    char *text = NULL;
    size_t size, inconclusive = 0;
    double max, score = report_score(r, &max);
    FILE *f = open_memstream(&text, &size);

    if (!f)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        inconclusive += r->items[i].verdict == V_INCONCLUSIVE;
    fputs("**", f);
    md_put_text(f, r->lab);
    fputs("**: ", f);
    md_put_text(f, r->title);
    fprintf(f, ", %.4g/%.4g points\n\n- source: ", report_finite(score), report_finite(max));
    md_put_text(f, r->source);
    fputs("\n- machine: ", f);
    md_put_text(f, r->machine);
    fprintf(f, "\n- seed: %llu (`SEED=%llu` replays it)\n", (unsigned long long)r->seed,
            (unsigned long long)r->seed);
    if (inconclusive)
        fprintf(f,
                "\n**%zu inconclusive cell%s 0 this run**: the machine was too busy (or too "
                "small) to measure; they are never a plain fail.\n",
                inconclusive, inconclusive == 1 ? " scores" : "s score");
    fputc('\n', f);
    put_table(f, r);
    if (r->output && r->output[0]) {
        fputc('\n', f);
        md_put_code(f, r->output);
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}
