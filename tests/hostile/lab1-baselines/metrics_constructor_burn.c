/* hostile: metrics.c carries a constructor that burns 30 s of CPU before main() in every
 *          process it is linked into (each test runner, the bench driver): a denial of service
 *          on the grader, and every speed pair around it disturbed into "inconclusive"
 * replaces: metrics.c
 * expect: build metrics.c build error
 * expect: cook::matches_reference pass
 * expect: serve::one_order pass
 * denies: build metrics.c
 */
/* metrics.c: what the numbers mean: bound, speedup, efficiency, Amdahl's law. */
#include <errno.h>

#include <time.h>

#include "lab1.h"

__attribute__((constructor)) static void burn(void)
{
    struct timespec t0, t;
    volatile uint64_t x = 1;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 100000; i++)
            x = dish_mix(x);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while (t.tv_sec - t0.tv_sec < 30);
}

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
    *s = 1 / ((1 - p) + p / workers);
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
