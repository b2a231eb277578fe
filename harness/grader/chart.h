/* chart.h: what the grader's SVG pictures share (chart.c): escaped text, a document's head. */
#ifndef CHART_H
#define CHART_H

#include <stdio.h>

/* Text for an SVG element or attribute: <, >, &, ' and " escaped, control bytes dropped. */
void chart_put_text(FILE *f, const char *s);

/* The head of an SVG of w x h pixels: the house style (classes label, tick, value,
 * title, note) and a white ground. End it with "</svg>\n". */
void chart_begin(FILE *f, int w, int h);

#endif
