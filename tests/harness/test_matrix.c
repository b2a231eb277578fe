/* test_matrix.c: the note's table: its file, the spec keys, verdicts, staleness, renderings. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "matrix.h"
#include "options.h"
#include "spec.h"

static const char table[] = "# a test table\n"
                            "column cpu \"CPU-bound\"\n"
                            "column io  \"I/O-bound\"\n"
                            "row seq \"sequential\"\n"
                            "row gil \"threads under a GIL\"\n"
                            "claim gil/cpu \"no faster\" holds=\"speedup<=1.2\"\n"
                            "claim gil/io \"faster\" holds=\"eff>=0.6\"\n"
                            "claim seq/cpu \"1x\" holds=\"speedup>=0.8 speedup<=1.25\"\n";

static struct mx_table t;

static void table_ok(void)
{
    char err[256] = "";
    cr_assert_eq(matrix_table_parse(table, "m", &t, err, sizeof(err)), 0, "%s", err);
}

static void table_bad(const char *text, const char *why)
{
    char err[256] = "";
    cr_assert_eq(matrix_table_parse(text, "m", &t, err, sizeof(err)), -EINVAL, "took: %s", text);
    cr_assert(strstr(err, why), "'%s', wanted '%s'", err, why);
}

Test(matrix, table_file)
{
    int row, col;

    table_ok();
    cr_assert_eq(t.nrows, 2);
    cr_assert_eq(t.ncols, 2);
    cr_assert_str_eq(t.row_title[1], "threads under a GIL");
    const struct mx_claim *c = matrix_claim(&t, "gil/cpu", &row, &col);
    cr_assert(c && row == 1 && col == 0);
    cr_assert_str_eq(c->words, "no faster");
    cr_assert(c->nconds == 1 && !c->conds[0].eff && !c->conds[0].ge);
    cr_assert_float_eq(c->conds[0].value, 1.2, 1e-9);
    cr_assert_null(matrix_claim(&t, "seq/io", &row, &col), "no claim there");
    cr_assert(row == 0 && col == 1, "but the row and column exist");
    matrix_claim(&t, "hybrid/cpu", &row, &col);
    cr_assert_eq(row, -1);
}

Test(matrix, table_file_refused)
{
    table_bad("column cpu \"CPU\"\nrow a \"A\"\nclaim b/cpu \"x\" holds=\"speedup<=1\"\n",
              "m:3: names no row/column");
    table_bad("column cpu \"CPU\"\nrow a \"A\"\nclaim a/cpu \"x\" holds=\"fast>=1\"\n",
              "m:3: holds=");
    table_bad("column cpu \"CPU\"\nrow a \"A\"\nclaim a/cpu \"x\" holds=\"speedup<=1\"\n"
              "claim a/cpu \"y\" holds=\"speedup<=1\"\n",
              "m:4: a second claim");
    table_bad("column cpu \"CPU\nrow a \"A\"\n", "m:1: a quote left open");
    table_bad("colour cpu \"CPU\"\n", "m:1: not column, row or claim");
    table_bad("# nothing\n", "no rows or no columns");
}

Test(matrix, the_kits_table_parses)
{
    char err[1400] = "";
    cr_assert_eq(matrix_table_load(".", &t, err, sizeof(err)), 0, "%s", err);
    cr_assert(matrix_claim(&t, "gil_threads/cpu", NULL, NULL), "the note's first claim is there");
    cr_assert(matrix_claim(&t, "gil_procs/cpu", NULL, NULL), "and its second");
}

static struct mx_fig fig(double med, double lo, double hi, double ideal, const char *verdict)
{
    struct mx_fig f = {.set = true, .med = med, .lo = lo, .hi = hi, .ideal = ideal, .clean = 5};
    snprintf(f.verdict, sizeof(f.verdict), "%s", verdict);
    return f;
}

Test(matrix, verdicts_against_the_claim)
{
    table_ok();
    const struct mx_claim *nofaster = matrix_claim(&t, "gil/cpu", NULL, NULL);
    const struct mx_claim *faster = matrix_claim(&t, "gil/io", NULL, NULL);
    struct mx_fig f = fig(0.98, 0.94, 1.05, 1, "pass");

    cr_assert_eq(matrix_verdict(nofaster, &f), MX_HOLDS);
    f = fig(1.9, 1.8, 2.0, 1, "fail");
    cr_assert_eq(matrix_verdict(nofaster, &f), MX_FAILS, "threads under a GIL at 1.9x");
    f = fig(7.4, 7, 7.8, 8, "pass");
    cr_assert_eq(matrix_verdict(faster, &f), MX_HOLDS, "eff 0.93");
    f = fig(2.0, 1.9, 2.1, 8, "fail");
    cr_assert_eq(matrix_verdict(faster, &f), MX_FAILS, "eff 0.25");
    f = fig(1.0, 1, 1, 1, "pass");
    cr_assert_eq(matrix_verdict(faster, &f), MX_UNTESTABLE, "'faster' where the ideal is 1x");
    f = fig(0.5, 0.4, 0.6, 1, "inconclusive");
    cr_assert_eq(matrix_verdict(nofaster, &f), MX_INCONCLUSIVE);
    f.set = false;
    strcpy(f.verdict, "skipped");
    cr_assert_eq(matrix_verdict(nofaster, &f), MX_NOT_MEASURED);
    f = fig(1, 1, 1, 1, "pass");
    f.clean = 2;
    cr_assert_eq(matrix_verdict(nofaster, &f), MX_INCONCLUSIVE, "too few clean pairs");
}

Test(matrix, stale_figures)
{
    struct mx_fig f = fig(1, 1, 1, 1, "pass");
    char why[256] = "";

    f.when = 1000;
    strcpy(f.source, "solutions/lab2-threads");
    cr_assert_not(matrix_stale(&f, 999, "solutions/lab2-threads", why, sizeof(why)), "%s", why);
    cr_assert(matrix_stale(&f, 1001, "solutions/lab2-threads", why, sizeof(why)));
    cr_assert(strstr(why, "before your sources last changed"), "%s", why);
    cr_assert(matrix_stale(&f, 999, "labs/lab2-threads", why, sizeof(why)));
    cr_assert(strstr(why, "measured on solutions/lab2-threads, not labs/lab2-threads"), "%s", why);
    strcpy(f.source, "/home/s/kit/labs/lab2-threads");
    cr_assert_not(matrix_stale(&f, 999, "labs/lab2-threads", why, sizeof(why)),
                  "the same folder, named from elsewhere");
}

/* A kit of two labs in a temporary folder: a table, specs with matrix= keys, results. */
static char root[64];

