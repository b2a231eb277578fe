/* coverage.c: grade --coverage: the student's own files built with gcov (unaudited,
 * unsealed: never graded), the lab's tests run once in the graded runs' jail, gcovr's
 * report. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "box.h"
#include "coverage.h"
#include "fault.h"
#include "jail.h"
#include "kitchen.h"
#include "sandbox.h"
#include "sys.h"

/* Linked into the runner with -Wl,--wrap=_exit: a child that leaves with _exit() (lab 3's
 * workers, lab 6's pool) writes its counts first, as exit() would have. */
static const char exit_wrap[] =
    "/* written by grade --coverage: a child's _exit() writes gcov's counts first */\n"
    "extern void __gcov_dump(void);\n"
    "extern void __real__exit(int) __attribute__((noreturn));\n"
    "void __wrap__exit(int status);\n"
    "void __wrap__exit(int status)\n{\n    __gcov_dump();\n    __real__exit(status);\n}\n";

/* Run argv (from PATH) in `cwd` (NULL: here) with `env` added (NULL-ended, may be NULL),
 * its output into `log`; its exit status, 127 when it could not start, -1 when it ended
 * by a signal. */
static int spawn(char *const argv[], const char *cwd, char *const env[], const char *log)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || (cwd && chdir(cwd) < 0))
            _exit(127);
        unsetenv("CHECK_DONE"); /* unsealed: nothing here is graded */
        for (int i = 0; env && env[i]; i++)
            putenv(env[i]);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid < 0)
        return 127;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* harness/cflags joined by spaces into out, as box.c reads it. */
static void read_cflags(const char *root, char *out, size_t len)
{
    char path[1100];
    size_t used = 0;
    char *text;

    snprintf(path, sizeof(path), "%s/harness/cflags", root);
    text = sys_slurp(path, 4096, NULL);
    out[0] = '\0';
    for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save))
        if (l[0] != '#' && used + strlen(l) + 2 < len)
            used += (size_t)snprintf(out + used, len - used, "%s ", l);
    free(text);
}

/* What one coverage run holds: its folders, the sources, the objects to link. */
struct cov_run {
    const struct opts *o;
    struct spec sp;
    struct cov_build b;
    char cflags[512], obj[1100], run[1100];
    char src[SPEC_MAX_FILES][1100]; /* the student's files, absolute */
    struct cov_argv link;
};

/* Compile one file into obj/<name>.o and add it to the link; 0, or 1 after printing what
 * the compiler said. */
static int compile(struct cov_run *c, const char *src, const char *name, bool instrument)
{
    struct cov_argv *a = malloc(sizeof(*a));
    char obj[1200], log[1200];
    int rc;

    if (!a)
        return 1;
    a->n = 0, a->used = 0, a->full = false;
    snprintf(obj, sizeof(obj), "%s/%s.o", c->obj, name);
    snprintf(log, sizeof(log), "%s/%s.cc.log", c->obj, name);
    coverage_cc(&c->b, src, obj, instrument, a);
    rc = a->full ? 127 : spawn(a->v, NULL, NULL, log);
    free(a);
    if (rc != 0) {
        char *text = sys_slurp(log, 64 << 10, NULL);
        printf("%s did not compile:\n%s\n", src, text ? text : "");
        free(text);
        return 1;
    }
    cov_arg(&c->link, "%s", obj);
    return 0;
}

/* The student's files (instrumented), the lab's tests and support (not), the _exit
 * wrapper; then the runner. 0; 1 when the student's code did not build; 3 ours. */
static int build(struct cov_run *c)
{
    const struct opts *o = c->o;
    char path[1200], name[80];
    int rc;

    for (int i = 0; i < c->sp.nfiles; i++) {
        rc = coverage_source(o, &c->sp, i, path, sizeof(path));
        if (rc < 0) {
            printf("%s is missing: nothing to measure\n", path);
            return 1;
        }
        if (rc == 1)
            printf("note: your %s of %s is not here: its skeleton (%s) stands in\n", c->sp.files[i],
                   c->sp.file_lab[i], path);
        char *real = realpath(path, NULL); /* as gcovr names it */
        snprintf(c->src[i], sizeof(c->src[i]), "%.1099s", real ? real : path);
        free(real);
        if (compile(c, c->src[i], c->sp.files[i], true))
            return 1;
    }
    snprintf(path, sizeof(path), "%s/harness/labs/%s/tests.c", o->root, o->lab);
    if (compile(c, path, "tests", false))
        return 3;
    for (int i = 0; i < c->sp.nsupport; i++) {
        snprintf(path, sizeof(path), "%s/harness/labs/%s/%s", o->root,
                 c->sp.support_lab[i][0] ? c->sp.support_lab[i] : o->lab, c->sp.support[i]);
        snprintf(name, sizeof(name), "support-%s", c->sp.support[i]);
        if (compile(c, path, name, false))
            return 3;
    }
    snprintf(path, sizeof(path), "%s/exit_wrap.c", c->obj);
    FILE *f = fopen(path, "w");
    if (!f || fputs(exit_wrap, f) < 0 || fclose(f) != 0 || compile(c, path, "exit_wrap", false))
        return 3;
    return 0;
}

