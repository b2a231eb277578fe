/* correct_tap.c: what a test's run said of it: its TAP line (pass, fail, crash, ...),
 * the failed assertions, and the assertions its console kept before a crash. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correct.h"
#include "sys.h"

/* The TAP result line for `name`: "ok - suite::name ..." or "not ok - suite::name ...". */
static const char *find_result(const char *tap, const char *name, int *ok)
{
    size_t len = strlen(name);

    for (const char *p = tap; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        int off = !strncmp(p, "ok - ", 5) ? 5 : !strncmp(p, "not ok - ", 9) ? 9 : 0;
        if (off && !strncmp(p + off, name, len) && (p[off + len] == ' ' || p[off + len] == '\n')) {
            *ok = off == 5;
            return p + off + len;
        }
    }
    return NULL;
}

/* Copy the failure messages of the YAML block after a "not ok" line into it->output. */
static void failures(const char *rest, struct item *it)
{
    const char *p = strchr(rest, '\n');

    while (p && *++p == ' ') {
        const char *e = strchr(p, '\n');
        int len = e ? (int)(e - p) : (int)strlen(p);
        const char *s = p + strspn(p, " ");
        int slen = len - (int)(s - p);
        if (!strncmp(s, "...", 3))
            break;
        if (!strncmp(s, "- ", 2)) /* "- file.c:12: |+": where the assertion is */
            item_printf(it, "at %.*s\n", slen > 6 ? slen - 6 : slen - 2, s + 2);
        else if (!strncmp(s, "Assertion failed: ", 18))
            item_printf(it, "  %.*s\n", slen - 18, s + 18);
        else if (strncmp(s, "---", 3) && strncmp(s, "assertions:", 11) &&
                 strncmp(s, "failures:", 9))
            item_printf(it, "  %.*s\n", slen, s);
        p = e;
    }
}

enum verdict correct_judge_tap(const char *tap, const struct spec_test *t, struct item *it)
{
    int ok = 0;
    const char *rest = tap ? find_result(tap, t->name, &ok) : NULL;
    const char *fn = t->fn[0] ? t->fn : "the code under test";

    if (!rest) {
        item_printf(it, "the test runner reported nothing for %s\n", t->name);
        return V_FAIL;
    }
    if (!strncmp(rest, "  # SKIP", 8)) {
        /* its reason, the rest of the line: Criterion writes "test was skipped" for none */
        const char *why = rest + 8 + strspn(rest + 8, " "), *e = strchr(why, '\n');
        int len = e ? (int)(e - why) : (int)strlen(why);

        if (len == 0 || (len == 16 && !strncmp(why, "test was skipped", 16)))
            item_printf(it, "the test was skipped, and gave no reason\n");
        else
            item_printf(it, "the test was skipped: %.*s\n", len, why);
        return V_SKIPPED;
    }
    if (ok)
        return V_PASS;
    if (!strncmp(rest, " timed out", 10)) {
        item_printf(it,
                    "timed out: %s did not return in time (an endless loop? a deadlock? "
                    "a call that blocks forever?)\n",
                    fn);
        return V_TIMEOUT;
    }
    if (!strncmp(rest, " unexpected signal", 18)) {
        const char *e = strchr(rest, '\n');
        item_printf(it, "crashed: %s died by a signal (%.*s); run the test under gdb\n", fn,
                    e ? (int)(e - rest - 1) : (int)strlen(rest) - 1, rest + 1);
        return V_CRASH;
    }
    failures(rest, it);
    if (it->output && strstr(it->output, "not implemented"))
        return V_NOT_IMPLEMENTED;
    if (!it->output)
        item_printf(it, "failed without a message (did %s exit the test process?)\n", fn);
    return V_FAIL;
}

/* A test that failed an assertion and then crashed (say, a smashed stack on the way
 * out) shows only the crash in its TAP line: its console kept the assertion. */
void correct_earlier_failures(const char *console, struct item *it)
{
    char *text = sys_slurp(console, TAP_MAX, NULL), *save = NULL;
    int shown = 0;

    if (!text || !strstr(text, "Assertion Failed"))
        goto out;
    item_printf(it, "before that, the test reported:\n");
    for (char *l = strtok_r(text, "\n", &save); l && shown < 12; l = strtok_r(NULL, "\n", &save)) {
        if (strncmp(l, "[----] ", 7) || !l[7 + strspn(l + 7, " ")])
            continue;
        item_printf(it, "  %s\n", l + 7 + strspn(l + 7, " "));
        shown++;
    }
out:
    free(text);
}