static void put(const char *rel, const char *text)
{
    char path[256], cmd[300];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    cr_assert_eq(system(cmd), 0);
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void age(const char *rel, time_t when)
{
    char path[256];
    struct utimbuf u = {when, when};
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    cr_assert_eq(utime(path, &u), 0, "%s", path);
}

#define SPEC(cells) "lab \"t\"\nstudent a.c\ntest t::ok 1\n" cells
#define SPEED(name, key)                                                                           \
    "speed " name " 1 workload=cpu version=v baseline=ref check=\"speedup>=1\" matrix=" key "\n"
#define RESULT(name, verdict, med, at)                                                             \
    "{\"name\": \"" name "\", \"extra_data\": {\"verdict\": \"" verdict                            \
    "\", \"kind\": \"speed\", "                                                                    \
    "\"figure\": {\"set\": true, \"med\": " med ", \"lo\": 0.9, \"hi\": 1.1, \"ideal\": 1, "       \
    "\"clean\": 5, \"P\": 2, \"workers\": 2, \"jobs\": 4, \"seed\": 77, \"ideal_expr\": \"1\", "   \
    "\"source\": \"labs/lab1-x\", \"at\": \"" at "\"}}}"

static void kit(void)
{
    strcpy(root, "/tmp/matrix-XXXXXX");
    cr_assert(mkdtemp(root));
    put("harness/labs/lab6-choosing/matrix", table);
    put("harness/labs/lab1-x/spec", SPEC(SPEED("a", "seq/cpu") SPEED("b", "gil/cpu")));
    put("harness/labs/lab6-choosing/spec", SPEC(SPEED("c", "gil/io")));
    put("labs/lab1-x/a.c", "int a;\n");
    age("labs/lab1-x/a.c", 1000);
    put("build/results/lab1.json",
        "{\"tests\": [" RESULT("a", "pass", "1.01", "1970-01-01T00:20:00Z") ", " RESULT(
            "b", "pass", "0.99", "1970-01-01T00:20:00Z") "]}");
}

static void unkit(void)
{
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}

static struct matrix m;

static void build(void)
{
    char err[1400] = "", results[100];
    snprintf(results, sizeof(results), "%s/build/results", root);
    cr_assert_eq(matrix_build(&m, root, "labs", results, err, sizeof(err)), 0, "%s", err);
}

Test(matrix, built_from_the_labs_results, .init = kit, .fini = unkit)
{
    build();
    cr_assert_eq(m.cell[0][0].state, MX_HOLDS, "%s", m.cell[0][0].why);
    cr_assert_eq(m.cell[1][0].state, MX_HOLDS, "0.99x: no faster");
    cr_assert_eq(m.cell[1][1].state, MX_NO_RESULTS, "lab 6 has no results");
    cr_assert_str_eq(m.cell[1][1].item, "c");
    cr_assert_null(m.cell[0][1].claim, "the note claims nothing there");
    cr_assert_str_eq(m.todo, "make check LAB=6");

    age("labs/lab1-x/a.c", 5000); /* edited after the run */
    build();
    cr_assert_eq(m.cell[0][0].state, MX_STALE);
    cr_assert(strstr(m.cell[0][0].why, "before your sources last changed"), "%s", m.cell[0][0].why);
    cr_assert_str_eq(m.todo, "make check LAB=1; make check LAB=6");

    char err[1400] = "", results[100];
    snprintf(results, sizeof(results), "%s/build/results", root);
    cr_assert_eq(matrix_build(&m, root, "solutions", results, err, sizeof(err)), 0);
    cr_assert_eq(m.cell[1][0].state, MX_STALE, "the results are of labs/, not solutions/");
    cr_assert(strstr(m.todo, "make check LAB=1 SOLUTION=1"), "%s", m.todo);
}

Test(matrix, spec_keys_checked_against_the_table, .init = kit, .fini = unkit)
{
    char err[1400] = "", results[100];

    snprintf(results, sizeof(results), "%s/build/results", root);
    put("harness/labs/lab6-choosing/spec", SPEC(SPEED("c", "hybrid/mixed")));
    cr_assert_eq(matrix_build(&m, root, "labs", results, err, sizeof(err)), -EINVAL);
    cr_assert(strstr(err, "lab6-choosing spec: speed c: matrix=hybrid/mixed names no row/column"),
              "%s", err);
    put("harness/labs/lab6-choosing/spec", SPEC(SPEED("c", "seq/io")));
    cr_assert_eq(matrix_build(&m, root, "labs", results, err, sizeof(err)), -EINVAL);
    cr_assert(strstr(err, "has no claim"), "%s", err);
    put("harness/labs/lab6-choosing/spec", SPEC(SPEED("c", "gil/cpu")));
    cr_assert_eq(matrix_build(&m, root, "labs", results, err, sizeof(err)), -EINVAL);
    cr_assert(strstr(err, "is filled by another cell already (lab1-x b)"), "%s", err);
}

Test(matrix, the_kits_specs_fit_its_table)
{
    char err[1400] = "";
    cr_assert_eq(matrix_build(&m, ".", "solutions", "/nonexistent", err, sizeof(err)), 0, "%s",
                 err);
    int filled = 0;
    for (int r = 0; r < m.t.nrows; r++)
        for (int c = 0; c < m.t.ncols; c++)
            filled += m.cell[r][c].lab[0] != '\0';
    cr_assert_geq(filled, 10, "labs 1-6 fill most of the table: %d", filled);
    cr_assert(strstr(m.todo, "make check LAB=1 SOLUTION=1"), "no results: %s", m.todo);
}

Test(matrix, cpython_column)
{
    table_ok();
    memset(&m, 0, sizeof(m));
    m.t = t;
    matrix_python_parse(&m, "python CPython 3.11.2, P=2\ncell gil/cpu 1.10 1.0 1.2\n"
                            "cell nosuch/cpu 9 9 9\ncell gil/io 7.4 7 8\n");
    cr_assert(m.py.ran);
    cr_assert(strstr(m.py.says, "CPython 3.11.2, P=2"), "%s", m.py.says);
    cr_assert(m.py.cell[1][0].set && m.py.cell[1][1].set && !m.py.cell[0][0].set);
    cr_assert_float_eq(m.py.cell[1][1].med, 7.4, 1e-9);
    matrix_python(&m, ".", "/nonexistent/python3");
    cr_assert_not(m.py.ran);
    cr_assert(strstr(m.py.says, "no /nonexistent/python3 on this machine"), "%s", m.py.says);
    matrix_python(&m, ".", "none");
    cr_assert(strstr(m.py.says, "--python none"), "%s", m.py.says);
}

/* Render into memory. */
static char *render(void (*draw)(const struct matrix *, FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    draw(&m, f);
    fclose(f);
    return buf;
}

static void print_plain(const struct matrix *mm, FILE *f)
{
    matrix_print(mm, f, false);
}

Test(matrix, renderings, .init = kit, .fini = unkit)
{
    build();
    strcpy(m.tree, "labs<&>");
    matrix_python_parse(&m, "python CPython 3.11.2, P=2\ncell gil/cpu 1.10 1.0 1.2\n");
    char *md = render(matrix_markdown), *svg = render(matrix_svg), *tty = render(print_plain);

    cr_assert(strstr(md, "| | CPU-bound | I/O-bound | CPython, now |"), "%s", md);
    cr_assert(strstr(md, "| threads under a GIL | 0.99x (0.90-1.10) holds | not run | cpu 1.10x |"),
              "%s", md);
    cr_assert(strstr(md,
                     "- threads under a GIL, CPU-bound: 0.99x (0.90-1.10), cpu/wall 0.00, ideal "
                     "1.00x = 1 (P=2, W=2, N=4); the note says no faster: holds (lab1-x b, "
                     "seed 77, measured 1970-01-01T00:20:00Z)"),
              "%s", md);
    cr_assert(strstr(md, "**Not current**: make check LAB=6"), "%s", md);
    cr_assert(strstr(svg, "<svg") && strstr(svg, "</svg>"));
    cr_assert(strstr(svg, "labs&lt;&amp;&gt;") && !strstr(svg, "labs<&>"), "escaped");
    cr_assert(strstr(svg, "fill='#cfe8cf'"), "a cell that holds is green");
    cr_assert(strstr(tty, "threads under a GIL") && strstr(tty, "not current: make check LAB=6"),
              "%s", tty);
    cr_assert_null(strstr(tty, "\033["), "no colour when not asked");
    free(md), free(svg), free(tty);
}

Test(matrix, spec_key_is_row_slash_column)
{
    static struct spec s;
    char err[256] = "";

    cr_assert_eq(spec_parse(SPEC(SPEED("a", "gil_threads/cpu")), "t", &s, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_str_eq(s.speeds[0].matrix, "gil_threads/cpu");
    const char *bad[] = {"gil", "gil/", "/cpu", "Gil/cpu", "a/b/c", "a b/c"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 SPEC("speed a 1 workload=cpu version=v baseline=ref "
                      "check=\"speedup>=1\" matrix=\"%s\"\n"),
                 bad[i]);
        cr_assert_eq(spec_parse(text, "t", &s, err, sizeof(err)), -EINVAL, "took %s", bad[i]);
        cr_assert(strstr(err, "matrix= must be row/column"), "%s: %s", bad[i], err);
    }
}

Test(matrix, command_line, .init = cr_redirect_stderr)
{
    struct opts o;
    char *line[] = {"grade",     "--root",    "/kit",     "--matrix", "--src",
                    "solutions", "--measure", "--python", "none",     NULL};
    char *with_lab[] = {"grade", "--root", "/kit", "--matrix", "--lab", "lab1-baselines", NULL};
    char *grading[] = {"grade", "--root", "/kit", "--lab", "l", "--src", "s", "--measure", NULL};

    cr_assert_eq(opts_parse(9, line, &o), OPTS_GRADE);
    cr_assert(o.matrix && o.measure);
    cr_assert_str_eq(o.results, "/kit/build/results");
    cr_assert_str_eq(o.python, "none");
    cr_assert(strstr(o.src, "/solutions"), "%s", o.src);
    cr_assert_eq(opts_parse(6, with_lab, &o), OPTS_BAD, "--matrix grades no lab");
    cr_assert_eq(opts_parse(8, grading, &o), OPTS_BAD, "--measure is --matrix's alone");
}

/* The table is found by the file, not by a lab's name: in whichever lab folder holds it
 * (the furthest in the order of names when several do), and its absence is said. */
Test(matrix, table_found_in_the_lab_that_holds_it, .init = kit, .fini = unkit)
{
    char err[1400] = "", from[300], to[300];
    struct mx_table t;

    snprintf(from, sizeof(from), "%s/harness/labs/lab6-choosing/matrix", root);
    snprintf(to, sizeof(to), "%s/harness/labs/lab1-x/matrix", root);
    cr_assert_eq(rename(from, to), 0);
    cr_assert_eq(matrix_table_load(root, &t, err, sizeof(err)), 0, "%s", err);
    cr_assert_gt(t.nclaims, 0);
    put("harness/labs/lab6-choosing/matrix", "not a table\n");
    cr_assert_lt(matrix_table_load(root, &t, err, sizeof(err)), 0, "lab6's is read, not lab1's");
    cr_assert(strstr(err, "lab6-choosing/matrix"), "%s", err);
    cr_assert_eq(unlink(to), 0);
    snprintf(from, sizeof(from), "%s/harness/labs/lab6-choosing/matrix", root);
    cr_assert_eq(unlink(from), 0);
    cr_assert_eq(matrix_table_load(root, &t, err, sizeof(err)), -ENOENT);
    cr_assert(strstr(err, "no lab folder holds the table"), "%s", err);
}
