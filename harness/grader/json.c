/* json.c: a recursive-descent JSON reader and a JSON string writer that never emits bad UTF-8. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 200

struct parser {
    const char *text;
    const char *p;
    int depth;
    bool failed;
    char *err;
    size_t errlen;
};

static struct json *parse_value(struct parser *ps);

/* Record the first error only, with the line:column where it happened. */
static void fail(struct parser *ps, const char *fmt, ...)
{
    size_t line = 1, col = 1, used;
    va_list ap;

    if (ps->failed)
        return;
    ps->failed = true;
    if (!ps->err || !ps->errlen)
        return;
    for (const char *c = ps->text; c < ps->p; c++, col++)
        if (*c == '\n') {
            line++;
            col = 0;
        }
    snprintf(ps->err, ps->errlen, "%zu:%zu: ", line, col);
    used = strlen(ps->err);
    va_start(ap, fmt);
    vsnprintf(ps->err + used, ps->errlen - used, fmt, ap);
    va_end(ap);
}

static void skip_space(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

static struct json *new_node(struct parser *ps, enum json_type type)
{
    struct json *j = calloc(1, sizeof(*j));

    if (!j)
        fail(ps, "out of memory");
    else
        j->type = type;
    return j;
}

/* A growable byte buffer for decoded strings. */
struct buf {
    char *s;
    size_t len, cap;
};

static int buf_put(struct buf *b, const char *bytes, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *s;

        while (cap < b->len + n + 1)
            cap *= 2;
        s = realloc(b->s, cap);
        if (!s)
            return -ENOMEM;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, bytes, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

static int buf_put_utf8(struct buf *b, uint32_t cp)
{
    char u[4];

    if (cp < 0x80) {
        u[0] = (char)cp;
        return buf_put(b, u, 1);
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        return buf_put(b, u, 2);
    }
    if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        return buf_put(b, u, 3);
    }
    u[0] = (char)(0xF0 | cp >> 18);
    u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    return buf_put(b, u, 4);
}

static int hex4(struct parser *ps, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        char c = ps->p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;

        if (d < 0) {
            ps->p += i;
            fail(ps, "bad \\u escape: want 4 hex digits");
            return -EINVAL;
        }
        v = v << 4 | (uint32_t)d;
    }
    ps->p += 4;
    *out = v;
    return 0;
}

/* After "\u": one code point, joining a surrogate pair; a lone surrogate becomes U+FFFD. */
static int unicode_escape(struct parser *ps, uint32_t *cp)
{
    uint32_t lo;

    if (hex4(ps, cp))
        return -EINVAL;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        *cp = 0xFFFD;
    if (*cp < 0xD800 || *cp > 0xDBFF)
        goto out_check;
    if (ps->p[0] != '\\' || ps->p[1] != 'u') {
        *cp = 0xFFFD;
        return 0;
    }
    ps->p += 2;
    if (hex4(ps, &lo))
        return -EINVAL;
    if (lo < 0xDC00 || lo > 0xDFFF) {
        ps->p -= 6; /* not a pair: decode the second escape on its own */
        *cp = 0xFFFD;
        return 0;
    }
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
out_check:
    if (*cp == 0) {
        ps->p -= 6;
        fail(ps, "\\u0000 is not supported (strings are NUL-terminated)");
        return -EINVAL;
    }
    return 0;
}

static int escape(struct parser *ps, struct buf *b)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *at = *ps->p ? strchr(from, *ps->p) : NULL;
    uint32_t cp;

    if (at) {
        ps->p++;
        return buf_put(b, &to[at - from], 1);
    }
    if (*ps->p != 'u') {
        fail(ps, "bad escape '\\%c'", *ps->p ? *ps->p : '0');
        return -EINVAL;
    }
    ps->p++;
    if (unicode_escape(ps, &cp))
        return -EINVAL;
    return buf_put_utf8(b, cp);
}

