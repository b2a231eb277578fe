/* cells.c: a lab's speed cells: calibration, shared measurements, retries, verdicts. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cells.h"
#include "matrix.h"
#include "requires.h"

bool cells_same_experiment(const struct spec_speed *a, const struct spec_speed *b)
{
    return a->workload == b->workload && !strcmp(a->version, b->version) &&
           !strcmp(a->baseline, b->baseline) && a->skew == b->skew && a->jobs == b->jobs &&
           a->baseline_jobs == b->baseline_jobs && a->workers == b->workers &&
           a->latency_ms == b->latency_ms && a->all_cores == b->all_cores;
}

struct measured *cells_shared(struct cells *cs, const struct spec_speed *s)
{
    for (int i = 0; i < cs->nmeasured; i++)
        if (cells_same_experiment(cs->measured[i].c.spec, s))
            return &cs->measured[i];
    return NULL;
}

bool cells_wanted(const char *list, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
            return true;
    return !list;
}

int cells_workers(const struct spec_speed *s, double P)
{
    return s->workers ? s->workers : (int)P > 0 ? (int)P : 1;
}

double cells_cores_needed(const struct cell *c)
{
    if (c->spec->workload == WORKLOAD_IO)
        return 0; /* waiting needs no core; cooking (meals too) needs min(W, P) */
    return c->spec->all_cores ? c->P : c->W < c->P ? c->W : c->P;
}

/* Is every core we need free now? Probes a few times before giving up. */
static bool cores_free(const struct cores *cores, double need, char *why, size_t len)
{
    double got = 0;

    /* A neighbour's burst passes: wait for it a while (about 7 s in all) before calling
     * the cell inconclusive, so that a correct student is measured, not excused. */
    for (int i = 0; i < 8; i++) {
        got = cores_probe(need, 100);
        if (got >= 0.9 * need)
            return true;
        usleep(i < 5 ? 250000 * (i + 1) : 1500000);
    }
    snprintf(why, len, "the pre-flight probe found only %.2f of %.0f cores free (%s)", got, need,
             cores->why);
    return false;
}

/* The cells this measurement of c's experiment decides (its judges), with their ideals:
 * none for a mixed cell, whose ideal depends on what its baseline cooked in the pairs
 * (cells_ideal), so every pair is measured. */
static void judges(const struct cells *cs, struct cell *c)
{
    c->njudges = 0;
    if (!cs->spec || c->spec->workload == WORKLOAD_MIXED)
        return;
    for (int i = 0; i < cs->spec->nspeeds && c->njudges < SPEC_MAX_SPEEDS; i++) {
        const struct spec_speed *p = &cs->spec->speeds[i];
        struct cell probe = *c;

        if (!cells_same_experiment(p, c->spec) || !cells_wanted(cs->only, p->name))
            continue;
        probe.spec = p;
        c->judges[c->njudges++] = (struct judge){.spec = p, .ideal = cells_ideal(cs, &probe)};
    }
}

/* Measure the cell's experiment, or reuse this grading's measurement of it unless
 * `fresh`. Returns V_PASS when measured (c filled), else why not (c->fault says it). */
static enum verdict measure(struct cells *cs, struct trial_ctx *x, struct cell *c, bool fresh)
{
    const struct spec_speed *s = x->s;
    struct measured *m = cells_shared(cs, s);
    double need = cells_cores_needed(c);
    enum verdict v;

    if (m && !fresh) {
        *c = m->c;
        c->spec = s;
        return m->v;
    }
    judges(cs, c);
    if (need > 0 && !cores_free(cs->site.cores, need, c->fault, sizeof(c->fault)))
        v = V_INCONCLUSIVE;
    else
        v = speed_measure(c, cs->trial ? cs->trial : trial_run, x, trial_ref_hash(x));
    if (!m && cs->nmeasured < CELLS_MAX_MEASURED)
        m = &cs->measured[cs->nmeasured++];
    if (m)
        *m = (struct measured){.c = *c, .v = v};
    return v;
}

