/* run.c: grade --run: time one version of the student's code on the spot, beside a baseline. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "grading.h"
#include "cores.h"
#include "run.h"
#include "stats.h"
#include "sys.h"
#include "trial.h"

/* Is `name` one of the comma-separated names in buf? */
static bool listed(const char *buf, const char *name)
{
    size_t k = strlen(name);

    for (const char *p = buf; k && (p = strstr(p, name)); p += k)
        if ((p == buf || p[-1] == ' ') && (p[k] == ',' || !p[k]))
            return true;
    return false;
}

int run_versions(const char *versions_c, char *buf, size_t len)
{
    char *text = sys_slurp(versions_c, 1 << 20, NULL);
    int n = 0;

    buf[0] = '\0';
    /* the table's rows: {"name", fn, ...} */
    for (const char *p = text; p && (p = strstr(p, "{\"")); p += 2) {
        const char *end = strchr(p + 2, '"');
        char name[64];
        size_t used = strlen(buf), k = end ? (size_t)(end - p - 2) : 0;
        if (!k || k >= sizeof(name) || end[1] != ',' || used + k + 3 > len)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)k, p + 2);
        if (listed(buf, name))
            continue;
        snprintf(buf + used, len - used, "%s%s", n++ ? ", " : "", name);
    }
    free(text);
    return n;
}

/* The median of one figure over the runs: 0 wall, 1 CPU, 2 cpu/wall, 3 speedup. */
static double median_of(const struct run_figures *f, const struct trial *t, int what)
{
    double v[RUN_MAX_RUNS];

    for (int i = 0; i < f->n; i++)
        v[i] = what == 0   ? t[i].wall
               : what == 1 ? t[i].cpu
               : what == 2 ? (t[i].wall > 0 ? t[i].cpu / t[i].wall : 0)
                           : (t[i].wall > 0 ? f->b[i].wall / t[i].wall : 0);
    return stats_median(v, (size_t)f->n);
}

void run_print(FILE *out, const struct run_figures *f, const char *wv, const char *wb)
{
    int n_disturbed = 0;
    const char *why = "";

    fprintf(out, "  %-12s %9s %9s %9s %9s\n", "", "wall", "CPU", "cpu/wall", "speedup");
    fprintf(out, "  %-12s %7.3f s %7.3f s %9.2f %8.2fx  (the baseline)\n", wb,
            median_of(f, f->b, 0), median_of(f, f->b, 1), median_of(f, f->b, 2), 1.0);
    fprintf(out, "  %-12s %7.3f s %7.3f s %9.2f %8.2fx\n", wv, median_of(f, f->v, 0),
            median_of(f, f->v, 1), median_of(f, f->v, 2), median_of(f, f->v, 3));
    fprintf(out, "  (medians of %d interleaved run%s; each run's speedup:", f->n,
            f->n > 1 ? "s" : "");
    for (int i = 0; i < f->n; i++)
        fprintf(out, " %.2f", f->v[i].wall > 0 ? f->b[i].wall / f->v[i].wall : 0);
    fprintf(out, ")\n");
    if (f->v[0].has_x)
        fprintf(out, "  %s's own metric (x): %.3f\n", wv, f->v[f->n - 1].x);
    for (int i = 0; i < 2 * f->n; i++) {
        const struct trial *t = i < f->n ? &f->b[i] : &f->v[i - f->n];
        if (t->disturbed)
            n_disturbed++, why = t->why;
    }
    if (n_disturbed)
        fprintf(out,
                "  note: %d of %d runs were disturbed by other programs (%s): rough figures; "
                "make check retries such cells\n",
                n_disturbed, 2 * f->n, why);
}

/* The experiment, from the command line and its defaults, into s; -1 when a word is
 * wrong (said on stderr). */
