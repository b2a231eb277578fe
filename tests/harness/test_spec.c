/* test_spec.c: the spec parser, ideal expressions, and every lab's real spec. */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "spec.h"

static const char *good =
    "# a comment\n"
    "lab \"Baselines: one waiter\"\n"
    "student cook.c serve.c\n"
    "test cook::matches 3 fn=cook() file=cook.c hint=\"mix \\\"rounds\\\" times\"\n"
    "test serve::reply 2.5 fn=serve()\n"
    "speed cook.seq 4 workload=cpu version=seq baseline=ref jobs=8 workers=P "
    "ideal=min(W,P) check=\"eff>=0.75 cpuwall<=1.15\" requires=cook::matches,serve::reply "
    "cores=all skew=skewed hint=\"split the work\"\n"
    "speed serve.seq 1 workload=io version=seq baseline=ref latency=20 "
    "check=\"speedup>=0.67 speedup<=1.5\"\n";

Test(spec, parses_every_field, .timeout = 5)
{
    struct spec s;
    char err[256] = "";

    cr_assert_eq(spec_parse(good, "good", &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(s.title, "Baselines: one waiter");
    cr_assert_eq(s.nfiles, 2);
    cr_assert_str_eq(s.files[1], "serve.c");
    cr_assert_eq(s.ntests, 2);
    cr_assert_str_eq(s.tests[0].name, "cook::matches");
    cr_assert_float_eq(s.tests[0].points, 3, 1e-9);
    cr_assert_str_eq(s.tests[0].fn, "cook()");
    cr_assert_str_eq(s.tests[0].file, "cook.c");
    cr_assert_str_eq(s.tests[0].hint, "mix \"rounds\" times");
    cr_assert_float_eq(s.tests[1].points, 2.5, 1e-9);
    cr_assert_eq(s.nspeeds, 2);
    const struct spec_speed *c = &s.speeds[0];
    cr_assert_str_eq(c->workload, "cpu");
    cr_assert_str_eq(c->version, "seq");
    cr_assert_str_eq(c->baseline, "ref");
    cr_assert_eq(c->jobs, 8);
    cr_assert_eq(c->workers, 0, "workers=P is stored as 0");
    cr_assert_str_eq(c->ideal, "min(W,P)");
    cr_assert_eq(c->nconds, 2);
    cr_assert_eq(c->conds[0].metric, M_EFF);
    cr_assert_eq(c->conds[0].op, CMP_GE);
    cr_assert_float_eq(c->conds[0].value, 0.75, 1e-9);
    cr_assert_eq(c->conds[1].metric, M_CPUWALL);
    cr_assert_eq(c->conds[1].op, CMP_LE);
    cr_assert_eq(c->nrequires, 2);
    cr_assert_str_eq(c->requires[1], "serve::reply");
    cr_assert_eq(c->all_cores, 1);
    cr_assert_str_eq(c->skew, "skewed");
    cr_assert_str_eq(c->hint, "split the work");
    cr_assert_eq(s.speeds[1].latency_ms, 20);
    cr_assert_eq(s.speeds[1].workers, 1, "workers defaults to 1");
    cr_assert_str_eq(s.speeds[1].skew, "even");
    cr_assert_float_eq(spec_max_score(&s), 3 + 2.5 + 4 + 1, 1e-9);
    spec_free(&s);
}

static void rejects(const char *text, const char *why)
{
    struct spec s;
    char err[256] = "";

    cr_assert_eq(spec_parse(text, "bad", &s, err, sizeof(err)), -EINVAL,
                 "accepted: %s", text);
    cr_assert(strstr(err, why), "error for <%s> is <%s>, want it to mention <%s>", text, err,
              why);
    cr_assert(!strncmp(err, "bad:", 4), "error <%s> does not name the file and line", err);
}

Test(spec, rejects_what_is_wrong_with_a_reason, .timeout = 5)
{
    rejects("lab \"x\"\n", "no student files");
    rejects("student a.c\nfrobnicate\n", "unknown declaration");
    rejects("student a.c\ntest nocolons 1\n", "suite::name");
    rejects("student a.c\ntest a::b x\n", "not a number");
    rejects("student a.c\ntest a::b 1\ntest a::b 2\n", "twice");
    rejects("student a.c\ntest a::b 1 colour=red\n", "unknown key");
    rejects("student ../a.c\n", "plain name");
    rejects("student a.c\nlab \"unterminated\n", "unterminated");
    rejects("student a.c\nspeed s 1 workload=gpu version=a baseline=b check=speedup>=1\n",
            "cpu or io");
    rejects("student a.c\nspeed s 1 workload=cpu version=a baseline=b check=speed>=1\n",
            "unknown metric");
    rejects("student a.c\nspeed s 1 workload=cpu version=a baseline=b check=speedup=1\n",
            ">= or <=");
    rejects("student a.c\nspeed s 1 workload=cpu version=a baseline=b\n", "check=");
    rejects("student a.c\nspeed s 1 workload=cpu version=a baseline=b ideal=Q check=eff>=1\n",
            "ideal");
    rejects("student a.c\nspeed s 1 workload=cpu version=a baseline=b check=eff>=1 "
            "requires=x::y\n",
            "unknown test");
}

Test(spec, line_numbers_in_errors, .timeout = 5)
{
    struct spec s;
    char err[256];

    spec_parse("student a.c\n\n# c\nbogus\n", "f", &s, err, sizeof(err));
    cr_assert(!strncmp(err, "f:4:", 4), "error <%s> should point at line 4", err);
}

Test(spec, ideal_expressions, .timeout = 5)
{
    cr_assert_float_eq(spec_ideal("1", 4, 2, 8), 1, 1e-9);
    cr_assert_float_eq(spec_ideal("P", 4, 2, 8), 2, 1e-9);
    cr_assert_float_eq(spec_ideal("N", 4, 2, 8), 8, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,P)", 4, 2, 8), 2, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,P)", 1, 2, 8), 1, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,P,N)", 4, 3.5, 3), 3, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,1.5)", 4, 2, 8), 1.5, 1e-9);
    cr_assert_lt(spec_ideal("min(W,P", 4, 2, 8), 0);
    cr_assert_lt(spec_ideal("X", 4, 2, 8), 0);
    cr_assert_lt(spec_ideal("P+1", 4, 2, 8), 0);
    cr_assert_lt(spec_ideal("", 4, 2, 8), 0);
}

