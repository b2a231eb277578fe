/* correct_int.h: what correct.c and correct_values.c share. */
#ifndef CORRECT_INT_H
#define CORRECT_INT_H

#include "correct.h"

/* One test, run again while noise may explain its verdict (correct_run's rules). */
enum verdict correct_run_judged(const struct correct_conf *c, const struct spec_test *t,
                                struct item *it);

/* A passing test s->tests[j] marked values=reference: its run's values (c->values->last)
 * against the reference's run of it with this seed (made, with every other marked test's,
 * the first time one is needed). V_PASS, V_FAIL (the first value that differs), V_ERROR (no
 * reference build, or it did not pass) or V_INCONCLUSIVE (its run was disturbed). */
enum verdict correct_judge_values(const struct correct_conf *c, const struct spec *s, int j,
                                  struct item *it);

#endif
