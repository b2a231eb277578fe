/* run.c: grade --run: time one version of the student's code on the spot, beside a baseline. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "grading.h"
#include "cores.h"
#include "run.h"
#include "stats.h"
#include "sys.h"
#include "trial.h"

/* Is `name` one of the comma-separated names in buf? */
static bool listed(const char *buf, const char *name)
{
    size_t k = strlen(name);

    for (const char *p = buf; k && (p = strstr(p, name)); p += k)
        if ((p == buf || p[-1] == ' ') && (p[k] == ',' || !p[k]))
            return true;
    return false;
}

int run_versions(const char *versions_c, char *buf, size_t len)
{
    char *text = sys_slurp(versions_c, 1 << 20, NULL);
    int n = 0;

    buf[0] = '\0';
    /* the table's rows: {"name", fn, ...} */
    for (const char *p = text; p && (p = strstr(p, "{\"")); p += 2) {
        const char *end = strchr(p + 2, '"');
        char name[64];
        size_t used = strlen(buf), k = end ? (size_t)(end - p - 2) : 0;
        if (!k || k >= sizeof(name) || end[1] != ',' || used + k + 3 > len)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)k, p + 2);
        if (listed(buf, name))
            continue;
        snprintf(buf + used, len - used, "%s%s", n++ ? ", " : "", name);
    }
    free(text);
    return n;
}

/* The median of one figure over the runs: 0 wall, 1 CPU, 2 cpu/wall, 3 speedup. */
static double median_of(const struct run_figures *f, const struct trial *t, int what)
{
    double v[RUN_MAX_RUNS];

    for (int i = 0; i < f->n; i++)
        v[i] = what == 0   ? t[i].wall
               : what == 1 ? t[i].cpu
               : what == 2 ? (t[i].wall > 0 ? t[i].cpu / t[i].wall : 0)
                           : (t[i].wall > 0 ? f->b[i].wall / t[i].wall : 0);
    return stats_median(v, (size_t)f->n);
}

void run_print(FILE *out, const struct run_figures *f, const char *wv, const char *wb)
{
    int n_disturbed = 0;
    const char *why = "";

    fprintf(out, "  %-12s %9s %9s %9s %9s\n", "", "wall", "CPU", "cpu/wall", "speedup");
    fprintf(out, "  %-12s %7.3f s %7.3f s %9.2f %8.2fx  (the baseline)\n", wb,
            median_of(f, f->b, 0), median_of(f, f->b, 1), median_of(f, f->b, 2), 1.0);
    fprintf(out, "  %-12s %7.3f s %7.3f s %9.2f %8.2fx\n", wv, median_of(f, f->v, 0),
            median_of(f, f->v, 1), median_of(f, f->v, 2), median_of(f, f->v, 3));
    fprintf(out, "  (medians of %d interleaved run%s; each run's speedup:", f->n,
            f->n > 1 ? "s" : "");
    for (int i = 0; i < f->n; i++)
        fprintf(out, " %.2f", f->v[i].wall > 0 ? f->b[i].wall / f->v[i].wall : 0);
    fprintf(out, ")\n");
    if (f->v[0].has_x)
        fprintf(out, "  %s's own metric (x): %.3f\n", wv, f->v[f->n - 1].x);
    for (int i = 0; i < 2 * f->n; i++) {
        const struct trial *t = i < f->n ? &f->b[i] : &f->v[i - f->n];
        if (t->disturbed)
            n_disturbed++, why = t->why;
    }
    if (n_disturbed)
        fprintf(out,
                "  note: %d of %d runs were disturbed by other programs (%s): rough figures; "
                "make check retries such cells\n",
                n_disturbed, 2 * f->n, why);
}

/* The experiment, from the command line and its defaults, into s; -1 when a word is
 * wrong (said on stderr). */
static int experiment(const struct opts *o, const struct cores *c, struct spec_speed *s,
                      int *workers)
{
    const char *w = o->run_workload ? o->run_workload : "cpu";
    const char *k = o->run_skew ? o->run_skew : "even";

    *s = (struct spec_speed){.latency_ms = 50};
    s->workload = !strcmp(w, "cpu")  ? WORKLOAD_CPU
                  : !strcmp(w, "io") ? WORKLOAD_IO
                                     : WORKLOAD_MIXED;
    s->skew = !strcmp(k, "skewed") ? SKEW_SKEWED : SKEW_EVEN;
    s->jobs = s->baseline_jobs = o->run_jobs ? o->run_jobs : 8;
    *workers = o->run_workers ? o->run_workers : (int)c->usable > 0 ? (int)c->usable : 1;
    snprintf(s->name, sizeof(s->name), "run");
    snprintf(s->version, sizeof(s->version), "%s", o->run_version);
    snprintf(s->baseline, sizeof(s->baseline), "%s", o->run_baseline ? o->run_baseline : "ref");
    if (strcmp(w, "cpu") && strcmp(w, "io") && strcmp(w, "mixed")) {
        fprintf(stderr, "grade --run: --workload is cpu, io or mixed, not %s\n", w);
        return -1;
    }
    if (strcmp(k, "even") && strcmp(k, "skewed")) {
        fprintf(stderr, "grade --run: --skew is even or skewed, not %s\n", k);
        return -1;
    }
    if (s->jobs < 1 || s->jobs > 100000 || *workers < 1 || *workers > 10000) {
        fprintf(stderr, "grade --run: --jobs 1-100000 and --workers 1-10000, please\n");
        return -1;
    }
    return 0;
}

