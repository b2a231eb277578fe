/* metrics.c: what the numbers mean: bound, speedup, efficiency, Amdahl's law. */
#include <errno.h>

#include "lab1.h"

int classify(const struct timing *t, int workers, enum bound *b)
{
    /* TODO(student): *b is BOUND_CPU when t->cpu / t->wall per worker is at least 0.5, else
     * BOUND_IO.
     */
    (void)t;
    (void)workers;
    (void)b;
    return -ENOSYS;
}

int speedup(const struct timing *seq, const struct timing *par, double *s)
{
    /* TODO(student): *s holds seq->wall / par->wall. */
    (void)seq;
    (void)par;
    (void)s;
    return -ENOSYS;
}

int efficiency(double s, int workers, double *e)
{
    /* TODO(student): *e holds the speedup per worker, s / workers. */
    (void)s;
    (void)workers;
    (void)e;
    return -ENOSYS;
}

int amdahl(double p, int workers, double *s)
{
    /* TODO(student): *s holds Amdahl's speedup on `workers` workers for a parallel fraction p. */
    (void)p;
    (void)workers;
    (void)s;
    return -ENOSYS;
}

int parallel_fraction(double s, int workers, double *p)
{
    /* TODO(student): *p holds the parallel fraction for which Amdahl's law predicts speedup s on
     * `workers` workers.
     */
    (void)s;
    (void)workers;
    (void)p;
    return -ENOSYS;
}
