/* test_run.c: grade --run's pieces: the lab's versions, the table, the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "options.h"
#include "debug.h"
#include "run.h"

static char *temp_with(const char *text)
{
    static char path[] = "/tmp/test_run_XXXXXX";
    int fd;

    strcpy(path, "/tmp/test_run_XXXXXX");
    fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(run, versions_of_a_table_each_once)
{
    char *p = temp_with("const struct bench_version bench_versions[] = {\n"
                        "    {\"gil\", gil_map, \"the GIL (gil.c)\"},\n"
                        "    {\"gil1\", gil1_map, \"the GIL (gil.c)\"},\n"
                        "    {\"ref\", ref_seq_map, NULL},\n"
                        "    {\"ref\", ref_seq_map, NULL},\n"
                        "    {NULL, NULL, NULL},\n};\n");
    char buf[256];

    cr_assert_eq(run_versions(p, buf, sizeof(buf)), 3, "got '%s'", buf);
    cr_assert_str_eq(buf, "gil, gil1, ref");
    unlink(p);
    cr_assert_eq(run_versions("/nonexistent/versions.c", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "");
}

Test(run, versions_never_overflow)
{
    char *p = temp_with("{\"threads\", a, NULL}, {\"processes\", b, NULL}, {\"ref\", c, NULL}");
    char buf[13];

    cr_assert_eq(run_versions(p, buf, sizeof(buf)), 2, "got '%s'", buf);
    cr_assert_str_eq(buf, "threads, ref");
    unlink(p);
}

static char *printed(const struct run_figures *f)
{
    static char text[2048];
    FILE *out = fmemopen(text, sizeof(text), "w");

    cr_assert_not_null(out);
    run_print(out, f, "threads", "ref");
    fclose(out);
    return text;
}

Test(run, table_of_medians_and_each_speedup)
{
    static struct run_figures f = {.n = 3};
    double bw[] = {0.30, 0.32, 0.31}, vw[] = {0.15, 0.20, 0.16}, vc[] = {0.30, 0.30, 0.32};

    for (int i = 0; i < 3; i++) {
        f.b[i] = (struct trial){.wall = bw[i], .cpu = bw[i]};
        f.v[i] = (struct trial){.wall = vw[i], .cpu = vc[i]};
    }
    char *t = printed(&f);
    cr_assert(strstr(t, "  ref            0.310 s   0.310 s      1.00     1.00x"), "%s", t);
    /* medians: wall 0.16, CPU 0.30, cpu/wall of (2.0, 1.5, 2.0) = 2.0, speedup of
     * (2.0, 1.6, 1.9375) = 1.94 */
    cr_assert(strstr(t, "  threads        0.160 s   0.300 s      2.00     1.94x"), "%s", t);
    cr_assert(strstr(t, "each run's speedup: 2.00 1.60 1.94)"), "%s", t);
    cr_assert_null(strstr(t, "disturbed"), "%s", t);
}

Test(run, disturbed_runs_are_said)
{
    static struct run_figures f = {.n = 1};

    f.b[0] = (struct trial){.wall = 0.4, .disturbed = true};
    snprintf(f.b[0].why, sizeof(f.b[0].why), "load 3");
    f.v[0] = (struct trial){.wall = 0.1, .cpu = 0.01};
    char *t = printed(&f);
    cr_assert(strstr(t, "1 of 2 runs were disturbed by other programs (load 3)"), "%s", t);
    cr_assert(strstr(t, "4.00x"), "%s", t);
}

Test(run, command_line)
{
    struct opts o;
    char *argv[] = {"grade", "--root",    "/kit",    "--lab",      "lab2-threads", "--src",
                    "/s",    "--run",     "threads", "--workload", "io",           "--jobs",
                    "16",    "--workers", "4",       "--baseline", "ref",          "--runs",
                    "5",     "--skew",    "skewed",  NULL};

    cr_assert_eq(opts_parse(21, argv, &o), OPTS_GRADE);
    cr_assert_str_eq(o.run_version, "threads");
    cr_assert_str_eq(o.run_workload, "io");
    cr_assert_str_eq(o.run_baseline, "ref");
    cr_assert_str_eq(o.run_skew, "skewed");
    cr_assert_eq(o.run_jobs, 16);
    cr_assert_eq(o.run_workers, 4);
    cr_assert_eq(o.run_runs, 5);
    char *batch[] = {"grade", "--root", "/kit", "--lab", "x", "--batch", "/d", "--run", "v", NULL};
    cr_assert_eq(opts_parse(9, batch, &o), OPTS_BAD, "--run grades no batch");
}

Test(run, test_name_as_criterion_filter)
{
    char buf[64];

    debug_filter("thread_map::results_in_order", buf, sizeof(buf));
    cr_assert_str_eq(buf, "--filter=thread_map/results_in_order");
    debug_filter("serve", buf, sizeof(buf));
    cr_assert_str_eq(buf, "--filter=serve");
}
