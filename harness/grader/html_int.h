/* html_int.h: what the HTML report's own files share (html*.c): the page's parts.
 * The rest of the grader uses html.h only. */
#ifndef HTML_INT_H
#define HTML_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "report.h"

/* Where a lab page's report begins and ends: index.html embeds what lies between. */
#define BEGIN "<!-- lab-report:begin -->"
#define END   "<!-- lab-report:end -->"

/* html.c */

/* A relative link to a file name: unreserved bytes as they are, the rest %XX. */
void html_put_url(FILE *f, const char *s);
/* Whether dir/name is a regular file. */
bool html_is_file(const char *dir, const char *name);
/* The page's head up to <body>: with r, the <meta>s the index reads (lab, score, state). */
void html_head(FILE *f, const char *title, const struct report *r);
/* A figure linking to the picture src (relative), with its caption. */
void html_put_figure(FILE *f, const char *src, const char *caption);

/* html_item.c */

/* An item's output in <pre>, cut after 16 KiB at a character boundary; nothing if empty. */
void html_put_output(FILE *f, const char *out);
/* The section of r's items of kind k (its points summed in its title); nothing if none. */
void html_put_section(FILE *f, const struct report *r, enum item_kind k);

#endif
