/* report_file.h: the pieces results.json (results_json.c) and JUnit (junit.c) share. */
#ifndef REPORT_FILE_H
#define REPORT_FILE_H

#include <stdio.h>

#include "report.h"

/* x, or 0 when it is not finite: the files hold no NaN or infinity (JSON has none). */
double report_finite(double x);
/* An item's text in the files, malloc'd (NULL: no memory): its verdict (an inconclusive
 * item's "INCONCLUSIVE: <reason>" and what that means), measured/expected, the hint when
 * it did not pass, then its output, cut after 64 KiB at a character boundary. */
char *report_item_text(const struct item *it);
/* The run's text, malloc'd (NULL: no memory): lab, source, machine, seed, how many cells
 * were inconclusive, then the run's notes (cut after 64 KiB). */
char *report_run_text(const struct report *r);
/* Write r through emit into a temporary file beside path (its parent folders made), then
 * rename it over path: a reader sees the old file or the new one, never half of one.
 * 0, emit's error, or -errno. */
int report_write_file(const char *path, int (*emit)(const struct report *, FILE *),
                      const struct report *r);

#endif
