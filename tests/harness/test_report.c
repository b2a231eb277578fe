/* test_report.c: the scoreboard, results.json and JUnit XML (read back by python), checked. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "report.h"
#include "report_file.h"

#define HUGE_CHARS 40000 /* two bytes each: past the 64 KiB cap */
#define NITEMS     10

static const char fail_output[] = "expected 42, got \"41\"\nsecond\tline \x01 ctl \xff\xfe "
                                  "bad \x1b[31mred\r";
static const char crash_name[] = "crash \"quoted\" <name> & 'co'";

/* The table reads best positional; IT names the fields, so the rest (fig, output) is 0. */
#define IT(nm, k, s, m, v, meas, exp, h)                                                           \
    {                                                                                              \
        .name = nm, .kind = k, .score = s, .max_score = m, .verdict = v, .measured = meas,         \
        .expected = exp, .hint = h                                                                 \
    }

/* One item of every verdict, kinds inserted out of order, hostile strings. */
static struct item items[NITEMS] = {
    IT("cpu.threads", ITEM_SPEED, 3, 3, V_PASS, "1.97x (1.93-1.99 over 5 clean pairs)",
       ">= 1.50x (0.75 of min(W,P) = 2)", "PASSHINT never shown"),
    IT("cook::matches_reference", ITEM_TEST, 0, 3, V_FAIL, "", "",
       "compare with the sequential reference"),
    IT("build", ITEM_BUILD, 1, 1, V_PASS, "", "", ""),
    IT("serve::not_done", ITEM_TEST, 0, 2, V_NOT_IMPLEMENTED, "", "", "write serve()"),
    IT("race::counter", ITEM_RACE, 0, 2, V_TIMEOUT, "", "", "a lock never released?"),
    IT("", ITEM_TEST, 0, 1, V_CRASH, "", "", "a NULL pointer"),
    IT("build.extra", ITEM_BUILD, 0, 1, V_BUILD_ERROR, "", "", "read the first error"),
    IT("io.async", ITEM_SPEED, 0, 3, V_INCONCLUSIVE, "7.10x (2 clean pairs)", ">= 6.00x",
       "INCHINT"),
    IT("cpu.gil", ITEM_SPEED, 0, 2, V_SKIPPED, "", "", "needs cook::matches_reference"),
    IT("cook::sizes", ITEM_TEST, 2, 2, V_PASS, "", "", ""),
};

static void make_report(struct report *r)
{
    report_init(r, "lab1-baselines", "Baselines: one waiter");
    snprintf(r->source, sizeof(r->source), "labs/lab1-baselines");
    snprintf(r->machine, sizeof(r->machine), "2 usable cores (affinity 2, no CPU quota)");
    r->seed = 12345;
    r->elapsed_s = 12.5;
    report_note(r, "note \"one\"\n");
    report_note(r, "note %d\xff", 2);
    snprintf(items[5].name, sizeof(items[5].name), "%s", crash_name);
    for (size_t i = 0; i < NITEMS; i++)
        cr_assert_not_null(report_add(r, &items[i]));
    item_printf(&r->items[1], "%s", fail_output);
    item_printf(&r->items[3], "not implemented: serve()");
    for (int i = 1; i <= 30; i++)
        item_printf(&r->items[4], "line %d\n", i);
    item_printf(&r->items[5], "killed by SIGSEGV");
    item_printf(&r->items[6], "x");
    for (int i = 0; i < HUGE_CHARS; i++)
        item_printf(&r->items[6], "\xc3\xa9");
    item_printf(&r->items[7], "only 2 clean pairs (a neighbour used the CPU)\nprobe: 1.2 cores");
}

static char *print_to_string(const struct report *r, bool color)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    cr_assert_not_null(f);
    report_print(r, f, color);
    cr_assert_eq(fclose(f), 0);
    return text;
}

static char *tmpdir(void)
{
    char *dir = strdup("/tmp/test_report.XXXXXX");

    cr_assert_not_null(mkdtemp(dir));
    return dir;
}

static int run(const char *fmt, const char *arg)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd), fmt, arg);
    return system(cmd);
}

static void rmtree(char *dir)
{
    cr_assert_eq(run("rm -rf -- %s", dir), 0);
    free(dir);
}

