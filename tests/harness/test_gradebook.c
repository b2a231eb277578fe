/* test_gradebook.c: the CSV gradebook of a batch run, from its reports in memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "gradebook.h"
#include "gradebook_int.h"
#include "report.h"

static void add(struct report *r, const char *name, double score, double max, enum verdict v)
{
    struct item it = {.kind = ITEM_TEST, .score = score, .max_score = max, .verdict = v};

    snprintf(it.name, sizeof(it.name), "%s", name);
    cr_assert_not_null(report_add(r, &it));
}

/* The row of a report, which is freed right away: the gradebook keeps its own copy. */
static void add_row(struct gradebook *g, const char *submission, struct report *r)
{
    item_printf(&r->items[0], "an output the gradebook has no use for");
    cr_assert_eq(gradebook_add(g, submission, r), 0);
    report_free(r);
}

/* alice has a and b; bob has b, c ("odd, \"name\"") and an inconclusive d. */
static void two_rows(struct gradebook *g)
{
    struct report r;

    report_init(&r, "lab1", "t");
    add(&r, "a", 2, 2, V_PASS);
    add(&r, "b", 0, 3, V_FAIL);
    add_row(g, "alice", &r);
    report_init(&r, "lab1", "t");
    add(&r, "b", 3, 3, V_PASS);
    add(&r, "odd, \"name\"", 1.5, 2, V_PASS);
    add(&r, "d", 0, 3, V_INCONCLUSIVE);
    add_row(g, "bob, jr", &r);
}

static char *csv_of(const struct gradebook *g, int *rc)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    cr_assert_not_null(f);
    *rc = gradebook_write(g, f);
    cr_assert_eq(fclose(f), 0);
    return text;
}

Test(gradebook, rows_and_union_of_items, .timeout = 10)
{
    struct gradebook g = {0};
    char *csv;
    int rc;

    two_rows(&g);
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,a,b,\"odd, \"\"name\"\"\",d,notes\n"
                          "alice,lab1,2,5,2,0,,,\n"
                          "\"bob, jr\",lab1,4.5,8,,3,1.5,0,\"1 inconclusive (scored 0; rerun)\"\n");
    free(csv);
    gradebook_free(&g);
    cr_assert_eq(g.n, 0);
}

Test(gradebook, an_ungraded_submission_gets_an_error_row, .timeout = 10)
{
    struct gradebook g = {0};
    char *csv;
    int rc;

    two_rows(&g);
    cr_assert_eq(gradebook_add_error(&g, "carol", "lab2", "not graded (see the log)"), 0);
    cr_assert_eq(gradebook_add_error(&g, "dave", "lab1", "spec: no \"tests\", at all"), 0);
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0, "an ungraded submission does not fail the gradebook");
    cr_assert(strstr(csv, "\nalice,lab1,2,5,2,0,,,\n"), "%s", csv);
    cr_assert(strstr(csv, "\ncarol,lab2,,,,,,,error: not graded (see the log)\n"), "%s", csv);
    cr_assert(strstr(csv, "\ndave,lab1,,,,,,,\"error: spec: no \"\"tests\"\", at all\"\n"),
              "quoted: %s", csv);
    free(csv);
    gradebook_free(&g);
}

/* A run the grader itself failed (grade.c's harness_error: one item, 0/0) and a run with
 * an inconclusive speed cell: both rows say so in notes, neither reads as a plain fail. */
