/* results_json.c: Gradescope's results.json of a run (report_write_json). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

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
