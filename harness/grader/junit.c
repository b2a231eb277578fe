/* junit.c: the JUnit XML of a run (report_write_junit), one testcase per item. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report_file.h"

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
    fprintf(f, "\" classname=\"%s\">\n", item_kind_name(it->kind));
    if (!elem)
        goto out_close;
    text = report_item_text(it);
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
            r->n, failures, errors, skipped, report_finite(r->elapsed_s));
    for (size_t i = 0; i < r->n && !rc; i++)
        rc = emit_testcase(&r->items[i], f);
    fputs("</testsuite>\n", f);
    return rc;
}

int report_write_junit(const struct report *r, const char *path)
{
    return report_write_file(path, emit_junit, r);
}
