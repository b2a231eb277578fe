/* speed.c: the measurement protocol: interleaved pairs, medians, honest verdicts. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "speed.h"

static double value_of(const struct cell *c, enum metric m)
{
    switch (m) {
    case M_SPEEDUP:
        return c->speedup.median;
    case M_EFF:
        return c->ideal > 0 ? c->speedup.median / c->ideal : 0;
    case M_CPUWALL:
        return c->cpuwall.median;
    case M_X:
        return c->x.median;
    }
    return 0;
}

static bool holds(const struct cond *k, double v)
{
    return k->op == CMP_GE ? v >= k->value : v <= k->value;
}

/* Within SPEED_NEAR of the threshold, on the failing side. */
static bool near(const struct cond *k, double v)
{
    return k->op == CMP_GE ? v >= k->value * (1 - SPEED_NEAR) : v <= k->value * (1 + SPEED_NEAR);
}

/* The most favourable pair for a condition: if even it is far off, noise is no excuse. */
static double best(const struct cell *c, const struct cond *k)
{
    const struct summary *s = k->metric == M_CPUWALL ? &c->cpuwall
                              : k->metric == M_X     ? &c->x
                                                     : &c->speedup;
    double v = k->op == CMP_GE ? s->max : s->min;

    return k->metric == M_EFF && c->ideal > 0 ? v / c->ideal : v;
}

static void describe(const struct cell *c, const struct cond *k, char *buf, size_t len)
{
    const char *op = k->op == CMP_GE ? ">=" : "<=";

    switch (k->metric) {
    case M_SPEEDUP: /* small thresholds (0.026x for 10,000 orders) keep their digits */
        snprintf(buf, len, k->value < 0.1 ? "speedup %s %.3fx" : "speedup %s %.2fx", op, k->value);
        break;
    case M_EFF:
        snprintf(buf, len, "speedup %s %.2fx (%.2f of ideal %s = %g)", op, k->value * c->ideal,
                 k->value, c->spec->ideal, c->ideal);
        break;
    case M_CPUWALL:
        snprintf(buf, len, "cpu/wall %s %.2f", op, k->value);
        break;
    case M_X:
        snprintf(buf, len, "%s %s %.2f", c->spec->xname[0] ? c->spec->xname : "x", op, k->value);
        break;
    }
}

void speed_expected(const struct cell *c, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < c->spec->nconds && used < len; i++) {
        char one[128];
        describe(c, &c->spec->conds[i], one, sizeof(one));
        used += snprintf(buf + used, len - used, "%s%s", i ? ", " : "", one);
    }
}

/* The numbers for a chart: the speedup measured, and its band in speedup units. */
static void figure(const struct cell *c, struct figure *f)
{
    *f = (struct figure){.set = c->clean > 0,
                         .lo = c->speedup.min,
                         .med = c->speedup.median,
                         .hi = c->speedup.max,
                         .ideal = c->ideal,
                         .cpuwall = c->cpuwall.median};
    for (int i = 0; i < c->spec->nconds; i++) {
        const struct cond *k = &c->spec->conds[i];
        double v = k->metric == M_EFF ? k->value * c->ideal : k->value;
        if (k->metric == M_CPUWALL || k->metric == M_X)
            continue;
        if (k->op == CMP_GE && v > f->want_ge)
            f->want_ge = v;
        if (k->op == CMP_LE && (!f->want_le || v < f->want_le))
            f->want_le = v;
    }
}

double speed_ceiling(const struct cell *c)
{
    bool claims = false;

    for (int i = 0; i < c->spec->nconds; i++) {
        const struct cond *k = &c->spec->conds[i];
        if (k->metric != M_SPEEDUP && k->metric != M_EFF)
            continue;
        if (k->op == CMP_LE)
            return 0; /* its own upper bound rules */
        if (k->metric == M_SPEEDUP && k->value > c->ideal)
            return 0; /* it asks for more than its ideal: the ideal is no limit */
        claims = true;
    }
    return claims && c->ideal > 0 ? SPEED_CEIL_FACTOR * c->ideal + SPEED_CEIL_SLACK : 0;
}

