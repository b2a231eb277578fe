/* matrix_read.c: a small JSON reader, and the speed figures of a lab's results.json. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix_read.h"

struct reader {
    const char *s, *p;
    char *err;
    size_t errlen;
};

static int fail(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(r->err, r->errlen, "offset %td: ", r->p - r->s);

    va_start(ap, fmt);
    if (n > 0 && (size_t)n < r->errlen)
        vsnprintf(r->err + n, r->errlen - n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static void skip_space(struct reader *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
        r->p++;
}

static int hex4(struct reader *r, uint32_t *cp)
{
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        char c = *r->p;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return fail(r, "bad \\u escape");
        r->p++;
        *cp = *cp << 4 | (uint32_t)d;
    }
    return 0;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80)
        return out[0] = (char)cp, 1;
    if (cp < 0x800)
        return out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), 2;
    if (cp < 0x10000)
        return out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
               out[2] = (char)(0x80 | (cp & 0x3f)), 3;
    out[0] = (char)(0xf0 | cp >> 18), out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* \uXXXX, or a pair of them for a code point past U+FFFF. */
static int unicode(struct reader *r, uint32_t *cp)
{
    uint32_t lo;

    if (hex4(r, cp))
        return -EINVAL;
    if (*cp < 0xd800 || *cp > 0xdfff)
        return 0;
    if (*cp > 0xdbff || r->p[0] != '\\' || r->p[1] != 'u')
        return fail(r, "a lone surrogate");
    r->p += 2;
    if (hex4(r, &lo))
        return -EINVAL;
    if (lo < 0xdc00 || lo > 0xdfff)
        return fail(r, "a lone surrogate");
    *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
    return 0;
}

/* A string literal (r->p at its opening quote) into a malloc'd text. */
static int string(struct reader *r, char **out)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *end = ++r->p;
    char *o;

    while (*end && *end != '"')
        end += *end == '\\' && end[1] ? 2 : 1;
    if (!*end)
        return fail(r, "a string without its closing quote");
    /* escapes never grow the text: \uXXXX (6 bytes) is at most 3 bytes of UTF-8, a pair
     * (12) at most 4 */
    if (!(*out = o = malloc((size_t)(end - r->p) + 1)))
        return -ENOMEM;
    while (r->p < end) {
        unsigned char c = (unsigned char)*r->p++;
        const char *e;
        uint32_t cp;
        if (c < 0x20)
            return fail(r, "a control character in a string");
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        if (*r->p == 'u') {
            r->p++;
            if (unicode(r, &cp))
                return -EINVAL;
            o += put_utf8(o, cp);
        } else if (*r->p && (e = strchr(from, *r->p))) {
            *o++ = to[e - from];
            r->p++;
        } else {
            return fail(r, "bad escape \\%c", *r->p);
        }
    }
    *o = '\0';
    r->p = end + 1;
    return 0;
}

static int value(struct reader *r, struct jval *v, int depth);

/* The members of an array or an object (r->p past its opening bracket). */
static int members(struct reader *r, struct jval *v, char close, int depth)
{
    size_t cap = 0;

    skip_space(r);
    if (*r->p == close)
        return r->p++, 0;
    for (;;) {
        if (v->n == cap) {
            cap = cap ? 2 * cap : 4;
            struct jval *k = realloc(v->kids, cap * sizeof(*k));
            char **keys = v->type == J_OBJ ? realloc(v->keys, cap * sizeof(*keys)) : NULL;
            if (k)
                v->kids = k;
            if (keys)
                v->keys = keys;
            if (!k || (v->type == J_OBJ && !keys))
                return -ENOMEM;
        }
        memset(&v->kids[v->n], 0, sizeof(v->kids[0]));
        if (v->type == J_OBJ) {
            skip_space(r);
            v->keys[v->n] = NULL;
            if (*r->p != '"')
                return v->n++, fail(r, "a member's name must be a string");
            if (string(r, &v->keys[v->n]))
                return v->n++, -EINVAL;
            skip_space(r);
            if (*r->p != ':')
                return v->n++, fail(r, "':' expected after a member's name");
            r->p++;
        }
        if (value(r, &v->kids[v->n++], depth + 1))
            return -EINVAL;
        skip_space(r);
        if (*r->p == close)
            return r->p++, 0;
        if (*r->p != ',')
            return fail(r, "',' or '%c' expected", close);
        r->p++;
    }
}

static int number(struct reader *r, struct jval *v)
{
    const char *start = r->p;
    char *end;

    if (*r->p == '-')
        r->p++;
    if (*r->p < '0' || *r->p > '9')
        return fail(r, "unexpected '%c'", *start ? *start : '0');
    v->type = J_NUM;
    v->num = strtod(start, &end);
    r->p = end;
    return 0;
}