/* At the opening quote: the decoded string, malloc'd, or NULL on an error. */
static char *parse_chars(struct parser *ps)
{
    struct buf b = {0};
    int rc = 0;

    ps->p++;
    while (!rc && *ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;

        if (c == '\0' || c < 0x20) {
            fail(ps, c ? "raw control character in a string" : "unterminated string");
            rc = -EINVAL;
        } else if (c == '\\') {
            ps->p++;
            rc = escape(ps, &b);
        } else {
            rc = buf_put(&b, ps->p++, 1);
        }
    }
    if (!rc && !b.s)
        rc = buf_put(&b, "", 0);
    if (rc) {
        if (rc == -ENOMEM)
            fail(ps, "out of memory");
        free(b.s);
        return NULL;
    }
    ps->p++;
    return b.s;
}

static struct json *parse_string(struct parser *ps)
{
    struct json *j = new_node(ps, JSON_STRING);

    if (j && !(j->string = parse_chars(ps))) {
        free(j);
        return NULL;
    }
    return j;
}

static const char *skip_digits(const char *p)
{
    while (*p >= '0' && *p <= '9')
        p++;
    return p;
}

/* JSON's number grammar, stricter than strtod's (no hex, inf, leading '+' or zeros). */
static struct json *parse_number(struct parser *ps)
{
    const char *p = ps->p + (*ps->p == '-');
    struct json *j;

    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        p = skip_digits(p);
    else
        goto out_bad;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9')
            goto out_bad;
        p = skip_digits(p + 1);
    }
    if (*p == 'e' || *p == 'E') {
        p += (p[1] == '+' || p[1] == '-') ? 2 : 1;
        if (*p < '0' || *p > '9')
            goto out_bad;
        p = skip_digits(p);
    }
    j = new_node(ps, JSON_NUMBER);
    if (j)
        j->number = strtod(ps->p, NULL);
    ps->p = p;
    return j;
out_bad:
    fail(ps, "bad number");
    return NULL;
}

static int grow(struct parser *ps, struct json *j, size_t *cap, bool keys)
{
    size_t ncap = *cap ? *cap * 2 : 4;
    struct json **items;
    char **k;

    if (j->n < *cap)
        return 0;
    items = realloc(j->items, ncap * sizeof(*items));
    if (items)
        j->items = items;
    k = keys && items ? realloc(j->keys, ncap * sizeof(*k)) : NULL;
    if (k)
        j->keys = k;
    if (!items || (keys && !k)) {
        fail(ps, "out of memory");
        return -ENOMEM;
    }
    *cap = ncap;
    return 0;
}

/* One "key": value member of an object; ps->p is at the key's quote. */
static int parse_member(struct parser *ps, struct json *obj, size_t *cap)
{
    char *key;

    if (*ps->p != '"') {
        fail(ps, "expected a string key");
        return -EINVAL;
    }
    if (grow(ps, obj, cap, true) || !(key = parse_chars(ps)))
        return -EINVAL;
    skip_space(ps);
    if (*ps->p != ':') {
        free(key);
        fail(ps, "expected ':'");
        return -EINVAL;
    }
    ps->p++;
    obj->items[obj->n] = parse_value(ps);
    if (!obj->items[obj->n]) {
        free(key);
        return -EINVAL;
    }
    obj->keys[obj->n++] = key;
    return 0;
}

static int parse_element(struct parser *ps, struct json *arr, size_t *cap)
{
    if (grow(ps, arr, cap, false))
        return -EINVAL;
    arr->items[arr->n] = parse_value(ps);
    if (!arr->items[arr->n])
        return -EINVAL;
    arr->n++;
    return 0;
}

/* An array or an object: ps->p at '[' or '{'. */
static struct json *parse_container(struct parser *ps, bool object)
{
    struct json *j = new_node(ps, object ? JSON_OBJECT : JSON_ARRAY);
    char close = object ? '}' : ']';
    size_t cap = 0;

    if (!j)
        return NULL;
    ps->p++;
    skip_space(ps);
    if (*ps->p == close) {
        ps->p++;
        return j;
    }
    for (;;) {
        skip_space(ps);
        if (object ? parse_member(ps, j, &cap) : parse_element(ps, j, &cap))
            goto out_free;
        skip_space(ps);
        if (*ps->p == close)
            break;
        if (*ps->p != ',') {
            fail(ps, "expected ',' or '%c'", close);
            goto out_free;
        }
        ps->p++;
    }
    ps->p++;
    return j;
out_free:
    json_free(j);
    return NULL;
}