/* What a speedup beyond the ceiling says, after the figures. */
#define TOO_FAST_WHY                                                                               \
    "Doing the same work, it cannot beat its baseline by that much: were answers kept from an "    \
    "earlier run, or made without the work (the kitchen)?\n"

/* Far faster than the ideal allows: not a fast version, something else answered. With too
 * few clean pairs, only when every pair, disturbed ones too, is over twice the ceiling
 * (else a busy machine would turn 75x into "inconclusive"); V_PASS: no such finding. */
static enum verdict too_fast(const struct cell *c, struct item *it, bool *retry)
{
    double top = speed_ceiling(c);

    if (top <= 0)
        return V_PASS;
    if (c->clean < SPEED_MIN_CLEAN) {
        if (c->rough.n < SPEED_MIN_CLEAN || c->rough.min <= 2 * top)
            return V_PASS;
        item_printf(it,
                    "faster than possible, even on a busy machine: each of the %zu pairs measured "
                    "a speedup of %.2fx or more (median %.2fx), over twice the %.2fx its ideal "
                    "%s (= %g) allows (%.1f x ideal + %.1f). " TOO_FAST_WHY,
                    c->rough.n, c->rough.min, c->rough.median, top, c->spec->ideal, c->ideal,
                    SPEED_CEIL_FACTOR, SPEED_CEIL_SLACK);
        snprintf(it->measured, sizeof(it->measured),
                 "%.2fx (%.2f-%.2f) over %zu pairs, disturbed too", c->rough.median, c->rough.min,
                 c->rough.max, c->rough.n);
        return V_FAIL;
    }
    if (c->speedup.median <= top)
        return V_PASS;
    item_printf(it,
                "faster than possible: measured speedup %.2fx, more than %.1f x its ideal %s "
                "(= %g) + %.1f = %.2fx. " TOO_FAST_WHY,
                c->speedup.median, SPEED_CEIL_FACTOR, c->spec->ideal, c->ideal, SPEED_CEIL_SLACK,
                top);
    if (c->speedup.min <= top) {
        item_printf(it, "some pairs stay below it: the pairs disagree too much to call\n");
        *retry = true;
        return V_INCONCLUSIVE;
    }
    return V_FAIL;
}

enum verdict speed_judge(const struct cell *c, struct item *it, bool *retry)
{
    bool failed = false, unsure = false;

    *retry = false;
    /* no clean pair: no figure to show (0.00x would read as a measurement) */
    int n = c->clean == 0
                ? snprintf(it->measured, sizeof(it->measured), "no clean pair of %d measured",
                           c->rounds)
                : snprintf(it->measured, sizeof(it->measured),
                           "%.2fx (%.2f-%.2f), cpu/wall %.2f, %d pairs", c->speedup.median,
                           c->speedup.min, c->speedup.max, c->cpuwall.median, c->clean);
    if (c->x.n && n > 0 && (size_t)n < sizeof(it->measured))
        snprintf(it->measured + n, sizeof(it->measured) - n, ", %s %.2f (%.2f-%.2f)",
                 c->spec->xname[0] ? c->spec->xname : "x", c->x.median, c->x.min, c->x.max);
    speed_expected(c, it->expected, sizeof(it->expected));
    figure(c, &it->fig);
    enum verdict ceiling = too_fast(c, it, retry);
    if (ceiling != V_PASS)
        return ceiling;
    if (c->clean < SPEED_MIN_CLEAN) {
        item_printf(it, "only %d of %d pairs were measured cleanly (need %d): %s\n", c->clean,
                    c->rounds, SPEED_MIN_CLEAN, c->dropped[0] ? c->dropped : "no reason kept");
        *retry = true;
        return V_INCONCLUSIVE;
    }
    for (int i = 0; i < c->spec->nconds; i++) {
        const struct cond *k = &c->spec->conds[i];
        double v = value_of(c, k->metric);
        char want[128];
        if (k->metric == M_X && !c->x.n) {
            item_printf(it, "the version reported no %s: did it finish its work?\n",
                        c->spec->xname[0] ? c->spec->xname : "measurement");
            failed = true;
            continue;
        }
        if (holds(k, v))
            continue;
        describe(c, k, want, sizeof(want));
        failed = true;
        if (near(k, v) || near(k, best(c, k))) {
            unsure = true;
            item_printf(it, "measured %s %.2f, want %s: %s\n", metric_name(k->metric), v, want,
                        near(k, v) ? "within 10% of the threshold, too close to call"
                                   : "its best pairs reach the threshold: the pairs disagree "
                                     "too much to call");
        } else {
            item_printf(it, "measured %s %.2f, want %s\n", metric_name(k->metric), v, want);
        }
    }
    if (!failed)
        return V_PASS;
    *retry = unsure;
    return unsure ? V_INCONCLUSIVE : V_FAIL;
}

