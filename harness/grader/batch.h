/* batch.h: grade every submission folder of a folder, one after another; a gradebook. */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>

#include "options.h"

/* Grade every submission folder in o->batch, one after another (speed never overlaps),
 * into ROOT/build/batch/<name>/<lab>.json (and .xml), then the CSV gradebook
 * ROOT/build/batch/<lab>.csv. Returns 0; 3 when some grading had a harness error or
 * could not grade (they are named: regrade them); 2 when o->batch cannot be read. */
int batch_grade(const struct opts *o);

/* The submissions in dir: every entry but hidden ones and regular files, sorted, into
 * a malloc'd array of malloc'd names. Returns how many, or -errno. */
int batch_list(const char *dir, char ***names);

/* The lab's files in a submission: DIR/labs/<lab>/, DIR/<lab>/, or DIR itself; never
 * through a link a student planted (lstat). */
void batch_src(const char *dir, const char *lab, char *src, size_t len);

#endif
