/* test_coverage.c: grade --coverage's pieces: its command lines, where the student's files
 * are, the test filter, and the summary of a gcovr JSON. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "coverage.h"

/* argv as one line, words joined by single spaces. */
static const char *joined(const struct cov_argv *a)
{
    static char line[8192];
    size_t used = 0;

    line[0] = '\0';
    for (int i = 0; i < a->n; i++)
        used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s", i ? " " : "", a->v[i]);
    return line;
}

Test(coverage, argv_splits_words_and_stops_when_full, .timeout = 5)
{
    static struct cov_argv a;

    cov_words(&a, "  -std=c11 \t-Wall\n-g ");
    cov_arg(&a, "-I%s/x", "/kit");
    cr_assert_eq(a.n, 4);
    cr_assert_str_eq(joined(&a), "-std=c11 -Wall -g -I/kit/x");
    cr_assert_null(a.v[4]);
    cr_assert(!a.full);
    for (int i = 0; i < COV_MAX_ARGS; i++)
        cov_arg(&a, "w%d", i);
    cr_assert(a.full, "more words than COV_MAX_ARGS must not fit");
    cr_assert_eq(a.n, COV_MAX_ARGS);
    cr_assert_null(a.v[COV_MAX_ARGS]);
}

Test(coverage, only_the_students_files_are_instrumented, .timeout = 5)
{
    static struct cov_argv mine, ours;
    struct cov_build b = {.root = "/kit",
                          .lab = "lab6-choosing",
                          .cc = "cc",
                          .cflags = "-std=c11 -g ",
                          .cr_cflags = "-DBXF_STATIC_LIB=1",
                          .other_labs = {"lab4-gil", "lab5-async"},
                          .nother = 2};

    coverage_cc(&b, "/s/gilpool.c", "/b/obj/gilpool.c.o", true, &mine);
    cr_assert_str_eq(joined(&mine),
                     "cc -std=c11 -g -O0 --coverage -I/kit/harness/include "
                     "-I/kit/harness/labs/lab6-choosing -I/kit/harness/labs/lab4-gil "
                     "-I/kit/harness/labs/lab5-async -DBXF_STATIC_LIB=1 -c /s/gilpool.c "
                     "-o /b/obj/gilpool.c.o");
    coverage_cc(&b, "/kit/harness/labs/lab6-choosing/tests.c", "/b/obj/tests.o", false, &ours);
    cr_assert_null(strstr(joined(&ours), "--coverage"), "%s", joined(&ours));
    cr_assert_not_null(strstr(joined(&ours), "-O0 -I/kit/harness/include"));
}

static void parse_spec(struct spec *s, const char *text)
{
    char err[256] = "";

    cr_assert_eq(spec_parse(text, "spec", s, err, sizeof(err)), 0, "%s", err);
}

Test(coverage, filter_lists_the_selected_tests, .timeout = 5)
{
    static struct spec s;
    char buf[256], tiny[24];

    parse_spec(&s, "student threads.c\n"
                   "test thread_map::one_job 1\n"
                   "test thread_map::no_jobs 1\n"
                   "test thread_tally::sums 1\n");
    cr_assert_eq(coverage_filter(&s, true, buf, sizeof(buf)), 3);
    cr_assert_str_eq(buf, "", "every test: no filter");
    cr_assert_eq(spec_select(&s, "thread_map::no_jobs,thread_tally"), 2);
    cr_assert_eq(coverage_filter(&s, false, buf, sizeof(buf)), 2);
    cr_assert_str_eq(buf, "--filter=@(thread_map/no_jobs|thread_tally/sums)");
    cr_assert_eq(coverage_filter(&s, false, tiny, sizeof(tiny)), -1);
    cr_assert_str_eq(tiny, "", "a filter cut short would run other tests");
}

