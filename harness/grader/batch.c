/* batch.c: grade every submission folder of a folder (where each lies: batch_where.c), one
 * after another or in parallel (batch_parallel.c), each shown in order (batch_show.c); the
 * gradebook. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "batch_int.h"
#include "batch_state.h"
#include "cells.h"
#include "cores.h"
#include "correct.h"
#include "fingerprint.h"
#include "gradebook.h"
#include "grading.h"
#include "json.h"
#include "kitchen.h"
#include "netns.h"
#include "spec.h"
#include "sys.h"

struct batch_grader batch_grader = {grading_begin, grading_wants_alone, grading_alone, grading_end};

int batch_jobs(int asked)
{
    struct cores c;

    if (asked > 0)
        return asked;
    cores_detect(&c);
    return c.usable >= 2 ? (int)c.usable : 1;
}

/* A batch's results are the instructor's: its folders 0750, its files 0640, so that no
 * other user (a run of student code without namespaces, as the jail user, say) reads
 * other submissions' results. Only the grader's user reads them. */
static void keep_private(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    chmod(dir, 0750);
    while (d && (e = readdir(d))) {
        char path[BATCH_PATH + 256];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            chmod(path, 0640);
    }
    if (d)
        closedir(d);
}

/* --regrade: the inconclusive items of the saved report (speed cells, and tests that a
 * busy machine left so: correct.c), into j->cells. */
static void find_inconclusive(struct job *j)
{
    size_t used = 0;

    for (size_t i = 0; i < j->old.n; i++) {
        const struct item *it = &j->old.items[i];
        if ((it->kind != ITEM_SPEED && it->kind != ITEM_TEST) || it->verdict != V_INCONCLUSIVE ||
            used + strlen(it->name) + 2 >= sizeof(j->cells))
            continue;
        used +=
            snprintf(j->cells + used, sizeof(j->cells) - used, "%s%s", used ? "," : "", it->name);
    }
}

/* A refused entry's row: the points a grading of it would be out of (the spec narrowed as
 * grading narrows it: --only, --no-speed, --speed), and the lab's title; -1 when the spec
 * cannot be read or --only names none of its items. */
static double full_marks(const struct opts *o, const char *only, char *title, size_t len)
{
    struct spec *s = calloc(1, sizeof(*s));
    char path[BATCH_PATH], err[256];
    double max = -1;

    snprintf(title, len, "%s", o->lab);
    snprintf(path, sizeof(path), "%s/harness/labs/%s/spec", o->root, o->lab);
    if (s && spec_load(path, s, err, sizeof(err)) == 0 && spec_select(s, only) > 0) {
        snprintf(title, len, "%s", s->title);
        max = spec_max_score(s);
        for (int i = 0; i < s->nspeeds; i++)
            if (o->no_speed || !cells_wanted(o->only_speed, s->speeds[i].name))
                max -= s->speeds[i].points;
    }
    if (s)
        spec_free(s);
    free(s);
    return max;
}

/* A word of --only (or of an --only-for's list) that names no item of the lab refuses the
 * whole batch before any grading: else every submission would be the grader's error. */
static bool only_refused(const struct opts *o)
{
    struct spec *s = calloc(1, sizeof(*s));
    char path[BATCH_PATH], err[256], word[128];
    const char *bad = NULL, *arg = o->only;

    snprintf(path, sizeof(path), "%s/harness/labs/%s/spec", o->root, o->lab);
    if (!s || spec_load(path, s, err, sizeof(err)) < 0) { /* the grading says why */
        free(s);
        return false;
    }
    for (int k = -1; k < o->n_only_for && !bad; k++) {
        if (k >= 0)
            arg = o->only_for[k];
        bad = spec_unknown(s, k < 0 ? arg : strchr(arg, '=') + 1, word, sizeof(word));
    }
    if (bad)
        fprintf(stderr, "grade: %s %s: %s names no item of %s (see its spec)\n",
                arg == o->only ? "--only" : "--only-for", arg, bad, o->lab);
    spec_free(s);
    free(s);
    return bad != NULL;
}

