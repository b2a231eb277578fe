/* test_json.c: the JSON reader and string writer, including hostile input. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "json.h"

static struct json *parse_ok(const char *text)
{
    char err[128];
    struct json *j = json_parse(text, err, sizeof(err));

    cr_assert_not_null(j, "json_parse(%s) failed: %s", text, err);
    return j;
}

/* Parsing must fail, with an error that contains want (e.g. a line:column). */
static void parse_bad(const char *text, const char *want)
{
    char err[128] = "untouched";
    struct json *j = json_parse(text, err, sizeof(err));

    cr_assert_null(j, "json_parse(%s) accepted bad JSON", text);
    cr_assert(strstr(err, want), "json_parse(%s): error \"%s\" lacks \"%s\"", text, err, want);
}

/* s written by json_put_string, as text. */
static char *put(const char *s)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    cr_assert_not_null(f);
    json_put_string(f, s);
    cr_assert_eq(fclose(f), 0);
    return text;
}

static bool valid_utf8(const char *s)
{
    uint32_t cp;

    for (size_t len; *s; s += len)
        if (!(len = json_utf8_len(s, &cp)))
            return false;
    return true;
}

Test(json, scalars, .timeout = 5)
{
    struct json *j = parse_ok(" [true, false, null, 0, -0.5e3, 1E+2, 12.25, \"x\"] ");

    cr_assert_eq(j->type, JSON_ARRAY);
    cr_assert_eq(j->n, 8);
    cr_assert(json_at(j, 0)->type == JSON_BOOL && json_at(j, 0)->boolean);
    cr_assert(json_at(j, 1)->type == JSON_BOOL && !json_at(j, 1)->boolean);
    cr_assert_eq(json_at(j, 2)->type, JSON_NULL);
    cr_assert(json_at(j, 3)->type == JSON_NUMBER && json_at(j, 3)->number == 0);
    cr_assert_eq(json_at(j, 4)->number, -500.0);
    cr_assert_eq(json_at(j, 5)->number, 100.0);
    cr_assert_eq(json_at(j, 6)->number, 12.25);
    cr_assert_str_eq(json_at(j, 7)->string, "x");
    cr_assert_null(json_at(j, 8));
    json_free(j);
}

Test(json, objects_nest_and_lookup, .timeout = 5)
{
    struct json *j = parse_ok("{\"a\": {\"b\": [1, {\"c\": \"deep\"}]}, \"e\": {}, \"f\": [],"
                              " \"a\": 2}");
    const struct json *c = json_get(json_at(json_get(json_get(j, "a"), "b"), 1), "c");

    cr_assert_eq(j->type, JSON_OBJECT);
    cr_assert_eq(j->n, 4);
    cr_assert_str_eq(j->keys[1], "e");
    cr_assert_not_null(c);
    cr_assert_str_eq(c->string, "deep");
    cr_assert_eq(json_get(j, "e")->n, 0);
    cr_assert_eq(json_get(j, "f")->type, JSON_ARRAY);
    cr_assert_eq(json_get(j, "a")->type, JSON_OBJECT, "a duplicate key: the first one wins");
    cr_assert_null(json_get(j, "missing"));
    cr_assert_null(json_get(json_get(j, "f"), "a"), "json_get on an array");
    cr_assert_null(json_at(j, 0), "json_at on an object");
    cr_assert_null(json_get(NULL, "a"));
    json_free(j);
}

Test(json, string_escapes, .timeout = 5)
{
    struct json *j = parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t e\\u00e9 \\u20AC\"");

    cr_assert_str_eq(j->string, "q\" b\\ s/ \b\f\n\r\t e\xc3\xa9 \xe2\x82\xac");
    json_free(j);
}

Test(json, surrogate_pairs, .timeout = 5)
{
    struct json *j = parse_ok("[\"\\ud83d\\ude00\", \"\\uD834\\uDD1E\", \"a\\ud800b\", "
                              "\"\\udc00\", \"\\ud800\\u0041\"]");

    cr_assert_str_eq(json_at(j, 0)->string, "\xf0\x9f\x98\x80", "U+1F600");
    cr_assert_str_eq(json_at(j, 1)->string, "\xf0\x9d\x84\x9e", "U+1D11E");
    cr_assert_str_eq(json_at(j, 2)->string, "a\xef\xbf\xbd\x62", "lone high surrogate");
    cr_assert_str_eq(json_at(j, 3)->string, "\xef\xbf\xbd", "lone low surrogate");
    cr_assert_str_eq(json_at(j, 4)->string, "\xef\xbf\xbd\x41", "high then not a low");
    json_free(j);
}

