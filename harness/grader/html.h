/* html.h: the HTML report of a run (labN.html, html.c and html_item.c), and the index of
 * every lab page beside it (html_index.h). */
#ifndef HTML_H
#define HTML_H

#include <stdio.h>

#include "report.h"

/* Write s as HTML text or attribute value: < > & " ' escaped, control bytes and bad
 * UTF-8 shown as \xNN (never sent raw), at most max bytes of s (SIZE_MAX: all). */
void html_put(FILE *f, const char *s, size_t max);

/* The lab page at path, written atomically: score, every item (verdict, points,
 * measured/expected, the hint and output when not passed; inconclusive ones apart, with
 * their reason), the run's notes, and the figures found beside path: <stem>.svg (the
 * speed chart), <stem>-timelines/x.svg. Its <meta name="restaurant-score"> carries the
 * score for the index. 0 or -errno. */
int html_write_lab(const struct report *r, const char *path);

/* What a grading writes with --html: the lab page at path, then the index beside it with
 * that page embedded. 0 or -errno (the first error). */
int html_write(const struct report *r, const char *path);

/* The index beside the pages, in a file of its own: */
#include "html_index.h"

#endif
