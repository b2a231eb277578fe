/* junit.c: the JUnit XML of a run (report_write_junit): a testcase per item, with its time,
 * suite, score and an <error> for what did not run to an answer; the machine as properties. */
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

/* The element a verdict gets: a wrong answer is a <failure>; code that did not run to an
 * answer (a crash, a timeout, no build) and the harness's own faults are an <error>; what
 * was not judged (inconclusive, skipped) is <skipped>. */
static const char *junit_element(enum verdict v)
{
    switch (v) {
    case V_PASS:
        return NULL;
    case V_FAIL:
    case V_NOT_IMPLEMENTED:
        return "failure";
    case V_INCONCLUSIVE:
    case V_SKIPPED:
        return "skipped";
    default: /* crash, timeout, build error, harness error */
        return "error";
    }
}

static size_t count(const struct report *r, const char *elem)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n; i++) {
        const char *e = junit_element(r->items[i].verdict);
        n += e && !strcmp(e, elem);
    }
    return n;
}

static void put_property(FILE *f, const char *indent, const char *name, const char *value)
{
    fprintf(f, "%s<property name=\"%s\" value=\"", indent, name);
    put_xml(f, value, true, strlen(value));
    fputs("\"/>\n", f);
}

static void put_number(FILE *f, const char *indent, const char *name, double x)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%.10g", report_finite(x));
    put_property(f, indent, name, buf);
}

/* The test suite (the part of the name before "::"), else the item's kind. */
static void put_classname(FILE *f, const struct item *it)
{
    const char *sep = strstr(it->name, "::");

    if (it->kind == ITEM_TEST && sep && sep > it->name)
        put_xml(f, it->name, true, (size_t)(sep - it->name));
    else
        fputs(item_kind_name(it->kind), f);
}

static int emit_testcase(const struct item *it, FILE *f)
{
    const char *elem = junit_element(it->verdict);
    const char *in = "      ";
    char *text;

    fputs("  <testcase name=\"", f);
    put_xml(f, it->name, true, sizeof(it->name));
    fputs("\" classname=\"", f);
    put_classname(f, it);
    fprintf(f, "\" time=\"%.3f\">\n    <properties>\n", report_finite(it->elapsed_s));
    put_number(f, in, "score", it->score);
    put_number(f, in, "max_score", it->max_score);
    put_property(f, in, "verdict", verdict_name(it->verdict));
    fputs("    </properties>\n", f);
    if (!elem)
        goto out_close;
    text = report_item_text(it);
    if (!text)
        return -ENOMEM;
    fprintf(f, "    <%s type=\"", elem);
    put_xml(f, verdict_name(it->verdict), true, 64);
    fputs("\" message=\"", f);
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

/* The run's score and the machine it ran on (fingerprint.h), as suite properties. */
static void emit_properties(const struct report *r, FILE *f)
{
    const struct fingerprint *fp = &r->fp;
    const char *in = "    ";
    char buf[64];
    double max, score = report_score(r, &max);

    fputs("  <properties>\n", f);
    put_number(f, in, "score", score);
    put_number(f, in, "max_score", max);
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->seed);
    put_property(f, in, "seed", buf);
    put_property(f, in, "machine", r->machine);
    if (fp->set) {
        put_property(f, in, "cpu_model", fp->cpu);
        put_number(f, in, "usable_cores", fp->usable);
        put_number(f, in, "cpu_quota", fp->quota);
        snprintf(buf, sizeof(buf), "%.2f %.2f %.2f", fp->load[0], fp->load[1], fp->load[2]);
        put_property(f, in, "load_before", buf);
        put_property(f, in, "kernel", fp->kernel);
        put_property(f, in, "compiler", fp->compiler);
        put_property(f, in, "kit_version", fp->kit);
    }
    fputs("  </properties>\n", f);
}

static int emit_junit(const struct report *r, FILE *f)
{
    int rc = 0;

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"", f);
    put_xml(f, r->lab, true, sizeof(r->lab));
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
            r->n, count(r, "failure"), count(r, "error"), count(r, "skipped"),
            report_finite(r->elapsed_s));
    emit_properties(r, f);
    for (size_t i = 0; i < r->n && !rc; i++)
        rc = emit_testcase(&r->items[i], f);
    fputs("</testsuite>\n", f);
    return rc;
}

int report_write_junit(const struct report *r, const char *path)
{
    return report_write_file(path, emit_junit, r);
}