static int experiment(const struct opts *o, const struct cores *c, struct spec_speed *s,
                      int *workers)
{
    const char *w = o->run_workload ? o->run_workload : "cpu";
    const char *k = o->run_skew ? o->run_skew : "even";

    *s = (struct spec_speed){.latency_ms = 50};
    s->workload = !strcmp(w, "cpu")  ? WORKLOAD_CPU
                  : !strcmp(w, "io") ? WORKLOAD_IO
                                     : WORKLOAD_MIXED;
    s->skew = !strcmp(k, "skewed") ? SKEW_SKEWED : SKEW_EVEN;
    s->jobs = s->baseline_jobs = o->run_jobs ? o->run_jobs : 8;
    *workers = o->run_workers ? o->run_workers : (int)c->usable > 0 ? (int)c->usable : 1;
    snprintf(s->name, sizeof(s->name), "run");
    snprintf(s->version, sizeof(s->version), "%s", o->run_version);
    snprintf(s->baseline, sizeof(s->baseline), "%s", o->run_baseline ? o->run_baseline : "ref");
    if (strcmp(w, "cpu") && strcmp(w, "io") && strcmp(w, "mixed")) {
        fprintf(stderr, "grade --run: --workload is cpu, io or mixed, not %s\n", w);
        return -1;
    }
    if (strcmp(k, "even") && strcmp(k, "skewed")) {
        fprintf(stderr, "grade --run: --skew is even or skewed, not %s\n", k);
        return -1;
    }
    if (s->jobs < 1 || s->jobs > 100000 || *workers < 1 || *workers > 10000) {
        fprintf(stderr, "grade --run: --jobs 1-100000 and --workers 1-10000, please\n");
        return -1;
    }
    return 0;
}

/* What the build said about the student's files, when one did not compile or link. */
static int build_failed(const struct spec *sp, const struct build_out *b)
{
    int bad = !b->bench_ok;

    for (int i = 0; i < sp->nfiles; i++)
        if (!b->file_ok[i]) {
            printf("%s did not compile (or broke a rule of the audit):\n%s\n", sp->files[i],
                   b->file_log[i] ? b->file_log[i] : "");
            bad = 1;
        }
    if (!b->bench_ok)
        printf("the bench driver did not link with your files:\n%s\n",
               b->link_log ? b->link_log : "(no bench driver for this lab)");
    return bad;
}

/* One side's trial; 0, or 1 after saying what went wrong. */
static int one(struct trial_ctx *x, int side, struct trial *t, uint64_t want)
{
    const char *who = side ? x->s->version : x->s->baseline;

    if (trial_run(x, side, t) < 0 || t->fault != V_PASS) {
        bool notimpl = t->fault == V_NOT_IMPLEMENTED;
        if (notimpl)
            t->what[strcspn(t->what, "\n")] = '\0'; /* the rest is the run's output */
        printf("%s: %s%s%s\n", who, notimpl ? "" : verdict_name(t->fault), notimpl ? "" : ": ",
               t->what);
        return 1;
    }
    if (want && t->hash != want) {
        printf("%s: wrong: its results differ from the reference's (hash %016llx, want "
               "%016llx)\n",
               who, (unsigned long long)t->hash, (unsigned long long)want);
        return 1;
    }
    return 0;
}

/* The runs, interleaved (the baseline first in odd runs, second in even ones), into f. */
static int measure(struct trial_ctx *x, int runs, struct run_figures *f)
{
    uint64_t want = trial_ref_hash(x); /* 0 for orders: the kitchen checks them */

    for (f->n = 0; f->n < runs; f->n++) {
        int first = f->n % 2;
        struct trial *t[2] = {&f->b[f->n], &f->v[f->n]};
        if (one(x, first, t[first], want) || one(x, !first, t[!first], want))
            return 1;
    }
    return 0;
}

