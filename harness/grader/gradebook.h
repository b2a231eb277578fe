/* gradebook.h: a CSV gradebook of a batch run, a row per submission, from results in memory. */
#ifndef GRADEBOOK_H
#define GRADEBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report.h"

/* What a row keeps of one graded item: all the CSV needs, none of the output. */
struct gradebook_cell {
    char name[sizeof(((struct item *)0)->name)];
    double score;
    enum verdict verdict;
    char why[120]; /* inconclusive or harness error: the first line of its output */
};

struct gradebook_row {
    char *submission; /* the submission's folder name */
    char *lab;
    double score, max_score;
    struct gradebook_cell *cells; /* in the report's order */
    size_t n;
    char *error;  /* not graded: why (then no score and no cells) */
    bool refused; /* with error: an entry of the batch refused unread (a link): 0 points */
};

/* Start with `struct gradebook g = {0};`. */
struct gradebook {
    struct gradebook_row *rows;
    size_t n, cap;
};

/* A row for the submission graded into r (its lab, total and each item's score and
 * verdict are copied: r may be freed afterwards). 0 or -ENOMEM (then no row). */
int gradebook_add(struct gradebook *g, const char *submission, const struct report *r);
/* A row for a submission that could not be graded at all; notes say "error: <why>". */
int gradebook_add_error(struct gradebook *g, const char *submission, const char *lab,
                        const char *why);
/* A row for an entry of the batch that was refused, nothing of it read (a link, not a
 * folder): score 0 of max_score (< 0: unknown, left empty), no cells; notes say why. */
int gradebook_add_refused(struct gradebook *g, const char *submission, const char *lab,
                          double max_score, const char *why);
/*
 * One CSV row per gradebook row, in the order they were added:
 *
 *   submission,lab,score,max_score,<item names, first seen first>...,notes
 *
 * An item column holds that item's score, empty where the row has no such item (or the
 * first one's where it has several, counted in notes). notes count the grader's own
 * errors (regrade) and inconclusive items (they score 0 this run and want a rerun), or
 * say "error: ..." for a submission that could not be graded, or why an entry was refused
 * (it scores 0). Text fields are made safe for a spreadsheet and a terminal: one that
 * starts with =, +, -, @, a tab or a carriage return gets a ' in front; control characters
 * and invalid UTF-8 are written \xNN.
 * Returns 0, -ENOMEM, or -EIO when writing out fails.
 */
int gradebook_write(const struct gradebook *g, FILE *out);
void gradebook_free(struct gradebook *g);

/* The summary (gradebook_summary.c), in a header of its own: */
#include "gradebook_summary.h"

#endif