Test(gradebook, harness_error_row_and_inconclusive_cell, .timeout = 10)
{
    struct gradebook g = {0};
    struct report r;
    char *csv;
    int rc;

    report_init(&r, "lab2-threads", "t");
    add(&r, "thread_map::results_in_order", 2, 2, V_PASS);
    add(&r, "cook.threads", 0, 4, V_INCONCLUSIVE);
    r.items[1].kind = ITEM_SPEED;
    add_row(&g, "gil", &r);
    report_init(&r, "lab2-threads", "t");
    add(&r, "harness kitchen", 0, 0, V_ERROR);
    r.items[0].kind = ITEM_BUILD;
    add_row(&g, "hal", &r);
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,thread_map::results_in_order,"
                          "cook.threads,harness kitchen,notes\n"
                          "gil,lab2-threads,2,6,2,0,,\"1 inconclusive (scored 0; rerun)\"\n"
                          "hal,lab2-threads,0,0,,,0,\"1 harness errors (the grader's fault; "
                          "regrade)\"\n");
    free(csv);
    gradebook_free(&g);
}

Test(gradebook, harness_errors_are_counted_apart, .timeout = 10)
{
    struct gradebook g = {0};
    struct report r;
    char *csv;
    int rc;

    report_init(&r, "lab1", "t");
    add(&r, "a", 0, 2, V_ERROR);
    add(&r, "b", 0, 3, V_INCONCLUSIVE);
    add_row(&g, "fay", &r);
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,a,b,notes\n"
                          "fay,lab1,0,5,0,0,\"1 harness errors (the grader's fault; regrade); "
                          "1 inconclusive (scored 0; rerun)\"\n");
    free(csv);
    gradebook_free(&g);
}

/* As results.json has them: a duplicate name keeps the first score, a NaN is 0. */
Test(gradebook, duplicates_and_non_finite_scores, .timeout = 10)
{
    struct gradebook g = {0};
    struct report r;
    char *csv;
    int rc;

    report_init(&r, "lab1", "t");
    add(&r, "a", 1, 2, V_FAIL);
    add(&r, "a", 2, 2, V_PASS);
    add(&r, "b", NAN, INFINITY, V_FAIL);
    add_row(&g, "gus", &r);
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,a,b,notes\n"
                          "gus,lab1,0,0,1,0,1 duplicate item names (first kept)\n");
    free(csv);
    gradebook_free(&g);
}

Test(gradebook, python_csv_reads_it, .timeout = 10)
{
    struct gradebook g = {0};
    char path[] = "/tmp/test_gradebook.XXXXXX", cmd[512], *csv;
    int fd = mkstemp(path), rc;
    FILE *f = fdopen(fd, "w");

    cr_assert_not_null(f);
    two_rows(&g);
    cr_assert_eq(gradebook_write(&g, f), 0);
    cr_assert_eq(fclose(f), 0);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import csv,sys; r = list(csv.reader(open(sys.argv[1])));"
             "assert r[0][6] == \"odd, \\\"name\\\"\", r[0]; assert r[2][0] == \"bob, jr\";"
             "assert all(len(x) == 9 for x in r), r' %s",
             path);
    cr_assert_eq(system(cmd), 0, "python's csv module disagrees");
    unlink(path);
    gradebook_free(&g);
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,notes\n", "no rows: just the header");
    free(csv);
}

/* A batch folder's names are anyone's: a spreadsheet reads each as text, never as a
 * formula (OWASP's advice against CSV injection: a ' before =, +, -, @, a tab or a carriage
 * return; a field with a ';' quoted, for the spreadsheets that split rows there), and a row
 * stays one line (control characters as \xNN). */
Test(gradebook, names_are_neither_formulas_nor_line_breaks, .timeout = 10)
{
    static const char *const names[] = {"=cmd|x,\"y\"",
                                        "+1",
                                        "-2+3",
                                        "@SUM(A1)",
                                        "\tx",
                                        "\rx",
                                        "new\nline\033[31m",
                                        "o'neil=ok",
                                        "bel\a\033]0;title\a\rx",
                                        "m;=1+1;=cmd|' -C calc'!A0"};
    struct gradebook g = {0};
    struct report r;
    char *csv;
    int rc;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        report_init(&r, "lab1", "t");
        add(&r, "a", 1, 1, V_PASS);
        add_row(&g, names[i], &r);
    }
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,a,notes\n"
                          "\"'=cmd|x,\"\"y\"\"\",lab1,1,1,1,\n"
                          "'+1,lab1,1,1,1,\n"
                          "'-2+3,lab1,1,1,1,\n"
                          "'@SUM(A1),lab1,1,1,1,\n"
                          "'\\x09x,lab1,1,1,1,\n"
                          "'\\x0dx,lab1,1,1,1,\n"
                          "new\\x0aline\\x1b[31m,lab1,1,1,1,\n"
                          "o'neil=ok,lab1,1,1,1,\n"
                          "\"bel\\x07\\x1b]0;title\\x07\\x0dx\",lab1,1,1,1,\n"
                          "\"m;=1+1;=cmd|' -C calc'!A0\",lab1,1,1,1,\n");
    free(csv);
    gradebook_free(&g);
}

