/* test_box.c: removing a box whatever its depth, never through a link; reading a student's
 * file only when no link lies on its way below the graded folder. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "box.h"

static char tmp[] = "/tmp/test_box.XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    char cmd[200];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(box, .init = setup, .fini = teardown);

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* The red team's deep_tree_leftover: 2,300 nested folders in the run folder, past PATH_MAX,
 * which nftw() could not remove. Here 3,000, a file and links at the bottom. */
Test(box, a_tree_deeper_than_path_max_is_removed)
{
    char box[300], keep[300], path[400];
    int fd;

    snprintf(box, sizeof(box), "%s/box", tmp);
    snprintf(keep, sizeof(keep), "%s/keep", tmp);
    cr_assert_eq(mkdir(keep, 0700), 0);
    snprintf(path, sizeof(path), "%s/precious", keep);
    put(path, "kept\n");
    cr_assert_eq(mkdir(box, 0700), 0);
    fd = open(box, O_RDONLY | O_DIRECTORY);
    cr_assert_geq(fd, 0);
    for (int i = 0; i < 3000; i++) {
        int next;
        cr_assert_eq(mkdirat(fd, "dd", 0700), 0, "level %d: %s", i, strerror(errno));
        if (i % 500 == 0) /* files and a link on the way */
            cr_assert_eq(symlinkat(keep, fd, "to_keep"), 0);
        next = openat(fd, "dd", O_RDONLY | O_DIRECTORY);
        cr_assert_geq(next, 0);
        close(fd);
        fd = next;
    }
    cr_assert_eq(symlinkat(keep, fd, "link_to_keep"), 0);
    int f = openat(fd, "file", O_WRONLY | O_CREAT, 0600);
    cr_assert_geq(f, 0);
    close(f);
    cr_assert_eq(mkdirat(fd, "locked", 0), 0); /* mode 0: root removes it; a user too (empty) */
    close(fd);

    cr_assert_eq(box_remove(box), 0);
    cr_assert_eq(access(box, F_OK), -1, "nothing of the box is left");
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(access(path, F_OK), 0, "what the links pointed at is still there");
    cr_assert_eq(box_remove(box), 0, "an absent box is nothing to remove");
    cr_assert_eq(box_remove(""), 0);
}

Test(box, a_link_given_as_the_box_is_removed_not_followed)
{
    char keep[300], link[300], path[400];

    snprintf(keep, sizeof(keep), "%s/keep", tmp);
    snprintf(link, sizeof(link), "%s/link", tmp);
    snprintf(path, sizeof(path), "%s/precious", keep);
    cr_assert_eq(mkdir(keep, 0700), 0);
    put(path, "kept\n");
    cr_assert_eq(symlink(keep, link), 0);
    cr_assert_eq(box_remove(link), 0);
    cr_assert_eq(access(path, F_OK), 0);
}

/* The red team's batch3/mallory: lab4-gil -> ../alice/lab4-gil in a lab 6 submission. */
Test(box, no_link_is_followed_below_the_graded_folder)
{
    char p[300], to[300], buf[64] = {0};
    int fd;

    snprintf(p, sizeof(p), "%s/alice", tmp);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/alice/lab4-gil", tmp);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/alice/lab4-gil/gil.c", tmp);
    put(p, "alice's\n");
    snprintf(p, sizeof(p), "%s/mallory", tmp);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/mallory/lab4-gil", tmp);
    cr_assert_eq(symlink("../alice/lab4-gil", p), 0);
    snprintf(p, sizeof(p), "%s/mallory/own.c", tmp);
    put(p, "mallory's\n");
    snprintf(p, sizeof(p), "%s/mallory/cook.c", tmp);
    cr_assert_eq(symlink("../alice/lab4-gil/gil.c", p), 0);
    snprintf(p, sizeof(p), "%s/mallory/sub", tmp);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/mallory/sub/deep.c", tmp);
    put(p, "deep\n");
    snprintf(to, sizeof(to), "%s/copy", tmp);

    snprintf(p, sizeof(p), "%s/mallory", tmp);
    errno = 0;
    cr_assert_lt(box_open_below(p, "lab4-gil/gil.c"), 0, "a linked folder on the way");
    cr_assert(errno == ELOOP || errno == ENOTDIR, "%s", strerror(errno));
    cr_assert_lt(box_copy_below(p, "lab4-gil/gil.c", to, 0644), 0);
    cr_assert_neq(access(to, F_OK), 0, "nothing copied");
    cr_assert_lt(box_open_below(p, "cook.c"), 0, "a linked file");
    cr_assert_lt(box_open_below(p, "../alice/lab4-gil/gil.c"), 0, "no way up");
    cr_assert_lt(box_open_below(p, "./own.c"), 0);
    cr_assert_eq(box_copy_below(p, "own.c", to, 0644), 0);
    cr_assert_eq(box_copy_below(p, "sub/deep.c", to, 0644), 0, "plain folders are fine");
    fd = open(to, O_RDONLY);
    cr_assert_geq(fd, 0);
    cr_assert_gt(read(fd, buf, sizeof(buf) - 1), 0);
    close(fd);
    cr_assert_str_eq(buf, "deep\n");
    /* the folder the instructor named may itself be a link (a batch's folder) */
    snprintf(p, sizeof(p), "%s/named", tmp);
    cr_assert_eq(symlink("alice", p), 0);
    cr_assert_eq(box_copy_below(p, "lab4-gil/gil.c", to, 0644), 0);
}

