/* test_cores.c: usable cores from fake cgroup trees (v1 and v2), and the probe. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cores.h"

static char root[64];

static void put(const char *rel, const char *text)
{
    char path[512], cmd[600];

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    cr_assert_eq(system(cmd), 0);
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void fresh(void)
{
    strcpy(root, "/tmp/cores-XXXXXX");
    cr_assert(mkdtemp(root));
}

static void gone(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    system(cmd);
}

TestSuite(cores, .init = fresh, .fini = gone, .timeout = 10);

Test(cores, v1_no_quota)
{
    put("proc/self/cgroup", "4:memory:/x\n2:cpu,cpuacct:/\n0::/\n");
    put("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    put("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    cr_assert_float_eq(cores_quota(root), 0, 1e-9);
}

Test(cores, v1_quota_in_our_cgroup)
{
    put("proc/self/cgroup", "2:cpu,cpuacct:/grader/job1\n");
    put("sys/fs/cgroup/cpu,cpuacct/grader/job1/cpu.cfs_quota_us", "150000\n");
    put("sys/fs/cgroup/cpu,cpuacct/grader/job1/cpu.cfs_period_us", "100000\n");
    cr_assert_float_eq(cores_quota(root), 1.5, 1e-9);
}

Test(cores, v1_quota_on_a_parent_is_the_limit)
{
    put("proc/self/cgroup", "1:cpu:/a/b\n");
    put("sys/fs/cgroup/cpu/a/b/cpu.cfs_quota_us", "-1\n");
    put("sys/fs/cgroup/cpu/a/b/cpu.cfs_period_us", "100000\n");
    put("sys/fs/cgroup/cpu/a/cpu.cfs_quota_us", "50000\n");
    put("sys/fs/cgroup/cpu/a/cpu.cfs_period_us", "100000\n");
    cr_assert_float_eq(cores_quota(root), 0.5, 1e-9);
}

Test(cores, v2_cpu_max)
{
    put("proc/self/cgroup", "0::/user.slice/job\n");
    put("sys/fs/cgroup/user.slice/job/cpu.max", "200000 100000\n");
    cr_assert_float_eq(cores_quota(root), 2, 1e-9);
}

Test(cores, v2_max_means_none)
{
    put("proc/self/cgroup", "0::/job\n");
    put("sys/fs/cgroup/job/cpu.max", "max 100000\n");
    cr_assert_float_eq(cores_quota(root), 0, 1e-9);
}

Test(cores, v2_smallest_of_the_chain)
{
    put("proc/self/cgroup", "0::/a/b\n");
    put("sys/fs/cgroup/a/b/cpu.max", "300000 100000\n");
    put("sys/fs/cgroup/a/cpu.max", "120000 100000\n");
    cr_assert_float_eq(cores_quota(root), 1.2, 1e-9);
}

Test(cores, no_cgroup_file_means_no_quota)
{
    cr_assert_float_eq(cores_quota(root), 0, 1e-9);
}

Test(cores, usable_is_the_smaller_of_affinity_and_quota)
{
    struct cores c;

    cores_compute(&c, 8, 2, 0);
    cr_assert_float_eq(c.usable, 2, 1e-9);
    cr_assert(strstr(c.why, "affinity 2 of 8"), "%s", c.why);
    cr_assert(strstr(c.why, "no CPU quota"), "%s", c.why);
    cores_compute(&c, 8, 4, 1.5);
    cr_assert_float_eq(c.usable, 1.5, 1e-9);
    cr_assert(strstr(c.why, "quota 1.50"), "%s", c.why);
    cores_compute(&c, 2, 2, 4);
    cr_assert_float_eq(c.usable, 2, 1e-9, "a quota above the affinity does not add cores");
}

Test(cores, detect_on_this_machine)
{
    struct cores c;

    cores_detect(&c);
    cr_assert_geq(c.online, 1);
    cr_assert(c.affinity >= 1 && c.affinity <= c.online);
    cr_assert(c.usable > 0 && c.usable <= c.affinity);
}

/* One spinning thread gets about one core, even on a busy machine it gets some. */
/* One spinner gets at most one core; at least a fifth of one unless the machine is busy,
 * which 3 tries in a row say: then it is skipped, not failed. */
Test(cores, probe_measures_cpu_actually_got)
{
    double got = 0;

    for (int attempt = 0; attempt < 3; attempt++) {
        got = cores_probe(1, 100);
        cr_assert_leq(got, 1.1, "one spinner got %.2f cores", got);
        if (got > 0.2)
            return;
    }
    cr_skip_test("one spinner got only %.2f of a core 3 times: the machine is too busy", got);
}

/* Gradescope's default: half a CPU through cgroup v2's cpu.max. */
Test(cores, half_a_cpu_cannot_measure_speed)
{
    struct cores c;
    char why[400];

    put("proc/self/cgroup", "0::/docker/abc\n");
    put("sys/fs/cgroup/docker/abc/cpu.max", "50000 100000\n");
    cores_compute(&c, 2, 2, cores_quota(root));
    cr_assert_float_eq(c.usable, 0.5, 1e-9);
    cr_assert_not(cores_enough(&c, why, sizeof(why)));
    cr_assert(strstr(why, "0.50 of a core") && strstr(why, "cgroup CPU quota 0.50"), "%s", why);
    cr_assert(strstr(why, "2 or more CPUs"), "says what to do: %s", why);
    cores_compute(&c, 2, 2, 1);
    cr_assert(cores_enough(&c, why, sizeof(why)), "one whole core can measure");
    cores_compute(&c, 1, 1, 0);
    cr_assert(cores_enough(&c, why, sizeof(why)));
}
