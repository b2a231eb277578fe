/* json.h: JSON string literals for results.json, the UTF-8 check behind them, and plain
 * text made safe for a terminal or a text file (a batch's submission names). */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write s as a JSON string literal, quotes included, escaping what JSON requires
 * (and invalid UTF-8 replaced by U+FFFD). */
void json_put_string(FILE *f, const char *s);
/* Length (1-4) of the valid UTF-8 sequence at s, its code point in *cp; 0 if the bytes
 * there are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short). */
size_t json_utf8_len(const char *s, uint32_t *cp);
/* s as one line of plain text, into buf (at most len - 1 bytes, cut at a whole character
 * or escape; always terminated): control characters (newline and tab too), DEL, the C1
 * controls and bytes that are not valid UTF-8 become \xNN, characters that reorder the
 * text (json_reorders) \u{NNNN}, the rest is kept. A name shown this way can neither
 * colour, move, reorder nor clear a terminal, nor break a line. Returns buf. */
const char *json_plain(char *buf, size_t len, const char *s);
/* One character of student text at s (n bytes left: a sequence longer is cut short), written
 * so that it can neither act (an escape sequence) nor reorder the text around it: control
 * bytes but those in `keep` (a tab, a line break), DEL, the C1 controls and bytes that are
 * not valid UTF-8 as \xNN, characters that reorder the text as \u{NNNN}, the rest as it is.
 * Returns the bytes of s it took. */
size_t json_put_shown(FILE *f, const char *s, size_t n, const char *keep);
/* A character that reorders the text around it on a terminal (bidirectional overrides and
 * isolates, U+202E among them: "abc" after it reads "cba"). */
bool json_reorders(uint32_t cp);

#endif
