/* test_matrix_read.c: the small JSON reader, and results.json's figures read back. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matrix_read.h"
#include "report.h"
#include "sys.h"

static struct jval *parse_ok(const char *text)
{
    struct jval *v;
    char err[128] = "";

    cr_assert_eq(json_parse(text, &v, err, sizeof(err)), 0, "%s: %s", text, err);
    return v;
}

static void parse_bad(const char *text, const char *why)
{
    struct jval *v = (struct jval *)1;
    char err[128] = "";

    cr_assert_eq(json_parse(text, &v, err, sizeof(err)), -EINVAL, "accepted %s", text);
    cr_assert_null(v);
    cr_assert(strstr(err, why), "%s: '%s', wanted '%s'", text, err, why);
}

Test(json_read, values_members_and_escapes)
{
    struct jval *v =
        parse_ok(" {\"a\": [1, -2.5e1, true, null], \"s\": \"x\\n\\u00e9\\ud83d\\ude00\","
                 " \"o\": {\"k\": false}} ");

    const struct jval *a = json_get(v, "a");
    cr_assert(a && a->type == J_ARR && a->n == 4);
    cr_assert_float_eq(a->kids[1].num, -25, 1e-9);
    cr_assert_eq(a->kids[2].type, J_BOOL);
    cr_assert_eq(a->kids[3].type, J_NULL);
    cr_assert_str_eq(json_str(v, "s", ""), "x\n\xc3\xa9\xf0\x9f\x98\x80");
    cr_assert_eq(json_bool(json_get(v, "o"), "k", true), false);
    cr_assert_float_eq(json_num(v, "missing", 7), 7, 1e-9, "a default for what is not there");
    cr_assert_str_eq(json_str(v, "a", "dflt"), "dflt", "a default for another type");
    cr_assert_null(json_get(a, "k"), "an array has no members");
    json_free(v);
}

Test(json_read, refuses_what_is_not_json)
{
    parse_bad("{\"a\": 1,}", "member's name");
    parse_bad("[1 2]", "',' or ']'");
    parse_bad("\"open", "closing quote");
    parse_bad("{} x", "text after");
    parse_bad("\"\\q\"", "bad escape");
    parse_bad("\"\\ud800x\"", "surrogate");
    parse_bad("nope", "unexpected");
    parse_bad("{\"a\"", "':' expected"); /* cut short: the reader stops at the end */
    parse_bad("[1", "',' or ']'");
    parse_bad("\"\\u12", "closing quote");
    parse_bad("\"a\tb\"", "control character");
    char deep[80];
    memset(deep, '[', 40);
    deep[40] = '\0';
    parse_bad(deep, "nested deeper");
}

Test(json_read, iso_time)
{
    cr_assert_eq(matrix_read_time("1970-01-02T00:00:10Z"), 86410);
    cr_assert_eq(matrix_read_time("2026-12-01 10:00"), 0);
    cr_assert_eq(matrix_read_time(""), 0);
}

/* results_json.c writes a speed item's figure; matrix_read_results gives it back. */
Test(json_read, results_json_round_trip)
{
    struct report r;
    struct item test = {.name = "t::ok", .kind = ITEM_TEST, .verdict = V_PASS};
    struct item cell = {.name = "gil.threads_cpu", .kind = ITEM_SPEED, .verdict = V_PASS};
    struct item bare = {.name = "gil.io", .kind = ITEM_SPEED, .verdict = V_SKIPPED};
    struct mx_fig f[4];
    char path[] = "/tmp/matrix-read-XXXXXX", err[128];
    int fd = mkstemp(path);

    cr_assert(fd >= 0);
    close(fd);
    cell.fig = (struct figure){.set = true,
                               .med = 0.98,
                               .lo = 0.94,
                               .hi = 1.05,
                               .cpuwall = 1.01,
                               .want_le = 1.2,
                               .want_ge = 0.7,
                               .ideal = 1,
                               .clean = 5,
                               .workers = 2,
                               .jobs = 4,
                               .P = 2,
                               .seed = 123456789,
                               .at = 86410};
    strcpy(cell.fig.matrix, "gil_threads/cpu");
    strcpy(cell.fig.workload, "cpu");
    strcpy(cell.fig.version, "gilthreads");
    strcpy(cell.fig.source, "solutions/lab6-choosing \"x\"");
    report_init(&r, "lab6-choosing", "t");
    report_add(&r, &test);
    report_add(&r, &cell);
    report_add(&r, &bare);
    cr_assert_eq(report_write_json(&r, path), 0);
    char *text = sys_slurp(path, 1 << 20, NULL);
    int n = matrix_read_results(text, f, 4, err, sizeof(err));
    cr_assert_eq(n, 2, "%d: %s", n, err);
    cr_assert_str_eq(f[0].name, "gil.threads_cpu");
    cr_assert_str_eq(f[0].verdict, "pass");
    cr_assert(f[0].set);
    cr_assert_float_eq(f[0].med, 0.98, 1e-9);
    cr_assert_float_eq(f[0].hi, 1.05, 1e-9);
    cr_assert_float_eq(f[0].want_le, 1.2, 1e-9);
    cr_assert_eq(f[0].clean, 5);
    cr_assert_eq(f[0].workers, 2);
    cr_assert_eq(f[0].seed, 123456789ull);
    cr_assert_str_eq(f[0].at, "1970-01-02T00:00:10Z");
    cr_assert_eq(f[0].when, 86410);
    cr_assert_str_eq(f[0].matrix, "gil_threads/cpu");
    cr_assert_str_eq(f[0].source, "solutions/lab6-choosing \"x\"");
    cr_assert_not(f[1].set, "a skipped cell reads as not measured");
    cr_assert_eq(f[1].when, 0);
    cr_assert_eq(matrix_read_results("{\"score\": 1}", f, 4, err, sizeof(err)), -EINVAL);
    free(text);
    report_free(&r);
    unlink(path);
}
