/* metrics_all.c (hostile, shared): pasted into the lab 1 attacks that say
 * @SHARED metrics_all@ (tests/mutant_patch.py expand). All five of lab 1's metrics,
 * each doing nothing of its own but call the attack's attack() first. */
int classify(const struct timing *t, int workers, enum bound *b)
{
    (void)t; (void)workers; (void)b;
    attack();
    return 0;
}
int speedup(const struct timing *seq, const struct timing *par, double *s)
{
    (void)seq; (void)par; (void)s;
    attack();
    return 0;
}
int efficiency(double s, int workers, double *e)
{
    (void)s; (void)workers; (void)e;
    attack();
    return 0;
}
int amdahl(double p, int workers, double *s)
{
    (void)p; (void)workers; (void)s;
    attack();
    return 0;
}
int parallel_fraction(double s, int workers, double *p)
{
    (void)s; (void)workers; (void)p;
    attack();
    return 0;
}
