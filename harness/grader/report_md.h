/* report_md.h: a run's report as Markdown, for Gradescope's output_format "md". */
#ifndef REPORT_MD_H
#define REPORT_MD_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

/* Item i's number, "<kind>.<n>": build 1, test 2, race 3, speed 4, then its place among
 * the items of its kind ("2.3": the third test). Gradescope orders tests by it. */
void md_number(const struct report *r, size_t i, char *buf, size_t len);
/* s as Markdown text inside a line (never at a line's start): every mark that could make
 * Markdown of it (emphasis, code, links, HTML, entities, table cells) is escaped, a
 * newline becomes a space (one line: a table cell, a list item) and any other control
 * character \xNN (a folder name's escape sequence stays text). */
void md_put_text(FILE *f, const char *s);
/* s in a fenced code block whose fence is longer than any run of backticks in s, so no
 * line of s can close it; at most 64 KiB of s (cut at a character boundary, with a note). */
void md_put_code(FILE *f, const char *s);
/* An item as Markdown, malloc'd (NULL: no memory): its verdict in bold (an inconclusive
 * item's reason, and that it is no fail), measured / expected / hint as a list, then its
 * output as a code block. */
char *md_item_text(const struct item *it);
/* The run as Markdown, malloc'd: lab, source, machine, seed; a table of every item
 * (number, name, verdict, points, measured, expected); then the run's notes as code. */
char *md_run_text(const struct report *r);

#endif