/* Link the runner: what build() compiled, libharness.a, Criterion, fault.h's wrappers. */
static int link_runner(struct cov_run *c, char *runner, size_t len)
{
    char log[1200];
    const char *libs = getenv("CRITERION_LIBS");
    struct cov_argv *a = &c->link;
    int rc;

    snprintf(runner, len, "%s/tests", c->obj);
    snprintf(log, sizeof(log), "%s/tests.link.log", c->obj);
    cov_arg(a, "%s/../harness/libharness.a", c->o->bindir);
    cov_words(a, libs && *libs ? libs : "-lcriterion");
    cov_arg(a, "-lm");
    cov_arg(a, "-o");
    cov_arg(a, "%s", runner);
    rc = a->full ? 127 : spawn(a->v, NULL, NULL, log);
    if (rc != 0) {
        char *text = sys_slurp(log, 64 << 10, NULL);
        printf("the test runner did not link:\n%s\n", text ? text : "");
        free(text);
        return 1;
    }
    return 0;
}

/* The counts the run wrote under GCOV_PREFIX (dir/<obj's absolute path>/NAME.gcda) moved
 * beside their objects, where gcovr looks: regular files only (the run's own, never a
 * link it planted there). */
static void collect_counts(const char *prefix, const char *obj)
{
    char from[2400], path[2700], to[1400];
    struct dirent *e;
    struct stat st;
    DIR *d;

    snprintf(from, sizeof(from), "%s%s", prefix, obj);
    if (!(d = opendir(from)))
        return;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".gcda"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", from, e->d_name);
        snprintf(to, sizeof(to), "%s/%s", obj, e->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            rename(path, to);
    }
    closedir(d);
}

/* The tests, once, as make check runs them but unsealed: its kitchen, seed, filter; in
 * the jail a graded run has (the jail user, namespaces where the machine has them: it
 * sees its objects read-only and writes only its run folder), so that code run for its
 * coverage, even by root, can do no more than graded code can. Prints Criterion's last
 * line. 0, or 3 when the kitchen or the jail did not start. */
static int run_tests(struct cov_run *c, const char *runner, const char *filter)
{
    const struct opts *o = c->o;
    struct kitchen_conf kc = {.latency_ms = 50};
    struct jail_limits lim = {
        .wall_s = 300, .mem_bytes = 4ULL << 30, .nproc = 256, .out_bytes = 64 << 20};
    struct jail_result r;
    struct sandbox sb;
    struct kitchen k;
    char env[4][1300], log[1200], kbin[1200], counts[1200], why[200];
    char *argv[5] = {(char *)runner, "--jobs", "1", NULL, NULL};
    char *envp[] = {env[0], env[1], env[2], env[3], NULL};
    char *text, *last;
    int rc;

    snprintf(kbin, sizeof(kbin), "%s/kitchen", c->obj); /* the tests may start their own */
    snprintf(counts, sizeof(counts), "%s/gcda", c->run);
    if (box_copy_file(o->kitchen_bin, kbin, 0755, false) < 0 ||
        (jail_uid() >= 0 && chown(c->run, jail_uid(), jail_uid()) < 0)) {
        printf("harness error: could not make the run's folder %s\n", c->run);
        return 3;
    }
    if (kitchen_start(o->kitchen_bin, &kc, &k) < 0) {
        printf("harness error: could not start the kitchen (%s)\n", o->kitchen_bin);
        return 3;
    }
    snprintf(env[0], sizeof(env[0]), "SEED=%llu", (unsigned long long)o->seed);
    snprintf(env[1], sizeof(env[1]), "KITCHEN_PORT=%u", k.port);
    snprintf(env[2], sizeof(env[2]), "KITCHEN_BIN=%s", kbin);
    snprintf(env[3], sizeof(env[3]), "GCOV_PREFIX=%s", counts); /* obj is read-only */
    snprintf(log, sizeof(log), "%s/tests.log", o->build);
    argv[3] = filter[0] ? (char *)filter : NULL;
    rc = jail_run(argv, sandbox_opts(&sb, c->obj, c->run, lim, log, envp), &r);
    kitchen_stop(&k);
    if (rc < 0 || r.end == JAIL_START_FAILED) {
        printf("harness error: could not run the tests in the jail (%s%s%s): the build folder "
               "%s must be reachable by other users (--build elsewhere)\n",
               rc < 0         ? strerror(-rc)
               : r.start_step ? r.start_step
                              : "start",
               rc < 0 ? "" : ": ", rc < 0 ? "" : strerror(r.code), o->build);
        return 3;
    }
    collect_counts(counts, c->obj);
    text = sys_slurp(log, 16 << 20, NULL);
    last = text ? strstr(text, "Synthesis: ") : NULL;
    last = last ? last + 11 : "none ran";
    printf("tests: %.*s(%s; their output: %s)\n", (int)strcspn(last, "\n"), last,
           jail_describe(&r, why, sizeof(why)), log);
    free(text);
    return 0;
}

