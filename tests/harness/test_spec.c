/* test_spec.c: the spec parser, ideal expressions, and every lab's real spec. */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "spec.h"

static const char *good =
    "# a comment\n"
    "lab \"Baselines: one waiter\"\n"
    "student cook.c serve.c\n"
    "test cook::matches 3 fn=cook() file=cook.c hint=\"mix \\\"rounds\\\" times\"\n"
    "test serve::reply 2.5 fn=serve() tasks=160 nofile=16384\n"
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
    cr_assert_eq(s.tests[0].tasks, 0, "tasks= unset: the grader's default");
    cr_assert_eq(s.tests[1].tasks, 160);
    cr_assert_eq(s.tests[0].nofile, 0, "nofile= unset: the grader's default");
    cr_assert_eq(s.tests[1].nofile, 16384);
    cr_assert_eq(s.nspeeds, 2);
    const struct spec_speed *c = &s.speeds[0];
    cr_assert_eq(c->workload, WORKLOAD_CPU);
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
    cr_assert_eq(c->skew, SKEW_SKEWED);
    cr_assert_str_eq(c->hint, "split the work");
    cr_assert_eq(s.speeds[1].latency_ms, 20);
    cr_assert_eq(s.speeds[1].workers, 1, "workers defaults to 1");
    cr_assert_eq(s.speeds[1].workload, WORKLOAD_IO);
    cr_assert_eq(s.speeds[1].skew, SKEW_EVEN, "skew defaults to even");
    cr_assert_float_eq(spec_max_score(&s), 3 + 2.5 + 4 + 1, 1e-9);
    spec_free(&s);
}

/* text is refused, the error naming the file, the line `line` (0: any) and `why`. */
static void rejects_at(const char *text, int line, const char *why)
{
    struct spec s;
    char err[256] = "", at[32];

    cr_assert_eq(spec_parse(text, "bad", &s, err, sizeof(err)), -EINVAL, "accepted: %.200s", text);
    cr_assert(strstr(err, why), "error for <%.200s> is <%s>, want it to mention <%s>", text, err,
              why);
    cr_assert(!strncmp(err, "bad:", 4), "error <%s> does not name the file and line", err);
    snprintf(at, sizeof(at), "bad:%d: ", line);
    cr_assert(!line || !strncmp(err, at, strlen(at)), "error <%s> should point at line %d", err,
              line);
}

static void rejects(const char *text, const char *why)
{
    rejects_at(text, 0, why);
}

Test(spec, rejects_what_is_wrong_with_a_reason, .timeout = 5)
{
    rejects("lab \"x\"\n", "no student files");
    rejects("student a.c\nfrobnicate\n", "unknown declaration");
    rejects("student a.c\ntest nocolons 1\n", "suite::name");
    rejects("student a.c\ntest a::b x\n", "not a number");
    rejects("student a.c\ntest a::b 1\ntest a::b 2\n", "twice");
    rejects("student a.c\ntest a::b 1 colour=red\n", "unknown key");
    rejects("student a.c\ntest a::b 1 tasks=100000\n", "from 8 to 512");
    rejects("student a.c\ntest a::b 1 tasks=2\n", "from 8 to 512");
    rejects("student ../a.c\n", "plain name");
    rejects("student a.c\nlab \"unterminated\n", "unterminated");
    rejects("student a.c\nspeed s 1 workload=gpu version=a baseline=b check=speedup>=1\n",
            "cpu, io or mixed");
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
    cr_assert_float_eq(spec_ideal("1", 4, 2, 8, 0.05, 0.3), 1, 1e-9);
    cr_assert_float_eq(spec_ideal("P", 4, 2, 8, 0.05, 0.3), 2, 1e-9);
    cr_assert_float_eq(spec_ideal("N", 4, 2, 8, 0.05, 0.3), 8, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,P)", 4, 2, 8, 0.05, 0.3), 2, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,P)", 1, 2, 8, 0.05, 0.3), 1, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,P,N)", 4, 3.5, 3, 0.05, 0.3), 3, 1e-9);
    cr_assert_float_eq(spec_ideal("min(W,1.5)", 4, 2, 8, 0.05, 0.3), 1.5, 1e-9);
    cr_assert_lt(spec_ideal("min(W,P", 4, 2, 8, 0.05, 0.3), 0);
    cr_assert_lt(spec_ideal("X", 4, 2, 8, 0.05, 0.3), 0);
    cr_assert_float_eq(spec_ideal("P+1", 4, 2, 8, 0.05, 0.3), 3, 1e-9);
    cr_assert_lt(spec_ideal("P-2", 4, 2, 8, 0.05, 0.3), 0, "not positive");
    cr_assert_float_eq(spec_ideal("(N*L+T)/(L+T/min(W,P))", 4, 2, 16, 0.05, 0.3), 5.5, 1e-9);
    cr_assert_lt(spec_ideal("", 4, 2, 8, 0.05, 0.3), 0);
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