/* Paths and options of submission `name`. The grading writes ROOT/build/batch/<folder>/
 * submissions/<name>/<lab>.json, .xml, .state and .log (<folder>: batch_out_dir; one level
 * below the gradebook, so that no submission's name meets a gradebook file); a regrade writes
 * <lab>.regrade.* and builds in <lab>-regrade, leaving the batch's files to the merge. An
 * entry that is no folder (a link) is refused: nothing of it is read, nothing graded
 * (batch_show writes why). */
static void job_init(const struct opts *o, struct job *j, const char *name, const char *out)
{
    char dir[BATCH_PATH], base[BATCH_PATH - 100];
    const char *tag = o->regrade ? ".regrade" : "";

    j->name = name;
    snprintf(dir, sizeof(dir), "%s/%s", o->batch, name);
    snprintf(j->top, sizeof(j->top), "%s", dir);
    j->refused = batch_refused(dir); /* before anything of it is read */
    if (!j->refused && batch_src(dir, o->lab, j->src, sizeof(j->src)) < 0)
        j->refused = "not a folder: refused"; /* it changed since: refused all the same */
    snprintf(base, sizeof(base), "%s/" BATCH_SUBS "/%s/%s", out, name, o->lab);
    snprintf(j->saved, sizeof(j->saved), "%s.state", base);
    snprintf(j->saved_json, sizeof(j->saved_json), "%s.json", base);
    snprintf(j->saved_junit, sizeof(j->saved_junit), "%s.xml", base);
    snprintf(j->out, sizeof(j->out), "%s%s.json", base, tag);
    snprintf(j->junit, sizeof(j->junit), "%s.xml", base);
    snprintf(j->build, sizeof(j->build), "%s%s", base, o->regrade ? "-regrade" : "");
    snprintf(j->state, sizeof(j->state), "%s%s.state", base, tag);
    snprintf(j->log, sizeof(j->log), "%s%s.log", base, tag);
    snprintf(j->err, sizeof(j->err), "%s%s.err", base, tag);
    j->o = *o;
    j->o.src = j->src, j->o.out = j->out, j->o.build = j->build, j->o.state = j->state;
    j->o.junit = o->regrade ? NULL : j->junit;
    j->o.batch = NULL, j->o.svg = NULL, j->o.book = NULL, j->o.name = name, j->o.top = j->top;
    j->o.regrade = 0;
    j->status_fd = j->go_fd = -1;
    for (int k = 0; k < o->n_only_for; k++) /* --only-for NAME=A,B */
        if (!strncmp(o->only_for[k], name, strlen(name)) && o->only_for[k][strlen(name)] == '=')
            j->o.only = o->only_for[k] + strlen(name) + 1;
    if (j->refused) { /* nothing to grade, nothing saved to re-time */
        j->skip = true;
        j->refused_max = full_marks(o, j->o.only, j->title, sizeof(j->title));
        unlink(j->state);
        return;
    }
    if (o->regrade) {
        j->have_old = batch_state_load(&j->old, j->saved) == 0;
        if (j->have_old)
            find_inconclusive(j);
        j->skip = !j->cells[0];
        j->o.only = j->cells;
    }
    unlink(j->state); /* a grading that fails to start must not leave an old one standing */
}

void batch_own_network(void)
{
    netns_private(NULL, 0); /* a new one each time: the last one's kitchen is gone */
}

/* ---- one at a time, in this process ---- */

static int grade_here(const struct opts *o)
{
    int rc;
    struct grading *g;

    batch_own_network();
    g = batch_grader.begin(o, &rc);

    if (!g)
        return rc;
    if (batch_grader.wants_alone(g))
        batch_grader.alone(g);
    return batch_grader.end(g);
}

static void run_sequential(const struct opts *o, struct gradebook *book, struct job *jobs, int n,
                           char *again, size_t size)
{
    for (int i = 0; i < n; i++) {
        batch_header(&jobs[i], i, n);
        jobs[i].rc = jobs[i].skip ? 0 : grade_here(&jobs[i].o);
        batch_show(o, book, &jobs[i], false, again, size);
    }
}

/* ---- the gradebook and its summary ---- */

/* One file of the gradebook's pair, written whole or said to be missing (on stderr): 0 or
 * -1. */