/* results.json read by python's json module (strictly: the file is opened as UTF-8) and
 * checked against the items, passed as 8 arguments each: name, score, max_score, verdict,
 * kind, measured, expected, hint (argv, never through a shell: the names are hostile). */
static const char json_check[] =
    "import json, re, sys\n"
    "md = lambda s: re.sub(r'([\\\\`*_\\[\\]<>|~&])', r'\\\\\\1', s)  # report_md.c's escapes\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "assert (d['score'], d['max_score'], d['execution_time']) == (6, 20, 12.5), d['score']\n"
    "o = d['output']\n"
    "assert 'SEED=12345' in o and '2 usable cores (affinity 2' in o, o\n"
    "assert 'note \"one\"\\nnote 2\\\\xff' in o and 'never a plain fail' in o, o\n"
    "a, t = sys.argv[2:], d['tests']\n"
    "assert len(t) * 8 == len(a), len(t)\n"
    "for i, x in enumerate(t):\n"
    "    name, score, mx, verdict, kind, measured, expected, hint = a[8 * i:8 * i + 8]\n"
    "    e, out = x['extra_data'], x['output']\n"
    "    assert (x['name'], x['score'], x['max_score']) == (name, float(score), float(mx)), i\n"
    "    assert x['status'] == ('passed' if verdict == 'pass' else 'failed'), i\n"
    "    assert (e['verdict'], e['kind']) == (verdict, kind), (i, e)\n"
    "    assert (e['measured'], e['expected']) == (measured, expected), (i, e)\n"
    "    first = ('**INCONCLUSIVE**: only 2 clean pairs' if verdict == 'inconclusive'"
    " else '**' + verdict + '**')\n"
    "    assert out.startswith(first), (i, out[:40])\n"
    "    assert not measured or (md(measured) in out and md(expected) in out), (i, out)\n"
    "    assert verdict == 'pass' or not hint or md(hint) in out, (i, out)\n"
    "    assert verdict != 'pass' or 'hint' not in out, (i, out)\n"
    "assert 'expected 42, got \"41\"\\nsecond\\tline \\\\x01 ctl \\\\xff\\\\xfe bad \\\\x1b[31mred"
    "\\\\x0d' in t[1]['output'], 'control and bad bytes shown as \\\\xNN, line breaks and tabs "
    "kept: ' + t[1]['output']\n"
    "assert '```text\\nprobe: 1.2 cores' in t[7]['output'], t[7]['output']\n"
    "assert t[7]['output'].count('only 2') == 1, 'the reason twice'\n"
    "big = t[6]['output']\n"
    "assert 64 * 1024 < len(big.encode()) < 66 * 1024, 'not capped near 64 KiB'\n"
    "assert 'more bytes cut' in big and '\\ufffd' not in big, 'the cut splits a character'\n";

/* Run python3 -c script path args... and return its exit status. */
static int python(const char *script, const char *path, char *args[], size_t nargs)
{
    char *argv[4 + 8 * NITEMS + 1] = {"python3", "-c", (char *)script, (char *)path};
    int status;
    pid_t pid;

    cr_assert(nargs <= 8 * NITEMS);
    memcpy(argv + 4, args, nargs * sizeof(*args));
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The 8 arguments of json_check for each item, malloc'd. */
static size_t item_args(const struct report *r, char *args[])
{
    static const char *const kinds[] = {"build", "test", "speed", "race"};
    size_t n = 0;

    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];

        args[n++] = strdup(it->name);
        cr_assert(asprintf(&args[n++], "%.17g", it->score) > 0);
        cr_assert(asprintf(&args[n++], "%.17g", it->max_score) > 0);
        args[n++] = strdup(verdict_name(it->verdict));
        args[n++] = strdup(kinds[it->kind]);
        args[n++] = strdup(it->measured);
        args[n++] = strdup(it->expected);
        args[n++] = strdup(it->hint);
    }
    return n;
}

