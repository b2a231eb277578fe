/* spec_line.h: one line of a spec being read, and the words of its settings; private to
 * spec.c, spec_item.c and spec_words.c. */
#ifndef SPEC_LINE_H
#define SPEC_LINE_H

#include <stddef.h>

#include "spec.h"

#define SPEC_MAX_WORDS 32  /* on one line */
#define SPEC_MAX_WORD  512 /* characters in one word, quotes removed */

struct spec_line {
    const char *name; /* the spec's name, for messages */
    int no;           /* the line's number, from 1 */
    char tok[SPEC_MAX_WORDS][SPEC_MAX_WORD];
    int ntok;
    char *err; /* where an error goes: "name:no: what" */
    size_t errlen;
};

/* Write "name:no: <fmt>" into l->err; returns -EINVAL, for `return spec_fail(...)`. */
int spec_fail(struct spec_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copy src into dst[len], or fail naming `what` when it does not fit. */
int spec_copy(struct spec_line *l, char *dst, size_t len, const char *src, const char *what);
/* Read a number from lo to hi, or fail. */
int spec_number(struct spec_line *l, const char *s, double lo, double hi, double *out);

/* The item (test, speed or race, as l->tok[0] says) on line l, added to s: 0, or
 * -EINVAL with l->err saying why. */
int spec_item(struct spec_line *l, struct spec *s);

/* A closed set of words a setting may take, and the enum value each stands for; each set
 * ends with {0} (spec_words.c). */
struct word {
    const char *text;
    int value;
};
extern const struct word words_workload[], words_skew[], words_metric[], words_cores[], words_x[],
    words_timing[], words_values[], words_sanitizer[], words_workers[];
/* The word of the set w that is text, or NULL. */
const struct word *word_find(const struct word *w, const char *text);
/* The word of w that stands for value, or "?". */
const char *word_name(const struct word *w, int value);
/* "cpu or io", "speedup, eff, cpuwall or x": the words, for an error message. */
const char *word_list(const struct word *w, char *buf, size_t len);

#endif