static char *summary_of(const struct gradebook *g); /* below */

/* An entry of the batch refused unread (a link): 0 points of what a grading is out of,
 * the reason in notes; the summary names it. */
Test(gradebook, a_refused_entry_scores_zero_and_says_why, .timeout = 10)
{
    struct gradebook g = {0};
    char *csv, *sum;
    int rc;

    two_rows(&g);
    cr_assert_eq(gradebook_add_refused(&g, "mallory2", "lab1", 8, "a link, not a folder: refused"),
                 0);
    cr_assert_eq(gradebook_add_refused(&g, "=x\n", "lab1", -1, "a link, not a folder: refused"), 0);
    csv = csv_of(&g, &rc);
    cr_assert_eq(rc, 0);
    cr_assert(strstr(csv, "\nmallory2,lab1,0,8,,,,,\"a link, not a folder: refused\"\n"), "%s",
              csv);
    cr_assert(strstr(csv, "\n'=x\\x0a,lab1,0,,,,,,\"a link, not a folder: refused\"\n"),
              "unknown maximum: left empty\n%s", csv);
    sum = summary_of(&g);
    cr_assert(strstr(sum, "- graded: 2 (full score: 0)\n- not graded: 2\n"
                          "- refused, nothing of them read (0 points): 2: mallory2 (a link, not a "
                          "folder: refused); =x\\\\x0a (a link, not a folder: refused)\n"),
              "%s", sum);
    free(csv), free(sum);
    gradebook_free(&g);
}

Test(gradebook, write_errors_are_reported, .timeout = 10)
{
    struct gradebook g = {0};
    FILE *f = fopen("/dev/full", "w");

    two_rows(&g);
    cr_assert_not_null(f);
    cr_assert_eq(gradebook_write(&g, f), -EIO);
    fclose(f);
    gradebook_free(&g);
}

/* ---- the summary ---- */

static char *summary_of(const struct gradebook *g)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    cr_assert_not_null(f);
    cr_assert_eq(gradebook_summary(g, f), 0);
    cr_assert_eq(fclose(f), 0);
    return text;
}

static void speed(struct report *r, const char *name, enum verdict v, const char *why)
{
    struct item it = {.kind = ITEM_SPEED, .max_score = 3, .verdict = v};

    snprintf(it.name, sizeof(it.name), "%s", name);
    if (why)
        item_printf(&it, "%s\nmore details\n", why);
    cr_assert_not_null(report_add(r, &it));
}