static struct json *parse_word(struct parser *ps)
{
    static const struct {
        const char *word;
        enum json_type type;
        bool value;
    } words[] = {{"true", JSON_BOOL, true}, {"false", JSON_BOOL, false}, {"null", JSON_NULL, 0}};
    struct json *j;

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t len = strlen(words[i].word);

        if (strncmp(ps->p, words[i].word, len))
            continue;
        j = new_node(ps, words[i].type);
        if (j)
            j->boolean = words[i].value;
        ps->p += len;
        return j;
    }
    fail(ps, *ps->p ? "unexpected character '%c'" : "unexpected end of input", *ps->p);
    return NULL;
}

static struct json *parse_value(struct parser *ps)
{
    struct json *j;

    skip_space(ps);
    if (++ps->depth > JSON_MAX_DEPTH) {
        fail(ps, "nested deeper than %d", JSON_MAX_DEPTH);
        return NULL;
    }
    if (*ps->p == '{' || *ps->p == '[')
        j = parse_container(ps, *ps->p == '{');
    else if (*ps->p == '"')
        j = parse_string(ps);
    else if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
        j = parse_number(ps);
    else
        j = parse_word(ps);
    ps->depth--;
    return j;
}

struct json *json_parse(const char *text, char *err, size_t errlen)
{
    struct parser ps = {.text = text, .p = text, .err = err, .errlen = errlen};
    struct json *j;

    if (err && errlen)
        err[0] = '\0';
    j = parse_value(&ps);
    if (!j)
        return NULL;
    skip_space(&ps);
    if (*ps.p) {
        fail(&ps, "unexpected text after the document");
        json_free(j);
        return NULL;
    }
    return j;
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0, got;
    char *s = malloc(cap), *t;

    while (s && (got = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 > 0)
            continue;
        t = realloc(s, cap * 2);
        if (!t)
            free(s);
        s = t;
        cap *= 2;
    }
    if (s && ferror(f)) {
        free(s);
        return NULL;
    }
    if (s)
        s[n] = '\0';
    *len = n;
    return s;
}

struct json *json_parse_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct json *j = NULL;
    size_t len;
    char *text;

    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    text = read_all(f, &len);
    fclose(f);
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot read", path);
        return NULL;
    }
    if (strlen(text) != len) {
        if (err && errlen)
            snprintf(err, errlen, "%s: a NUL byte in the file", path);
        goto out_free;
    }
    j = json_parse(text, err, errlen);
out_free:
    free(text);
    return j;
}

void json_free(struct json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        json_free(j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->string);
    free(j);
}

/* The first member named key (JSON allows duplicates; we take the first). */
const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return obj->items[i];
    return NULL;
}

const struct json *json_at(const struct json *arr, size_t i)
{
    if (!arr || arr->type != JSON_ARRAY || i >= arr->n)
        return NULL;
    return arr->items[i];
}

size_t json_utf8_len(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = u[0] < 0x80 ? 1 : u[0] < 0xC2 ? 0 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t v;

    if (len == 0 || u[0] > 0xF4)
        return 0;
    v = len == 1 ? u[0] : u[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (u[i] & 0x3F);
    }
    if (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

void json_put_string(FILE *f, const char *s)
{
    static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
    uint32_t cp;

    fputc('"', f);
    for (size_t len; s && *s; s += len) {
        const char *at = strchr(from, *s);

        len = json_utf8_len(s, &cp);
        if (at)
            fprintf(f, "\\%c", to[at - from]);
        else if (len == 0)
            fputs("\\ufffd", f); /* one replacement per bad byte */
        else if (cp < 0x20 || cp == 0x7F)
            fprintf(f, "\\u%04x", (unsigned)cp);
        else
            fwrite(s, 1, len, f);
        len = len ? len : 1;
    }
    fputc('"', f);
}