static int timed(const struct opts *o, const struct build_out *b)
{
    struct kitchen_conf kc = {.latency_ms = 50};
    struct kitchen k;
    struct cores c;
    struct spec_speed s;
    struct trial_ctx x = {.s = &s};
    struct bench_site site = {
        .bench = b->bench, .box = b->box, .run = b->run, .logs = b->logs, .k = &k, .cores = &c};
    struct run_figures *f = calloc(1, sizeof(*f));
    double rate = 0;
    int rc = 3, runs = o->run_runs > 0 ? o->run_runs : 3;

    cores_detect(&c);
    site.seed = o->seed;
    x.site = &site;
    if (!f || experiment(o, &c, &s, &x.workers) < 0) {
        free(f);
        return 2;
    }
    if (kitchen_start(o->kitchen_bin, &kc, &k) < 0) {
        printf("harness error: could not start the kitchen (%s)\n", o->kitchen_bin);
        free(f);
        return 3;
    }
    jail_protect(k.pid);
    if (s.workload != WORKLOAD_IO && trial_calibrate(&site, &rate) < 0) {
        printf("harness error: could not calibrate the cooking workload\n");
        goto out;
    }
    x.rounds = (uint64_t)(rate * TRIAL_CPU_TARGET_S);
    printf("%s: %s vs %s, %s workload%s, %d jobs, %d workers; %s; seed %llu\n", o->lab, s.version,
           s.baseline, spec_workload_name(s.workload), s.skew == SKEW_SKEWED ? " (skewed)" : "",
           s.jobs, x.workers, c.why, (unsigned long long)o->seed);
    rc = measure(&x, runs < RUN_MAX_RUNS ? runs : RUN_MAX_RUNS, f);
    if (!rc)
        run_print(stdout, f, s.version, s.baseline);
out:
    kitchen_stop(&k);
    free(f);
    return rc;
}

/* The lab's spec (no race drivers: nothing here runs them) and the build of --src into
 * b; 0, 1 when the student's files did not build (said), 2 or 3 when the spec or the
 * harness failed (said). */
static int prepare(const struct opts *o, struct spec *sp, struct build_out *b)
{
    char path[1100], skel[1100], lib[1100], err[1400];
    struct build_conf bc = grading_build_conf(o, skel, lib);

    bc.keep_symbols = o->debug_test != NULL; /* gdb names functions and lines */
    memset(b, 0, sizeof(*b));
    snprintf(path, sizeof(path), "%s/harness/labs/%s/spec", o->root, o->lab);
    if (spec_load(path, sp, err, sizeof(err)) < 0) {
        fprintf(stderr, "grade: %s\n", err);
        return 2;
    }
    sp->nraces = 0;
    if (build_lab(&bc, sp, b, err, sizeof(err)) < 0) {
        printf("harness error, not your code: %s\n", err);
        return 3;
    }
    return build_failed(sp, b);
}

int run_experiment(const struct opts *o)
{
    char path[1100], list[1024];
    struct spec sp;
    struct build_out b;
    int rc;

    snprintf(path, sizeof(path), "%s/harness/labs/%s/versions.c", o->root, o->lab);
    if (run_versions(path, list, sizeof(list)) == 0 || !listed(list, o->run_version)) {
        bool asked = !strcmp(o->run_version, "list");
        if (!asked)
            fprintf(stderr, "grade --run: %s has no version '%s'\n", o->lab, o->run_version);
        printf("%s: versions: %s\n", o->lab, list[0] ? list : "none (no versions.c)");
        return asked && list[0] ? 0 : 2;
    }
    if ((rc = prepare(o, &sp, &b)) == 0)
        rc = timed(o, &b);
    build_free(&b);
    spec_free(&sp);
    return rc;
}

void run_filter(const char *test, char *buf, size_t len)
{
    const char *sep = strstr(test, "::");

    if (sep)
        snprintf(buf, len, "--filter=%.*s/%s", (int)(sep - test), test, sep + 2);
    else
        snprintf(buf, len, "--filter=%s", test);
}