Test(gradebook, summary_histogram_failures_and_inconclusive, .timeout = 10)
{
    struct gradebook g = {0};
    struct report r;
    char *s;

    two_rows(&g); /* alice 2/5 (b fails), bob 4.5/8 (d inconclusive, no reason) */
    report_init(&r, "lab1", "t");
    add(&r, "a", 2, 2, V_PASS);
    add(&r, "b", 3, 3, V_PASS);
    speed(&r, "d", V_INCONCLUSIVE, "only 2 of 5 pairs were measured cleanly (need 4)");
    speed(&r, "e", V_INCONCLUSIVE, "only 3 of 5 pairs were measured cleanly (need 4)");
    cr_assert_eq(gradebook_add(&g, "cy", &r), 0);
    report_free(&r);
    report_init(&r, "lab1", "t");
    add(&r, "a", 2, 2, V_PASS);
    add(&r, "b", 3, 3, V_PASS);
    cr_assert_eq(gradebook_add(&g, "dee", &r), 0);
    report_free(&r);
    cr_assert_eq(gradebook_add_error(&g, "eve", "lab1", "no files"), 0);
    s = summary_of(&g);
    cr_assert_not_null(strstr(s, "# lab1: 5 submissions\n"), "%s", s);
    cr_assert_not_null(strstr(s, "- graded: 4 (full score: 1)\n- not graded: 1\n"), "%s", s);
    cr_assert_not_null(strstr(s, "  40-49%    2 ##\n"), "alice 2/5, cy 5/11:\n%s", s);
    cr_assert_not_null(strstr(s, "  50-59%    1 #\n"), "bob 4.5/8:\n%s", s);
    cr_assert_not_null(strstr(s, "    100%    1 #\n"), "dee 5/5:\n%s", s);
    cr_assert_not_null(strstr(s, "- b: 1 of 4 (fail 1)\n"), "%s", s);
    cr_assert_null(strstr(s, "- d: 1 of"), "inconclusive is not a failure:\n%s", s);
    cr_assert_not_null(strstr(s, "3 inconclusive cells in 2 submissions"), "%s", s);
    cr_assert_not_null(strstr(s, "- d: 2\n- e: 1\n"), "%s", s);
    cr_assert_not_null(
        strstr(s, "- 2: only # of # pairs were measured cleanly (need #)\n- 1: no reason given\n"),
        "%s", s);
    free(s);
    gradebook_free(&g);
}

Test(gradebook, summary_of_a_clean_batch, .timeout = 10)
{
    struct gradebook g = {0};
    struct report r;
    char *s;

    report_init(&r, "lab1", "t");
    add(&r, "a", 2, 2, V_PASS);
    cr_assert_eq(gradebook_add(&g, "ann", &r), 0);
    report_free(&r);
    s = summary_of(&g);
    cr_assert_not_null(strstr(s, "- none: every graded item passed"), "%s", s);
    cr_assert_not_null(strstr(s, "0 inconclusive cells in 0 submissions.\n"), "%s", s);
    free(s);
    gradebook_free(&g);
}

/* gradebook_int.h: the columns the CSV and the summary share, and a row's cell of one. */
Test(gradebook, columns_are_every_item_once_first_seen_first, .timeout = 10)
{
    struct gradebook g = {0};
    struct columns c = {0};

    two_rows(&g);
    cr_assert_eq(gradebook_columns(&g, &c), 0);
    cr_assert_eq(c.n, 4);
    cr_assert_str_eq(c.names[0], "a");
    cr_assert_str_eq(c.names[1], "b");
    cr_assert_str_eq(c.names[2], "odd, \"name\"");
    cr_assert_str_eq(c.names[3], "d");
    free(c.names);
    gradebook_free(&g);
}

Test(gradebook, find_cell_gives_the_first_and_counts_the_duplicates, .timeout = 10)
{
    struct gradebook g = {0};
    struct report r;
    const struct gradebook_cell *cell;
    size_t count;

    report_init(&r, "lab1", "t");
    add(&r, "a", 1, 2, V_FAIL);
    add(&r, "b", 2, 2, V_PASS);
    add(&r, "a", 2, 2, V_PASS);
    add_row(&g, "alice", &r);
    cell = gradebook_find_cell(&g.rows[0], "a", &count);
    cr_assert(cell && cell->score == 1 && cell->verdict == V_FAIL);
    cr_assert_eq(count, 2);
    cell = gradebook_find_cell(&g.rows[0], "b", &count);
    cr_assert(cell && cell->score == 2 && count == 1);
    cr_assert_null(gradebook_find_cell(&g.rows[0], "c", &count));
    cr_assert_eq(count, 0);
    gradebook_free(&g);
}
