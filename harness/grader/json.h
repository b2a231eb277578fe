/* json.h: JSON string literals for results.json, and the UTF-8 check behind them. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write s as a JSON string literal, quotes included, escaping what JSON requires
 * (and invalid UTF-8 replaced by U+FFFD). */
void json_put_string(FILE *f, const char *s);
/* Length (1-4) of the valid UTF-8 sequence at s, its code point in *cp; 0 if the bytes
 * there are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short). */
size_t json_utf8_len(const char *s, uint32_t *cp);

#endif
