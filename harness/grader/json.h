/* json.h: a small JSON reader and string writer, enough for results.json files. */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    bool boolean;
    double number;
    char *string;         /* JSON_STRING: decoded, NUL-terminated */
    struct json **items;  /* JSON_ARRAY elements, or JSON_OBJECT values */
    char **keys;          /* JSON_OBJECT keys, parallel to items */
    size_t n;
};

/* Parse a whole document; NULL on a syntax error (then *err, if given, says where). */
struct json *json_parse(const char *text, char *err, size_t errlen);
struct json *json_parse_file(const char *path, char *err, size_t errlen);
void json_free(struct json *j);
/* Object member by key, or NULL. Array element by index, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
const struct json *json_at(const struct json *arr, size_t i);

/* Write s as a JSON string literal, quotes included, escaping what JSON requires
 * (and invalid UTF-8 replaced by U+FFFD). */
void json_put_string(FILE *f, const char *s);
/* Length (1-4) of the valid UTF-8 sequence at s, its code point in *cp; 0 if the bytes
 * there are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short). */
size_t json_utf8_len(const char *s, uint32_t *cp);

#endif