/* Can the cell be measured at all? If not, it says why in it. */
static bool gate(struct cells *cs, const struct spec_speed *s, struct item *it)
{
    char why[400];

    if (!requires_met(cs->r, s->requires, s->nrequires, it))
        return false;
    if (!cores_enough(cs->site.cores, why, sizeof(why))) {
        it->verdict = V_INCONCLUSIVE;
        item_printf(it, "%s\n", why);
        return false;
    }
    if (!cs->bench_ok) {
        it->verdict = V_BUILD_ERROR;
        item_printf(it, "the bench driver could not be built with your code\n");
        return false;
    }
    /* cooking is sized to this machine, once, when a cell first needs it */
    if (s->workload != WORKLOAD_IO && !cs->rate && trial_calibrate(&cs->site, &cs->rate) < 0) {
        it->verdict = V_INCONCLUSIVE;
        item_printf(it, "the harness could not calibrate the cooking workload here\n");
        return false;
    }
    return true;
}

double cells_ideal(const struct cells *cs, const struct cell *c)
{
    const struct spec_speed *s = c->spec;
    double T = s->workload == WORKLOAD_IO ? 0 : TRIAL_CPU_TARGET_S;

    /* An ideal that counts the cooking counts what the baseline really cooked: a rate
     * calibrated in a busy moment gives fewer rounds than the target, the meals are then
     * mostly waiting, and a correct hybrid beat the target's ideal (5.5) past its ceiling:
     * 12.62x, "faster than possible", in CI. The baseline is harness code (DESIGN.md, "The
     * yardsticks"): no student file changes what it cooks. */
    if (s->workload == WORKLOAD_MIXED && c->base_cpu.n > 0 && c->base_cpu.median > 0)
        T = c->base_cpu.median;
    /* L is the latency the kitchen of this grading really has, not what the spec expects */
    return spec_ideal(s->ideal, c->W, c->P, c->N,
                      (cs->site.k ? cs->site.k->latency_ms : s->latency_ms) / 1000.0, T);
}

/* Measure and judge, twice at most: see cells_grade_one. */
static enum verdict attempts(struct cells *cs, struct trial_ctx *x, struct cell *c, struct item *it)
{
    enum verdict v = V_INCONCLUSIVE;

    for (int attempt = 0; attempt < CELLS_ATTEMPTS; attempt++) {
        bool retry = false;
        free(it->output);
        it->output = NULL;
        v = measure(cs, x, c, attempt > 0);
        if (v == V_INCONCLUSIVE) {
            item_printf(it, "%s\n", c->fault);
            continue;
        }
        if (v != V_PASS) { /* wrong, hung or crashed: the code's fault, not the machine's */
            item_printf(it, "%s\n", c->fault);
            break;
        }
        c->ideal = cells_ideal(cs, c); /* with what the baseline cooked: speed_judge says it */
        v = speed_judge(c, it, &retry);
        if (!retry)
            break;
    }
    if (v == V_INCONCLUSIVE)
        item_printf(it, "still inconclusive after %d tries (%s)\n", CELLS_ATTEMPTS,
                    cs->site.cores->why);
    return v;
}

/* Timelines: sample the warm-up of each side of the cell's first measurement. */
static struct timeline *timelines_arm(const struct cells *cs, struct trial_ctx *x)
{
    struct timeline *tl = cs->timelines ? malloc(2 * sizeof(*tl)) : NULL;

    if (tl) {
        timeline_init(&tl[0], "");
        timeline_init(&tl[1], "");
        snprintf(tl[0].label, sizeof(tl[0].label), "baseline %s", x->s->baseline);
        snprintf(tl[1].label, sizeof(tl[1].label), "version %s, %d worker%s", x->s->version,
                 x->workers, x->workers == 1 ? "" : "s");
        x->tl[0] = &tl[0];
        x->tl[1] = &tl[1];
    }
    return tl;
}

/* Draw them, if sampled (a shared measurement was not: it names its first cell's). */
static void timelines_draw(const struct cells *cs, const struct spec_speed *s, struct timeline *tl,
                           struct item *it)
{
    const struct timeline *both[2] = {&tl[0], &tl[1]};
    char path[1200], title[160], here[1024];
    const struct measured *m = cells_shared((struct cells *)cs, s);
    size_t n = getcwd(here, sizeof(here)) ? strlen(here) : 0;
    char note[200];

