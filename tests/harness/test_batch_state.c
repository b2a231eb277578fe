/* test_batch_state.c: a report saved whole and read back, and what is refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "batch_state.h"

static char path[64];

static void init(void)
{
    int fd;

    snprintf(path, sizeof(path), "/tmp/test_batch_state.XXXXXX");
    cr_assert_geq(fd = mkstemp(path), 0);
    close(fd);
}

static void fini(void)
{
    unlink(path);
}

TestSuite(batch_state, .init = init, .fini = fini);

Test(batch_state, round_trip_keeps_every_field)
{
    struct report r, back;
    struct item a = {.kind = ITEM_TEST, .score = 1.5, .max_score = 2, .verdict = V_PASS};
    struct item b = {.kind = ITEM_SPEED, .max_score = 3, .verdict = V_INCONCLUSIVE};

    report_init(&r, "lab1-x", "a title");
    snprintf(r.source, sizeof(r.source), "subs/ada");
    r.seed = 12345678901ull, r.elapsed_s = 3.25;
    report_note(&r, "a note\n");
    snprintf(a.name, sizeof(a.name), "cook::one");
    snprintf(b.name, sizeof(b.name), "speed cell");
    snprintf(b.measured, sizeof(b.measured), "1.97x");
    b.fig = (struct figure){.set = true, .lo = 1.9, .med = 1.97, .hi = 2.01, .want_ge = 1.5};
    item_printf(&b, "only 2 of 5 pairs\nmore\n");
    report_add(&r, &a), report_add(&r, &b);
    cr_assert_eq(batch_state_save(&r, path), 0);
    cr_assert_eq(batch_state_load(&back, path), 0);
    cr_assert_str_eq(back.lab, "lab1-x");
    cr_assert_str_eq(back.title, "a title");
    cr_assert_str_eq(back.source, "subs/ada");
    cr_assert_eq(back.seed, 12345678901ull);
    cr_assert_eq(back.elapsed_s, 3.25);
    cr_assert_str_eq(back.output, "a note\n");
    cr_assert_eq(back.n, 2);
    cr_assert_str_eq(back.items[0].name, "cook::one");
    cr_assert_eq(back.items[0].score, 1.5);
    cr_assert_null(back.items[0].output, "no output stays none");
    cr_assert_eq(back.items[1].verdict, V_INCONCLUSIVE);
    cr_assert_eq(back.items[1].kind, ITEM_SPEED);
    cr_assert_str_eq(back.items[1].measured, "1.97x");
    cr_assert_eq(back.items[1].fig.med, 1.97);
    cr_assert_str_eq(back.items[1].output, "only 2 of 5 pairs\nmore\n");
    report_free(&r), report_free(&back);
}

Test(batch_state, missing_and_foreign_files_are_refused)
{
    struct report r;
    FILE *f;

    cr_assert_eq(batch_state_load(&r, "/nonexistent/x.state"), -ENOENT);
    cr_assert_not_null(f = fopen(path, "w"));
    fputs("{\"score\": 1}", f);
    fclose(f);
    cr_assert_eq(batch_state_load(&r, path), -EINVAL);
}

Test(batch_state, a_file_cut_short_is_refused)
{
    struct report r, back;
    struct item a = {.kind = ITEM_TEST, .verdict = V_FAIL};

    report_init(&r, "lab1-x", "t");
    item_printf(&a, "%s", "a long enough output to cut in the middle");
    report_add(&r, &a);
    cr_assert_eq(batch_state_save(&r, path), 0);
    cr_assert_eq(truncate(path, sizeof(struct item) + 1000), 0);
    cr_assert_eq(batch_state_load(&back, path), -EINVAL);
    report_free(&r);
}
