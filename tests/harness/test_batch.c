/* test_batch.c: which folders of a batch are submissions, and where a lab's files lie. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "batch.h"

static char dir[64];

static void at(const char *rel, bool folder)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    if (folder)
        cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
    else
        close(open(p, O_CREAT | O_WRONLY, 0644));
}

static void init(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_batch.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void fini(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

TestSuite(batch, .init = init, .fini = fini);

Test(batch, submissions_sorted_without_hidden_or_files)
{
    char **names;

    at("zoe", true), at("adam", true), at(".git", true), at("notes.txt", false);
    cr_assert_eq(batch_list(dir, &names), 2);
    cr_assert_str_eq(names[0], "adam");
    cr_assert_str_eq(names[1], "zoe");
    free(names[0]), free(names[1]), free(names);
}

Test(batch, empty_and_missing)
{
    char **names, missing[128];

    cr_assert_eq(batch_list(dir, &names), 0);
    free(names);
    snprintf(missing, sizeof(missing), "%s/none", dir);
    cr_assert_eq(batch_list(missing, &names), -ENOENT);
}

Test(batch, lab_files_found_where_a_student_put_them)
{
    char sub[128], src[256], want[256];

    snprintf(sub, sizeof(sub), "%s/s", dir);
    at("s", true);
    batch_src(sub, "lab1-x", src, sizeof(src));
    cr_assert_str_eq(src, sub, "the submission itself");
    at("s/lab1-x", true);
    batch_src(sub, "lab1-x", src, sizeof(src));
    snprintf(want, sizeof(want), "%s/lab1-x", sub);
    cr_assert_str_eq(src, want);
    at("s/labs", true), at("s/labs/lab1-x", true);
    batch_src(sub, "lab1-x", src, sizeof(src));
    snprintf(want, sizeof(want), "%s/labs/lab1-x", sub);
    cr_assert_str_eq(src, want, "the kit's own layout first");
}

Test(batch, a_planted_link_is_not_followed)
{
    char sub[128], src[256], link[256];

    snprintf(sub, sizeof(sub), "%s/s", dir);
    at("s", true), at("elsewhere", true);
    snprintf(link, sizeof(link), "%s/lab1-x", sub);
    cr_assert_eq(symlink("../elsewhere", link), 0);
    batch_src(sub, "lab1-x", src, sizeof(src));
    cr_assert_str_eq(src, sub);
}
