/* gradebook.h: a CSV gradebook from many results.json files of a batch run. */
#ifndef GRADEBOOK_H
#define GRADEBOOK_H

#include <stddef.h>
#include <stdio.h>

/*
 * Read the results.json files at paths[0..n) (as report_write_json writes them, e.g.
 * build/batch/<submission>/<lab>.json) and write one CSV row per file to out:
 *
 *   submission,lab,score,max_score,<item names, first seen first>...,notes
 *
 * submission is the file's parent folder name, lab its name without ".json"; an item
 * column holds that item's score, empty where the file has no such item. A file that
 * cannot be read or parsed still gets a row, with "error: ..." in notes; inconclusive
 * items are counted in notes (they score 0 this run and want a rerun).
 * Returns 0, -ENOMEM, or -EIO when writing out fails.
 */
int gradebook_write(char *const paths[], size_t n, FILE *out);

#endif
