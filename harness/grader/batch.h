/* batch.h: grade every submission folder of a folder, several at once; a gradebook. */
#ifndef BATCH_H
#define BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/*
 * Grade every submission folder in o->batch into OUT/submissions/<name>/<lab>.json (OUT:
 * batch_out_dir; BATCH_SUBS: one level below the gradebook, so no name meets its files;
 * and .xml; .state: the whole report, for --regrade; .log: what its grading printed),
 * then the CSV gradebook OUT/<lab>.csv and OUT/<lab>-summary.md, copied to
 * ROOT/build/batch/<lab>.csv and <lab>-summary.md (the lab's last batch).
 * With batch_jobs(o->jobs) > 1, a grader process per submission, that many building and
 * testing at once (each its own jail user); the speed cells wait until none is testing,
 * then time one at a time (and under the machine's speed lock). Output, rows and scores
 * are those of a batch graded one after another.
 * o->regrade: re-time only the speed cells the saved reports hold as inconclusive (their
 * tests run again first, unrecorded); each re-timed cell replaces its item in the saved
 * report, results.json and JUnit file; nothing else changes; the gradebook is rewritten.
 * Returns 0; 3 when some grading had a harness error or could not grade (they are named:
 * regrade them), or a gradebook file could not be written (said on stderr); 2 when
 * o->batch cannot be read.
 */
int batch_grade(const struct opts *o);

/* The halves of one grading a batch runs: grading.h's (a test puts fakes in). */
struct grading;
struct batch_grader {
    struct grading *(*begin)(const struct opts *o, int *rc);
    bool (*wants_alone)(const struct grading *g);
    void (*alone)(struct grading *g);
    int (*end)(struct grading *g);
};
extern struct batch_grader batch_grader;

/* How many gradings test at once: `asked` (> 0), else the usable cores rounded down
 * (cores.h), at least 1. */
int batch_jobs(int asked);

/* The entries of dir that are submissions, or are refused as ones: its folders and its
 * links (every entry but hidden ones, regular files and other special files), sorted, into
 * a malloc'd array of malloc'd names. Returns how many, or -errno. */
int batch_list(const char *dir, char ***names);

/* Why the entry at path is refused unread ("a link, not a folder: refused"; anything else
 * that is not a folder), or NULL for a folder. An entry that links to another student's
 * folder or outside the batch would be graded on files that are not its own: it scores 0,
 * its row says why, and nothing it points to is read. */
const char *batch_refused(const char *path);

/* The lab's files in a submission: DIR/labs/<lab>/, DIR/<lab>/, or DIR itself; never
 * through a link a student planted (lstat), DIR itself included: 0, or -ELOOP (DIR is a
 * link) or -ENOTDIR (no folder), and then src is "". */
int batch_src(const char *dir, const char *lab, char *src, size_t len);

/* The batch folder's name as a file name holds it: its last part, trailing slashes
 * dropped, each byte outside [A-Za-z0-9._-] as '_'; "batch" for "/", "." or "..". */
void batch_folder_tag(const char *batch, char *out, size_t len);

/* Where batch folder `batch`'s results lie: ROOT/build/batch/<tag>-<8 hex digits>, its
 * tag (batch_folder_tag) and a hash (FNV-1a) of its real path: two sections' folders never
 * share one, even when they have the same name or hold submissions of the same names
 * (a regrade of one then read the other's saved reports); the same folder always finds
 * its own again. */
void batch_out_dir(const char *root, const char *batch, char *out, size_t len);

/* The folder of OUT that holds each submission's results (OUT/submissions/<name>/). */
#define BATCH_SUBS "submissions"

#endif
