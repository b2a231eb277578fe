/* test_expr.c: the spec's ideal= arithmetic. */
#include <math.h>

#include <criterion/criterion.h>

#include "expr.h"

static const struct expr_vars v = {.W = 4, .P = 2, .N = 16, .L = 0.05, .T = 0.3};

Test(expr, the_old_forms)
{
    cr_assert_float_eq(expr_eval("1", &v), 1, 1e-12);
    cr_assert_float_eq(expr_eval("P", &v), 2, 1e-12);
    cr_assert_float_eq(expr_eval("N", &v), 16, 1e-12);
    cr_assert_float_eq(expr_eval("min(W,P)", &v), 2, 1e-12);
    cr_assert_float_eq(expr_eval("min(W,P,N)", &v), 2, 1e-12);
    cr_assert_float_eq(expr_eval("min(W,1.5)", &v), 1.5, 1e-12);
}

Test(expr, arithmetic_and_precedence)
{
    cr_assert_float_eq(expr_eval("1+2*3", &v), 7, 1e-12);
    cr_assert_float_eq(expr_eval("(1+2)*3", &v), 9, 1e-12);
    cr_assert_float_eq(expr_eval("8/2/2", &v), 2, 1e-12);
    cr_assert_float_eq(expr_eval("10-2-3", &v), 5, 1e-12);
    cr_assert_float_eq(expr_eval("max(W,P)*2", &v), 8, 1e-12);
}

/* The hybrid's ideal: every wait overlapped, the cooking shared by min(W, P) cooks. */
Test(expr, the_hybrids_ideal)
{
    double x = expr_eval("(N*L+T)/(L+T/min(W,P))", &v);

    cr_assert_float_eq(x, (16 * 0.05 + 0.3) / (0.05 + 0.3 / 2), 1e-12);
}

Test(expr, malformed_is_nan)
{
    const char *bad[] = {"",    "X",    "min(W,P", "P+",  "2*",     "(1", "1)",
                         "1/0", "minW", "-1",      "P P", "mid(1)", "W,P"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert(isnan(expr_eval(bad[i], &v)), "'%s' should not parse", bad[i]);
    cr_assert(isnan(expr_eval(NULL, &v)));
    cr_assert(isnan(expr_eval("1", NULL)));
}