static int value(struct reader *r, struct jval *v, int depth)
{
    static const struct {
        const char *word;
        enum jtype type;
        double num;
    } words[] = {{"true", J_BOOL, 1}, {"false", J_BOOL, 0}, {"null", J_NULL, 0}};

    if (depth > JSON_MAX_DEPTH)
        return fail(r, "nested deeper than %d", JSON_MAX_DEPTH);
    skip_space(r);
    switch (*r->p) {
    case '{':
    case '[':
        v->type = *r->p == '{' ? J_OBJ : J_ARR;
        r->p++;
        return members(r, v, v->type == J_OBJ ? '}' : ']', depth);
    case '"':
        v->type = J_STR;
        return string(r, &v->str);
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strncmp(r->p, words[i].word, strlen(words[i].word))) {
            r->p += strlen(words[i].word);
            v->type = words[i].type;
            v->num = words[i].num;
            return 0;
        }
    return number(r, v);
}

static void release(struct jval *v)
{
    for (size_t i = 0; i < v->n; i++) {
        release(&v->kids[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
    free(v->str);
}

void json_free(struct jval *v)
{
    if (v)
        release(v);
    free(v);
}

int json_parse(const char *text, struct jval **out, char *err, size_t errlen)
{
    struct reader r = {.s = text, .p = text, .err = err, .errlen = errlen};
    struct jval *v = calloc(1, sizeof(*v));
    int rc;

    *out = NULL;
    if (!v)
        return -ENOMEM;
    rc = value(&r, v, 0); /* on an error r.p may lie past the end: never read on */
    if (!rc) {
        skip_space(&r);
        if (*r.p)
            rc = fail(&r, "text after the value");
    }
    if (rc) {
        json_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

const struct jval *json_get(const struct jval *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return &obj->kids[i];
    return NULL;
}

double json_num(const struct jval *obj, const char *key, double dflt)
{
    const struct jval *v = json_get(obj, key);
    return v && v->type == J_NUM ? v->num : dflt;
}

const char *json_str(const struct jval *obj, const char *key, const char *dflt)
{
    const struct jval *v = json_get(obj, key);
    return v && v->type == J_STR ? v->str : dflt;
}

bool json_bool(const struct jval *obj, const char *key, bool dflt)
{
    const struct jval *v = json_get(obj, key);
    return v && v->type == J_BOOL ? v->num != 0 : dflt;
}

time_t matrix_read_time(const char *iso)
{
    struct tm tm = {0};
    const char *end = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

    return end && !*end ? timegm(&tm) : 0;
}

#define COPY(dst, obj, key) snprintf(dst, sizeof(dst), "%s", json_str(obj, key, ""))

static void read_fig(const struct jval *test, struct mx_fig *f)
{
    const struct jval *x = json_get(test, "extra_data"), *g = json_get(x, "figure");

    memset(f, 0, sizeof(*f));
    COPY(f->name, test, "name");
    COPY(f->verdict, x, "verdict");
    COPY(f->matrix, g, "matrix");
    COPY(f->workload, g, "workload");
    COPY(f->version, g, "version");
    COPY(f->baseline, g, "baseline");
    COPY(f->ideal_expr, g, "ideal_expr");
    COPY(f->source, g, "source");
    COPY(f->at, g, "at");
    f->set = json_bool(g, "set", false);
    f->med = json_num(g, "med", 0);
    f->lo = json_num(g, "lo", 0);
    f->hi = json_num(g, "hi", 0);
    f->cpuwall = json_num(g, "cpuwall", 0);
    f->want_ge = json_num(g, "want_ge", 0);
    f->want_le = json_num(g, "want_le", 0);
    f->ideal = json_num(g, "ideal", 0);
    f->P = json_num(g, "P", 0);
    f->workers = (int)json_num(g, "workers", 0);
    f->jobs = (int)json_num(g, "jobs", 0);
    f->clean = (int)json_num(g, "clean", 0);
    f->seed = (unsigned long long)json_num(g, "seed", 0);
    f->when = matrix_read_time(f->at);
}

int matrix_read_results(const char *text, struct mx_fig *figs, int max, char *err, size_t errlen)
{
    struct jval *root;
    const struct jval *tests;
    int n = 0;

    if (json_parse(text, &root, err, errlen))
        return -EINVAL;
    tests = json_get(root, "tests");
    if (!tests || tests->type != J_ARR) {
        snprintf(err, errlen, "no \"tests\" array");
        json_free(root);
        return -EINVAL;
    }
    for (size_t i = 0; i < tests->n && n < max; i++)
        if (!strcmp(json_str(json_get(&tests->kids[i], "extra_data"), "kind", ""), "speed"))
            read_fig(&tests->kids[i], &figs[n++]);
    json_free(root);
    return n;
}
