/* batch_show.c: each grading of a batch shown in order: its output, a regrade's merge, its row. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_int.h"
#include "batch_state.h"
#include "gradebook.h"
#include "json.h"
#include "sys.h"

/* ---- --regrade: the re-timed cells into the saved report ---- */

static struct item *find_cell(struct report *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if ((r->items[i].kind == ITEM_SPEED || r->items[i].kind == ITEM_TEST) &&
            !strcmp(r->items[i].name, name))
            return &r->items[i];
    return NULL;
}

/* Each cell of j->cells takes its new item (a cell skipped this time, for a test it
 * needs that failed now, keeps the old one); then the batch's files are written again. */
static void merge(struct job *j)
{
    struct report fresh;
    char cells[sizeof(j->cells)], *save = NULL;

    if (batch_state_load(&fresh, j->state) < 0) {
        char log[4 * sizeof(j->log)];

        printf("regrade %s: not re-timed (see %s)\n", JOB_SHOWN(j),
               json_plain(log, sizeof(log), j->log));
        return;
    }
    snprintf(cells, sizeof(cells), "%s", j->cells);
    for (char *c = strtok_r(cells, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        struct item *was = find_cell(&j->old, c), *now = find_cell(&fresh, c);
        if (!was || !now || now->verdict == V_SKIPPED || now->verdict == V_ERROR) {
            printf("regrade %s: %s: kept (%s)\n", JOB_SHOWN(j), c,
                   !now                        ? "not graded"
                   : now->verdict == V_SKIPPED ? "what it needs did not pass this time"
                                               : "a harness error");
            continue;
        }
        printf("regrade %s: %s: %s -> %s\n", JOB_SHOWN(j), c, verdict_name(was->verdict),
               verdict_name(now->verdict));
        free(was->output);
        *was = *now;
        now->output = NULL;
    }
    report_note(&j->old, "re-timed by a regrade (seed %llu): %s\n", (unsigned long long)fresh.seed,
                j->cells);
    report_free(&fresh);
    if (report_write_json(&j->old, j->saved_json) < 0 ||
        report_write_junit(&j->old, j->saved_junit) < 0 || batch_state_save(&j->old, j->saved))
        fprintf(stderr, "grade: could not update %s's results\n", JOB_SHOWN(j));
    unlink(j->state);
    unlink(j->out);
}

/* ---- in order: what each grading printed, its gradebook row ---- */

static void replay(const char *path, FILE *to)
{
    size_t len;
    char *text = sys_slurp(path, SIZE_MAX, &len);

    if (text)
        fwrite(text, 1, len, to);
    free(text);
}

static void add_note(char *list, size_t size, const char *name)
{
    size_t used = strlen(list);

    snprintf(list + used, size - used, "%s%s", used ? " " : "", name);
}

/* A refused entry (a link): its results and its row say why, 0 points; what it points to
 * is never read. Results of an earlier batch under its name go. */
static void refuse(const struct opts *o, struct gradebook *book, struct job *j)
{
    struct report r;

    report_init(&r, o->lab, j->title);
    snprintf(r.source, sizeof(r.source), "%s/%s", o->batch, j->name);
    snprintf(r.machine, sizeof(r.machine), "none: not graded");
    report_note(&r,
                "%s: %s, 0 points: nothing it points to was read (a submission is a "
                "folder of its own in the batch folder)\n",
                JOB_SHOWN(j), j->refused);
    if (report_write_json(&r, j->saved_json) < 0 || report_write_junit(&r, j->saved_junit) < 0)
        fprintf(stderr, "grade: could not write %s's results\n", JOB_SHOWN(j));
    report_free(&r);
    unlink(j->saved), unlink(j->log);
    if (gradebook_add_refused(book, j->name, o->lab, j->refused_max, j->refused) < 0)
        fprintf(stderr, "grade: no memory for %s's gradebook row\n", JOB_SHOWN(j));
}

/* The i-th of n is done: show it (a parallel batch's from its log), merge a regrade, add
 * its row; a harness error or a grading that could not grade joins `again`. */
void batch_show(const struct opts *o, struct gradebook *book, struct job *j, bool from_log,
                char *again, size_t size)
{
    struct report r;
    bool have;

    if (j->refused) {
        refuse(o, book, j);
        return;
    }
    if (from_log) {
        replay(j->log, stdout);
        fflush(stdout);
        replay(j->err, stderr);
    }
    unlink(j->err);
    if (o->regrade && !j->skip && j->rc != 2)
        merge(j);
    if (o->regrade && !j->have_old) {
        gradebook_add_error(book, j->name, o->lab, "no saved results: grade the batch first");
        return;
    }
    if (j->rc == 3 || j->rc == 2)
        add_note(again, size, JOB_SHOWN(j));
    have = o->regrade || batch_state_load(&r, j->state) == 0;
    if (!have) {
        gradebook_add_error(book, j->name, o->lab, "not graded (see the log)");
        return;
    }
    if (gradebook_add(book, j->name, o->regrade ? &j->old : &r) < 0)
        fprintf(stderr, "grade: no memory for %s's gradebook row\n", JOB_SHOWN(j));
    if (!o->regrade)
        report_free(&r);
}

void batch_header(const struct job *j, int i, int n)
{
    printf("\n=== %s (%d of %d)%s%s\n", JOB_SHOWN(j), i + 1, n, j->refused || j->skip ? ": " : "",
           j->refused ? j->refused
           : j->skip  ? (j->have_old ? "nothing to re-time" : "no saved results")
                      : "");
}
