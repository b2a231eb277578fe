/* correct_values.c: correct.c's half for a test marked values=reference (values.h): the
 * reference's runs of the marked tests, once a seed, all at once, then its box gone; and a
 * passing run's values judged against them. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "correct.h"
#include "correct_int.h"
#include "values.h"

/* The reference's run of test i (values.h), once a seed: its verdict and values kept. */
static void run_reference(const struct correct_conf *c, const struct spec_test *t, int i)
{
    struct values *vs = c->values;
    struct correct_conf rc = *c;
    struct item ri = {0};

    rc.tests = vs->ref.tests;
    rc.box = vs->ref.box;
    rc.run = vs->ref.run;
    rc.logs = vs->ref.logs;
    rc.kitchen = vs->ref.kitchen; /* a test that starts a kitchen of its own: the reference's
                                   * box has one; the student's is not there to it */
    free(vs->last);
    vs->last = NULL;
    vs->ref_verdict[i] = correct_run_judged(&rc, t, &ri);
    free(vs->ref_values[i]);
    vs->ref_values[i] = vs->last;
    vs->last = NULL;
    vs->ref_ran[i] = true;
    vs->ref_seed[i] = c->seed;
    free(ri.output);
}

/* The reference's runs of every marked test for this seed, all at once: its runner built,
 * run, and gone (values_build, values_unbuild) before any more student code runs. */
static void run_references(const struct correct_conf *c, const struct spec *s)
{
    struct values *vs = c->values;

    if (values_build(vs) < 0 || !vs->have_ref)
        return; /* ref_error and why: said by judge_values */
    for (int j = 0, k; j < s->ntests; j++)
        if (s->tests[j].values && (k = values_slot(vs, s->tests[j].name)) >= 0)
            run_reference(c, &s->tests[j], k);
    values_unbuild(vs);
}

/* A passing test marked values=reference: its values against the reference's. */
enum verdict correct_judge_values(const struct correct_conf *c, const struct spec *s, int j,
                                  struct item *it)
{
    struct values *vs = c->values;
    char *got = vs->last;
    int i = values_slot(vs, s->tests[j].name);
    enum verdict v;

    vs->last = NULL;
    if (i < 0) {
        free(got);
        item_printf(it, "harness error, not your code: more tests to compare than slots\n");
        return V_ERROR;
    }
    /* once a seed; again when it read inconclusive (a batch runs such a test again alone) */
    if (vs->have_ref &&
        (!vs->ref_ran[i] || vs->ref_seed[i] != c->seed || vs->ref_verdict[i] == V_INCONCLUSIVE))
        run_references(c, s);
    if (!vs->have_ref) {
        free(got);
        if (!vs->ref_error)
            return V_PASS; /* no reference here: the test's own assertions judged it */
        item_printf(it, "harness error, not your code: %s\n", vs->why);
        return V_ERROR;
    }
    switch (vs->ref_verdict[i]) {
    case V_PASS:
        v = !vs->ref_values[i] || !vs->ref_values[i][0]
                ? V_ERROR
                : values_compare(got, vs->ref_values[i], it);
        if (v == V_ERROR)
            item_printf(it, "harness error, not your code: the reference's run of this test "
                            "observed no values (a test marked values=reference calls "
                            "check_observe())\n");
        break;
    case V_INCONCLUSIVE:
        item_printf(it,
                    "INCONCLUSIVE: your run passed, but the reference's run of this test, whose "
                    "values yours are compared with, was disturbed by a busy machine: rerun on "
                    "a quiet machine. It is not a fail.\n");
        v = V_INCONCLUSIVE;
        break;
    default:
        item_printf(it,
                    "harness error, not your code: the reference solution did not pass this "
                    "test (%s), so its values could not be compared with yours\n",
                    verdict_name(vs->ref_verdict[i]));
        v = V_ERROR;
    }
    free(got);
    return v;
}
