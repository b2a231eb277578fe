/* test_gradescope.c: results.json's Gradescope fields (number, visibility, Markdown output,
 * leaderboard) and the Markdown of report_md.c. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "report.h"
#include "report_md.h"

static char *capture(void (*put)(FILE *, const char *), const char *s)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    cr_assert_not_null(f);
    put(f, s);
    cr_assert_eq(fclose(f), 0);
    return text;
}

static void make_report(struct report *r)
{
    struct item items[] = {
        {.name = "build", .kind = ITEM_BUILD, .score = 1, .max_score = 1, .verdict = V_PASS},
        {.name = "cook::a",
         .kind = ITEM_TEST,
         .max_score = 2,
         .verdict = V_FAIL,
         .hint = "compare with `ref` *carefully*"},
        {.name = "cook::b", .kind = ITEM_TEST, .score = 2, .max_score = 2, .verdict = V_PASS},
        {.name = "cook.threads",
         .kind = ITEM_SPEED,
         .score = 4,
         .max_score = 4,
         .verdict = V_PASS,
         .measured = "1.90x",
         .expected = ">= 1.50x",
         .fig = {.set = true, .med = 1.9, .want_ge = 1.5}},
        {.name = "shared_total", .kind = ITEM_RACE, .max_score = 4, .verdict = V_CRASH},
        {.name = "serve.threads", .kind = ITEM_SPEED, .max_score = 4, .verdict = V_INCONCLUSIVE},
    };

    report_init(r, "lab2-threads", "Threads | pipes");
    r->seed = 5;
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
        report_add(r, &items[i]);
    item_printf(&r->items[1], "got ```41``` and <b>bold</b>\n");
    item_printf(&r->items[5], "this machine lets the grader use 0.50 of a core\ndetail\n");
}

Test(gradescope, numbers_by_kind_in_order)
{
    struct report r;
    char num[32];
    const char *want[] = {"1.1", "2.1", "2.2", "4.1", "3.1", "4.2"};

    make_report(&r);
    for (size_t i = 0; i < r.n; i++) {
        md_number(&r, i, num, sizeof(num));
        cr_assert_str_eq(num, want[i], "item %zu", i);
    }
    report_free(&r);
}

Test(gradescope, text_is_escaped_and_code_cannot_be_closed)
{
    char *t = capture(md_put_text, "a*b_c `d` [e](f) <g> | h\ni");
    char *c = capture(md_put_code, "x\n````\ny");

    cr_assert_str_eq(t, "a\\*b\\_c \\`d\\` \\[e\\](f) \\<g\\> \\| h i");
    cr_assert(!strncmp(c, "`````text\nx\n````\ny\n`````\n", 40), "the fence outgrows ````: %s", c);
    free(t);
    t = capture(md_put_text, "new\nline\033[31mred\ttab\x7f"); /* a batch folder's name */
    cr_assert_str_eq(t, "new line\\x1b\\[31mred\\x09tab\\x7f", "control characters as text");
    free(t);
    free(c);
    c = capture(md_put_code, "plain");
    cr_assert_str_eq(c, "```text\nplain\n```\n");
    free(c);
    /* a compiler's words, the student's #error (red team 12, build_log_escape): escape
     * sequences, a right-to-left override and a C1 control shown, never acting; a tab, line
     * breaks and other characters (a degree sign) kept */
    c = capture(md_put_code, "\033[2K\033[1A[PASS]\t\xe2\x80\xae"
                             "cexe.png\n\xc2\x9b"
                             "31m\xff 20\xc2\xb0");
    cr_assert_str_eq(c,
                     "```text\n\\x1b[2K\\x1b[1A[PASS]\t\\u{202E}cexe.png\n\\xc2\\x9b31m\\xff "
                     "20\xc2\xb0\n```\n",
                     "%s", c);
    free(c);
    t = capture(md_put_text, "a\xe2\x80\xae"
                             "b");
    cr_assert_str_eq(t, "a\\u{202E}b");
    free(t);
}