/* gcovr over the objects, then our summary of its JSON. 0, or 3. */
static int report(struct cov_run *c)
{
    const struct opts *o = c->o;
    struct cov_argv *a = calloc(1, sizeof(*a));
    struct cov_report r;
    char title[200], log[1200], path[1200], *json;
    int rc;

    snprintf(title, sizeof(title), "%s: your code under its tests (not graded)", o->lab);
    snprintf(log, sizeof(log), "%s/gcovr.log", o->build);
    if (!a)
        return 3;
    coverage_gcovr(o->root, c->obj, o->build, title, c->src, c->sp.nfiles, a);
    rc = a->full ? 127 : spawn(a->v, NULL, NULL, log);
    free(a);
    if (rc == 127) {
        printf("gcovr is missing: apt-get install gcovr (or make deps as root)\n");
        return 3;
    }
    snprintf(path, sizeof(path), "%s/coverage.json", o->build);
    json = rc == 0 ? sys_slurp(path, 64 << 20, NULL) : NULL;
    if (!json || coverage_parse(json, &r) < 0) {
        printf("harness error: gcovr did not report (see %s)\n", log);
        free(json);
        return 3;
    }
    free(json);
    printf("lines and branches of your files that the tests ran:\n");
    coverage_print(stdout, &r);
    printf("each line, in colour: %s/index.html\n", o->build);
    coverage_report_free(&r);
    return 0;
}

/* The spec, narrowed to --only; the build folders made afresh. 0, 2 or 3. */
static int prepare(struct cov_run *c, char *filter, size_t len)
{
    const struct opts *o = c->o;
    const char *labs[8];
    char path[1100], err[1400];

    snprintf(path, sizeof(path), "%s/harness/labs/%s/spec", o->root, o->lab);
    if (spec_load(path, &c->sp, err, sizeof(err)) < 0) {
        fprintf(stderr, "grade: %s\n", err);
        return 2;
    }
    if (o->only && (spec_select(&c->sp, o->only) == 0 || c->sp.ntests == 0)) {
        fprintf(stderr, "grade --coverage: --only %s names no test or suite of %s\n", o->only,
                o->lab);
        return 2;
    }
    if (coverage_filter(&c->sp, !o->only, filter, len) < 0) {
        fprintf(stderr, "grade --coverage: --only %s: too many tests for one run\n", o->only);
        return 2;
    }
    read_cflags(o->root, c->cflags, sizeof(c->cflags));
    c->b = (struct cov_build){.root = o->root, .lab = o->lab, .cflags = c->cflags};
    c->b.cc = getenv("CC_PATH") ? getenv("CC_PATH") : "cc";
    c->b.cr_cflags = getenv("CRITERION_CFLAGS");
    c->b.nother = spec_other_labs(&c->sp, labs, 8);
    for (int k = 0; k < c->b.nother; k++)
        c->b.other_labs[k] = labs[k];
    snprintf(c->obj, sizeof(c->obj), "%s/obj", o->build);
    snprintf(c->run, sizeof(c->run), "%s/run", o->build);
    if (strlen(o->build) < 2 || !strcmp(o->build, o->root) || !strcmp(o->build, o->src)) {
        fprintf(stderr, "grade --coverage: --build %s would remove your files\n", o->build);
        return 2;
    }
    box_remove(o->build); /* no .gcda of an earlier build may add to this one's counts */
    if (sys_mkdirs(c->obj, 0755) < 0 || sys_mkdirs(c->run, 0755) < 0) {
        printf("harness error: could not make %s\n", o->build);
        return 3;
    }
    return 0;
}

int coverage_run(const struct opts *o)
{
    struct cov_run *c = calloc(1, sizeof(*c));
    char filter[8192], runner[1200];
    int rc;

    if (!c)
        return 3;
    c->o = o;
    cov_arg(&c->link, "%s", getenv("CC_PATH") ? getenv("CC_PATH") : "cc");
    cov_words(&c->link, "-pthread --coverage " FAULT_WRAP " -Wl,--wrap=_exit");
    printf("coverage of %s (%s; seed %llu): built with gcov, run in the jail, not sealed, never "
           "graded\n",
           o->lab, o->src, (unsigned long long)o->seed);
    if ((rc = prepare(c, filter, sizeof(filter))) == 0 && (rc = build(c)) == 0 &&
        (rc = link_runner(c, runner, sizeof(runner))) == 0 &&
        (rc = run_tests(c, runner, filter)) == 0)
        rc = report(c);
    spec_free(&c->sp);
    free(c);
    return rc;
}