static int write_one(const struct gradebook *book, const char *path,
                     int (*put)(const struct gradebook *, FILE *))
{
    FILE *f = fopen(path, "w");
    int rc = f ? put(book, f) : -errno, err = f ? 0 : errno;

    if (f && fclose(f) != 0 && !rc)
        rc = -EIO;
    if (rc) {
        fprintf(stderr, "grade: could not write %s: %s\n", path, strerror(err ? err : -rc));
        return -1;
    }
    chmod(path, 0640); /* the instructor's, like the folder */
    return 0;
}

/* The gradebook (CSV) and its summary under `stem` (".csv", "-summary.md"): 0, or -1 when
 * either could not be written (said on stderr). */
static int write_pair(const struct gradebook *book, const char *stem, int n)
{
    char csv[1200], md[1200];
    int rc = 0;

    snprintf(csv, sizeof(csv), "%s.csv", stem);
    snprintf(md, sizeof(md), "%s-summary.md", stem);
    if (write_one(book, csv, gradebook_write) == 0)
        printf("gradebook: %s (%d submissions)\n", csv, n);
    else
        rc = -1;
    if (write_one(book, md, gradebook_summary) == 0)
        printf("summary:   %s\n", md);
    else
        rc = -1;
    return rc;
}

/* build/batch/<lab>.csv: the last batch of the lab; build/batch/<folder>/<lab>.csv: this
 * folder's, kept when another folder's batch of the lab comes next (two sections). 0, or
 * -1 when a file of them could not be written: the grader's fault, said loudly. */
static int write_book(const struct opts *o, const struct gradebook *book, int n, const char *out)
{
    char stem[BATCH_PATH + 100];
    int rc;

    printf("\n");
    fflush(stdout);
    snprintf(stem, sizeof(stem), "%s/build/batch/%s", o->root, o->lab);
    rc = write_pair(book, stem, n);
    snprintf(stem, sizeof(stem), "%s/%s", out, o->lab);
    rc |= write_pair(book, stem, n);
    fflush(stdout);
    return rc;
}

int batch_grade(const struct opts *o)
{
    char **names, again[4096] = "", dir[BATCH_PATH], out[BATCH_PATH - 400];
    struct gradebook book = {0};
    int n = batch_list(o->batch, &names), par = batch_jobs(o->jobs), book_rc, lock;
    struct job *jobs;

    if (n < 0) {
        fprintf(stderr, "grade: %s: %s\n", o->batch, strerror(-n));
        return 2;
    }
    if (only_refused(o)) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return 2;
    }
    if (!(jobs = calloc(n ? n : 1, sizeof(*jobs)))) {
        fprintf(stderr, "grade: no memory for a batch of %d\n", n);
        return 2;
    }
    batch_out_dir(o->root, o->batch, out, sizeof(out));
    snprintf(dir, sizeof(dir), "%s/" BATCH_SUBS, out);
    sys_mkdirs(dir, 0755);
    chmod(dir, 0750);
    if ((lock = batch_lock(o, out)) < 0) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
        free(jobs);
        return 2;
    }
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof(dir), "%s/" BATCH_SUBS "/%s", out, names[i]);
        sys_mkdirs(dir, 0755);
        chmod(dir, 0750);
        job_init(o, &jobs[i], names[i], out);
    }
    chmod(out, 0750);
    snprintf(dir, sizeof(dir), "%s/build/batch", o->root);
    chmod(dir, 0750);
    fingerprint_warm(o->root, getenv("CC_PATH")); /* once, for every grader forked below */
    correct_warm();
    if (par > 1 && n > 1)
        batch_run_parallel(o, &book, jobs, n, par, again, sizeof(again));
    else
        run_sequential(o, &book, jobs, n, again, sizeof(again));
    book_rc = write_book(o, &book, n, out);
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof(dir), "%s/" BATCH_SUBS "/%s", out, names[i]);
        keep_private(dir);
    }
    for (int i = 0; i < n; i++) {
        if (jobs[i].have_old)
            report_free(&jobs[i].old);
        free(names[i]);
    }
    free(jobs);
    free(names);
    gradebook_free(&book);
    close(lock);
    if (again[0])
        printf("harness errors (the grader's fault, not the students'): regrade %s\n", again);
    if (book_rc)
        fprintf(stderr, "grade: the gradebook of this batch is missing or incomplete (the "
                        "grader's fault, not the students'): see above, and grade it again\n");
    return again[0] || book_rc ? 3 : 0;
}
