/* grading_int.h: what grading.c and grading_alone.c share: one grading's state and the
 * steps both take. The rest of the grader uses grading.h only. */
#ifndef GRADING_INT_H
#define GRADING_INT_H

#include <stdbool.h>

#include "build.h"
#include "cells.h"
#include "cores.h"
#include "correct.h"
#include "kitchen.h"
#include "report.h"
#include "spec.h"
#include "values.h"

/* Everything one grading shares. */
struct grading {
    const struct opts *o;
    struct spec spec;
    struct build_out b;
    struct values values; /* the reference's build, for tests marked values=reference */
    struct kitchen k;
    struct cores cores;
    struct report r;
    struct cells cells;
    bool kitchen_up; /* the tests ran with it; grading_end stops it */
    double t0;       /* when the grading began, for r.elapsed_s */
};

/* One run of one test, for every grading's tests (NULL: the runner, jailed; correct.h):
 * a unit test puts a fake in. */
extern enum verdict (*grading_run_test)(const struct correct_conf *c, const struct spec_test *t,
                                        struct item *it, struct jail_result *r);
/* The tests' run conf: this grading's runner, box, kitchen and seed. */
struct correct_conf grading_correct_conf(struct grading *g);
/* Race i of the spec as an item (not added): run when what it requires passed. */
struct item grading_race_item(struct grading *g, int i);
/* The machine's timing lock, or -errno (said on stderr: the grading goes on without). */
int grading_take_lock(void);
/* Are there speed cells to grade (a kitchen, no --no-speed, cells in the spec)? */
bool grading_wants_cells(const struct grading *g);
/* The speed cells, with the timing lock unless `locked` says the caller holds it. */
void grading_speed_items(struct grading *g, bool locked);

#endif
