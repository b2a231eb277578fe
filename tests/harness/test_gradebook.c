/* test_gradebook.c: the CSV gradebook from results.json files of a batch run. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "gradebook.h"
#include "report.h"

static char dir[] = "/tmp/test_gradebook.XXXXXX";

static char *path_of(const char *sub, const char *file)
{
    char *p;

    cr_assert(asprintf(&p, "%s/batch/%s/%s", dir, sub, file) > 0);
    return p;
}

static void add(struct report *r, const char *name, double score, double max, enum verdict v)
{
    struct item it = {.kind = ITEM_TEST, .score = score, .max_score = max, .verdict = v};

    snprintf(it.name, sizeof(it.name), "%s", name);
    cr_assert_not_null(report_add(r, &it));
}

/* alice has a and b; bob has b, c ("odd, \"name\"") and an inconclusive d. */
static void write_batch(char **paths)
{
    struct report r;

    cr_assert_not_null(mkdtemp(dir));
    report_init(&r, "lab1", "t");
    add(&r, "a", 2, 2, V_PASS);
    add(&r, "b", 0, 3, V_FAIL);
    cr_assert_eq(report_write_json(&r, paths[0] = path_of("alice", "lab1.json")), 0);
    report_free(&r);
    report_init(&r, "lab1", "t");
    add(&r, "b", 3, 3, V_PASS);
    add(&r, "odd, \"name\"", 1.5, 2, V_PASS);
    add(&r, "d", 0, 3, V_INCONCLUSIVE);
    cr_assert_eq(report_write_json(&r, paths[1] = path_of("bob, jr", "lab1.json")), 0);
    report_free(&r);
}

static void cleanup(char **paths, size_t n, char *csv)
{
    char cmd[128];

    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(csv);
    snprintf(cmd, sizeof(cmd), "rm -rf -- %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static void write_text(const char *path, const char *text)
{
    FILE *f;
    char *slash = strrchr(path, '/'), *parent = strndup(path, (size_t)(slash - path));

    mkdir(parent, 0755);
    free(parent);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

static char *gradebook(char **paths, size_t n, int *rc)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    cr_assert_not_null(f);
    *rc = gradebook_write(paths, n, f);
    cr_assert_eq(fclose(f), 0);
    return text;
}

Test(gradebook, rows_and_union_of_items, .timeout = 10)
{
    char *paths[2], *csv;
    int rc;

    write_batch(paths);
    csv = gradebook(paths, 2, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,a,b,\"odd, \"\"name\"\"\",d,notes\n"
                          "alice,lab1,2,5,2,0,,,\n"
                          "\"bob, jr\",lab1,4.5,8,,3,1.5,0,1 inconclusive (scored 0; rerun)\n");
    cleanup(paths, 2, csv);
}

Test(gradebook, a_bad_file_gets_an_error_row, .timeout = 10)
{
    char *paths[5], *csv;
    int rc;

    write_batch(paths);
    paths[2] = path_of("carol", "lab2.json");
    write_text(paths[2], "{\"score\": 1,\n \"tests\": [oops]}");
    paths[3] = path_of("dave", "lab1.json");
    write_text(paths[3], "{\"score\": 1}");
    paths[4] = path_of("erin", "lab1.json"); /* never written */
    csv = gradebook(paths, 5, &rc);
    cr_assert_eq(rc, 0, "one bad file does not fail the gradebook");
    cr_assert(strstr(csv, "\nalice,lab1,2,5,2,0,,,\n"), "%s", csv);
    cr_assert(strstr(csv, "\ncarol,lab2,,,,,,,error: 2:12: unexpected character 'o'\n"), "%s", csv);
    cr_assert(strstr(csv, "\ndave,lab1,,,,,,,\"error: "), "%s", csv);
    cr_assert(strstr(csv, "no \"\"tests\"\" array\"\n"), "quoted: %s", csv);
    cr_assert(strstr(csv, "\nerin,lab1,,,,,,,error: "), "%s", csv);
    cr_assert(strstr(csv, "No such file or directory\n"), "%s", csv);
    cleanup(paths, 5, csv);
}

Test(gradebook, python_csv_reads_it, .timeout = 10)
{
    char *paths[2], *csv, *out;
    char cmd[512];
    int rc;
    FILE *f;

    write_batch(paths);
    cr_assert(asprintf(&out, "%s/grades.csv", dir) > 0);
    f = fopen(out, "w");
    cr_assert_not_null(f);
    cr_assert_eq(gradebook_write(paths, 2, f), 0);
    cr_assert_eq(fclose(f), 0);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import csv,sys; r = list(csv.reader(open(sys.argv[1])));"
             "assert r[0][6] == \"odd, \\\"name\\\"\", r[0]; assert r[2][0] == \"bob, jr\";"
             "assert all(len(x) == 9 for x in r), r' %s",
             out);
    cr_assert_eq(system(cmd), 0, "python's csv module disagrees");
    csv = gradebook(paths, 0, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,notes\n", "no files: just the header");
    free(out);
    cleanup(paths, 2, csv);
}

Test(gradebook, write_errors_are_reported, .timeout = 10)
{
    char *paths[2];
    FILE *f = fopen("/dev/full", "w");

    write_batch(paths);
    cr_assert_not_null(f);
    cr_assert_eq(gradebook_write(paths, 2, f), -EIO);
    fclose(f);
    cleanup(paths, 2, NULL);
}

Test(gradebook, harness_errors_are_counted_apart, .timeout = 10)
{
    char *paths[1], *csv;
    struct report r;
    int rc;

    cr_assert_not_null(mkdtemp(dir));
    report_init(&r, "lab1", "t");
    add(&r, "a", 0, 2, V_ERROR);
    add(&r, "b", 0, 3, V_INCONCLUSIVE);
    cr_assert_eq(report_write_json(&r, paths[0] = path_of("fay", "lab1.json")), 0);
    report_free(&r);
    csv = gradebook(paths, 1, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(csv, "submission,lab,score,max_score,a,b,notes\n"
                          "fay,lab1,0,5,0,0,1 harness errors (the grader's fault; regrade); "
                          "1 inconclusive (scored 0; rerun)\n");
    cleanup(paths, 1, csv);
}
