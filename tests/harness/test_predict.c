/* test_predict.c: predictions.txt read, and shown beside the measured speed cells. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "predict.h"

Test(predict, lines_read)
{
    struct predictions ps;

    predict_parse("# a comment\n"
                  "cook.threads = 1.9x   # P = 2\n"
                  "  serve.threads=7.5\n"
                  "cook.threads.cpuwall =\n"
                  "\n"
                  "cook.skewed = fast\n"
                  "= 3\n"
                  "serve.x = -1\n",
                  &ps);
    cr_assert_eq(ps.n, 2);
    cr_assert_str_eq(ps.p[0].name, "cook.threads");
    cr_assert_float_eq(ps.p[0].value, 1.9, 1e-9);
    cr_assert_eq(ps.p[0].line, 2);
    cr_assert_str_eq(ps.p[1].name, "serve.threads");
    cr_assert_float_eq(ps.p[1].value, 7.5, 1e-9);
    cr_assert_eq(ps.blank, 1);
    cr_assert_eq(ps.nbad, 3, "a word, no name, a negative figure: %d", ps.nbad);
    cr_assert_eq(ps.bad_lines[0], 6);
}

Test(predict, off_by_a_factor_with_a_floor)
{
    cr_assert_float_eq(predict_off(2, 8), 4, 1e-9);
    cr_assert_float_eq(predict_off(8, 2), 4, 1e-9);
    cr_assert_float_eq(predict_off(0.01, 0.03), 1, 1e-9, "both below the floor: close");
    cr_assert_float_eq(predict_off(0, 1), 20, 1e-9);
}

static struct item cell(const char *name, double med, double cpuwall)
{
    struct item it = {.kind = ITEM_SPEED, .verdict = V_PASS};

    snprintf(it.name, sizeof(it.name), "%s", name);
    it.fig = (struct figure){.set = true, .med = med, .cpuwall = cpuwall};
    return it;
}

/* The table predict_print writes for `text` as the folder's predictions.txt. */
static char *table(struct report *r, const char *text, int *off)
{
    static char out[4096];
    char dir[] = "/tmp/test_predict_XXXXXX", path[64];
    FILE *f;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, PREDICT_FILE);
    if (text) {
        f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
    }
    f = fmemopen(out, sizeof(out), "w");
    *off = predict_print(r, dir, f);
    fclose(f);
    unlink(path);
    rmdir(dir);
    return out;
}

Test(predict, beside_the_cells_and_off_named)
{
    struct report r;
    struct item a = cell("cook.threads", 1.96, 1.97), b = cell("serve.threads", 7.8, 0.02);
    struct item c = {.kind = ITEM_SPEED, .verdict = V_INCONCLUSIVE, .name = "cook.skewed"};
    int off;

    report_init(&r, "lab2-threads", "t");
    report_add(&r, &a);
    report_add(&r, &b);
    report_add(&r, &c);
    char *t = table(&r,
                    "cook.threads = 2\ncook.threads.cpuwall = 0.5\nserve.threads = 2\n"
                    "serve.threads.cpuwall = 0.04\ncook.skewed = 1.5\n",
                    &off);
    cr_assert_eq(off, 2, "cpuwall 0.5 vs 1.97 and 2 vs 7.8 are off:\n%s", t);
    cr_assert(strstr(t, "cook.threads                 2.00x     1.96x\n"), "%s", t);
    cr_assert(strstr(t, "cook.threads.cpuwall         0.50      1.97    off by more than 2x "
                        "(3.9x too low)"),
              "%s", t);
    cr_assert(strstr(t, "serve.threads                2.00x     7.80x   off by more than 2x"), "%s",
              t);
    cr_assert(strstr(t, "serve.threads.cpuwall        0.04      0.02\n"), "under the floor: %s", t);
    cr_assert(strstr(t, "cook.skewed                  1.50x   not measured (inconclusive)"), "%s",
              t);
    cr_assert(strstr(t, "2 predictions were off by more than 2x"), "%s", t);
    report_free(&r);
}

Test(predict, nothing_without_a_file_or_cells)
{
    struct report r;
    struct item a = cell("cook.seq", 1, 1);
    int off;

    report_init(&r, "lab1-baselines", "t");
    cr_assert_str_eq(table(&r, "cook.seq = 1\n", &off), "", "no speed cell, no table");
    cr_assert_eq(off, -1);
    report_add(&r, &a);
    cr_assert_str_eq(table(&r, NULL, &off), "", "no file, no table");
    cr_assert_eq(off, -1);
    char *t = table(&r, "cook.seq =\ncook.seq.cpuwall =\n", &off);
    cr_assert(strstr(t, "none yet: fill in predictions.txt before you measure (2 lines"), "%s", t);
    cr_assert_eq(off, 0);
    report_free(&r);
}

Test(predict, a_link_a_fifo_and_escapes_are_not_read)
{
    struct report r;
    struct item a = cell("cook.seq", 1, 1);
    char dir[] = "/tmp/test_predict_XXXXXX", path[64], secret[64];
    char out[4096];
    FILE *f;
    int off;

    report_init(&r, "lab1-baselines", "t");
    report_add(&r, &a);
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, PREDICT_FILE);
    snprintf(secret, sizeof(secret), "%s/secret", dir);
    f = fopen(secret, "w");
    fputs("cook.seq = 1\nTOPSECRET_KEY = 4\n", f);
    fclose(f);
    /* a link to another file (a file of the kit): not followed, nothing of it shown */
    cr_assert_eq(symlink(secret, path), 0);
    f = fmemopen(out, sizeof(out), "w");
    off = predict_print(&r, dir, f);
    fclose(f);
    cr_assert_eq(off, -1, "a link is no predictions file:\n%s", out);
    cr_assert_null(strstr(out, "TOPSECRET"), "%s", out);
    unlink(path);
    /* a FIFO nobody writes: opened without waiting, refused (the grader must not hang) */
    cr_assert_eq(mkfifo(path, 0600), 0);
    f = fmemopen(out, sizeof(out), "w");
    off = predict_print(&r, dir, f);
    fclose(f);
    cr_assert_eq(off, -1, "a FIFO is no predictions file");
    unlink(path);
    /* a name with a terminal escape: a bad line, nothing of it printed */
    char *t = table(&r, "\x1b]0;owned\x07\x1b[2Jcook.seq = 1\ncook.seq = 1\n", &off);
    cr_assert_null(strchr(t, '\x1b'), "%s", t);
    cr_assert(strstr(t, "1 line of predictions.txt read as no `cell = number` (line 1 first)"),
              "%s", t);
    unlink(secret);
    rmdir(dir);
    report_free(&r);
}