/* A trial that ran but answered wrong ends the cell: wrong code is not noise. */
static bool faulty(struct cell *c, const struct trial *t, uint64_t ref_hash, const char *who)
{
    if (t->fault == V_PASS && (!ref_hash || t->hash == ref_hash))
        return false;
    if (t->fault == V_PASS)
        snprintf(c->fault, sizeof(c->fault),
                 "%s: its results differ from the reference's (hash %016llx, want %016llx)", who,
                 (unsigned long long)t->hash, (unsigned long long)ref_hash);
    else
        snprintf(c->fault, sizeof(c->fault), "%s: %s", who, t->what);
    return true;
}

/* Run one trial; V_PASS when it ran and answered right, else the cell's verdict. */
static enum verdict one(struct cell *c, trial_fn run, void *ctx, int side, struct trial *t,
                        uint64_t ref_hash)
{
    const char *who = side ? c->spec->version : c->spec->baseline;

    memset(t, 0, sizeof(*t));
    if (run(ctx, side, t) < 0) {
        snprintf(c->fault, sizeof(c->fault), "the harness could not run %s: %s", who, t->what);
        return V_INCONCLUSIVE;
    }
    if (!faulty(c, t, ref_hash, who))
        return V_PASS;
    return t->fault == V_PASS ? V_FAIL : t->fault;
}

static void note_drop(struct cell *c, const struct trial *t)
{
    size_t used = strlen(c->dropped);

    if (used + 8 < sizeof(c->dropped) && !strstr(c->dropped, t->why))
        snprintf(c->dropped + used, sizeof(c->dropped) - used, "%s%s", used ? "; " : "", t->why);
}

/* Condition k's value in pair i (k NULL: the speedup, for the ceiling). */
static double pair_value(const struct cond *k, double ideal, int i, const double *ratio,
                         const double *cw, const double *xs)
{
    return !k                       ? ratio[i]
           : k->metric == M_SPEEDUP ? ratio[i]
           : k->metric == M_EFF     ? (ideal > 0 ? ratio[i] / ideal : 0)
           : k->metric == M_CPUWALL ? cw[i]
                                    : xs[i];
}

/* Of the pairs measured so far, how many meet condition k (k NULL: stay under the
 * ceiling `top`) for a cell of ideal `ideal`. */
static int meeting(const struct cond *k, double ideal, double top, const double *ratio,
                   const double *cw, int n, const double *xs, int nx)
{
    int met = 0, m = k && k->metric == M_X ? nx : n;

    for (int i = 0; i < m; i++) {
        double v = pair_value(k, ideal, i, ratio, cw, xs);
        met += k ? holds(k, v) : v <= top;
    }
    return met;
}

/* Far off condition k: on its failing side by more than a factor SPEED_FAR (a threshold
 * of 0 or less has no such factor). */
