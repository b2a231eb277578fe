/* html.h: the HTML report of a run (labN.html), and the index of every lab page beside it. */
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

/* index.html in dir, written atomically: a link and the score of every lab page there
 * (read from its <meta>s), the course's matrix (matrix.svg, matrix.md) when present, and
 * the page named `current` (a file name in dir; NULL: the newest lab page) embedded.
 * 0 or -errno. */
int html_write_index(const char *dir, const char *current);

/* What a grading writes with --html: the lab page at path, then the index beside it with
 * that page embedded. 0 or -errno (the first error). */
int html_write(const struct report *r, const char *path);

/* grade --html-index DIR: DIR/index.html with the newest page embedded; the exit code
 * (0, or 2 with the reason on stderr). */
int html_index_main(const char *dir);

#endif
