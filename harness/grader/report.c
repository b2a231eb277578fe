/* report.c: the graded items of a run: adding, annotating and scoring them. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sys.h"

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

const char *item_kind_name(enum item_kind k)
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
    r->last_add = sys_now();
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
    if (!(it->elapsed_s > 0) && r->last_add > 0)
        r->items[r->n].elapsed_s = sys_now() - r->last_add;
    r->last_add = sys_now();
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