static bool far(const struct cond *k, double v)
{
    if (k->value <= 0)
        return false;
    return k->op == CMP_GE ? v * SPEED_FAR < k->value : v > k->value * SPEED_FAR;
}

/* Does some condition of this judge fail far off on every pair so far, SPEED_SETTLED of
 * them at least? */
static bool far_failing(const struct judge *g, const double *ratio, const double *cw, int n,
                        const double *xs, int nx)
{
    for (int i = 0; i < g->spec->nconds; i++) {
        const struct cond *k = &g->spec->conds[i];
        int m = k->metric == M_X ? nx : n, off = 0;

        for (int p = 0; p < m; p++)
            off += far(k, pair_value(k, g->ideal, p, ratio, cw, xs));
        if (m >= SPEED_SETTLED && off == m)
            return true;
    }
    return false;
}

/* Is every judge's verdict decided, whatever the pairs still to come measure: a pass
 * every condition of which SPEED_SETTLED pairs meet, or a fail far off on every pair? */
static bool settled(const struct cell *c, const double *ratio, const double *cw, int n,
                    const double *xs, int nx)
{
    int need = SPEED_SETTLED;

    if (c->njudges == 0 || n < need)
        return false;
    for (int j = 0; j < c->njudges; j++) {
        const struct judge *g = &c->judges[j];
        struct cell probe = {.spec = g->spec, .ideal = g->ideal};
        double top = speed_ceiling(&probe);
        bool passes = true;

        if (top > 0 && meeting(NULL, g->ideal, top, ratio, cw, n, xs, nx) < need)
            passes = false;
        for (int i = 0; passes && i < g->spec->nconds; i++)
            if (meeting(&g->spec->conds[i], g->ideal, top, ratio, cw, n, xs, nx) < need)
                passes = false;
        if (!passes && !far_failing(g, ratio, cw, n, xs, nx))
            return false;
    }
    return true;
}

enum verdict speed_measure(struct cell *c, trial_fn run, void *ctx, uint64_t ref_hash)
{
    double ratio[SPEED_MAX_ROUNDS], cw[SPEED_MAX_ROUNDS], xs[SPEED_MAX_ROUNDS];
    double rough[SPEED_MAX_ROUNDS], bc[SPEED_MAX_ROUNDS];
    int nx = 0;
    struct trial t[2];
    enum verdict v;

    c->rounds = c->clean = 0;
    c->dropped[0] = c->fault[0] = '\0';
    /* warm-up: caches, page faults, the kitchen's first accepts */
    for (int s = 0; s < 2; s++)
        if ((v = one(c, run, ctx, s, &t[s], ref_hash)) != V_PASS)
            return v;
    while (c->rounds < SPEED_MAX_ROUNDS && c->clean < SPEED_WANT_CLEAN) {
        int first = c->rounds % 2; /* rotate: baseline first, then version first */
        for (int k = 0; k < 2; k++) {
            int s = (first + k) % 2;
            if ((v = one(c, run, ctx, s, &t[s], ref_hash)) != V_PASS)
                return v;
        }
        rough[c->rounds++] = t[0].wall / t[1].wall;
        if (t[0].disturbed || t[1].disturbed) {
            note_drop(c, t[0].disturbed ? &t[0] : &t[1]);
            continue;
        }
        ratio[c->clean] = t[0].wall / t[1].wall;
        bc[c->clean] = t[0].cpu;
        cw[c->clean++] = t[1].cpu / t[1].wall;
        if (t[1].has_x)
            xs[nx++] = t[1].x;
        if (settled(c, ratio, cw, c->clean, xs, nx))
            break;
    }
    stats_summary(ratio, c->clean, &c->speedup);
    stats_summary(rough, c->rounds, &c->rough);
    stats_summary(cw, c->clean, &c->cpuwall);
    stats_summary(bc, c->clean, &c->base_cpu);
    stats_summary(xs, nx, &c->x);
    return V_PASS;
}