/* Each test's own limit comes from its Test() in tests.c; every lab's tests have one. */
Test(spec, limits_from_the_tests_own_timeouts, .timeout = 5)
{
    const char *tc = "#include <x.h>\n"
                     "Test(cook, matches, .timeout = 3) { }\n"
                     "  Test(cook, indented, .timeout = 9) in a comment: not a definition\n"
                     "Test(serve, one_order, .init = setup, .timeout = 2.5, .fini = f(1, 2))\n"
                     "Test(serve, no_limit) { }\n"
                     "TestSuite(pool, .init = up, .timeout = 7);\n"
                     "Test(pool, own, .timeout = 1) { }\n"
                     "Test(pool, suites) { }\n";
    struct spec s = {.ntests = 6};
    glob_t g;
    char err[512] = "";

    snprintf(s.tests[0].name, sizeof(s.tests[0].name), "cook::matches");
    snprintf(s.tests[1].name, sizeof(s.tests[1].name), "serve::one_order");
    snprintf(s.tests[2].name, sizeof(s.tests[2].name), "serve::no_limit");
    snprintf(s.tests[3].name, sizeof(s.tests[3].name), "cook::indented");
    snprintf(s.tests[4].name, sizeof(s.tests[4].name), "pool::own");
    snprintf(s.tests[5].name, sizeof(s.tests[5].name), "pool::suites");
    cr_assert_eq(spec_read_limits(&s, tc), 4);
    cr_assert_float_eq(s.tests[4].limit_s, 1, 1e-9, "a test's own limit wins");
    cr_assert_float_eq(s.tests[5].limit_s, 7, 1e-9, "else its suite's");
    cr_assert_float_eq(s.tests[0].limit_s, 3, 1e-9);
    cr_assert_float_eq(s.tests[1].limit_s, 2.5, 1e-9);
    cr_assert_eq(s.tests[2].limit_s, 0);
    cr_assert_eq(s.tests[3].limit_s, 0);
    cr_assert_eq(glob("harness/labs/*/spec", 0, NULL, &g), 0, "no lab specs found (cwd?)");
    for (size_t i = 0; i < g.gl_pathc; i++) {
        cr_assert_eq(spec_load(g.gl_pathv[i], &s, err, sizeof(err)), 0, "%s", err);
        for (int t = 0; t < s.ntests; t++)
            cr_expect_gt(s.tests[t].limit_s, 0, "%s: %s has no .timeout in tests.c", g.gl_pathv[i],
                         s.tests[t].name);
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
    cr_assert_eq(spec_parse(good, "good", &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(spec_unknown(&s, "cook.seq,cook::nosuch,serve", err, sizeof(err)),
                     "cook::nosuch", "the first word that names nothing");
    cr_assert_null(spec_unknown(&s, "cook.seq,serve", err, sizeof(err)));
    int items = s.ntests + s.nspeeds + s.nraces;
    cr_assert_eq(spec_select(&s, "cook.seq,cook::nosuch"), 0,
                 "a typo in the list refuses it, not a grading of the rest alone");
    cr_assert_eq(s.ntests + s.nspeeds + s.nraces, items, "and leaves the spec whole");
}

/* One speed line with `extra` settings (and check=eff>=1 unless they have a check=),
 * after "student a.c" on line 1. */
static const char *cell(const char *extra)
{
    static char text[512];

    snprintf(text, sizeof(text), "student a.c\nspeed s 1 version=a baseline=b %s %s\n",
             strstr(extra, "check=") ? "" : "check=eff>=1", extra);
    return text;
}

static struct spec_speed parsed_cell(const char *extra)
{
    struct spec s;
    char err[256] = "";

    cr_assert_eq(spec_parse(cell(extra), "t", &s, err, sizeof(err)), 0, "%s: %s", extra, err);
    cr_assert_eq(s.nspeeds, 1);
    return s.speeds[0];
}

Test(spec, every_word_parses_to_its_enum_and_back, .timeout = 5)
{
    cr_assert_eq(parsed_cell("workload=cpu").workload, WORKLOAD_CPU);
    cr_assert_eq(parsed_cell("workload=io").workload, WORKLOAD_IO);
    cr_assert_eq(parsed_cell("workload=cpu skew=even").skew, SKEW_EVEN);
    cr_assert_eq(parsed_cell("workload=cpu skew=skewed").skew, SKEW_SKEWED);
    cr_assert_eq(parsed_cell("workload=cpu").all_cores, 0);
    cr_assert_eq(parsed_cell("workload=cpu cores=all").all_cores, 1);
    cr_assert_eq(parsed_cell("workload=cpu workers=P").workers, 0);
    cr_assert_eq(parsed_cell("workload=cpu workers=3").workers, 3);
    cr_assert_eq(parsed_cell("workload=cpu jobs=7").baseline_jobs, 7, "defaults to jobs");
    cr_assert_eq(parsed_cell("workload=cpu jobs=7 baseline_jobs=9").baseline_jobs, 9);
    struct spec_speed c = parsed_cell("workload=io check=\"speedup>=1 eff<=2 cpuwall>=3 x<=4\"");
    cr_assert_eq(c.nconds, 4);
    enum metric want[] = {M_SPEEDUP, M_EFF, M_CPUWALL, M_X};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(c.conds[i].metric, want[i], "condition %d", i);
        cr_assert_eq(c.conds[i].op, i % 2 ? CMP_LE : CMP_GE, "condition %d", i);
        cr_assert_float_eq(c.conds[i].value, i + 1, 1e-9);
    }
    /* the names the grader prints and hands to the bench driver */
    cr_assert_str_eq(spec_workload_name(WORKLOAD_CPU), "cpu");
    cr_assert_str_eq(spec_workload_name(WORKLOAD_IO), "io");
    cr_assert_str_eq(spec_skew_name(SKEW_EVEN), "even");
    cr_assert_str_eq(spec_skew_name(SKEW_SKEWED), "skewed");
    cr_assert_str_eq(metric_name(M_SPEEDUP), "speedup");
    cr_assert_str_eq(metric_name(M_EFF), "eff");
    cr_assert_str_eq(metric_name(M_CPUWALL), "cpuwall");
    cr_assert_str_eq(metric_name(M_X), "x");
}

Test(spec, unknown_words_are_refused_with_their_line, .timeout = 5)
{
    rejects_at(cell("workload=gpu"), 2, "workload must be cpu, io or mixed, not 'gpu'");
    rejects_at(cell("workload=CPU"), 2, "cpu, io or mixed");
    rejects_at(cell("workload=cpu skew=lumpy"), 2, "skew must be even or skewed, not 'lumpy'");
    rejects_at(cell("workload=cpu cores=some"), 2, "cores must be all, not 'some'");
    rejects_at(cell("workload=cpu workers=Q"), 2, "workers must be P or a number");
    rejects_at(cell("workload=cpu jobs=P"), 2, "not a number");
    rejects_at(cell("workload=cpu check=fast>=1"), 2, "speedup, eff, cpuwall or x");
    rejects_at(cell("workload=cpu colour=red"), 2, "unknown key 'colour'");
    rejects_at(cell("workload=cpu workload=io"), 2, "workload= given twice");
    rejects_at(cell("workload=cpu check=eff>=2 check=eff>=3"), 2, "check= given twice");
    rejects_at("student a.c\n\nspeed s 1 version=a baseline=b\n", 3,
               "speed s needs workload=, version=, baseline= and check=");
    rejects_at("student a.c\nrace r 1 hint=x\n", 2, "race r needs driver=");
    rejects_at("student a.c\ntest a::b 1 fn=f fn=g\n", 2, "fn= given twice");
    rejects_at("student a.c\n# x\nspeeds s 1\n", 3, "unknown declaration 'speeds'");
}

/* "student a.c", then `n` lines printed by fmt with i, i for i = 0..n-1. */
static char *many(int n, const char *fmt)
{
    static char text[1 << 16];
    size_t used = (size_t)snprintf(text, sizeof(text), "student a.c\n");

    for (int i = 0; i < n; i++) {
        used += (size_t)snprintf(text + used, sizeof(text) - used, fmt, i, i);
        cr_assert_lt(used, sizeof(text), "the test's buffer is too small");
    }
    return text;
}

static void accepts(const char *text)
{
    struct spec s;
    char err[256] = "";

    cr_assert_eq(spec_parse(text, "ok", &s, err, sizeof(err)), 0, "%s", err);
}

/* "at most <n> <what>", as the parser says it. */
static const char *most(int n, const char *what)
{
    static char buf[64];

    snprintf(buf, sizeof(buf), "at most %d %s", n, what);
    return buf;
}

/* Up to each limit parses; one more is refused at its line, never silently dropped. */
Test(spec, too_many_items_are_refused, .timeout = 5)
{
    const char *test = "test t::%d 1 hint=%d\n";
    const char *race = "race r%d 1 driver=d%d.c\n";
    const char *speed = "speed s%d 1 workload=cpu version=v%d baseline=ref check=eff>=1\n";

    accepts(many(SPEC_MAX_TESTS, test));
    rejects_at(many(SPEC_MAX_TESTS + 1, test), SPEC_MAX_TESTS + 2, most(SPEC_MAX_TESTS, "test"));
    accepts(many(SPEC_MAX_RACES, race));
    rejects_at(many(SPEC_MAX_RACES + 1, race), SPEC_MAX_RACES + 2, most(SPEC_MAX_RACES, "race"));
    accepts(many(SPEC_MAX_SPEEDS, speed));
    rejects_at(many(SPEC_MAX_SPEEDS + 1, speed), SPEC_MAX_SPEEDS + 2,
               most(SPEC_MAX_SPEEDS, "speed"));
}

/* Declarations of `n` words "<prefix><i><suffix>", 16 a line, each line starting with
 * `decl`, after the lines `head`. */
static const char *words(const char *head, const char *decl, int n, const char *prefix,
                         const char *suffix)
{
    static char text[1 << 14];
    size_t used = (size_t)snprintf(text, sizeof(text), "%s", head);

    for (int i = 0; i < n; i++)
        used +=
            (size_t)snprintf(text + used, sizeof(text) - used, "%s%s%d%s%s", i % 16 ? " " : decl,
                             prefix, i, suffix, i % 16 == 15 || i == n - 1 ? "\n" : "");
    cr_assert_lt(used, sizeof(text), "the test's buffer is too small");
    return text;
}

Test(spec, too_many_files_names_conditions_and_requires_are_refused, .timeout = 5)
{
    accepts(words("", "student ", SPEC_MAX_FILES, "f", ".c"));
    rejects_at(words("", "student ", SPEC_MAX_FILES + 1, "f", ".c"), 2,
               most(SPEC_MAX_FILES, "student files"));
    accepts(words("student a.c\n", "support ", SPEC_MAX_FILES, "f", ".c"));
    rejects_at(words("student a.c\n", "support ", SPEC_MAX_FILES + 1, "f", ".c"), 3,
               most(SPEC_MAX_FILES, "support files"));
    accepts(words("student a.c\n", "api ", SPEC_MAX_NAMES, "f", ""));
    rejects_at(words("student a.c\n", "api ", SPEC_MAX_NAMES + 1, "f", ""), 2 + SPEC_MAX_NAMES / 16,
               most(SPEC_MAX_NAMES, "names in api"));
    accepts(words("student a.c\n", "allow ", SPEC_MAX_NAMES, "f", ""));
    rejects_at(words("student a.c\n", "allow ", SPEC_MAX_NAMES + 1, "f", ""),
               2 + SPEC_MAX_NAMES / 16, most(SPEC_MAX_NAMES, "names in allow"));
    rejects_at(cell("workload=cpu check=\"eff>=1 eff>=1 eff>=1 eff>=1 eff>=1\""), 2,
               most(SPEC_MAX_CONDS, "conditions"));
    rejects_at(cell("workload=cpu requires=a::0,a::1,a::2,a::3,a::4,a::5,a::6,a::7,a::8"), 2,
               most(SPEC_MAX_REQ, "requires"));
}

Test(spec, too_many_words_on_a_line_are_refused, .timeout = 5)
{
    char text[512] = "student a.c\nallow";

    for (int i = 0; i < 40; i++) /* a line holds 32 words */
        snprintf(text + strlen(text), sizeof(text) - strlen(text), " f%d", i);
    rejects_at(text, 2, "too many words");
}

/* Lab 6 builds on earlier labs: their files by "labN-topic:name". */
Test(spec, borrow_and_support_from_other_labs)
{
    static struct spec s;
    char err[256], lab[64];

    cr_assert_eq(spec_parse("student a.c\nsupport x.c lab4-gil:interp.c\n"
                            "borrow lab4-gil:gil.c lab5-async:loop.c\n",
                            "t", &s, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(s.nsupport, 2);
    cr_assert_eq(s.nborrow, 2);
    cr_assert_str_eq(s.support[1], "interp.c");
    cr_assert_str_eq(s.support_lab[1], "lab4-gil");
    cr_assert_str_eq(s.support[0], "x.c");
    cr_assert_str_eq(s.support_lab[0], "");
    cr_assert_str_eq(spec_file_lab(s.borrow[1], lab, sizeof(lab)), "loop.c");
    cr_assert_str_eq(lab, "lab5-async");
    cr_assert_eq(s.nfiles, 3, "the borrowed files are the student's too");
    cr_assert_str_eq(s.files[2], "loop.c");
    cr_assert_str_eq(s.file_lab[2], "lab5-async");
    cr_assert_str_eq(s.file_lab[0], "");
    const char *labs[4];
    cr_assert_eq(spec_other_labs(&s, labs, 4), 2);
    cr_assert_str_eq(labs[0], "lab4-gil");
    cr_assert_str_eq(labs[1], "lab5-async");
    const char *bad[] = {"borrow gil.c\n",      "borrow lab4-gil:../gil.c\n",
                         "borrow ../x:gil.c\n", "student lab4-gil:gil.c\n",
                         "borrow LAB4:gil.c\n", "support lab4-gil:\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_neq(spec_parse(bad[i], "t", &s, err, sizeof(err)), 0, "accepted: %s", bad[i]);
}

/* A race item's sanitizer: thread by default, address or undefined when asked, nothing else. */
Test(spec, race_sanitizer, .timeout = 5)
{
    struct spec s;
    char err[256] = "";

    cr_assert_eq(spec_parse("student a.c\nrace r 1 driver=d.c\nrace m 1 driver=d.c "
                            "sanitizer=address\nrace t 1 driver=d.c sanitizer=thread\n"
                            "race u 1 driver=d.c sanitizer=undefined\n",
                            "ok", &s, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(s.races[0].sanitizer, SAN_THREAD, "sanitizer defaults to thread");
    cr_assert_eq(s.races[1].sanitizer, SAN_ADDRESS);
    cr_assert_eq(s.races[2].sanitizer, SAN_THREAD);
    cr_assert_eq(s.races[3].sanitizer, SAN_UNDEFINED);
    spec_free(&s);
    rejects_at("student a.c\nrace r 1 driver=d.c sanitizer=memory\n", 2,
               "sanitizer must be thread, address or undefined, not 'memory'");
}

/* A race item's wrap=: C names, comma-separated, into the link's --wrap= words; none
 * without it. Anything else (a space, a flag, a path, an empty name) is refused. */
Test(spec, race_wrap, .timeout = 5)
{
    struct spec s;
    char err[256] = "", buf[256];

    cr_assert_eq(spec_parse("student a.c\nrace r 1 driver=d.c\nrace w 1 driver=d.c "
                            "wrap=pthread_create\nrace v 1 driver=d.c wrap=malloc,free_2\n",
                            "ok", &s, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_str_eq(spec_race_wrap(&s.races[0], buf, sizeof(buf)), "", "no wrap= wraps nothing");
    cr_assert_str_eq(spec_race_wrap(&s.races[1], buf, sizeof(buf)), "-Wl,--wrap=pthread_create");
    cr_assert_str_eq(spec_race_wrap(&s.races[2], buf, sizeof(buf)),
                     "-Wl,--wrap=malloc,--wrap=free_2");
    spec_free(&s);
    const char *bad[] = {"wrap=",      "wrap=a,",  "wrap=,a",      "wrap=2a",  "wrap=a,,b",
                         "wrap=-lfoo", "wrap=a;b", "wrap=\"a b\"", "wrap=../x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "student a.c\nrace r 1 driver=d.c %s\n", bad[i]);
        cr_assert_neq(spec_parse(text, "t", &s, err, sizeof(err)), 0, "accepted: %s", bad[i]);
    }
}
