/* gradebook_summary.h: <lab>-summary.md, what an instructor reads first about a batch. */
#ifndef GRADEBOOK_SUMMARY_H
#define GRADEBOOK_SUMMARY_H

#include <stdio.h>

#include "gradebook.h"

/*
 * What an instructor reads first, in Markdown: how many were graded, a histogram of the
 * scores (tenths of the full score), the items most often not passed (with their
 * verdicts), and the inconclusive cells: how many, which, and why (their reasons with the
 * numbers taken out, most frequent first). Returns 0 or -EIO.
 */
int gradebook_summary(const struct gradebook *g, FILE *out);

#endif
