/* batch_state.h: a batch's results of one submission, saved whole for the gradebook and
 * `--regrade` (results.json is for people and Gradescope; this is read back). */
#ifndef BATCH_STATE_H
#define BATCH_STATE_H

#include "report.h"

/* Save r at path (written beside, then renamed: a reader never sees half a file).
 * 0 or -errno. */
int batch_state_save(const struct report *r, const char *path);

/* Read what batch_state_save wrote into r (report_free it afterwards): every field and
 * item, outputs included. 0; -ENOENT; -EINVAL when the file is not one of ours (another
 * build of the grader, cut short). */
int batch_state_load(struct report *r, const char *path);

#endif
