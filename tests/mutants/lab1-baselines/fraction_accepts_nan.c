/* mutant: parallel_fraction() tests s <= 0, which a NaN passes
 * replaces: metrics.c
 * expect: parallel_fraction::invalid fail
 * expect: parallel_fraction::inverts_amdahl pass
 */
/* metrics.c: what the numbers mean: bound, speedup, efficiency, Amdahl's law. */
#include <errno.h>

#include "lab1.h"

int classify(const struct timing *t, int workers, enum bound *b)
{
    if (!t || !b || workers < 1 || !(t->wall > 0) || !(t->cpu >= 0))
        return -EINVAL;
    *b = (t->cpu / t->wall / workers >= 0.5) ? BOUND_CPU : BOUND_IO;
    return 0;
}

int speedup(const struct timing *seq, const struct timing *par, double *s)
{
    if (!seq || !par || !s || !(seq->wall > 0) || !(par->wall > 0))
        return -EINVAL;
    *s = seq->wall / par->wall;
    return 0;
}

int efficiency(double s, int workers, double *e)
{
    if (!e || !(s > 0) || workers < 1)
        return -EINVAL;
    *e = s / workers;
    return 0;
}

int amdahl(double p, int workers, double *s)
{
    if (!s || !(p >= 0 && p <= 1) || workers < 1)
        return -EINVAL;
    *s = 1.0 / ((1.0 - p) + p / workers);
    return 0;
}

int parallel_fraction(double s, int workers, double *p)
{
    if (!p || s <= 0 || workers < 2)
        return -EINVAL;
    *p = (1.0 - 1.0 / s) / (1.0 - 1.0 / workers);
    return 0;
}
