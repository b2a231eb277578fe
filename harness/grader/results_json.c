/* results_json.c: Gradescope's results.json of a run (report_write_json). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "json.h"
#include "report_file.h"

static void put_member(FILE *f, const char *key, const char *value, bool comma)
{
    json_put_string(f, key);
    fputs(": ", f);
    json_put_string(f, value);
    if (comma)
        fputs(", ", f);
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

static int emit_test(const struct item *it, FILE *f)
{
    char *text = report_item_text(it);

    if (!text)
        return -ENOMEM;
    fputs("    {", f);
    put_member(f, "name", it->name, true);
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

static int emit_json(const struct report *r, FILE *f)
{
    double max, score = report_score(r, &max);
    char *text = report_run_text(r);
    int rc = 0;

    if (!text)
        return -ENOMEM;
    fprintf(f, "{\n  \"score\": %.10g,\n  \"max_score\": %.10g,\n  \"execution_time\": %.3f,\n",
            report_finite(score), report_finite(max), report_finite(r->elapsed_s));
    fputs("  \"output\": ", f);
    json_put_string(f, text);
    fputs(",\n  \"tests\": [\n", f);
    for (size_t i = 0; i < r->n && !rc; i++) {
        rc = emit_test(&r->items[i], f);
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
