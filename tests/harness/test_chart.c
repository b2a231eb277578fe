/* test_chart.c: the SVG speed chart: well-formed, one row a measured cell, none when none. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "build.h"
#include "report.h"
#include "sys.h"

static struct item cell(const char *name, enum verdict v, double med, double ge, double le)
{
    struct item it = {.kind = ITEM_SPEED, .verdict = v, .max_score = 3};

    snprintf(it.name, sizeof(it.name), "%s", name);
    it.fig = (struct figure){.set = true,
                             .lo = med * 0.95,
                             .med = med,
                             .hi = med * 1.05,
                             .want_ge = ge,
                             .want_le = le,
                             .ideal = 2,
                             .cpuwall = 1.9};
    return it;
}

Test(chart, draws_each_measured_cell, .timeout = 10)
{
    char dir[] = "/tmp/chart-XXXXXX", path[128], cmd[256];
    struct report r;
    struct item skipped = {.kind = ITEM_SPEED, .verdict = V_SKIPPED};

    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/c.svg", dir);
    report_init(&r, "lab2-threads", "Threads & <friends>");
    snprintf(r.machine, sizeof(r.machine), "2 usable cores");
    struct item a = cell("cook.threads", V_PASS, 1.97, 1.5, 0);
    struct item b = cell("cook.skewed", V_FAIL, 1.2, 1.5, 0);
    struct item c = cell("gil.cpu", V_INCONCLUSIVE, 1.0, 0, 1.2);
    strcpy(skipped.name, "never.measured");
    report_add(&r, &a);
    report_add(&r, &b);
    report_add(&r, &c);
    report_add(&r, &skipped);
    cr_assert_eq(report_write_svg(&r, path), 0);
    char *svg = sys_slurp(path, 1 << 20, NULL);
    cr_assert(svg, "no file written");
    cr_assert(strstr(svg, "cook.threads") && strstr(svg, "cook.skewed") && strstr(svg, "gil.cpu"));
    cr_assert_null(strstr(svg, "never.measured"), "an unmeasured cell has no row");
    cr_assert(strstr(svg, "1.97x"), "the median is written");
    cr_assert(strstr(svg, ": fail"), "the verdict is written");
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import sys,xml.dom.minidom as m; m.parse(sys.argv[1])' %s", path);
    cr_assert_eq(system(cmd), 0, "the SVG is not well-formed XML");
    free(svg);
    report_free(&r);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    system(cmd);
}

Test(chart, nothing_measured_writes_nothing, .timeout = 10)
{
    struct report r;
    struct item t = {.kind = ITEM_TEST, .verdict = V_PASS};

    report_init(&r, "lab1", "x");
    report_add(&r, &t);
    cr_assert_eq(report_write_svg(&r, "/tmp/chart-never-written.svg"), 0);
    cr_assert_neq(access("/tmp/chart-never-written.svg", F_OK), 0);
    /* a chart left by an earlier run is removed: it would show someone else's numbers */
    FILE *old = fopen("/tmp/chart-never-written.svg", "w");
    cr_assert(old);
    fclose(old);
    cr_assert_eq(report_write_svg(&r, "/tmp/chart-never-written.svg"), 0);
    cr_assert_neq(access("/tmp/chart-never-written.svg", F_OK), 0, "a stale chart was kept");
    report_free(&r);
}
