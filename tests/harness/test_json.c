/* test_json.c: the JSON string writer and its UTF-8 check, on hostile input. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "json.h"

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

/* A name as plain text: nothing in it can move, colour or clear a terminal, or end a
 * line; valid UTF-8 kept; cut at a whole escape or character, always terminated. */
Test(json, plain_escapes_control_characters_and_bad_bytes, .timeout = 5)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"alice", "alice"},
        {"new\nline\033[31mred", "new\\x0aline\\x1b[31mred"},
        {"tab\there\r", "tab\\x09here\\x0d"},
        {"del\x7f c1\xc2\x85 bad\xff", "del\\x7f c1\\xc2\\x85 bad\\xff"},
        {"=cmd|x,\"y\" caf\xc3\xa9", "=cmd|x,\"y\" caf\xc3\xa9"},
    };
    char buf[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_str_eq(json_plain(buf, sizeof(buf), cases[i].in), cases[i].out, "case %zu", i);
    cr_assert_str_eq(json_plain(buf, 7, "ab\ncd"), "ab\\x0a", "an escape is never cut");
    cr_assert_str_eq(json_plain(buf, 6, "ab\ncd"), "ab", "an escape is never cut");
    cr_assert_str_eq(json_plain(buf, 4,
                                "a\xc3\xa9"
                                "b"),
                     "a\xc3\xa9", "nor a character");
    cr_assert_str_eq(json_plain(buf, 3,
                                "a\xc3\xa9"
                                "b"),
                     "a", "nor a character");
    cr_assert_str_eq(json_plain(buf, sizeof(buf), NULL), "");
}

static const char round_trip_check[] =
    "python3 -c '\n"
    "import json, sys\n"
    "for n, line in enumerate(open(sys.argv[1], encoding=\"utf-8\")):\n"
    "    valid, raw, text = line.rstrip(\"\\n\").split(\"\\t\", 2)\n"
    "    s = json.loads(text, strict=True)\n"
    "    s.encode(\"utf-8\")  # no lone surrogate\n"
    "    if valid == \"1\":\n"
    "        assert s == bytes.fromhex(raw).decode(\"utf-8\"), n\n"
    "' %s";

/* Any bytes at all: what we write parses back (python's json, strictly), as text with no
 * lone surrogate, the same text where it was valid UTF-8. A line a round, tab-separated
 * (json_put_string escapes tabs and newlines): was the input valid, its bytes in hex, what
 * json_put_string wrote (opened as UTF-8, which fails if that was not). */
Test(json, put_string_round_trips_garbage, .timeout = 10)
{
    char in[257], path[] = "/tmp/test_json.XXXXXX", cmd[1024];
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    cr_assert_not_null(f);
    srand(7);
    for (int round = 0; round < 500; round++) {
        size_t len = (size_t)(rand() % 256);
        char *s;

        for (size_t i = 0; i < len; i++)
            in[i] = (char)(1 + rand() % 255);
        in[len] = '\0';
        s = put(in);
        fprintf(f, "%d\t", valid_utf8(in));
        for (size_t i = 0; i < len; i++)
            fprintf(f, "%02x", (unsigned char)in[i]);
        fprintf(f, "\t%s\n", s);
        free(s);
    }
    cr_assert_eq(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), round_trip_check, path);
    cr_assert_eq(system(cmd), 0, "python's json did not read back what we wrote (%s)", path);
    unlink(path);
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
