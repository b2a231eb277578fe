/* stats.c: medians and spreads of small samples. */
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double stats_median(const double *v, size_t n)
{
    struct summary s;

    stats_summary(v, n, &s);
    return s.median;
}

void stats_summary(const double *v, size_t n, struct summary *s)
{
    double buf[64], *w = n <= 64 ? buf : malloc(n * sizeof(*w));

    memset(s, 0, sizeof(*s));
    if (!n || !w)
        return;
    memcpy(w, v, n * sizeof(*w));
    qsort(w, n, sizeof(*w), cmp_double);
    s->n = n;
    s->min = w[0];
    s->max = w[n - 1];
    s->median = n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
    s->spread = n > 1 && s->median > 0 ? (s->max - s->min) / s->median : 0;
    if (w != buf)
        free(w);
}
