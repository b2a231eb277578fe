/* results_json.c: Gradescope's results.json of a run (report_write_json). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "report_file.h"
#include "report_md.h"

static void put_member(FILE *f, const char *key, const char *value, bool comma)
{
    json_put_string(f, key);
    fputs(": ", f);
    json_put_string(f, value);
    if (comma)
        fputs(", ", f);
}

const char *results_visibility(const char *conf, const struct item *it)
{
    static const char *const words[] = {"hidden", "after_due_date", "after_published", "visible"};
    const char *vis = "visible";
    char buf[512], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", conf ? conf : "");
    for (char *w = strtok_r(buf, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        char *eq = strchr(w, '=');
        if (!eq)
            continue;
        *eq++ = '\0';
        if (strcmp(w, "all") && strcmp(w, item_kind_name(it->kind)) && strcmp(w, it->name))
            continue;
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
            if (!strcmp(eq, words[i]))
                vis = words[i]; /* the last that names the item wins */
    }
    return vis;
}

/* Gradescope's own fields of item i: its number, who sees it when, its text's format. */
static void put_gradescope_fields(const struct report *r, size_t i, FILE *f)
{
    char num[32];

    md_number(r, i, num, sizeof(num));
    put_member(f, "number", num, true);
    put_member(f, "visibility", results_visibility(getenv(RESULTS_VISIBILITY_ENV), &r->items[i]),
               true);
    put_member(f, "output_format", "md", true);
}

/* A speed item's numbers and what was measured, for the course's matrix (matrix_read.c
 * reads them back): ", \"figure\": {...}" inside extra_data. */
static void put_figure(FILE *f, const struct figure *g)
{
    char at[32] = "";
    time_t t = (time_t)g->at;
    struct tm tm;

    if (g->at && gmtime_r(&t, &tm))
        strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fputs(", \"figure\": {", f);
    fprintf(f, "\"set\": %s, ", g->set ? "true" : "false");
    if (g->set)
        fprintf(f,
                "\"med\": %.4f, \"lo\": %.4f, \"hi\": %.4f, \"cpuwall\": %.4f, "
                "\"want_ge\": %.4f, \"want_le\": %.4f, \"clean\": %d, ",
                report_finite(g->med), report_finite(g->lo), report_finite(g->hi),
                report_finite(g->cpuwall), report_finite(g->want_ge), report_finite(g->want_le),
                g->clean);
    fprintf(f, "\"ideal\": %.4f, \"workers\": %d, \"jobs\": %d, \"P\": %.2f, \"seed\": %llu, ",
            report_finite(g->ideal), g->workers, g->jobs, report_finite(g->P),
            (unsigned long long)g->seed);
    put_member(f, "ideal_expr", g->ideal_expr, true);
    put_member(f, "workload", g->workload, true);
    put_member(f, "version", g->version, true);
    put_member(f, "baseline", g->baseline, true);
    put_member(f, "matrix", g->matrix, true);
    put_member(f, "source", g->source, true);
    put_member(f, "at", at, false);
    fputs("}", f);
}

static int emit_test(const struct report *r, size_t i, FILE *f)
{
    const struct item *it = &r->items[i];
    char *text = md_item_text(it);

    if (!text)
        return -ENOMEM;
    fputs("    {", f);
    put_member(f, "name", it->name, true);
    put_gradescope_fields(r, i, f);
    fprintf(f, "\"score\": %.10g, \"max_score\": %.10g, ", report_finite(it->score),
            report_finite(it->max_score));
    put_member(f, "status", it->verdict == V_PASS ? "passed" : "failed", true);
    put_member(f, "output", text, true);
    fputs("\"extra_data\": {", f);
    put_member(f, "verdict", verdict_name(it->verdict), true);
    put_member(f, "kind", item_kind_name(it->kind), true);
    put_member(f, "measured", it->measured, true);
    put_member(f, "expected", it->expected, false);
    if (it->kind == ITEM_SPEED)
        put_figure(f, &it->fig);
    fputs("}}", f);
    free(text);
    return 0;
}

/* Every speed cell is a leaderboard column (the same columns for every submission): its
 * median speedup when it was measured, 0 when not (wrong, not run, inconclusive). */
static void emit_leaderboard(const struct report *r, FILE *f)
{
    bool first = true;

    fputs("  \"leaderboard\": [", f);
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];
        bool measured = it->fig.set && (it->verdict == V_PASS || it->verdict == V_FAIL);
        if (it->kind != ITEM_SPEED)
            continue;
        fputs(first ? "\n    {" : ",\n    {", f);
        put_member(f, "name", it->name, true);
        fprintf(f, "\"value\": %.3f, \"order\": \"desc\"}",
                measured ? report_finite(it->fig.med) : 0.0);
        first = false;
    }
    fputs(first ? "],\n" : "\n  ],\n", f);
}

/* The machine the run was graded on (fingerprint.h), so that an instructor can tell a
 * disturbed 1-core container from slow code. */
static void emit_fingerprint(const struct report *r, FILE *f)
{
    const struct fingerprint *fp = &r->fp;

    fputs("  \"extra_data\": {", f);
    put_member(f, "lab", r->lab, true);
    fprintf(f, "\"seed\": %llu, ", (unsigned long long)r->seed);
    put_member(f, "machine", r->machine, fp->set);
    if (fp->set) {
        put_member(f, "cpu_model", fp->cpu, true);
        fprintf(f, "\"usable_cores\": %.3g, \"cpu_quota\": %.3g, ", report_finite(fp->usable),
                report_finite(fp->quota));
        put_member(f, "cores_why", fp->cores_why, true);
        fprintf(f, "\"load_before\": [%.2f, %.2f, %.2f], ", report_finite(fp->load[0]),
                report_finite(fp->load[1]), report_finite(fp->load[2]));
        put_member(f, "kernel", fp->kernel, true);
        put_member(f, "compiler", fp->compiler, true);
        put_member(f, "kit_version", fp->kit, false);
    }
    fputs("},\n", f);
}

static int emit_json(const struct report *r, FILE *f)
{
    double max, score = report_score(r, &max);
    char *text = md_run_text(r);
    int rc = 0;

    if (!text)
        return -ENOMEM;
    fprintf(f, "{\n  \"score\": %.10g,\n  \"max_score\": %.10g,\n  \"execution_time\": %.3f,\n",
            report_finite(score), report_finite(max), report_finite(r->elapsed_s));
    fputs("  \"output_format\": \"md\",\n  \"test_output_format\": \"md\",\n  \"output\": ", f);
    json_put_string(f, text);
    fputs(",\n", f);
    emit_fingerprint(r, f);
    emit_leaderboard(r, f);
    fputs("  \"tests\": [\n", f);
    for (size_t i = 0; i < r->n && !rc; i++) {
        rc = emit_test(r, i, f);
        fputs(i + 1 < r->n ? ",\n" : "\n", f);
    }
    fputs("  ]\n}\n", f);
    free(text);
    return rc;
}

int report_write_json(const struct report *r, const char *path)
{
    return report_write_file(path, emit_json, r);
}