/* What the build said about the student's files, when one did not compile or link. */
static int build_failed(const struct spec *sp, const struct build_out *b)
{
    int bad = !b->bench_ok;

    for (int i = 0; i < sp->nfiles; i++)
        if (!b->file_ok[i]) {
            printf("%s did not compile (or broke a rule of the audit):\n%s\n", sp->files[i],
                   b->file_log[i] ? b->file_log[i] : "");
            bad = 1;
        }
    if (!b->bench_ok)
        printf("the bench driver did not link with your files:\n%s\n",
               b->link_log ? b->link_log : "(no bench driver for this lab)");
    return bad;
}

/* One side's trial; 0, or 1 after saying what went wrong. */
static int one(struct trial_ctx *x, int side, struct trial *t, uint64_t want)
{
    const char *who = side ? x->s->version : x->s->baseline;

    if (trial_run(x, side, t) < 0 || t->fault != V_PASS) {
        bool notimpl = t->fault == V_NOT_IMPLEMENTED;
        if (notimpl)
            t->what[strcspn(t->what, "\n")] = '\0'; /* the rest is the run's output */
        printf("%s: %s%s%s\n", who, notimpl ? "" : verdict_name(t->fault), notimpl ? "" : ": ",
               t->what);
        return 1;
    }
    if (want && t->hash != want) {
        printf("%s: wrong: its results differ from the reference's (hash %016llx, want "
               "%016llx)\n",
               who, (unsigned long long)t->hash, (unsigned long long)want);
        return 1;
    }
    return 0;
}

/* The runs, interleaved (the baseline first in odd runs, second in even ones), into f. */
static int measure(struct trial_ctx *x, int runs, struct run_figures *f)
{
    uint64_t want = trial_ref_hash(x); /* 0 for orders: the kitchen checks them */

    for (f->n = 0; f->n < runs; f->n++) {
        int first = f->n % 2;
        struct trial *t[2] = {&f->b[f->n], &f->v[f->n]};
        if (one(x, first, t[first], want) || one(x, !first, t[!first], want))
            return 1;
    }
    return 0;
}

static int timed(const struct opts *o, const struct build_out *b)
{
    struct kitchen_conf kc = {.latency_ms = 50};
    struct kitchen k;
    struct cores c;
    struct spec_speed s;
    struct trial_ctx x = {.s = &s};
    struct bench_site site = {
        .bench = b->bench, .box = b->box, .run = b->run, .logs = b->logs, .k = &k, .cores = &c};
    struct run_figures *f = calloc(1, sizeof(*f));
    double rate = 0;
    int rc = 3, runs = o->run_runs > 0 ? o->run_runs : 3;

    cores_detect(&c);
    site.seed = o->seed;
    x.site = &site;
    if (!f || experiment(o, &c, &s, &x.workers) < 0) {
        free(f);
        return 2;
    }
    if (kitchen_start(o->kitchen_bin, &kc, &k) < 0) {
        printf("harness error: could not start the kitchen (%s)\n", o->kitchen_bin);
        free(f);
        return 3;
    }
    jail_protect(k.pid);
    if (s.workload != WORKLOAD_IO && trial_calibrate(&site, &rate) < 0) {
        printf("harness error: could not calibrate the cooking workload\n");
        goto out;
    }
    x.rounds = (uint64_t)(rate * TRIAL_CPU_TARGET_S);
    printf("%s: %s vs %s, %s workload%s, %d jobs, %d workers; %s; seed %llu\n", o->lab, s.version,
           s.baseline, spec_workload_name(s.workload), s.skew == SKEW_SKEWED ? " (skewed)" : "",
           s.jobs, x.workers, c.why, (unsigned long long)o->seed);
    rc = measure(&x, runs < RUN_MAX_RUNS ? runs : RUN_MAX_RUNS, f);
    if (!rc)
        run_print(stdout, f, s.version, s.baseline);
out:
    kitchen_stop(&k);
    free(f);
    return rc;
}

int run_prepare(const struct opts *o, struct spec *sp, struct build_out *b)
{
    char path[1100], skel[1100], lib[1100], err[1400];
    struct build_conf bc = grading_build_conf(o, skel, lib);

    bc.keep_symbols = o->debug_test != NULL; /* gdb names functions and lines */
    memset(b, 0, sizeof(*b));
    snprintf(path, sizeof(path), "%s/harness/labs/%s/spec", o->root, o->lab);
    if (spec_load(path, sp, err, sizeof(err)) < 0) {
        fprintf(stderr, "grade: %s\n", err);
        return 2;
    }
    sp->nraces = 0;
    if (build_lab(&bc, sp, b, err, sizeof(err)) < 0) {
        printf("harness error, not your code: %s\n", err);
        return 3;
    }
    return build_failed(sp, b);
}

int run_experiment(const struct opts *o)
{
    char path[1100], list[1024];
    struct spec sp;
    struct build_out b;
    int rc;

    snprintf(path, sizeof(path), "%s/harness/labs/%s/versions.c", o->root, o->lab);
    if (run_versions(path, list, sizeof(list)) == 0 || !listed(list, o->run_version)) {
        bool asked = !strcmp(o->run_version, "list");
        if (!asked)
            fprintf(stderr, "grade --run: %s has no version '%s'\n", o->lab, o->run_version);
        printf("%s: versions: %s\n", o->lab, list[0] ? list : "none (no versions.c)");
        return asked && list[0] ? 0 : 2;
    }
    if ((rc = run_prepare(o, &sp, &b)) == 0)
        rc = timed(o, &b);
    build_free(&b);
    spec_free(&sp);
    return rc;
}
