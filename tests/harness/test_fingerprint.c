/* test_fingerprint.c: the machine's fingerprint from fake /proc files, and in the files. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cores.h"
#include "fingerprint.h"
#include "report.h"
#include "sys.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void fresh(void)
{
    strcpy(dir, "/tmp/fingerprint-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void gone(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(fingerprint, .init = fresh, .fini = gone, .timeout = 15);

static struct cores half = {.online = 4,
                            .affinity = 4,
                            .quota = 0.5,
                            .usable = 0.5,
                            .why = "0.5 usable cores (affinity 4 of 4 online, quota 0.50)"};

Test(fingerprint, reads_cpu_load_version_and_cores)
{
    struct fingerprint fp;

    put("cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Fake CPU @ 2.0GHz\n");
    put("loadavg", "3.25 1.50 0.75 2/345 6789\n");
    put("VERSION", "v1.2-3-gabcdef\n");
    fingerprint_take(&fp, &half, dir, NULL, dir);
    cr_assert(fp.set);
    cr_assert_str_eq(fp.cpu, "Fake CPU @ 2.0GHz");
    cr_assert_float_eq(fp.load[0], 3.25, 1e-9);
    cr_assert_float_eq(fp.load[2], 0.75, 1e-9);
    cr_assert_str_eq(fp.kit, "v1.2-3-gabcdef", "the VERSION file, without its newline");
    cr_assert_float_eq(fp.usable, 0.5, 1e-9);
    cr_assert_float_eq(fp.quota, 0.5, 1e-9);
    cr_assert(strstr(fp.cores_why, "quota 0.50"), "%s", fp.cores_why);
    cr_assert(strstr(fp.kernel, "Linux "), "%s", fp.kernel);
    cr_assert(strstr(fp.compiler, "cc") || strstr(fp.compiler, "clang"), "%s", fp.compiler);
}

Test(fingerprint, arm_cpuinfo_and_missing_files)
{
    struct fingerprint fp;

    put("cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\nModel\t\t: Raspberry Pi 4 Model B\n");
    fingerprint_take(&fp, &half, dir, "/nonexistent/cc", dir);
    cr_assert_str_eq(fp.cpu, "Raspberry Pi 4 Model B");
    cr_assert_float_eq(fp.load[0], -1, 1e-9, "no loadavg: unknown, never 0");
    cr_assert_str_eq(fp.compiler, "unknown", "a compiler that cannot be run");
    cr_assert_str_eq(fp.kit, "unknown", "no VERSION and no git repository");
}

/* git and the compiler are asked once a process for a root and a compiler (a batch warms
 * them before it forks its graders): a later take reads the first answer; another root is
 * asked anew. */
Test(fingerprint, asked_once_a_process_for_each_root)
{
    struct fingerprint fp;
    char other[128];

    put("VERSION", "v1\n");
    fingerprint_warm(dir, NULL);
    put("VERSION", "v2\n");
    fingerprint_take(&fp, &half, dir, NULL, dir);
    cr_assert_str_eq(fp.kit, "v1");
    cr_assert_neq(strcmp(fp.compiler, "unknown"), 0, "/usr/bin/cc --version: %s", fp.compiler);
    snprintf(other, sizeof(other), "%s/other", dir);
    cr_assert_eq(mkdir(other, 0755), 0);
    put("other/VERSION", "v3\n");
    fingerprint_take(&fp, &half, other, NULL, dir);
    cr_assert_str_eq(fp.kit, "v3");
}

Test(fingerprint, git_describe_without_a_version_file)
{
    struct fingerprint fp;
    char root[1024];

    cr_assert_not_null(getcwd(root, sizeof(root))); /* the kit: tests run from its top */
    if (access("/usr/bin/git", X_OK) || access(".git", F_OK))
        cr_skip_test("no git, or not a git checkout");
    fingerprint_take(&fp, &half, root, NULL, dir);
    cr_assert(fp.kit[0] && strcmp(fp.kit, "unknown"), "git describe gave %s", fp.kit);
}

Test(fingerprint, first_line_stops_at_its_deadline)
{
    char buf[64];
    char *sleeper[] = {"/bin/sleep", "30", NULL};
    char *echo[] = {"/bin/echo", "one line", NULL};
    double t0 = sys_now();

    cr_assert_eq(fingerprint_first_line(sleeper, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "");
    cr_assert_lt(sys_now() - t0, 5, "a program that never ends costs at most ~2 s");
    cr_assert_eq(fingerprint_first_line(echo, buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "one line");
}

/* results.json and JUnit carry it: python reads both back. */
Test(fingerprint, in_results_json_and_junit)
{
    struct report r;
    struct item it = {
        .name = "t::a", .kind = ITEM_TEST, .score = 1, .max_score = 1, .verdict = V_PASS};
    char json[128], xml[128], cmd[2048];

    put("cpuinfo", "model name\t: Fake \"CPU\" <1>\n");
    put("loadavg", "7.00 6.00 5.00 1/1 1\n");
    put("VERSION", "kit-9\n");
    report_init(&r, "lab1-baselines", "t");
    r.seed = 77;
    snprintf(r.machine, sizeof(r.machine), "%s", half.why);
    fingerprint_take(&r.fp, &half, dir, NULL, dir);
    report_add(&r, &it);
    snprintf(json, sizeof(json), "%s/r.json", dir);
    snprintf(xml, sizeof(xml), "%s/r.xml", dir);
    cr_assert_eq(report_write_json(&r, json), 0);
    cr_assert_eq(report_write_junit(&r, xml), 0);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json, sys, xml.dom.minidom as m\n"
             "e = json.load(open(sys.argv[1]))[\"extra_data\"]\n"
             "assert e[\"cpu_model\"] == \"Fake \\\"CPU\\\" <1>\", e\n"
             "assert (e[\"usable_cores\"], e[\"cpu_quota\"], e[\"seed\"]) == (0.5, 0.5, 77), e\n"
             "assert e[\"load_before\"] == [7, 6, 5] and e[\"kit_version\"] == \"kit-9\", e\n"
             "assert e[\"kernel\"] and e[\"compiler\"] and \"quota 0.50\" in e[\"cores_why\"], e\n"
             "s = m.parse(sys.argv[2]).documentElement\n"
             "p = {x.getAttribute(\"name\"): x.getAttribute(\"value\")\n"
             "     for x in s.getElementsByTagName(\"properties\")[0].childNodes\n"
             "     if x.nodeType == 1}\n"
             "assert p[\"cpu_model\"] == e[\"cpu_model\"] and p[\"kit_version\"] == \"kit-9\", p\n"
             "assert (p[\"score\"], p[\"max_score\"], p[\"seed\"]) == (\"1\", \"1\", \"77\"), p\n"
             "assert p[\"load_before\"] == \"7.00 6.00 5.00\" and p[\"cpu_quota\"] == \"0.5\", p\n"
             "' %s %s",
             json, xml);
    cr_assert_eq(system(cmd), 0, "the python checks failed");
    report_free(&r);
}
