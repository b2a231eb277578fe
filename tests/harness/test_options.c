/* test_options.c: the grade program's command line into struct opts. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "options.h"

static struct opts o;

#define PARSE(...) parse((char *[]){"grade", __VA_ARGS__, NULL})

static int parse(char **argv)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    return opts_parse(argc, argv, &o);
}

Test(options, defaults_under_root)
{
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "lab1-x", "--src", "/s"), OPTS_GRADE);
    cr_assert_str_eq(o.build, "/kit/build/check/lab1-x");
    cr_assert_str_eq(o.out, "/kit/build/results/lab1-x.json");
    cr_assert_null(o.junit);
    cr_assert_null(o.batch);
    cr_assert_null(o.only);
    cr_assert_eq(o.no_speed, 0);
    cr_assert_eq(o.repeat, 0);
    cr_assert(o.seed >= 1 && o.seed <= 1000000000, "a seed is drawn: %llu",
              (unsigned long long)o.seed);
    cr_assert(o.color == 0 || o.color == 1);
    cr_assert_str_eq(o.kitchen_bin + strlen(o.kitchen_bin) - 8, "/kitchen");
    cr_assert(!strncmp(o.kitchen_bin, o.bindir, strlen(o.bindir)));
}

Test(options, every_option)
{
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--src", "/s", "--build", "/b", "--out",
                       "/o.json", "--junit", "/j.xml", "--svg", "/c.svg", "--seed", "0x10",
                       "--no-speed", "--speed", "a,b", "--only", "serve", "--repeat", "3",
                       "--color", "always"),
                 OPTS_GRADE);
    cr_assert_str_eq(o.build, "/b");
    cr_assert_str_eq(o.out, "/o.json");
    cr_assert_str_eq(o.junit, "/j.xml");
    cr_assert_str_eq(o.svg, "/c.svg");
    cr_assert_eq(o.seed, 16);
    cr_assert_eq(o.no_speed, 1);
    cr_assert_str_eq(o.only_speed, "a,b");
    cr_assert_str_eq(o.only, "serve");
    cr_assert_eq(o.repeat, 3);
    cr_assert_eq(o.color, 1);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--src", "/s", "--color", "never"),
                 OPTS_GRADE);
    cr_assert_eq(o.color, 0);
}

Test(options, relative_paths_made_absolute)
{
    char cwd[1024], want[1100];

    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_eq(PARSE("--root", "kit", "--lab", "l", "--batch", "subs"), OPTS_GRADE);
    snprintf(want, sizeof(want), "%s/kit", cwd);
    cr_assert_str_eq(o.root, want);
    snprintf(want, sizeof(want), "%s/subs", cwd);
    cr_assert_str_eq(o.batch, want);
    snprintf(want, sizeof(want), "%s/kit/build/check/l", cwd);
    cr_assert_str_eq(o.build, want);
    cr_assert_null(o.src);
}

Test(options, wrong_lines, .init = cr_redirect_stderr)
{
    cr_assert_eq(PARSE("--root", "/k", "--src", "/s"), OPTS_BAD, "no lab");
    cr_assert_eq(PARSE("--lab", "l", "--src", "/s"), OPTS_BAD, "no root");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l"), OPTS_BAD, "neither src nor batch");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--src", "/s", "--batch", "/b"), OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--batch", "/b", "--only", "x"), OPTS_GRADE,
                 "a batch graded on some items alone");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--batch", "/b", "--regrade", "--only", "x"),
                 OPTS_BAD, "a regrade chooses its own items");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--batch", "/b", "--repeat", "2"), OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--src", "/s", "--bogus"), OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--src", "/s", "--html", "/r/index.html"),
                 OPTS_BAD, "the index beside the page would overwrite it");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--src", "/s", "--html", "index.html"),
                 OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--src", "/s", "--html", "/r/lab2.html"),
                 OPTS_GRADE);
}

/* --only-for NAME=A,B: a batch's submission NAME on its own items (the kit's hostile tests) */
Test(options, only_for_names_a_submission_of_a_batch, .init = cr_redirect_stderr)
{
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--batch", "/b", "--only", "x", "--only-for",
                       "ann=t1,t2", "--only-for", "bo=t3"),
                 OPTS_GRADE);
    cr_assert_eq(o.n_only_for, 2);
    cr_assert_str_eq(o.only_for[0], "ann=t1,t2");
    cr_assert_str_eq(o.only_for[1], "bo=t3");
    cr_assert_str_eq(o.only, "x", "the others' items");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--src", "/s", "--only-for", "a=t"), OPTS_BAD,
                 "a batch's alone");
    cr_assert_eq(
        PARSE("--root", "/k", "--lab", "l", "--batch", "/b", "--regrade", "--only-for", "a=t"),
        OPTS_BAD, "a regrade chooses its own items");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--batch", "/b", "--only-for", "a"), OPTS_BAD,
                 "no items");
    cr_assert_eq(PARSE("--root", "/k", "--lab", "l", "--batch", "/b", "--only-for", "=t"), OPTS_BAD,
                 "no name");
}

Test(options, help, .init = cr_redirect_stdout)
{
    cr_assert_eq(PARSE("--help"), OPTS_HELP);
    cr_assert_eq(PARSE("--root", "/k", "--help", "--bogus"), OPTS_HELP, "help, as it comes first");
}

/* The options of the modes added beside grading: batch parallelism and regrade, the HTML
 * report, timelines, an experiment (--run, whose --jobs is the experiment's job count,
 * not the batch's parallelism), a debugged test, coverage. */
Test(options, modes)
{
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--batch", "/subs", "-j", "3", "--regrade"),
                 OPTS_GRADE);
    cr_assert_eq(o.jobs, 3);
    cr_assert_eq(o.regrade, 1);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--batch", "/subs", "--parallel", "2"),
                 OPTS_GRADE);
    cr_assert_eq(o.jobs, 2);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--src", "/s", "--parallel", "2"), OPTS_BAD,
                 "parallelism is the batch's");
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--src", "/s", "--regrade"), OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--batch", "/subs", "-j", "0"), OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--src", "/s", "--run", "threads", "--jobs",
                       "8", "--workers", "4", "--workload", "io", "--html", "/r/l.html",
                       "--timelines", "/r/t"),
                 OPTS_GRADE);
    cr_assert_str_eq(o.run_version, "threads");
    cr_assert_eq(o.run_jobs, 8);
    cr_assert_eq(o.jobs, 0, "--jobs is the experiment's, not the batch's");
    cr_assert_eq(o.run_workers, 4);
    cr_assert_str_eq(o.html, "/r/l.html");
    cr_assert_str_eq(o.timelines, "/r/t");
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--src", "/s", "--coverage"), OPTS_GRADE);
    cr_assert_eq(o.coverage, 1);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--batch", "/subs", "--coverage"), OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--batch", "/subs", "--html", "/x.html"),
                 OPTS_BAD);
    cr_assert_eq(PARSE("--root", "/kit", "--lab", "l", "--batch", "/subs", "--debug", "a::b"),
                 OPTS_BAD);
}