Test(coverage, gcovr_sees_only_the_students_files, .timeout = 5)
{
    static struct cov_argv a;
    char src[2][1100] = {"/home/me/kit/labs/lab2-threads/threads.c", "/tmp/a+b (1)/gil.c"};

    coverage_gcovr("/home/me/kit", "/b/obj", "/b", "lab2-threads: yours", src, 2, &a);
    cr_assert_str_eq(joined(&a), "gcovr --root /home/me/kit "
                                 "--filter /home/me/kit/labs/lab2-threads/threads\\.c$ "
                                 "--filter /tmp/a\\+b \\(1\\)/gil\\.c$ "
                                 "--html-details /b/index.html --html-title lab2-threads: yours "
                                 "--json /b/coverage.json /b/obj");
    cr_assert_str_eq(a.v[a.n - 1], "/b/obj", "the objects: the last word");
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s", path);
    fclose(f);
}

Test(coverage, borrowed_files_are_found_where_build_finds_them, .timeout = 5)
{
    static struct spec s;
    char top[] = "/tmp/test_coverage_XXXXXX", dir[256], path[1100], want[1100];
    struct opts o = {.lab = "lab6-choosing", .root = "/kit"};

    cr_assert_not_null(mkdtemp(top));
    parse_spec(&s, "student hybrid.c\nborrow lab4-gil:gil.c lab2-threads:threads.c\n");
    cr_assert_eq(s.nfiles, 3);
    snprintf(dir, sizeof(dir), "%s/lab6-choosing", top);
    o.src = dir;
    cr_assert_eq(coverage_source(&o, &s, 0, path, sizeof(path)), -ENOENT, "%s", path);
    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/lab4-gil", top);
    mkdir(path, 0755);
    snprintf(want, sizeof(want), "%s/lab4-gil/gil.c", top);
    touch(want);
    snprintf(path, sizeof(path), "%s/hybrid.c", dir);
    touch(path);
    cr_assert_eq(coverage_source(&o, &s, 0, path, sizeof(path)), 0);
    cr_assert_eq(coverage_source(&o, &s, 1, path, sizeof(path)), 0);
    cr_assert_str_eq(path, want, "beside the lab's folder");
    cr_assert_eq(coverage_source(&o, &s, 2, path, sizeof(path)), 1, "%s", path);
    cr_assert_str_eq(path, "/kit/labs/lab2-threads/threads.c", "the skeleton stands in");
    snprintf(want, sizeof(want), "%s/threads.c", dir);
    touch(want);
    cr_assert_eq(coverage_source(&o, &s, 2, path, sizeof(path)), 0);
    cr_assert_str_eq(path, want, "a flat submission");
    snprintf(path, sizeof(path), "rm -rf '%s'", top);
    cr_assert_eq(system(path), 0);
}

/* gcovr 5's --json, cut down: one file with a function never called, lines not run on
 * both sides of comments, an excluded line, and keys we do not read. */
static const char *fixture =
    "{\"gcovr/format_version\": \"0.3\", \"files\": [{\"file\": \"labs/lab1-baselines/serve.c\",\n"
    " \"functions\": [{\"execution_count\": 0, \"lineno\": 60, \"name\": \"unused\"},\n"
    "   {\"execution_count\": 7, \"lineno\": 30, \"name\": \"serve\", \"extra\": [1, {\"a\": "
    "null}]}],\n"
    " \"lines\": [\n"
    "  {\"branches\": [], \"count\": 7, \"gcovr/noncode\": false, \"line_number\": 31},\n"
    "  {\"branches\": [{\"count\": 7, \"fallthrough\": true, \"throw\": false},\n"
    "               {\"count\": 0, \"fallthrough\": false, \"throw\": false}],\n"
    "   \"count\": 7, \"gcovr/excluded\": false, \"gcovr/noncode\": false, \"line_number\": 40},\n"
    "  {\"branches\": [], \"count\": 0, \"gcovr/noncode\": false, \"line_number\": 41},\n"
    "  {\"branches\": [], \"count\": 0, \"gcovr/noncode\": true, \"line_number\": 42},\n"
    "  {\"branches\": [], \"count\": 0, \"gcovr/noncode\": false, \"line_number\": 44},\n"
    "  {\"branches\": [], \"count\": 3, \"gcovr/noncode\": false, \"line_number\": 46},\n"
    "  {\"branches\": [], \"count\": 0, \"gcovr/noncode\": false, \"line_number\": 48},\n"
    "  {\"branches\": [], \"count\": 0, \"gcovr/excluded\": true, \"line_number\": 50},\n"
    "  {\"branches\": [], \"count\": 0, \"gcovr/noncode\": false, \"line_number\": 61},\n"
    "  {\"branches\": [], \"count\": 0, \"gcovr/noncode\": false, \"line_number\": 62}]},\n"
    " {\"file\": \"labs/lab1-baselines/\\\"odd\\\".c\", \"functions\": [], \"lines\": []}]}\n";