Test(gradescope, item_and_run_markdown)
{
    struct report r;
    char *fail, *inc, *run;

    make_report(&r);
    fail = md_item_text(&r.items[1]);
    inc = md_item_text(&r.items[5]);
    run = md_run_text(&r);
    cr_assert(!strncmp(fail, "**fail**\n\n- hint: compare with \\`ref\\` \\*carefully\\*\n", 52),
              "%s", fail);
    cr_assert(strstr(fail, "````text\ngot ```41``` and <b>bold</b>\n````\n"), "%s", fail);
    cr_assert(!strncmp(inc, "**INCONCLUSIVE**: this machine lets the grader use 0.50", 55), "%s",
              inc);
    cr_assert(strstr(inc, "It is not a fail.") && strstr(inc, "```text\ndetail\n```"), "%s", inc);
    cr_assert(strstr(run, "**lab2\\-threads**") == NULL, "a dash needs no escape: %s", run);
    cr_assert(strstr(run, "**: Threads \\| pipes, 7/17 points"), "%s", run);
    cr_assert(strstr(run, "| 4.2 | serve.threads | inconclusive | 0/4 |  |  |"), "%s", run);
    cr_assert(strstr(run, "**1 inconclusive cell scores 0 this run**"), "%s", run);
    free(fail);
    free(inc);
    free(run);
    report_free(&r);
}

Test(gradescope, visibility_by_kind_name_or_all)
{
    struct item speed = {.name = "cook.threads", .kind = ITEM_SPEED};
    struct item test = {.name = "cook::a", .kind = ITEM_TEST};

    cr_assert_str_eq(results_visibility(NULL, &speed), "visible");
    cr_assert_str_eq(results_visibility("speed=after_due_date", &speed), "after_due_date");
    cr_assert_str_eq(results_visibility("speed=after_due_date", &test), "visible");
    cr_assert_str_eq(results_visibility("all=hidden,test=visible", &test), "visible");
    cr_assert_str_eq(results_visibility("all=hidden,test=visible", &speed), "hidden");
    cr_assert_str_eq(results_visibility("cook.threads=after_published", &speed), "after_published");
    cr_assert_str_eq(results_visibility("speed=soon,speed", &speed), "visible",
                     "a word Gradescope does not know is ignored");
}

Test(gradescope, results_json_fields, .timeout = 15)
{
    struct report r;
    char dir[] = "/tmp/gradescope-XXXXXX", path[64], cmd[2048];

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/r.json", dir);
    make_report(&r);
    setenv(RESULTS_VISIBILITY_ENV, "speed=after_due_date", 1);
    cr_assert_eq(report_write_json(&r, path), 0);
    unsetenv(RESULTS_VISIBILITY_ENV);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json, sys\n"
             "d = json.load(open(sys.argv[1]))\n"
             "assert d[\"output_format\"] == d[\"test_output_format\"] == \"md\", d\n"
             "t = d[\"tests\"]\n"
             "assert [x[\"number\"] for x in t] == [\"1.1\", \"2.1\", \"2.2\", \"4.1\", \"3.1\", "
             "\"4.2\"]\n"
             "v = [x[\"visibility\"] for x in t]\n"
             "assert v == [\"visible\"] * 3 + [\"after_due_date\", \"visible\", "
             "\"after_due_date\"], v\n"
             "assert all(x[\"output_format\"] == \"md\" for x in t)\n"
             "assert t[1][\"output\"].startswith(\"**fail**\"), t[1]\n"
             "lb = d[\"leaderboard\"]\n"
             "assert lb == [{\"name\": \"cook.threads\", \"value\": 1.9, \"order\": \"desc\"},\n"
             "              {\"name\": \"serve.threads\", \"value\": 0, \"order\": \"desc\"}], lb\n"
             "assert d[\"extra_data\"][\"seed\"] == 5, d[\"extra_data\"]\n"
             "' %s && rm -rf %s",
             path, dir);
    cr_assert_eq(system(cmd), 0, "the python checks failed");
    report_free(&r);
}