    snprintf(note, sizeof(note),
             "sampled every %d ms by the grader from /proc (task state, core, blocking call): "
             "the run cannot draw it; runs outside the graded pairs",
             TIMELINE_INTERVAL_MS);

    snprintf(path, sizeof(path), "%s/%s.svg", cs->timelines,
             tl[1].nticks || !m ? s->name : m->c.spec->name);
    if (tl[1].nticks) {
        snprintf(title, sizeof(title), "%s: who ran on which core when (the warm-up runs)",
                 s->name);
        if ((mkdir(cs->timelines, 0755) < 0 && errno != EEXIST) ||
            timeline_write_svg(both, 2, title, note, path) < 0)
            return;
    } else if (!m || access(path, F_OK))
        return;
    item_printf(it, "timeline: %s\n",
                n && !strncmp(path, here, n) && path[n] == '/' ? path + n + 1 : path);
}

/* What the cell measured, on what and when, beside its numbers (results.json keeps it
 * for the course's matrix, matrix.c). */
static void provenance(const struct cells *cs, const struct cell *c, struct figure *f)
{
    const struct spec_speed *s = c->spec;

    f->clean = c->clean;
    snprintf(f->workload, sizeof(f->workload), "%s", spec_workload_name(s->workload));
    snprintf(f->version, sizeof(f->version), "%s", s->version);
    snprintf(f->baseline, sizeof(f->baseline), "%s", s->baseline);
    snprintf(f->ideal_expr, sizeof(f->ideal_expr), "%s", s->ideal);
    snprintf(f->matrix, sizeof(f->matrix), "%s", s->matrix);
    snprintf(f->source, sizeof(f->source), "%.159s", cs->r->source);
    f->workers = (int)c->W;
    f->jobs = (int)c->N;
    f->P = c->P;
    f->seed = cs->site.seed;
    f->at = (long long)time(NULL); /* when it was measured, or found it could not be */
    if (!f->set)
        f->ideal = c->ideal;
}

void cells_grade_one(struct cells *cs, const struct spec_speed *s)
{
    struct item it = {.kind = ITEM_SPEED, .max_score = s->points};
    struct trial_ctx x = {.site = &cs->site, .s = s};
    struct cell c = {.spec = s};
    struct timeline *tl = NULL;

    snprintf(it.name, sizeof(it.name), "%s", s->name);
    snprintf(it.hint, sizeof(it.hint), "%s", s->hint);
    c.P = cs->site.cores->usable;
    x.workers = cells_workers(s, c.P);
    c.W = x.workers;
    c.N = s->jobs;
    c.ideal = cells_ideal(cs, &c); /* the target's until measured */
    speed_expected(&c, it.expected, sizeof(it.expected));
    if (gate(cs, s, &it)) {
        x.rounds = (uint64_t)(cs->rate * TRIAL_CPU_TARGET_S);
        tl = timelines_arm(cs, &x);
        it.verdict = attempts(cs, &x, &c, &it);
        if (tl)
            timelines_draw(cs, s, tl, &it);
    }
    if (tl) {
        timeline_free(&tl[0]);
        timeline_free(&tl[1]);
        free(tl);
    }
    provenance(cs, &c, &it.fig);
    it.score = it.verdict == V_PASS ? s->points : 0;
    report_add(cs->r, &it);
}

bool cells_any_to_time(const struct cells *cs, const struct spec *s, const char *only)
{
    bool any = false;

    for (int i = 0; cs->bench_ok && i < s->nspeeds && !any; i++) {
        struct item it = {.kind = ITEM_SPEED}; /* the reason requires_met() writes, dropped */

        any = cells_wanted(only, s->speeds[i].name) &&
              requires_met(cs->r, s->speeds[i].requires, s->speeds[i].nrequires, &it);
        free(it.output);
    }
    return any;
}

void cells_grade(struct cells *cs, const struct spec *s, const char *only)
{
    cs->spec = s;
    cs->only = only;
    for (int i = 0; i < s->nspeeds; i++)
        if (cells_wanted(only, s->speeds[i].name))
            cells_grade_one(cs, &s->speeds[i]);
    cells_note_matrix(cs);
}

void cells_note_matrix(struct cells *cs)
{
    matrix_note(cs->r, cs->root);
}
