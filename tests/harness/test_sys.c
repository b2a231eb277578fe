/* test_sys.c: the grader's clocks, its whole-file reader, its mkdir -p. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "box.h"
#include "sys.h"

static char path[] = "/tmp/test_sys.XXXXXX";

static void write_file(const char *text, size_t len)
{
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void fini(void)
{
    unlink(path);
}

static void spin(double s)
{
    double t0 = sys_now();
    volatile unsigned long x = 0;

    while (sys_now() - t0 < s)
        x++;
}

Test(sys, clocks_move, .timeout = 10)
{
    double t0 = sys_now(), c0 = sys_self_cpu(), th0 = sys_clock(CLOCK_THREAD_CPUTIME_ID);

    spin(0.05);
    cr_assert_geq(sys_now() - t0, 0.05);
    /* the CPU clocks: spin until this thread has had 20 ms of CPU (a busy machine gives it
     * less than a fifth of 50 ms of wall: CI once saw under 10 ms), 5 s at most */
    for (double t1 = sys_now();
         sys_clock(CLOCK_THREAD_CPUTIME_ID) - th0 < 0.02 && sys_now() - t1 < 5;)
        spin(0.001);
    cr_assert_gt(sys_self_cpu() - c0, 0.01);
    cr_assert_gt(sys_clock(CLOCK_THREAD_CPUTIME_ID) - th0, 0.01);
    cr_assert_float_eq(sys_now(), sys_clock(CLOCK_MONOTONIC), 0.01);
}

Test(sys, slurp_whole_and_capped, .fini = fini)
{
    size_t len = 1;
    char *text;

    write_file("hello\nworld\n", 12);
    text = sys_slurp(path, SIZE_MAX, &len);
    cr_assert_str_eq(text, "hello\nworld\n");
    cr_assert_eq(len, 12);
    free(text);
    text = sys_slurp(path, 5, &len);
    cr_assert_str_eq(text, "hello");
    cr_assert_eq(len, 5);
    free(text);
    text = sys_slurp(path, 0, NULL);
    cr_assert_str_eq(text, "");
    free(text);
}

Test(sys, slurp_large_and_with_nul_bytes, .fini = fini)
{
    size_t n = 100000, len;
    char *big = malloc(n), *text;

    for (size_t i = 0; i < n; i++)
        big[i] = i == 7 ? '\0' : 'a' + i % 26;
    write_file(big, n);
    text = sys_slurp(path, SIZE_MAX, &len);
    cr_assert_eq(len, n, "len counts past a NUL byte");
    cr_assert_eq(memcmp(text, big, n), 0);
    cr_assert_eq(text[n], '\0');
    free(text);
    text = sys_slurp(path, 4097, &len);
    cr_assert_eq(len, 4097);
    cr_assert_eq(memcmp(text, big, 4097), 0);
    free(text);
    free(big);
}

/* sys_file_size(): a regular file's bytes; -1 for none, NULL, a folder or a link */
Test(sys, file_size)
{
    char path[] = "/tmp/test_sys_size_XXXXXX", link[64];
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "12345", 5), 5);
    close(fd);
    snprintf(link, sizeof(link), "%s.link", path);
    cr_assert_eq(symlink(path, link), 0);
    cr_assert_eq(sys_file_size(path), 5);
    cr_assert_eq(sys_file_size(link), -1, "a link is not followed");
    cr_assert_eq(sys_file_size("/tmp"), -1, "a folder");
    cr_assert_eq(sys_file_size(NULL), -1);
    unlink(link);
    unlink(path);
    cr_assert_eq(sys_file_size(path), -1, "gone");
}

Test(sys, slurp_missing)
{
    cr_assert_null(sys_slurp("/nonexistent/file", 100, NULL));
}

/* A submission's folder name is any bytes: ' " $ ` ; a space, a newline are made (and
 * emptied again) as names, never read by a shell (a folder "o'brien" once could not be
 * built, and "x';touch y;'" would have run touch). */
Test(sys, mkdirs_takes_any_name_and_box_remove_empties_it, .timeout = 10)
{
    char top[] = "/tmp/test_sys_dirs.XXXXXX", dir[512], file[600];
    static const char odd[] = "o'brien \"$(touch pwned)`touch pwned`;touch pwned\nx";
    struct stat st;

    cr_assert_not_null(mkdtemp(top));
    snprintf(dir, sizeof(dir), "%s/a//%s/lab1/logs", top, odd);
    cr_assert_eq(sys_mkdirs(dir, 0755), 0);
    cr_assert_eq(sys_mkdirs(dir, 0755), 0, "made again: nothing to do");
    cr_assert_eq(stat(dir, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    snprintf(file, sizeof(file), "%s/f", dir);
    close(open(file, O_CREAT | O_WRONLY, 0644));
    snprintf(file, sizeof(file), "%s/f/g", dir);
    cr_assert_eq(sys_mkdirs(file, 0755), -ENOTDIR, "a file on the way");
    cr_assert_eq(access("pwned", F_OK), -1, "nothing ran");
    snprintf(dir, sizeof(dir), "%s/a/%s", top, odd);
    cr_assert_eq(box_remove(dir), 0);
    cr_assert_eq(lstat(dir, &st), -1);
    snprintf(dir, sizeof(dir), "%s/a", top);
    cr_assert_eq(rmdir(dir), 0, "only the named folder went");
    cr_assert_eq(rmdir(top), 0);
}