/* Every lab's real spec parses, and its points add up to something. */
Test(spec, every_lab_spec_loads, .timeout = 5)
{
    glob_t g;
    char err[512] = "";

    cr_assert_eq(glob("harness/labs/*/spec", 0, NULL, &g), 0, "no lab specs found (cwd?)");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct spec s;
        cr_assert_eq(spec_load(g.gl_pathv[i], &s, err, sizeof(err)), 0, "%s", err);
        cr_assert_gt(spec_max_score(&s), 0, "%s grades nothing", g.gl_pathv[i]);
        cr_assert_gt(s.ntests, 0, "%s has no tests", g.gl_pathv[i]);
        spec_free(&s);
    }
    globfree(&g);
}

Test(spec, missing_file_is_an_error, .timeout = 5)
{
    struct spec s;
    char err[256];

    cr_assert_eq(spec_load("/nonexistent/spec", &s, err, sizeof(err)), -ENOENT);
    cr_assert(strstr(err, "/nonexistent/spec"));
}

Test(spec, only_selects_items_suites_and_what_they_need, .timeout = 5)
{
    struct spec s;
    char err[256] = "";

    cr_assert(spec_selected(NULL, "anything"));
    cr_assert(spec_selected("cook", "cook::matches"), "a suite selects its tests");
    cr_assert(spec_selected("x,cook::matches", "cook::matches"));
    cr_assert(!spec_selected("cook", "cookie::x"), "a suite is a whole name before ::");
    cr_assert(!spec_selected("cook::match", "cook::matches"), "no prefixes of a test name");
    cr_assert(!spec_selected("serve", "cook.seq"));

    cr_assert_eq(spec_parse(good, "good", &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(spec_select(&s, "serve.seq"), 1, "one cell, which requires nothing");
    cr_assert_eq(s.ntests, 0);
    cr_assert_eq(spec_parse(good, "good", &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(spec_select(&s, "cook.seq"), 3, "the cell and the two tests it requires");
    cr_assert_eq(s.nspeeds, 1);
    cr_assert_str_eq(s.speeds[0].name, "cook.seq");
    cr_assert_eq(s.ntests, 2);
    cr_assert_eq(spec_parse(good, "good", &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(spec_select(&s, "nothing,at::all"), 0);
}