/* A TCP port free on loopback now, for the test's gdbserver; 0 if none. */
static unsigned free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* The test runner, in a process group of its own (Ctrl-C is gdb's), with the test's
 * environment: Criterion runs the one test under gdbserver on `port` (no timeout then). */
static pid_t runner(const struct opts *o, const struct build_out *b, const struct kitchen *k,
                    unsigned port)
{
    char filter[200], transport[40], env[4][1200];
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    setpgid(0, 0);
    run_filter(o->debug_test, filter, sizeof(filter));
    snprintf(transport, sizeof(transport), "--debug-transport=tcp:%u", port);
    snprintf(env[0], sizeof(env[0]), "SEED=%llu", (unsigned long long)o->seed);
    snprintf(env[1], sizeof(env[1]), "KITCHEN_PORT=%u", k->port);
    snprintf(env[2], sizeof(env[2]), "KITCHEN_BIN=%s", b->kitchen);
    snprintf(env[3], sizeof(env[3]), "CHECK_DONE=%s/debug.done", b->run);
    for (int i = 0; i < 4; i++)
        putenv(env[i]);
    if (chdir(b->run) < 0)
        perror(b->run);
    execl(b->tests, b->tests, "--jobs", "1", filter, "--debug=gdb", transport, (char *)NULL);
    perror(b->tests);
    _exit(127);
}

/* gdb, attached to the test's gdbserver; its exit status, or -1. */
static int debugger(const struct opts *o, const struct build_out *b, unsigned port)
{
    const char *gdb = getenv("GDB") ? getenv("GDB") : "gdb";
    char target[64], dirs[2200];
    int status;
    pid_t pid;

    snprintf(target, sizeof(target), "target remote localhost:%u", port);
    snprintf(dirs, sizeof(dirs), "directory %s:%s", o->src, o->root); /* your files, ours */
    if ((pid = fork()) == 0) {
        signal(SIGINT, SIG_DFL);
        execlp(gdb, gdb, "-q", "-ex", "set sysroot /", "-ex", dirs, "-ex", "set tcp auto-retry on",
               "-ex", "set tcp connect-timeout 20", "-ex", target, b->tests, (char *)NULL);
        fprintf(stderr, "grade --debug: could not start %s (apt-get install gdb)\n", gdb);
        _exit(127);
    }
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Is --src the kit's own labs/<lab> folder (the same folder, however named)? */
static bool own_lab_folder(const struct opts *o)
{
    char kit[PATH_MAX + 64], *a, *b;
    bool same;

    snprintf(kit, sizeof(kit), "%s/labs/%s", o->root, o->lab);
    a = realpath(kit, NULL), b = o->src ? realpath(o->src, NULL) : NULL;
    same = a && b && !strcmp(a, b);
    free(a), free(b);
    return same;
}

int run_debug(const struct opts *o)
{
    struct kitchen_conf kc = {.latency_ms = 50};
    struct kitchen k;
    struct spec sp;
    struct build_out b;
    int rc, status = 0;
    unsigned port;
    const char *fn = NULL;
    pid_t pid;

    /* gdb cannot follow a test into the jail: the test runs as the caller, unsealed and
     * unjailed. As root, only on the kit's own labs/<lab> (make debug: the student's own
     * code, in a container where they are root), never on a submission's folder, whose
     * code would have root's rights (red team 9, coverage_as_root). */
    if (geteuid() == 0 && !own_lab_folder(o)) {
        fprintf(stderr,
                "grade --debug: refused as root: the test runs under gdb outside the "
                "jail, with your rights, so a submission's code would run as root. "
                "Run it as an ordinary user, on a copy of the submission that user "
                "may read (as root, only the kit's own labs/%s, as make debug does)\n",
                o->lab);
        return 2;
    }
    if ((rc = prepare(o, &sp, &b)) != 0)
        goto out;
    for (int i = 0; i < sp.ntests; i++)
        if (!strcmp(sp.tests[i].name, o->debug_test))
            fn = sp.tests[i].fn[0] ? sp.tests[i].fn : "main";
    if (!fn) {
        fprintf(stderr, "grade --debug: %s has no test %s (its spec lists them)\n", o->lab,
                o->debug_test);
        rc = 2;
        goto out;
    }
    if (kitchen_start(o->kitchen_bin, &kc, &k) < 0) {
        printf("harness error: could not start the kitchen (%s)\n", o->kitchen_bin);
        rc = 3;
        goto out;
    }
    printf("%s under gdb: seed %llu, the kitchen on port %u. Type `break %.*s` to stop in "
           "your code, then `continue`.\n",
           o->debug_test, (unsigned long long)o->seed, k.port, (int)strcspn(fn, "("), fn);
    signal(SIGINT, SIG_IGN); /* Ctrl-C is gdb's */
    if (!(port = free_port()) || (pid = runner(o, &b, &k, port)) < 0) {
        printf("harness error: could not start the test runner\n");
        rc = 3;
    } else {
        rc = debugger(o, &b, port);
        rc = rc < 0 ? 3 : rc;
        kill(-pid, SIGKILL); /* the runner we started, and its test */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    kitchen_stop(&k);
out:
    build_free(&b);
    spec_free(&sp);
    return rc;
}