/* A student's file over BOX_SRC_MAX is refused before a byte is copied (-EFBIG): the grader
 * copies as root, outside the jail's limits, and a sparse file of 3 GiB (4 KiB on the disk)
 * became 3 GiB of real blocks in the box, filling /tmp under a neighbour's grading (red team
 * 12, sparse_huge_source). One of exactly BOX_SRC_MAX bytes is copied whole. */
Test(box, a_source_over_the_limit_is_not_copied)
{
    char big[300], to[300];
    struct stat st;
    int fd;

    snprintf(big, sizeof(big), "%s/huge.c", tmp);
    snprintf(to, sizeof(to), "%s/copy.c", tmp);
    fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, 3LL << 30), 0, "a sparse file of 3 GiB");
    close(fd);
    cr_assert_eq(box_copy_below(tmp, "huge.c", to, 0644), -EFBIG);
    cr_assert_neq(access(to, F_OK), 0, "nothing copied");
    cr_assert_eq(truncate(big, BOX_SRC_MAX + 1), 0);
    cr_assert_eq(box_copy_below(tmp, "huge.c", to, 0644), -EFBIG, "one byte over");
    cr_assert_neq(access(to, F_OK), 0, "nothing copied");
    cr_assert_eq(truncate(big, BOX_SRC_MAX), 0);
    cr_assert_eq(box_copy_below(tmp, "huge.c", to, 0644), 0, "the limit itself is allowed");
    cr_assert(stat(to, &st) == 0 && st.st_size == BOX_SRC_MAX, "copied whole");
    unlink(big);
    unlink(to);
}

/* Each run gets a folder of its own (correct.c: each test; race.c; trial.c: each bench
 * trial): fresh, empty, under the box, mode 0700, never one an earlier run left (a warm-up's
 * cache; red team, bind_socket_files: a socket file bound in a shared run folder carried a
 * value from one test to the next). */
Test(box, each_run_gets_a_fresh_folder)
{
    char a[256], b[256], left[300];
    struct stat st;

    cr_assert_eq(box_run_folder(tmp, a, sizeof(a)), 0);
    cr_assert_eq(strncmp(a, tmp, strlen(tmp)), 0, "%s is not under %s", a, tmp);
    cr_assert_eq(stat(a, &st), 0);
    cr_assert(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "mode %o", st.st_mode);
    snprintf(left, sizeof(left), "%s/rt8-4242", a);
    put(left, "carried");
    cr_assert_eq(box_run_folder(tmp, b, sizeof(b)), 0);
    cr_assert_str_neq(a, b, "two runs share %s", a);
    cr_assert_eq(stat(b, &st), 0);
    cr_assert(S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "mode %o", st.st_mode);
    snprintf(left, sizeof(left), "%s/rt8-4242", b);
    cr_assert_neq(access(left, F_OK), 0, "the next run's folder holds what the last left");
    cr_assert_eq(box_remove(a), 0);
    cr_assert_neq(access(a, F_OK), 0);
    cr_assert_eq(box_run_folder(tmp, a, 8), -ENAMETOOLONG);
}
