/* test_jail.c: the jail contains loops, fork bombs, escapees and floods, and leaves nothing. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail.h"

static char tmp[64];  /* a scratch folder writable by nobody */
static char out[128]; /* the run's stdout and stderr */
static int count_our_cgroups(void);
static int cgroups_at_start;

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/test_jail.XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    chmod(tmp, 0777);
    snprintf(out, sizeof(out), "%s/out.txt", tmp);
    cgroups_at_start = count_our_cgroups();
}

static void teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", tmp);
}

TestSuite(jail, .init = setup, .fini = teardown, .timeout = 20);

/* cr_skip_test skips .fini too: clean up first. */
static void skip(const char *why)
{
    teardown();
    cr_skip_test("%s", why);
}

/* Helpers live beside this binary ($(B)/tests/jail_progs/), or in $JAIL_PROGS. */
static const char *prog(const char *name)
{
    static char path[PATH_MAX + 64];
    char exe[PATH_MAX] = "";
    const char *dir = getenv("JAIL_PROGS");
    ssize_t n;

    if (dir)
        snprintf(path, sizeof(path), "%s/%s", dir, name);
    else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0)
        snprintf(path, sizeof(path), "%.*s/jail_progs/%s", (int)(strrchr(exe, '/') - exe), exe,
                 name);
    cr_assert(access(path, X_OK) == 0, "helper %s is missing: build it first", path);
    return path;
}

static struct jail_opts opts(double wall_s)
{
    return (struct jail_opts){
        .lim = {.wall_s = wall_s, .nproc = 20, .out_bytes = 1 << 20},
        .dir = tmp,
        .out_path = out,
    };
}

static int run(const char *path, const struct jail_opts *o, struct jail_result *r)
{
    char *argv[] = {(char *)path, NULL};

    return jail_run(argv, o, r);
}

/* A CPU limit is only seen with the CPU to reach it: a run that met its wall limit first,
 * having used less CPU than the limit that ends it, was starved by a busy machine (load 20
 * on 2 cores: 0.1 core each). That limit is RLIMIT_CPU's, in whole seconds: lim.cpu_s
 * rounded up (SIGXCPU), one more for a run that ignores SIGXCPU (`past`: 1, the hard
 * limit's SIGKILL: beside CI's other work such a run once timed out short of it).
 * Runs argv until the limit or a verdict of its own (3 tries), then skips the test with the
 * figures: not the jail's fault. */
static void run_to_cpu_limit(char **argv, const struct jail_opts *o, struct jail_result *r,
                             int past)
{
    double need = ceil(o->lim.cpu_s) + past;
    char why[200];

    for (int i = 0; i < 3; i++) {
        cr_assert_eq(jail_run(argv, o, r), 0);
        if (r->end != JAIL_TIMEOUT || r->cpu_s >= need)
            return;
    }
    snprintf(why, sizeof(why),
             "the machine is too busy: 3 runs got only %.2f s of CPU in %.1f s (limit %.0f s "
             "of CPU), so the CPU limit was never reached",
             r->cpu_s, r->wall_s, need);
    skip(why);
}

static bool is_root(void)
{
    return geteuid() == 0;
}

static bool have_v1_pids(void)
{
    return access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) == 0;
}

/* Processes whose name is comm, zombies included: a zombie left is a process not reaped. */
static int count_named(const char *comm)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;

    cr_assert_not_null(d);
    while ((e = readdir(d))) {
        char path[300], name[64] = "";
        FILE *f;

        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(name, sizeof(name), f) && strncmp(name, comm, strlen(comm)) == 0 &&
            name[strlen(comm)] == '\n')
            n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Our runs' cgroups are named jail-<our pid>-<n>: none may be left. Counted from those there
 * when the test began (setup()): a grader killed outright leaves its cgroups behind, and one
 * named for a pid that has come round again to this test is not this test's. */
static int count_cgroups(void)
{
    return count_our_cgroups() - cgroups_at_start;
}

