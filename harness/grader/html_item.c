/* html_item.c: the lab page's sections: each item with its verdict, points, hint and output. */
#include <stdint.h>
#include <string.h>

#include "html.h"
#include "html_int.h"

#define HTML_OUTPUT_CAP (16 * 1024) /* bytes of an item's output on the page */
#define HTML_REASON_CAP 240         /* bytes of an inconclusive item's reason */

static const char *const kind_title[] = {
    [ITEM_BUILD] = "Build", [ITEM_TEST] = "Tests", [ITEM_RACE] = "Races", [ITEM_SPEED] = "Speed"};

/* "not implemented" as a CSS class: "v-not-implemented". */
static void put_class(FILE *f, enum verdict v)
{
    fputs("v-", f);
    for (const char *s = verdict_name(v); *s; s++)
        fputc(*s == ' ' ? '-' : *s, f);
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
void html_put_output(FILE *f, const char *out)
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
    html_put_output(f, out);
out:
    fputs("</div>\n", f);
}

void html_put_section(FILE *f, const struct report *r, enum item_kind k)
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