Test(json, bad_numbers, .timeout = 5)
{
    static const char *const bad[] = {"01",  "1.",   ".5", "+1",       "-",   "1e",
                                      "1e+", "0x10", "-a", "Infinity", "NaN", "1.e5"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        parse_bad(bad[i], "1:");
}

Test(json, syntax_errors_say_where, .timeout = 5)
{
    parse_bad("{\n  \"a\": tru\n}", "2:8:");
    parse_bad("{\"a\" 1}", "1:6: expected ':'");
    parse_bad("[1, 2,]", "1:7:");
    parse_bad("[1 2]", "1:4: expected ','");
    parse_bad("{\"a\": 1,}", "1:9: expected a string key");
    parse_bad("{1: 2}", "expected a string key");
    parse_bad("\"abc", "unterminated string");
    parse_bad("\"a\nb\"", "1:3: raw control character");
    parse_bad("\"\\x\"", "bad escape");
    parse_bad("\"\\u12g4\"", "bad \\u escape");
    parse_bad("\"\\u0000\"", "\\u0000");
    parse_bad("", "1:1: unexpected end of input");
    parse_bad("   ", "unexpected end");
    parse_bad("{} {}", "1:4: unexpected text after");
    parse_bad("nul", "unexpected character 'n'");
    parse_bad("[", "unexpected end");
}

Test(json, error_buffer_is_optional, .timeout = 5)
{
    char tiny[4];

    cr_assert_null(json_parse("[", NULL, 0));
    cr_assert_null(json_parse("{\"a\" 1}", tiny, sizeof(tiny)));
    cr_assert_eq(strlen(tiny), 3, "the error is cut to the buffer");
}

static char *nested(size_t depth)
{
    char *s = malloc(2 * depth + 1);

    cr_assert_not_null(s);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    return s;
}

Test(json, depth_limit, .timeout = 5)
{
    char *ok = nested(150), *deep = nested(100000);
    struct json *j = parse_ok(ok);

    json_free(j);
    parse_bad(deep, "nested deeper than");
    free(ok);
    free(deep);
}

Test(json, put_string_escapes, .timeout = 5)
{
    char *s = put("a\"b\\c\n\t\r\b\f\x01\x1f\x7f/\xc3\xa9\xf0\x9f\x98\x80");

    cr_assert_str_eq(s, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f/\xc3\xa9"
                        "\xf0\x9f\x98\x80\"");
    free(s);
    s = put(NULL);
    cr_assert_str_eq(s, "\"\"");
    free(s);
}

Test(json, put_string_replaces_bad_utf8, .timeout = 5)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\xff", "\"\\ufffd\""},                                  /* never valid */
        {"a\xe2\x82", "\"a\\ufffd\\ufffd\""},                     /* cut short */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},                       /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},            /* an encoded surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* above U+10FFFF */
        {"\x80x", "\"\\ufffdx\""},                                /* a lone continuation */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = put(cases[i].in);

        cr_assert_str_eq(s, cases[i].out, "case %zu", i);
        free(s);
    }
}

/* Any bytes at all: what we write parses back, valid UTF-8, same text where it was valid. */
Test(json, put_string_round_trips_garbage, .timeout = 10)
{
    char in[257], err[128];

    srand(7);
    for (int round = 0; round < 500; round++) {
        size_t len = (size_t)(rand() % 256);
        struct json *j;
        char *s;

        for (size_t i = 0; i < len; i++)
            in[i] = (char)(1 + rand() % 255);
        in[len] = '\0';
        s = put(in);
        j = json_parse(s, err, sizeof(err));
        cr_assert_not_null(j, "round %d: our output did not parse: %s", round, err);
        cr_assert(valid_utf8(j->string), "round %d: decoded text is not UTF-8", round);
        if (valid_utf8(in))
            cr_assert_str_eq(j->string, in, "round %d", round);
        json_free(j);
        free(s);
    }
}

Test(json, utf8_len, .timeout = 5)
{
    uint32_t cp = 0;

    cr_assert_eq(json_utf8_len("A", &cp), 1);
    cr_assert_eq(cp, 'A');
    cr_assert_eq(json_utf8_len("\xc3\xa9", &cp), 2);
    cr_assert_eq(cp, 0xE9);
    cr_assert_eq(json_utf8_len("\xef\xbf\xbd", &cp), 3);
    cr_assert_eq(cp, 0xFFFD);
    cr_assert_eq(json_utf8_len("\xf4\x8f\xbf\xbf", &cp), 4);
    cr_assert_eq(cp, 0x10FFFF);
    cr_assert_eq(json_utf8_len("\xe0\x80\x80", &cp), 0, "overlong");
    cr_assert_eq(json_utf8_len("\xc3", &cp), 0, "cut by the NUL");
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");

    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

Test(json, parse_file, .timeout = 5)
{
    char dir[] = "/tmp/test_json.XXXXXX", path[64], err[160];
    struct json *j;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.json", dir);
    write_file(path, "{\"k\": [1, 2.5]}\n", 16);
    j = json_parse_file(path, err, sizeof(err));
    cr_assert_not_null(j, "%s", err);
    cr_assert_eq(json_at(json_get(j, "k"), 1)->number, 2.5);
    json_free(j);
    write_file(path, "{\"k\": \0 1}", 10);
    cr_assert_null(json_parse_file(path, err, sizeof(err)));
    cr_assert(strstr(err, "NUL"), "%s", err);
    unlink(path);
    cr_assert_null(json_parse_file(path, err, sizeof(err)));
    cr_assert(strstr(err, "a.json") && strstr(err, "No such file"), "%s", err);
    rmdir(dir);
}

/* A file bigger than the reader's first buffer. */
Test(json, parse_big_file, .timeout = 10)
{
    char dir[] = "/tmp/test_json.XXXXXX", path[64], err[160];
    size_t n = 20000, len = 0;
    char *text = malloc(n * 8 + 16);
    struct json *j;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/big.json", dir);
    text[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%s%zu", i ? "," : "", i);
    text[len++] = ']';
    write_file(path, text, len);
    j = json_parse_file(path, err, sizeof(err));
    cr_assert_not_null(j, "%s", err);
    cr_assert_eq(j->n, n);
    cr_assert_eq(json_at(j, n - 1)->number, (double)(n - 1));
    json_free(j);
    free(text);
    unlink(path);
    rmdir(dir);
}
