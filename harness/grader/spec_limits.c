/* spec_limits.c: each test's own time limit, read from the lab's tests.c (`.timeout = N`
 * of its Criterion `Test(suite, name, ...)`, else of its `TestSuite(suite, ...)`): the
 * runner is stopped soon after it. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "sys.h"

/* The text of one argument [b, e), blanks trimmed, into dst. */
static void arg_copy(char *dst, size_t len, const char *b, const char *e)
{
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    snprintf(dst, len, "%.*s", (int)(e - b), b);
}

/* One `Test(` at p (just after the parenthesis): its suite::name and .timeout, if any;
 * with `suite` set, a `TestSuite(`: the limit of that suite's tests without their own.
 * Returns where its argument list ends. */
static const char *one_test(struct spec *s, const char *p, bool suite_wide)
{
    const char *arg[3] = {p, NULL, NULL}, *end;
    char suite[48], name[48], full[100];
    int depth = 0, k = 1;

    for (end = p; *end && (depth > 0 || *end != ')'); end++) {
        depth += *end == '(' ? 1 : *end == ')' ? -1 : 0;
        if (depth == 0 && *end == ',' && k < 3)
            arg[k++] = end + 1;
    }
    if (!*end || (k < 2 && !suite_wide))
        return end;
    arg_copy(suite, sizeof(suite), arg[0], k > 1 ? arg[1] - 1 : end);
    if (!suite_wide)
        arg_copy(name, sizeof(name), arg[1], k > 2 ? arg[2] - 1 : end);
    snprintf(full, sizeof(full), "%s::%s", suite, suite_wide ? "" : name);
    const char *from = suite_wide ? (k > 1 ? arg[1] : end) : k > 2 ? arg[2] : end;
    const char *t = strstr(from, ".timeout");
    if (!t || t > end)
        return end;
    t += strlen(".timeout");
    while (isspace((unsigned char)*t))
        t++;
    if (*t++ != '=')
        return end;
    double v = strtod(t, NULL);
    for (int i = 0; i < s->ntests && v > 0; i++) {
        struct spec_test *x = &s->tests[i];

        if (suite_wide ? !strncmp(x->name, full, strlen(full)) && x->limit_s <= 0
                       : !strcmp(x->name, full))
            x->limit_s = suite_wide ? -v : v; /* a suite's, for now: its tests' own win */
    }
    return end;
}

int spec_read_limits(struct spec *s, const char *text)
{
    int found = 0;

    static const char *const kinds[] = {"Test(", "TestSuite("};

    for (int k = 0; k < 2; k++)
        for (const char *p = text; p && (p = strstr(p, kinds[k])); p++)
            if (p == text || p[-1] == '\n') /* a definition, at the start of a line */
                p = one_test(s, p + strlen(kinds[k]), k == 1);
    for (int i = 0; i < s->ntests; i++) {
        if (s->tests[i].limit_s < 0)
            s->tests[i].limit_s = -s->tests[i].limit_s;
        found += s->tests[i].limit_s > 0;
    }
    return found;
}

int spec_load_limits(struct spec *s, const char *tests_c)
{
    char *text = sys_slurp(tests_c, SIZE_MAX, NULL);
    int found;

    if (!text)
        return -ENOENT;
    found = spec_read_limits(s, text);
    free(text);
    return found;
}
