/* batch_int.h: what the batch's own files share (batch*.c): a submission's job.
 * The rest of the grader uses batch.h only. */
#ifndef BATCH_INT_H
#define BATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "gradebook.h"
#include "json.h"
#include "options.h"
#include "report.h"

enum {
    BATCH_PARKED_MAX = 32, /* gradings waiting, tested, for their turn to time (each keeps
                              its box and kitchen meanwhile): more, and the wave is timed */
    BATCH_PATH = 1200,
    BATCH_SHOWN = 4 * 256, /* a name (NAME_MAX bytes) with each byte as \xNN */
};

/* Job j's name as a terminal (or a log) may show it: a folder's name is anyone's, so its
 * control characters and bad UTF-8 become \xNN (json_plain). The text lives as long as
 * the block the macro is used in. */
#define JOB_SHOWN(j) json_plain((char[BATCH_SHOWN]){""}, BATCH_SHOWN, (j)->name)

/* Where a submission's grading stands. */
enum job_state { J_NEW, J_TESTING, J_PARKED, J_DONE };

/* One submission of the batch: its paths and options, its grader process. */
struct job {
    const char *name;
    const char *refused; /* why the entry is refused unread (a link), or NULL; then */
    double refused_max;  /* what a grading would be out of (-1: unknown) */
    char title[128];     /* and the lab's title, for its results */
    struct opts o;
    char top[BATCH_PATH], src[BATCH_PATH], out[BATCH_PATH], junit[BATCH_PATH], build[BATCH_PATH];
    char state[BATCH_PATH], log[BATCH_PATH], err[BATCH_PATH];
    /* --regrade: the cells to re-time (comma-separated), the saved report they go into
     * and where it lives; skip when there is nothing to re-time (or nothing saved). */
    char cells[1024], saved[BATCH_PATH], saved_json[BATCH_PATH], saved_junit[BATCH_PATH];
    struct report old;
    bool have_old, skip;
    enum job_state st;
    pid_t pid;
    int status_fd, go_fd; /* the parent's ends: "R" (parked) comes in, "G" (time now) out */
    int rc;
};

/* batch.c */

/* Before a submission's grading starts: a network namespace of its own (as root), so that
 * its runs reach no other submission's kitchen, even in a parallel batch. (Each kitchen
 * draws its own key when it starts: kitchen.h.) */
void batch_own_network(void);

/* batch_show.c */

/* "=== name (i+1 of n)", and why nothing is re-timed when a regrade skips it. */
void batch_header(const struct job *j, int i, int n);
/* The i-th of n is done: show it (a parallel batch's from its log), merge a regrade, add
 * its row; a harness error or a grading that could not grade joins `again`. */
void batch_show(const struct opts *o, struct gradebook *book, struct job *j, bool from_log,
                char *again, size_t size);

/* batch_where.c */

/* One batch of a folder at a time (a second one, or a regrade, would re-time the first's
 * submissions and write over its results and gradebook): the fd of a lock in `out` (its
 * results folder, batch_out_dir) held until closed, or -1 after saying why (another batch
 * holds it). */
int batch_lock(const struct opts *o, const char *out);

/* batch_parallel.c */

/*
 * Up to `par` graders test at once; a grader with cells to time (or tests to run again
 * alone: grading_alone) parks until no grader tests (all are tested, or BATCH_PARKED_MAX
 * wait), then the parked ones run alone, one after another, in order. Each grading's
 * output is shown in order as the ones before it are done: the same text, rows and
 * scores as one after another.
 */
void batch_run_parallel(const struct opts *o, struct gradebook *book, struct job *jobs, int n,
                        int par, char *again, size_t size);

#endif