Test(report, json_has_every_field, .timeout = 10)
{
    struct report r;
    char *dir = tmpdir(), path[256], *args[8 * NITEMS];
    size_t n;

    make_report(&r);
    snprintf(path, sizeof(path), "%s/batch/alice/results.json", dir);
    cr_assert_eq(report_write_json(&r, path), 0, "parents are created");
    n = item_args(&r, args);
    cr_assert_eq(python(json_check, path, args, n), 0, "the checks in python failed");
    for (size_t i = 0; i < n; i++)
        free(args[i]);
    report_free(&r);
    rmtree(dir);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    cr_assert_not_null(d);
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

Test(report, writes_are_atomic_and_fail_cleanly, .timeout = 10)
{
    struct report r;
    char *dir = tmpdir(), path[256], bad[300];
    FILE *f;

    make_report(&r);
    snprintf(path, sizeof(path), "%s/results.json", dir);
    cr_assert_eq(report_write_json(&r, path), 0);
    cr_assert_eq(report_write_json(&r, path), 0, "overwrites");
    cr_assert_eq(report_write_junit(&r, path), 0, "overwrites");
    cr_assert_eq(count_entries(dir), 1, "no temporary file is left behind");
    f = fopen(path, "r");
    cr_assert_not_null(f);
    cr_assert_eq(fgetc(f), '<', "the last write wins");
    fclose(f);
    snprintf(bad, sizeof(bad), "%s/sub/x.json", path);
    cr_assert_eq(report_write_json(&r, bad), -ENOTDIR);
    cr_assert_eq(report_write_junit(&r, bad), -ENOTDIR);
    cr_assert_eq(count_entries(dir), 1);
    report_free(&r);
    rmtree(dir);
}

static const char junit_check[] =
    "python3 -c '\n"
    "import sys, xml.dom.minidom as m\n"
    "d = m.parse(sys.argv[1]); s = d.documentElement\n"
    "assert s.tagName == \"testsuite\" and s.getAttribute(\"name\") == \"lab1-baselines\"\n"
    "assert (s.getAttribute(\"tests\"), s.getAttribute(\"failures\"),\n"
    "        s.getAttribute(\"errors\"), s.getAttribute(\"skipped\")) == (\"10\", \"2\", \"3\", "
    "\"2\")\n"
    "cases = s.getElementsByTagName(\"testcase\")\n"
    "assert len(cases) == 10\n"
    "assert len(s.getElementsByTagName(\"failure\")) == 2\n"
    "errs = s.getElementsByTagName(\"error\")\n"
    "assert [e.getAttribute(\"type\") for e in errs] == [\"timeout\", \"crash\", \"build error\"]\n"
    "assert cases[1].getAttribute(\"classname\") == \"cook\", \"the suite\"\n"
    "assert cases[0].getAttribute(\"classname\") == \"speed\", \"no suite: the kind\"\n"
    "assert all(float(c.getAttribute(\"time\")) >= 0 for c in cases)\n"
    "assert len(s.getElementsByTagName(\"skipped\")) == 2\n"
    "assert cases[5].getAttribute(\"name\") == \"crash \\\"quoted\\\" <name> & \\x27co\\x27\"\n"
    "assert cases[5].getAttribute(\"classname\") == \"test\"\n"
    "sk = cases[7].getElementsByTagName(\"skipped\")[0]\n"
    "assert sk.getAttribute(\"message\").startswith(\"INCONCLUSIVE: only 2\")\n"
    "f = cases[1].getElementsByTagName(\"failure\")[0]\n"
    "assert \"compare with the sequential\" in f.getAttribute(\"message\")\n"
    "assert \"got \\\"41\\\"\" in f.firstChild.data, f.firstChild.data\n"
    "assert f.firstChild.data.endswith(\"red\\r\"), repr(f.firstChild.data)\n"
    "' %s";

Test(report, junit_is_well_formed, .timeout = 10)
{
    struct report r;
    char *dir = tmpdir(), path[256], text[512];
    FILE *f;

    make_report(&r);
    snprintf(path, sizeof(path), "%s/junit/lab1.xml", dir);
    cr_assert_eq(report_write_junit(&r, path), 0);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
    fclose(f);
    cr_assert(strstr(text, "tests=\"10\" failures=\"2\" errors=\"3\" skipped=\"2\""), "%s", text);
    cr_assert_eq(run(junit_check, path), 0, "the JUnit checks in python failed");
    report_free(&r);
    rmtree(dir);
}

static void assert_before(const char *text, const char *a, const char *b)
{
    const char *pa = strstr(text, a), *pb = strstr(text, b);

    cr_assert(pa && pb && pa < pb, "\"%s\" should come before \"%s\"", a, b);
}

Test(report, print_plain, .timeout = 10)
{
    static const char *const want[] = {
        "== lab1-baselines: Baselines: one waiter ==",
        "source:  labs/lab1-baselines",
        "SEED=12345 to replay",
        "machine: 2 usable cores",
        "[PASS]",
        "[FAIL]",
        "[TODO]",
        "[TIME]",
        "[CRSH]",
        "[BILD]",
        "[????]",
        "[SKIP]",
        " 3/3",
        "1.97x (1.93-1.99",
        "want >= 1.50x",
        "hint: compare with the sequential reference",
        "| expected 42, got \"41\"",
        "\\x01 ctl \\xff\\xfe bad \\x1b[31mred\\x0d",
        "| line 20\n",
        "10 more lines cut",
        "Score: 6/20",
        "  pass             3\n",
        "  inconclusive     1\n",
        "  not implemented  1\n",
        "inconclusive cells score 0 this run: rerun on a quiet machine "
        "(they are never a plain fail)"};
    struct report r;
    char *text;

    make_report(&r);
    text = print_to_string(&r, false);
    cr_assert_null(strchr(text, '\033'), "escape codes without colour:\n%s", text);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(strstr(text, want[i]), "no \"%s\" in:\n%s", want[i], text);
    cr_assert_null(strstr(text, "PASSHINT"), "a hint under a passed item");
    cr_assert_null(strstr(text, "INCHINT"), "a hint (what to fix) under an inconclusive item");
    cr_assert_null(strstr(text, "line 21"), "more than 20 lines shown");
    cr_assert_null(strstr(text, "\xff"), "raw bad bytes on the terminal");
    assert_before(text, "build.extra", "cook::matches_reference");
    assert_before(text, "crash \"quoted\"", "race::counter");
    assert_before(text, "race::counter", "cpu.threads");
    assert_before(text, "cpu.threads", "io.async");
    assert_before(text, "io.async", "cpu.gil");
    free(text);
    report_free(&r);
}

Test(report, print_colour, .timeout = 10)
{
    static const char *const want[] = {"\033[32m[PASS]\033[0m", "\033[31m[FAIL]", "\033[31m[CRSH]",
                                       "\033[31m[TIME]",        "\033[31m[BILD]", "\033[33m[TODO]",
                                       "\033[33m[????]",        "\033[2m[SKIP]"};
    struct report r;
    char *text;

    make_report(&r);
    text = print_to_string(&r, true);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert(strstr(text, want[i]), "no colour tag %zu in:\n%s", i, text);
    cr_assert_null(strstr(text, "\033[31mred"), "the student's escape went through raw");
    free(text);
    report_free(&r);
}

/* The folder graded is named by whoever made it (a batch's submission): its name reaches
 * the terminal with its control characters as \xNN, on the one source line. */
Test(report, source_is_shown_escaped, .timeout = 5)
{
    struct report r;
    char *text;

    report_init(&r, "lab", "title");
    snprintf(r.source, sizeof(r.source), "subs/new\nline\033[2J\r=cmd|x,\"y\"");
    text = print_to_string(&r, true);
    cr_assert(strstr(text, "\nsource:  subs/new\\x0aline\\x1b[2J\\x0d=cmd|x,\"y\"\nseed:"), "%s",
              text);
    cr_assert_null(strstr(text, "\033[2J"), "%s", text);
    free(text);
    report_free(&r);
}

/* A right-to-left override (U+202E) in student text would show what follows it backwards
 * (red team round 7, build_error_inject): shown as its code point instead. */
Test(report, reordering_characters_are_shown_as_code_points, .timeout = 5)
{
    struct report r;
    char *text;

    report_init(&r, "lab", "title");
    snprintf(r.source, sizeof(r.source),
             "subs/\xe2\x80\xae"
             "cba\xe2\x81\xa6x");
    text = print_to_string(&r, false);
    cr_assert(strstr(text, "\nsource:  subs/\\u{202E}cba\\u{2066}x\n"), "%s", text);
    cr_assert_null(strstr(text, "\xe2\x80\xae"), "%s", text);
    free(text);
    report_free(&r);
}

Test(report, no_inconclusive_line_when_none, .timeout = 5)
{
    struct report r;
    struct item it = {.name = "t", .kind = ITEM_TEST, .score = 1, .max_score = 1};
    char *text;

    report_init(&r, "lab", "title");
    report_add(&r, &it);
    text = print_to_string(&r, false);
    cr_assert_null(strstr(text, "inconclusive"), "%s", text);
    cr_assert(strstr(text, "Score: 1/1"), "%s", text);
    free(text);
    report_free(&r);
}

Test(report, full_and_score, .timeout = 5)
{
    struct report r;
    struct item pass = {.name = "p", .score = 2, .max_score = 2, .verdict = V_PASS};
    struct item free_skip = {.name = "s", .max_score = 0, .verdict = V_SKIPPED};
    struct item inc = {.name = "i", .max_score = 3, .verdict = V_INCONCLUSIVE};
    double max = -1;

    report_init(&r, "lab", "title");
    cr_assert_not(report_full(&r), "nothing graded is not full marks");
    report_add(&r, &pass);
    report_add(&r, &free_skip);
    cr_assert(report_full(&r));
    report_add(&r, &inc);
    cr_assert_not(report_full(&r), "an inconclusive cell is not full marks");
    cr_assert_eq(report_score(&r, &max), 2);
    cr_assert_eq(max, 5);
    cr_assert_eq(report_score(&r, NULL), 2);
    r.items[2].verdict = V_PASS;
    cr_assert_not(report_full(&r), "a pass short of its points");
    r.items[2].score = 3;
    cr_assert(report_full(&r));
    report_free(&r);
}

Test(report, printf_appends, .timeout = 5)
{
    struct report r;
    struct item it = {.name = "t"};
    struct item *p;

    report_init(&r, "lab", "title");
    p = report_add(&r, &it);
    item_printf(p, "a=%d", 1);
    item_printf(p, ", b=%s", "two");
    report_note(&r, "x");
    report_note(&r, "%c", 'y');
    cr_assert_str_eq(p->output, "a=1, b=two");
    cr_assert_str_eq(r.output, "xy");
    for (int i = 0; i < 100; i++)
        report_add(&r, &it);
    cr_assert_eq(r.n, 101);
    cr_assert_str_eq(r.items[0].output, "a=1, b=two", "kept when the array grows");
    report_free(&r);
    cr_assert_eq(r.n, 0);
}

Test(report, verdict_names, .timeout = 5)
{
    static const char *const names[] = {"pass",  "fail",        "not implemented", "timeout",
                                        "crash", "build error", "inconclusive",    "skipped"};

    for (int v = V_PASS; v <= V_SKIPPED; v++)
        cr_assert_str_eq(verdict_name(v), names[v]);
    cr_assert_str_eq(verdict_name((enum verdict)99), "unknown");
}

/* report_file.h, the pieces the two files share. */
Test(report, item_text_and_finite, .timeout = 5)
{
    struct item pass = IT("p", ITEM_TEST, 1, 1, V_PASS, "", "", "never shown");
    struct item inc = IT("i", ITEM_SPEED, 0, 3, V_INCONCLUSIVE, "1.10x", ">= 1.50x", "h");
    char *text;

    text = report_item_text(&pass);
    cr_assert_str_eq(text, "pass\n");
    free(text);
    text = report_item_text(&inc);
    cr_assert_str_eq(text,
                     "INCONCLUSIVE: the speed could not be measured cleanly\nThis cell "
                     "scores 0 this run; rerun on a quiet machine. It is not a fail.\n"
                     "measured: 1.10x\nexpected: >= 1.50x\nhint: h\n",
                     "no reason given: %s", text);
    free(text);
    cr_assert_eq(report_finite(NAN), 0);
    cr_assert_eq(report_finite(-INFINITY), 0);
    cr_assert_eq(report_finite(2.5), 2.5);
}

static int emit_fails(const struct report *r, FILE *f)
{
    fprintf(f, "half of %s", r->lab);
    return -EPROTO;
}

Test(report, write_file_leaves_nothing_on_failure, .timeout = 5)
{
    struct report r;
    char *dir = tmpdir(), path[256];

    report_init(&r, "lab", "title");
    snprintf(path, sizeof(path), "%s/a/b/out.json", dir);
    cr_assert_eq(report_write_file(path, emit_fails, &r), -EPROTO, "emit's error");
    cr_assert_neq(access(path, F_OK), 0, "no file where emit failed");
    snprintf(path, sizeof(path), "%s/a/b", dir);
    cr_assert_eq(count_entries(path), 0, "no temporary file left");
    report_free(&r);
    rmtree(dir);
}
