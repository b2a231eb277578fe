/* stats.h: medians and spreads of small samples. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>

struct summary {
    size_t n;
    double median, min, max;
    double spread; /* (max - min) / median, 0 for n < 2 */
};

/* Summarise v[0..n) (not modified). n == 0 gives all zeros. */
void stats_summary(const double *v, size_t n, struct summary *s);
double stats_median(const double *v, size_t n);

#endif
