/* test_stats.c: medians and spreads. */
#include <criterion/criterion.h>

#include "stats.h"

Test(stats, median_odd_even_and_unsorted, .timeout = 5)
{
    double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2}, one[] = {7};

    cr_assert_float_eq(stats_median(odd, 3), 3, 1e-12);
    cr_assert_float_eq(stats_median(even, 4), 2.5, 1e-12);
    cr_assert_float_eq(stats_median(one, 1), 7, 1e-12);
    cr_assert_float_eq(odd[0], 5, 1e-12, "the input must not be reordered");
}

Test(stats, summary_min_max_spread, .timeout = 5)
{
    double v[] = {1.9, 2.0, 1.8, 2.1, 1.95};
    struct summary s;

    stats_summary(v, 5, &s);
    cr_assert_eq(s.n, 5);
    cr_assert_float_eq(s.median, 1.95, 1e-12);
    cr_assert_float_eq(s.min, 1.8, 1e-12);
    cr_assert_float_eq(s.max, 2.1, 1e-12);
    cr_assert_float_eq(s.spread, 0.3 / 1.95, 1e-12);
}

Test(stats, empty_and_single, .timeout = 5)
{
    struct summary s;
    double one[] = {3};

    stats_summary(NULL, 0, &s);
    cr_assert_eq(s.n, 0);
    cr_assert_float_eq(s.median, 0, 1e-12);
    stats_summary(one, 1, &s);
    cr_assert_float_eq(s.spread, 0, 1e-12, "one sample has no spread");
}

Test(stats, large_samples, .timeout = 5)
{
    double v[101];

    for (int i = 0; i < 101; i++)
        v[i] = 100 - i;
    cr_assert_float_eq(stats_median(v, 101), 50, 1e-12);
}