Test(coverage, parses_gcovr_json, .timeout = 5)
{
    struct cov_report r;

    cr_assert_eq(coverage_parse(fixture, &r), 0);
    cr_assert_eq(r.nf, 2);
    cr_assert_str_eq(r.f[0].path, "labs/lab1-baselines/serve.c");
    cr_assert_str_eq(r.f[1].path, "labs/lab1-baselines/\"odd\".c");
    cr_assert_eq(r.f[0].nfn, 2);
    cr_assert_str_eq(r.f[0].fn[0].name, "serve", "sorted by line");
    cr_assert_eq(r.f[0].fn[0].calls, 7);
    cr_assert_eq(r.f[0].nln, 8, "code lines only: not the comment, not the excluded one");
    cr_assert_eq(r.f[0].branches, 2);
    cr_assert_eq(r.f[0].branches_hit, 1);
    coverage_report_free(&r);
    cr_assert_eq(r.nf, 0);
}

Test(coverage, refuses_what_is_not_gcovr_json, .timeout = 5)
{
    struct cov_report r;
    const char *bad[] = {"",
                         "[1, 2]",
                         "{\"files\": [",
                         "{\"files\": [{\"lines\": [{]}]}",
                         "{\"files\": []} trailing",
                         NULL,
                         "{\"a\": tru}"};

    for (int i = 0; i < 7; i++)
        cr_assert_eq(coverage_parse(bad[i], &r), -EINVAL, "accepted %s", bad[i]);
    cr_assert_eq(coverage_parse("{\"files\": []}", &r), 0);
    cr_assert_eq(r.nf, 0);
}

static const char *summary(const char *json)
{
    static char text[4096];
    struct cov_report r;
    FILE *out = fmemopen(text, sizeof(text), "w");

    cr_assert_not_null(out);
    cr_assert_eq(coverage_parse(json, &r), 0);
    coverage_print(out, &r);
    fclose(out);
    coverage_report_free(&r);
    return text;
}

Test(coverage, summary_names_the_lines_never_run_by_function, .timeout = 5)
{
    const char *text = summary(fixture);

    cr_assert_not_null(strstr(text, "labs/lab1-baselines/serve.c  lines  37.5% (3/8)  "
                                    "branches  50.0% (1/2)\n"),
                       "%s", text);
    /* 41-44: a run of lines not run (the comment at 42 does not break it); 48 alone;
     * the excluded 50 is no line at all */
    cr_assert_not_null(strstr(text, "    serve() never ran: 41-44, 48\n"), "%s", text);
    cr_assert_not_null(strstr(text, "    unused() never called: 61-62\n"), "%s", text);
    cr_assert_not_null(strstr(text, "\"odd\".c"), "%s", text);
}

Test(coverage, summary_of_a_file_nothing_ran, .timeout = 5)
{
    const char *text =
        summary("{\"files\": [{\"file\": \"labs/lab2-threads/threads.c\", \"functions\": "
                "[{\"name\": \"thread_map\", \"lineno\": 3, \"execution_count\": 0}], \"lines\": "
                "[{\"line_number\": 4, \"count\": 0}, {\"line_number\": 5, \"count\": 0}]}]}");

    cr_assert_not_null(strstr(text, "threads.c  lines   0.0% (0/2)  no branches\n"), "%s", text);
    cr_assert_not_null(strstr(text, "none of it ran"), "%s", text);
    cr_assert_null(strstr(text, "thread_map()"), "not every function again: %s", text);
}