static int count_our_cgroups(void)
{
    DIR *d = opendir("/sys/fs/cgroup/pids");
    struct dirent *e;
    char prefix[32];
    int n = 0;

    if (!d)
        return 0;
    snprintf(prefix, sizeof(prefix), "jail-%d-", (int)getpid());
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void read_out(char *buf, size_t len)
{
    FILE *f = fopen(out, "r");
    size_t n;

    cr_assert_not_null(f, "no output file %s", out);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static const char *describe(const struct jail_result *r)
{
    static char buf[256];

    return jail_describe(r, buf, sizeof(buf));
}

static void log_result(const char *what, const struct jail_result *r)
{
    cr_log_info("%s: %s; wall %.3f s, cpu %.3f s, peak %d, leftovers %d", what, describe(r),
                r->wall_s, r->cpu_s, r->pids_peak, r->leftovers);
}

Test(jail, exit_code_is_reported)
{
    struct jail_opts o = opts(5);
    struct jail_result r;

    cr_assert_eq(run(prog("exit3"), &o, &r), 0);
    cr_assert_eq(r.end, JAIL_EXITED);
    cr_assert_eq(r.code, 3);
    cr_assert_str_eq(describe(&r), "exited with 3");
    cr_assert_eq(r.leftovers, 0);
    cr_assert_eq(count_cgroups(), 0);
}

Test(jail, crash_is_reported_as_signal)
{
    struct jail_opts o = opts(5);
    struct jail_result r;

    cr_assert_eq(run(prog("crash"), &o, &r), 0);
    cr_assert_eq(r.end, JAIL_SIGNALED, "%s", describe(&r));
    cr_assert_eq(r.code, SIGSEGV);
    cr_assert_str_eq(describe(&r), "killed by SIGSEGV (segmentation fault)");
}

Test(jail, loop_is_killed_at_wall_timeout)
{
    struct jail_opts o = opts(1.0);
    struct jail_result r;

    cr_assert_eq(run(prog("loop"), &o, &r), 0);
    log_result("loop", &r);
    cr_assert_eq(r.end, JAIL_TIMEOUT, "%s", describe(&r));
    cr_assert(r.wall_s >= 1.0 && r.wall_s < 1.5, "wall %.3f s, timeout 1.0 s", r.wall_s);
    cr_assert(r.cpu_s > 0.2, "a spinning loop used only %.3f s of CPU", r.cpu_s);
    cr_assert_str_eq(describe(&r), "timed out after 1.0 s (killed)");
    cr_assert_eq(count_named("loop"), 0);
}

Test(jail, sleeper_is_killed_at_wall_timeout)
{
    struct jail_opts o = opts(0.5);
    struct jail_result r;

    cr_assert_eq(run(prog("sleeper"), &o, &r), 0);
    log_result("sleeper", &r);
    cr_assert_eq(r.end, JAIL_TIMEOUT, "%s", describe(&r));
    cr_assert(r.wall_s >= 0.5 && r.wall_s < 1.0, "wall %.3f s, timeout 0.5 s", r.wall_s);
    cr_assert_eq(count_named("sleeper"), 0);
}

/* Run-queue delay (jail_opts.runq): a crowd of spinners, twice the cores, waits for a CPU
 * about half its time, summed over its tasks; a sleeper waits for none. */
Test(jail, runq_tells_a_starved_run_from_a_sleeping_one)
{
    struct jail_opts o = opts(1.0);
    struct jail_result crowd, sleeper;

    o.runq = true;
    cr_assert_eq(run(prog("crowd"), &o, &crowd), 0);
    log_result("crowd", &crowd);
    cr_assert_eq(run(prog("sleeper"), &o, &sleeper), 0);
    log_result("sleeper", &sleeper);
    if (crowd.runq_s < 0)
        skip("this kernel keeps no run-queue delays (/proc/<pid>/schedstat)");
    cr_assert_eq(crowd.end, JAIL_TIMEOUT, "%s", describe(&crowd));
    cr_assert_gt(crowd.runq_s, 0.3, "the crowd's tasks waited %.3f s for a CPU", crowd.runq_s);
    /* its children were killed, never waited for: only the sampler saw their CPU (they
     * share the cores with the parent: about 2n - 1 times its own) */
    cr_assert_gt(crowd.tree_cpu_s, 2 * crowd.cpu_s, "tree %.3f s, waited-for %.3f s",
                 crowd.tree_cpu_s, crowd.cpu_s);
    cr_assert(sleeper.runq_s >= 0 && sleeper.runq_s < 0.1, "the sleeper waited %.3f s",
              sleeper.runq_s);
    o.runq = false;
    cr_assert_eq(run(prog("sleeper"), &o, &sleeper), 0);
    cr_assert_lt(sleeper.runq_s, 0, "not asked: unknown");
    cr_assert_eq(count_named("crowd"), 0);
}

Test(jail, cpu_limit_stops_a_loop)
{
    struct jail_opts o = opts(5);
    struct jail_result r;

    o.lim.cpu_s = 1;
    run_to_cpu_limit((char *[]){(char *)prog("loop"), NULL}, &o, &r, 0);
    log_result("cpu-limited loop", &r);
    cr_assert_eq(r.end, JAIL_CPU_LIMIT, "%s", describe(&r));
    /* rusage comes out a little under the limit: the run's CPU is bubblewrap's wait4 less
     * its own set-up, estimated by a probe run (jail_bwrap_cpu), which a busy machine makes
     * larger (0.95 s seen under load, 0.78 s beside five graders on 2 cores) */
    cr_assert(r.cpu_s >= 0.6 && r.cpu_s < 2.0, "cpu %.3f s", r.cpu_s);
    cr_assert_str_eq(describe(&r), "used more than 1.0 s of CPU");
}

/* A program that ignores SIGXCPU meets the hard limit's SIGKILL one second later. */
Test(jail, cpu_limit_holds_when_sigxcpu_is_ignored)
{
    char *argv[] = {"/bin/sh", "-c", "trap '' XCPU; while :; do :; done", NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;

    o.lim.cpu_s = 0.5;
    run_to_cpu_limit(argv, &o, &r, 1);
    log_result("sh ignoring SIGXCPU", &r);
    cr_assert_eq(r.end, JAIL_CPU_LIMIT, "%s", describe(&r));
    /* killed soon after the limit, not left to spin until the wall limit (5 s) */
    cr_assert(r.cpu_s < 2.0, "cpu %.3f s, wall %.3f s", r.cpu_s, r.wall_s);
}

Test(jail, memory_limit_stops_a_hog)
{
    char *argv[] = {"/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo done",
                    NULL};
    struct jail_opts o = opts(10);
    struct jail_result r;
    char buf[4096];

    o.lim.mem_bytes = 64 << 20;
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    log_result("sh filling 200 MB under 64 MiB", &r);
    read_out(buf, sizeof(buf));
    cr_assert_null(strstr(buf, "done"), "a 200 MB string fit under 64 MiB: %s", describe(&r));
}

Test(jail, output_flood_is_capped)
{
    struct jail_opts o = opts(5);
    struct jail_result r;
    struct stat st;

    cr_assert_eq(run(prog("flood"), &o, &r), 0);
    cr_assert_eq(r.end, JAIL_FLOOD, "%s", describe(&r));
    cr_assert_eq(stat(out, &st), 0);
    cr_assert(st.st_size > 0 && st.st_size <= 1 << 20, "output %lld bytes", (long long)st.st_size);
    cr_assert_str_eq(describe(&r), "wrote more than 1 MiB of output (output flood)");
}

static int run_diskfill(const char *files, const char *bytes, const char *deep, struct jail_opts *o,
                        struct jail_result *r)
{
    char *argv[] = {(char *)prog("diskfill"), (char *)files, (char *)bytes, (char *)deep, NULL};
    static const char *rw[2];

    rw[0] = tmp;
    o->rw = rw;
    return jail_run(argv, o, r);
}

/* A run that writes file after file into its folder is killed once the folder has grown
 * by its limit, long before its timeout: RLIMIT_FSIZE caps each file, not how many. */
Test(jail, disk_flood_is_stopped)
{
    struct jail_opts o = opts(10);
    struct jail_result r;

    o.lim.disk_bytes = 4 << 20;
    o.lim.disk_files = 10000;
    cr_assert_eq(run_diskfill("0", "65536", "flat", &o, &r), 0);
    cr_assert_eq(r.end, JAIL_FLOOD, "%s", describe(&r));
    cr_assert(r.disk_limited);
    cr_assert_lt(r.wall_s, 8, "killed after %.1f s: at its timeout, not by the watch", r.wall_s);
    cr_assert_str_eq(
        describe(&r),
        "filled its folder with more than 4 MiB or 10000 files (a disk flood: killed)");
}

/* Empty files in nested folders hold no blocks: they are counted one by one. */
Test(jail, many_files_are_stopped)
{
    struct jail_opts o = opts(10);
    struct jail_result r;

    o.lim.disk_bytes = 1 << 30;
    o.lim.disk_files = 200;
    cr_assert_eq(run_diskfill("0", "0", "deep", &o, &r), 0);
    cr_assert_eq(r.end, JAIL_FLOOD, "%s", describe(&r));
    cr_assert(r.disk_limited);
}

/* What the folder held before the run is not the run's: only its growth counts, and a
 * run that stays under its limit ends as it would have. */
Test(jail, only_what_the_run_adds_counts)
{
    struct jail_opts o = opts(10);
    struct jail_result r;
    char path[200];

    snprintf(path, sizeof(path), "%s/before", tmp);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    static char block[1 << 20];
    memset(block, 'b', sizeof(block));
    for (int i = 0; i < 8; i++)
        cr_assert_eq(fwrite(block, 1, sizeof(block), f), sizeof(block));
    fclose(f);
    o.lim.disk_bytes = 4 << 20;
    o.lim.disk_files = 100;
    cr_assert_eq(run_diskfill("32", "65536", "flat", &o, &r), 0, "8 MiB were there before");
    cr_assert_eq(r.end, JAIL_EXITED, "%s", describe(&r));
    cr_assert_eq(r.code, 0);
    cr_assert(!r.disk_limited);
}

Test(jail, missing_program_fails_to_start)
{
    struct jail_opts o = opts(5);
    struct jail_result r;

    cr_assert_eq(run("/nonexistent/program", &o, &r), 0);
    cr_assert_eq(r.end, JAIL_START_FAILED);
    cr_assert_eq(r.code, ENOENT);
    cr_assert(strstr(describe(&r), "could not start") && strstr(describe(&r), "No such file"), "%s",
              describe(&r));
    cr_assert_eq(count_cgroups(), 0);
}

Test(jail, env_is_a_fixed_base_plus_the_entries)
{
    char *env[] = {"JAIL_TEST_X=42", "JAIL_TEST_Y=new", NULL};
    char *argv[] = {"/usr/bin/env", NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;
    char buf[65536];

    setenv("JAIL_TEST_Y", "old", 1);
    setenv("JAIL_TEST_KEPT", "yes", 1);
    o.env = env;
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    cr_assert_eq(r.end, JAIL_EXITED, "%s", describe(&r));
    read_out(buf, sizeof(buf));
    cr_assert(strstr(buf, "\nJAIL_TEST_X=42\n") || strncmp(buf, "JAIL_TEST_X=42\n", 15) == 0);
    cr_assert_not_null(strstr(buf, "JAIL_TEST_Y=new"));
    cr_assert_null(strstr(buf, "JAIL_TEST_Y=old"));
    /* the caller's environment (an instructor's tokens) never reaches the run */
    cr_assert_null(strstr(buf, "JAIL_TEST_KEPT=yes"), "%s", buf);
    cr_assert_not_null(strstr(buf, "PATH=/usr/bin:/bin\n"), "%s", buf);
}

Test(jail, runs_in_dir_with_stdin_from_dev_null)
{
    char *argv[] = {"/bin/sh", "-c", "pwd; cat; echo end", NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;
    char buf[512], want[300];

    cr_assert_eq(jail_run(argv, &o, &r), 0);
    cr_assert_eq(r.end, JAIL_EXITED, "%s", describe(&r));
    read_out(buf, sizeof(buf));
    snprintf(want, sizeof(want), "%s\nend\n", tmp);
    cr_assert_str_eq(buf, want);
}

static void forkbomb_contained(bool drop)
{
    struct jail_opts o = opts(1.0);
    struct jail_result r;

    o.drop_privileges = drop;
    cr_assert_eq(count_named("forkbomb"), 0, "a fork bomb is already running");
    cr_assert_eq(run(prog("forkbomb"), &o, &r), 0);
    log_result("forkbomb", &r);
    cr_assert_eq(r.end, JAIL_TIMEOUT, "%s", describe(&r));
    cr_assert_eq(count_named("forkbomb"), 0, "fork bomb processes left after the run");
    cr_assert(r.pids_peak <= 20, "peak %d processes under a limit of 20", r.pids_peak);
    cr_assert(r.wall_s < 2.0, "wall %.3f s", r.wall_s);
    cr_assert_eq(count_cgroups(), 0);
}

Test(jail, forkbomb_is_contained_by_the_cgroup)
{
    struct jail_result r;
    struct jail_opts o = opts(1.0);

    if (!is_root() || !have_v1_pids())
        skip("needs root and the v1 pids cgroup");
    forkbomb_contained(false);
    cr_assert_eq(run(prog("forkbomb"), &o, &r), 0);
    cr_assert(r.fork_limited, "the fork bomb never hit the limit");
    cr_assert(r.pids_peak >= 2 && r.pids_peak <= 20, "peak %d", r.pids_peak);
    cr_assert_gt(r.leftovers, 0);
    cr_assert(strstr(describe(&r), "hit the limit of 20 processes: a fork loop?"), "%s",
              describe(&r));
    cr_assert_eq(count_named("forkbomb"), 0);
}

/* The memory of a whole run (lim.mem_total, a memory cgroup): `procs` processes of `mib`
 * MiB each, each far under its own RLIMIT_AS of 256 MiB. */
static void memhog(const char *procs, const char *mib, size_t total, struct jail_result *r)
{
    char *argv[] = {(char *)prog("memhog"), (char *)procs, (char *)mib, NULL};
    struct jail_opts o = opts(15);

    o.lim.mem_bytes = 256u << 20;
    o.lim.mem_total = total;
    cr_assert_eq(jail_run(argv, &o, r), 0);
    log_result("memhog", r);
    if (!r->mem_cgroup)
        skip("no memory cgroup here (needs root and the v1 memory or a v2 hierarchy)");
}

/* 4 x 32 MiB against 64 MiB for the run: one process is killed, and the result says why
 * (red team race_nomem, fork_mem_total: the limit was per process only). */
Test(jail, memory_limit_is_for_the_whole_run)
{
    struct jail_result r;

    memhog("4", "32", 64u << 20, &r);
    cr_assert(r.mem_limited, "%s", describe(&r));
    cr_assert(!(r.end == JAIL_EXITED && r.code == 0), "all held: %s", describe(&r));
    cr_assert(strstr(describe(&r), "hit the memory limit of 64 MiB for the whole run"), "%s",
              describe(&r));
    cr_assert(r.mem_peak > 0 && r.mem_peak <= (64 << 20), "peak %lld", r.mem_peak);
}

Test(jail, memory_under_the_limit_is_untouched)
{
    struct jail_result r;

    memhog("2", "16", 128u << 20, &r);
    cr_assert_eq(r.end, JAIL_EXITED, "%s", describe(&r));
    cr_assert_eq(r.code, 0, "%s", describe(&r));
    cr_assert(!r.mem_limited);
    cr_assert(r.mem_peak >= (32 << 20), "peak %lld", r.mem_peak);
}

/* JAIL_MEM_TOTAL_MIB lowers a run's limit (to test it cheaply), never raises it. */
Test(jail, memory_limit_lowered_by_env)
{
    struct jail_result r;

    setenv("JAIL_MEM_TOTAL_MIB", "48", 1);
    memhog("4", "16", 1u << 30, &r);
    cr_assert(r.mem_limited, "%s", describe(&r));
    cr_assert(strstr(describe(&r), "memory limit of 48 MiB"), "%s", describe(&r));
    setenv("JAIL_MEM_TOTAL_MIB", "4096", 1);
    memhog("2", "16", 64u << 20, &r);
    cr_assert_eq(r.lim.mem_total, 64u << 20);
    cr_assert(!r.mem_limited, "%s", describe(&r));
}

Test(jail, no_memory_cgroup_without_cgroups)
{
    char *argv[] = {"/bin/true", NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;

    setenv("JAIL_CGROUP", "off", 1);
    o.lim.mem_total = 64u << 20;
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    cr_assert(!r.mem_cgroup && !r.mem_limited && r.mem_peak == -1);
}

/* Without a cgroup, RLIMIT_NPROC does the work: as nobody when we are root. */
Test(jail, forkbomb_is_contained_without_cgroup)
{
    setenv("JAIL_CGROUP", "off", 1);
    forkbomb_contained(true);
}

static void escapee_is_killed(void)
{
    struct jail_opts o = opts(5);
    struct jail_result r;

    cr_assert_eq(count_named("escape"), 0, "an escapee is already running");
    cr_assert_eq(run(prog("escape"), &o, &r), 0);
    log_result("escape", &r);
    cr_assert_eq(r.end, JAIL_EXITED, "%s", describe(&r));
    cr_assert_eq(r.code, 0);
    cr_assert_geq(r.leftovers, 1);
    cr_assert(r.wall_s < 1.0, "wall %.3f s: the sweep should not wait for the timeout", r.wall_s);
    cr_assert_eq(count_named("escape"), 0, "the setsid'd sleeper is still there");
    cr_assert_eq(count_cgroups(), 0);
}

Test(jail, setsid_double_fork_escapee_is_killed)
{
    escapee_is_killed();
}

/* Without a cgroup only the subreaper finds it. */
Test(jail, setsid_double_fork_escapee_is_killed_without_cgroup)
{
    setenv("JAIL_CGROUP", "off", 1);
    escapee_is_killed();
}

/* The caller's own children: one protected (started during the run from another thread,
 * like a kitchen), one started before, one that exits during the run. */
static void *start_protected(void *arg)
{
    pid_t *pid = arg;

    usleep(200 * 1000);
    *pid = fork();
    if (*pid == 0) {
        pause();
        _exit(0);
    }
    jail_protect(*pid);
    return NULL;
}

static pid_t start_child(int exit_after_ms)
{
    pid_t pid = fork();

    if (pid == 0) {
        if (exit_after_ms < 0)
            pause();
        usleep((useconds_t)exit_after_ms * 1000);
        _exit(7);
    }
    cr_assert_gt(pid, 0);
    return pid;
}

Test(jail, callers_children_survive_a_run)
{
    struct jail_opts o = opts(1.0);
    struct jail_result r;
    pid_t before = start_child(-1), quitter = start_child(100), prot = -1;
    pthread_t t;
    int st, ret, prot_st, before_st;

    cr_assert_eq(pthread_create(&t, NULL, start_protected, &prot), 0);
    ret = run(prog("sleeper"), &o, &r);
    pthread_join(t, NULL);
    /* Look, then clean up, then assert: a failed assert must not leave them running. */
    prot_st = prot > 0 ? waitpid(prot, &st, WNOHANG) : -1;
    before_st = waitpid(before, &st, WNOHANG);
    if (prot > 0) { /* never kill(-1) */
        kill(prot, SIGKILL);
        waitpid(prot, NULL, 0);
    }
    kill(before, SIGKILL);
    waitpid(before, NULL, 0);
    cr_assert_eq(ret, 0);
    cr_assert_eq(r.end, JAIL_TIMEOUT, "%s", describe(&r));
    cr_assert_eq(prot_st, 0, "the protected child was killed or reaped");
    cr_assert_eq(before_st, 0, "the earlier child was killed or reaped");
    cr_assert_eq(waitpid(quitter, &st, 0), quitter, "the jail reaped the caller's child");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

Test(jail, drop_privileges_runs_as_the_jail_user_when_root)
{
    char *argv[] = {"/usr/bin/id", "-u", NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;
    char buf[64], want[32];

    o.drop_privileges = true;
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    cr_assert_eq(r.end, JAIL_EXITED, "%s", describe(&r));
    cr_assert_eq(r.code, 0);
    read_out(buf, sizeof(buf));
    snprintf(want, sizeof(want), "%d\n", is_root() ? jail_uid() : (int)getuid());
    cr_assert(!is_root() || jail_uid() == 2000000000 + (int)getpid(), "uid %d", jail_uid());
    cr_assert_str_eq(buf, want);
}

Test(jail, program_hidden_from_the_jail_user_fails_clearly)
{
    char hidden[128], path[200];
    struct jail_opts o = opts(5);
    struct jail_result r;
    FILE *f;

    if (!is_root())
        skip("needs root");
    snprintf(hidden, sizeof(hidden), "%s/hidden", tmp);
    cr_assert_eq(mkdir(hidden, 0700), 0);
    snprintf(path, sizeof(path), "%s/prog.sh", hidden);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("#!/bin/sh\nexit 0\n", f);
    fclose(f);
    chmod(path, 0755);
    o.drop_privileges = true;
    cr_assert_eq(run(path, &o, &r), 0);
    cr_assert_eq(r.end, JAIL_START_FAILED, "%s", describe(&r));
    cr_assert_eq(r.code, EACCES);
    cr_assert_str_eq(r.start_step, "exec as the jail user");
    cr_assert(strstr(describe(&r), "reachable by the jail user"), "%s", describe(&r));
}

Test(jail, output_file_is_never_opened_through_a_link)
{
    char target[200], buf[64] = "";
    char *argv[] = {"/bin/echo", "overwritten", NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;
    FILE *f;

    snprintf(target, sizeof(target), "%s/precious", tmp);
    f = fopen(target, "w");
    cr_assert_not_null(f);
    fputs("keep\n", f);
    fclose(f);
    cr_assert_eq(symlink(target, out), 0);
    cr_assert_eq(jail_run(argv, &o, &r), -ELOOP, "a planted link must stop the run");
    f = fopen(target, "r");
    cr_assert_not_null(f);
    cr_assert_not_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    cr_assert_str_eq(buf, "keep\n", "the file behind the link was written");
}

Test(jail, passed_fd_is_the_runs_fd_3)
{
    char *argv[] = {"/bin/sh", "-c", "echo through >&3; ls /proc/self/fd", NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;
    char buf[64] = "", listing[256];
    int fds[2];
    ssize_t n;

    cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
    o.pass_fd = fds[1];
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    close(fds[1]);
    n = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    cr_assert(n > 0);
    buf[n] = '\0';
    cr_assert_str_eq(buf, "through\n");
    read_out(listing, sizeof(listing));
    /* 0, 1, 2, 3 and the one ls opens: nothing else of ours leaked in */
    cr_assert_str_eq(listing, "0\n1\n2\n3\n4\n", "fds in the run: %s", listing);
}

/* ---- namespaces (bubblewrap), where the machine gives them ---- */

static void need_sandbox(void)
{
    const char *why;

    if (!jail_sandbox(&why))
        skip(why);
}

/* The helpers' folder is bound back read-only: a kit cloned below /tmp (as CI does) has
 * them below the run's private /tmp. */
static struct jail_opts sandboxed(double wall_s)
{
    static const char *rw[2], *ro[2];
    static char progs[PATH_MAX + 64];
    struct jail_opts o = opts(wall_s);

    snprintf(progs, sizeof(progs), "%s", prog("crash"));
    *strrchr(progs, '/') = '\0';
    ro[0] = progs;
    rw[0] = tmp;
    o.sandbox = true;
    o.drop_privileges = true;
    o.ro = ro;
    o.rw = rw;
    return o;
}

Test(jail, sandbox_makes_root_read_only_and_tmp_private)
{
    char marker[128], script[512], buf[1024];
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct jail_opts o;
    struct jail_result r;
    FILE *f;

    need_sandbox();
    o = sandboxed(5);
    snprintf(marker, sizeof(marker), "/tmp/jail_marker_%d", (int)getpid());
    f = fopen(marker, "w");
    cr_assert_not_null(f);
    fclose(f);
    snprintf(script, sizeof(script),
             "echo ok > %s/written && echo rw-ok; "
             "(echo x > /var/tmp/jail_escape_%d) 2>/dev/null || echo ro-ok; "
             "test -e %s && echo marker-seen || echo tmp-private; "
             "echo y > /tmp/own && echo tmp-writable",
             tmp, (int)getpid(), marker);
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    remove(marker);
    read_out(buf, sizeof(buf));
    cr_assert_str_eq(buf, "rw-ok\nro-ok\ntmp-private\ntmp-writable\n", "%s", describe(&r));
    snprintf(marker, sizeof(marker), "/var/tmp/jail_escape_%d", (int)getpid());
    cr_assert_neq(access(marker, F_OK), 0, "the run wrote outside its folders");
    cr_assert_neq(access("/tmp/own", F_OK), 0, "the private /tmp was the host's");
}

Test(jail, sandbox_kill_minus_one_stays_inside)
{
    char *argv[] = {"/bin/sh", "-c", "kill -9 -1; echo still", NULL};
    struct jail_opts o;
    struct jail_result r;
    pid_t victim;
    int st;

    need_sandbox();
    o = sandboxed(5);
    victim = fork(); /* a process of the same uid as the run, outside it */
    cr_assert_geq(victim, 0);
    if (victim == 0) {
        if (is_root() && (setgid((gid_t)jail_uid()) < 0 || setuid((uid_t)jail_uid()) < 0))
            _exit(3);
        sleep(5);
        _exit(0);
    }
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    cr_assert_eq(waitpid(victim, &st, WNOHANG), 0, "kill(-1) in the run reached outside");
    kill(victim, SIGKILL);
    waitpid(victim, &st, 0);
}

Test(jail, sandbox_reports_crashes_and_cpu_as_without)
{
    struct jail_opts o;
    struct jail_result r;

    need_sandbox();
    o = sandboxed(5);
    cr_assert_eq(run(prog("crash"), &o, &r), 0);
    cr_assert_eq(r.end, JAIL_SIGNALED, "%s", describe(&r));
    cr_assert_eq(r.code, SIGSEGV);
    o.lim.cpu_s = 1;
    run_to_cpu_limit((char *[]){(char *)prog("loop"), NULL}, &o, &r, 0);
    cr_assert_eq(r.end, JAIL_CPU_LIMIT, "%s", describe(&r));
    cr_assert(r.cpu_s >= 0.8 && r.cpu_s < 2.5, "cpu %.3f s", r.cpu_s);
}

/* A folder outside every bound one, readable by anyone (below the kit's build/, beside
 * this binary; never /tmp, which is private anyway): for a run it does not exist. */
Test(jail, sandbox_hides_what_is_not_bound)
{
    char exe[PATH_MAX] = "", dir[PATH_MAX], secret[PATH_MAX + 16], script[3 * PATH_MAX + 200];
    char buf[1024], cmd[PATH_MAX + 32];
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct jail_opts o;
    struct jail_result r;
    ssize_t n;
    FILE *f;

    need_sandbox();
    o = sandboxed(5);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    snprintf(dir, sizeof(dir), "%s/jail_hidden.XXXXXX", exe);
    cr_assert_not_null(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(secret, sizeof(secret), "%s/secret.c", dir);
    f = fopen(secret, "w");
    cr_assert_not_null(f);
    fputs("the reference solution\n", f);
    fclose(f);
    chmod(secret, 0644);
    snprintf(script, sizeof(script),
             "cat '%s' 2>&1; test -e '%s' || echo folder-gone; ls '%s' | tr '\\n' ' '", secret, dir,
             exe);
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    read_out(buf, sizeof(buf));
    /* without the namespaces the same user reads it: the folder is no private one */
    o.sandbox = false;
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
    cr_assert(strstr(buf, "No such file or directory") && strstr(buf, "folder-gone"),
              "the run saw a folder it was not given: %s", buf);
    cr_assert_null(strstr(buf, "the reference solution"), "%s", buf);
    /* the folders above a bound one are made for it, empty but for it */
    cr_assert(strstr(buf, "folder-gone\njail_progs ") && !strstr(buf, "test_jail"), "%s", buf);
    read_out(buf, sizeof(buf));
    cr_assert(strstr(buf, "the reference solution") || !strstr(buf, "No such file"),
              "without namespaces: %s", buf);
}

/* Without namespaces a run shares the host's /tmp: what its user left there goes after the
 * run (red team 11: 3,000 sockets bound at Criterion's names); nobody else's file does. */
Test(jail, files_the_jail_user_left_in_tmp_are_removed)
{
    char cmd[600], file[80], dir[80], link[80], mine[80];
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    struct jail_opts o = opts(5);
    struct jail_result r;
    struct stat st;
    int fd;

    if (!is_root())
        skip("needs root: as a plain user the jail user is the grader's own");
    snprintf(file, sizeof(file), "/tmp/jail-left-%d", (int)getpid());
    snprintf(dir, sizeof(dir), "/tmp/jail-left-%d.d", (int)getpid());
    snprintf(link, sizeof(link), "/tmp/jail-left-%d.link", (int)getpid());
    snprintf(mine, sizeof(mine), "/tmp/jail-mine-%d", (int)getpid());
    cr_assert((fd = open(mine, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0);
    close(fd);
    snprintf(cmd, sizeof(cmd),
             "touch %s && mkdir -p %s/a/b && touch %s/a/b/f && ln -s /etc/passwd %s", file, dir,
             dir, link);
    o.drop_privileges = true;
    cr_assert_eq(jail_run(argv, &o, &r), 0);
    cr_assert_eq(r.end, JAIL_EXITED, "%s", describe(&r));
    cr_assert_eq(r.code, 0, "the run could not make its files: %s", describe(&r));
    cr_assert(lstat(file, &st) < 0 && lstat(dir, &st) < 0 && lstat(link, &st) < 0,
              "the run's files are still in /tmp");
    cr_assert_eq(stat("/etc/passwd", &st), 0, "the link was removed, not followed");
    cr_assert_eq(lstat(mine, &st), 0, "a file of another user was removed");
    unlink(mine);
}
