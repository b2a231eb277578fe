/* mutant: Amdahl's law with the serial and parallel fractions swapped: 1 / (p + (1 - p) / n)
 * replaces: metrics.c
 * expect: amdahl::worked_example fail
 * expect: amdahl::limits fail
 * expect: amdahl::invalid pass
 * expect: parallel_fraction::inverts_amdahl pass
 */
/* metrics.c: what the numbers mean: bound, speedup, efficiency, Amdahl's law. */
#include <errno.h>

#include "lab1.h"

int classify(const struct timing *t, int workers, enum bound *b)
{
    /* written as !(x > 0) so that a NaN is refused too */
    if (!t || !b || !(t->wall > 0) || !(t->cpu >= 0) || workers < 1)
        return -EINVAL;
    *b = t->cpu / t->wall / workers >= 0.5 ? BOUND_CPU : BOUND_IO;
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
    /* the serial part takes as long as ever; the parallel part is shared out */
    *s = 1 / (p + (1 - p) / workers);
    return 0;
}

int parallel_fraction(double s, int workers, double *p)
{
    if (!p || !(s > 0) || workers < 2)
        return -EINVAL;
    /* 1/s = (1 - p) + p/n, solved for p */
    *p = (1 - 1 / s) / (1 - 1.0 / workers);
    return 0;
}
