/* build.c: copy a student's files into a clean folder and build them against ours. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "jail.h"

#define MAX_ARGS 64

/* What a race driver needs of ours besides the lab's files. */
static const char *const tsan_lib[] = {"workload", "jobs", "kitchen"};
#define LOG_MAX (256 * 1024)

char *build_slurp(const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    char *buf;
    size_t n;

    if (!f)
        return NULL;
    buf = malloc(max + 1);
    if (buf) {
        n = fread(buf, 1, max, f);
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

static int copy_file(const char *from, const char *to)
{
    char buf[65536];
    ssize_t n = 0;
    int in = open(from, O_RDONLY | O_CLOEXEC), out, rc = 0;

    if (in < 0)
        return -errno;
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = -errno;
        goto out_in;
    }
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, n) != n) {
            rc = -EIO;
            break;
        }
    if (n < 0)
        rc = -errno;
    close(out);
out_in:
    close(in);
    return rc;
}

/* Split a flags string at spaces into argv (pkg-config output has no quoting). */
static int add_words(char **argv, int argc, char *words)
{
    char *save = NULL;

    for (char *w = strtok_r(words, " \t\n", &save); w && argc < MAX_ARGS - 1;
         w = strtok_r(NULL, " \t\n", &save))
        argv[argc++] = w;
    return argc;
}

/* Run the compiler contained (a student file may #include /dev/zero); 0 on success. */
static int run_cc(char **argv, const char *log, char **text)
{
    struct jail_opts o = {
        /* out_bytes caps every file the compiler writes, the object file too */
        .lim = {.wall_s = 60, .cpu_s = 60, .nproc = 32, .out_bytes = 256 << 20},
        .out_path = log,
    };
    struct jail_result r;
    int rc = jail_run(argv, &o, &r);

    if (text) {
        free(*text);
        *text = build_slurp(log, LOG_MAX);
    }
    if (rc < 0)
        return rc;
    if (r.end != JAIL_EXITED || r.code != 0) {
        if (r.end != JAIL_EXITED && text) {
            char why[128], *t;
            jail_describe(&r, why, sizeof(why));
            if (asprintf(&t, "%s\nthe compiler %s\n", *text ? *text : "", why) >= 0) {
                free(*text);
                *text = t;
            }
        }
        return 1;
    }
    return 0;
}

/* How a file is built: normally, or instrumented for ThreadSanitizer. */
enum flavour { PLAIN, TSAN };

static int compile(const struct build_conf *c, const char *src, const char *obj, const char *log,
                   char **text, enum flavour fl)
{
    char inc1[1100], inc2[1100], inc3[1100], map1[1100], map2[1100], map3[1100], flags[1024];
    char cwd[1024], *argv[MAX_ARGS];
    int n = 0;

    snprintf(inc1, sizeof(inc1), "-I%s/harness/include", c->root);
    snprintf(inc2, sizeof(inc2), "-I%s/harness/labs/%s", c->root, c->lab);
    snprintf(inc3, sizeof(inc3), "-I%s/harness/src", c->root);
    /* messages name files as the student sees them: harness/labs/..., cook.c */
    snprintf(map1, sizeof(map1), "-ffile-prefix-map=%s/=", c->root);
    snprintf(map2, sizeof(map2), "-ffile-prefix-map=%s/src/=", c->dir);
    /* debug info also keeps the folder the compiler ran in (ThreadSanitizer prints it) */
    if (!getcwd(cwd, sizeof(cwd)))
        strcpy(cwd, "/");
    snprintf(map3, sizeof(map3), "-fdebug-prefix-map=%s=.", cwd);
    snprintf(flags, sizeof(flags), "%s", c->cr_cflags ? c->cr_cflags : "");
    argv[n++] = (char *)c->cc;
    argv[n++] = "-std=c11";
    argv[n++] = "-D_POSIX_C_SOURCE=200809L";
    argv[n++] = "-Wall";
    argv[n++] = "-Wextra";
    argv[n++] = fl == TSAN ? "-O1" : "-O2";
    argv[n++] = "-g";
    argv[n++] = "-pthread";
    argv[n++] = "-fdiagnostics-color=never";
    if (fl == TSAN)
        argv[n++] = "-fsanitize=thread";
    argv[n++] = inc1;
    argv[n++] = inc2;
    argv[n++] = inc3;
    argv[n++] = map2;
    argv[n++] = map1;
    argv[n++] = map3;
    n = add_words(argv, n, flags);
    argv[n++] = "-c";
    argv[n++] = (char *)src;
    argv[n++] = "-o";
    argv[n++] = (char *)obj;
    argv[n] = NULL;
    return run_cc(argv, log, text);
}

static int link_bin(const struct build_conf *c, const char *out, char *const objs[], int nobjs,
                    const char *libs, enum flavour fl, char **text)
{
    char words[1024], log[1100], *argv[MAX_ARGS];
    int n = 0;

    snprintf(words, sizeof(words), "%s", libs ? libs : "");
    snprintf(log, sizeof(log), "%s.log", out);
    argv[n++] = (char *)c->cc;
    argv[n++] = "-pthread";
    if (fl == TSAN)
        argv[n++] = "-fsanitize=thread";
    argv[n++] = "-o";
    argv[n++] = (char *)out;
    for (int i = 0; i < nobjs && n < MAX_ARGS - 8; i++)
        argv[n++] = objs[i];
    n = add_words(argv, n, words);
    argv[n++] = "-lm";
    argv[n] = NULL;
    return run_cc(argv, log, text);
}

/* A student file: copied, compiled; the skeleton's copy stands in when it fails. */
static int build_student_file(const struct build_conf *c, const char *name, struct build_out *o,
                              int i)
{
    char from[1100], to[1100], obj[1100], log[1100];

    snprintf(from, sizeof(from), "%s/%s", c->src, name);
    snprintf(to, sizeof(to), "%s/src/%s", c->dir, name);
    snprintf(obj, sizeof(obj), "%s/obj/%s.o", c->dir, name);
    snprintf(log, sizeof(log), "%s/obj/%s.log", c->dir, name);
    if (copy_file(from, to) < 0) {
        if (asprintf(&o->file_log[i], "%s is missing: the skeleton's copy stands in\n", from) < 0)
            o->file_log[i] = NULL;
    } else if (compile(c, to, obj, log, &o->file_log[i], PLAIN) == 0) {
        o->file_ok[i] = true;
        return 0;
    }
    snprintf(from, sizeof(from), "%s/%s", c->skeleton, name);
    snprintf(log, sizeof(log), "%s/obj/%s.skeleton.log", c->dir, name);
    return compile(c, from, obj, log, NULL, PLAIN) == 0 ? 0 : -ENOEXEC;
}

/* Compile one of our files (the kit's own: a failure is the harness's) into obj. */
static int ours(const struct build_conf *c, const char *path, const char *obj, enum flavour fl)
{
    char log[1200];

    snprintf(log, sizeof(log), "%s.log", obj);
    return compile(c, path, obj, log, NULL, fl) == 0 ? 0 : -ENOEXEC;
}

/* A list of object paths, built up for one link. */
struct objs {
    char *v[MAX_ARGS];
    int n;
};

static void objs_add(struct objs *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (l->n < MAX_ARGS && vasprintf(&l->v[l->n], fmt, ap) >= 0)
        l->n++;
    va_end(ap);
}

static void objs_free(struct objs *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

/* The lab's support files (ours, e.g. an interpreter) and the student's objects. */
static int add_lab_objs(const struct build_conf *c, const struct spec *s, struct objs *l,
                        enum flavour fl)
{
    const char *dir = fl == TSAN ? "obj-tsan" : "obj";
    int rc;

    for (int i = 0; i < s->nsupport; i++) {
        char src[1100], obj[1100];
        snprintf(src, sizeof(src), "%s/harness/labs/%s/%s", c->root, c->lab, s->support[i]);
        snprintf(obj, sizeof(obj), "%s/%s/support-%s.o", c->dir, dir, s->support[i]);
        if (access(obj, R_OK) != 0 && (rc = ours(c, src, obj, fl)) < 0)
            return rc;
        objs_add(l, "%s", obj);
    }
    for (int i = 0; i < s->nfiles; i++)
        objs_add(l, "%s/%s/%s.o", c->dir, dir, s->files[i]);
    return 0;
}

/* A race driver with ThreadSanitizer: the student's files (or the stand-ins that
 * compiled), ours, and the driver, all instrumented. Returns 0 or -errno. */
static int build_race(const struct build_conf *c, const struct spec *s, struct build_out *o,
                      int r)
{
    char src[1100], obj[1100], drv[1200];
    struct objs l = {0};
    int rc = 0;

    for (int i = 0; i < s->nfiles; i++) {
        if (o->file_ok[i])
            snprintf(src, sizeof(src), "%s/src/%s", c->dir, s->files[i]);
        else
            snprintf(src, sizeof(src), "%s/%s", c->skeleton, s->files[i]);
        snprintf(obj, sizeof(obj), "%s/obj-tsan/%s.o", c->dir, s->files[i]);
        snprintf(drv, sizeof(drv), "%s.log", obj);
        if (access(obj, R_OK) != 0 && compile(c, src, obj, drv, &o->race_log[r], TSAN) != 0)
            return 0; /* compiled plainly, but not with TSan: the race item says so */
    }
    snprintf(drv, sizeof(drv), "%s/harness/labs/%s/%s", c->root, c->lab, s->races[r].driver);
    objs_add(&l, "%s/obj-tsan/race-%s.o", c->dir, s->races[r].name);
    if ((rc = ours(c, drv, l.v[0], TSAN)) < 0)
        goto out;
    if ((rc = add_lab_objs(c, s, &l, TSAN)) < 0)
        goto out;
    for (size_t i = 0; i < sizeof(tsan_lib) / sizeof(tsan_lib[0]); i++) {
        snprintf(src, sizeof(src), "%s/harness/src/%s.c", c->root, tsan_lib[i]);
        snprintf(obj, sizeof(obj), "%s/obj-tsan/lib-%s.o", c->dir, tsan_lib[i]);
        if (access(obj, R_OK) != 0 && (rc = ours(c, src, obj, TSAN)) < 0)
            goto out;
        objs_add(&l, "%s", obj);
    }
    snprintf(o->race[r], sizeof(o->race[r]), "%s/race-%s", c->dir, s->races[r].name);
    o->race_ok[r] = !link_bin(c, o->race[r], l.v, l.n, NULL, TSAN, &o->race_log[r]);
out:
    objs_free(&l);
    return rc;
}

int build_lab(const struct build_conf *c, const struct spec *s, struct build_out *o)
{
    char path[1100];
    struct objs l = {0};
    int rc;

    memset(o, 0, sizeof(*o));
    snprintf(path, sizeof(path), "rm -rf '%s' && mkdir -p '%s/src' '%s/obj' '%s/obj-tsan' '%s/run'",
             c->dir, c->dir, c->dir, c->dir, c->dir);
    if (strchr(c->dir, '\'') || system(path) != 0)
        return -EIO;
    snprintf(o->run, sizeof(o->run), "%s/run", c->dir);
    chmod(o->run, 01777); /* the jail user writes here (sticky, like /tmp) */
    for (int i = 0; i < s->nfiles; i++)
        if ((rc = build_student_file(c, s->files[i], o, i)) < 0)
            return rc;
    /* the test runner: our tests, the lab's support, the student's files, Criterion */
    snprintf(path, sizeof(path), "%s/harness/labs/%s/tests.c", c->root, c->lab);
    objs_add(&l, "%s/obj/tests.o", c->dir);
    if ((rc = ours(c, path, l.v[0], PLAIN)) < 0 || (rc = add_lab_objs(c, s, &l, PLAIN)) < 0)
        goto out;
    objs_add(&l, "%s", c->libharness);
    snprintf(o->tests, sizeof(o->tests), "%s/tests", c->dir);
    o->tests_ok = !link_bin(c, o->tests, l.v, l.n, c->cr_libs, PLAIN, &o->link_log);
    objs_free(&l);
    /* the bench driver: ours, the lab's versions, support and the student's files */
    snprintf(path, sizeof(path), "%s/harness/labs/%s/versions.c", c->root, c->lab);
    if (access(path, R_OK) == 0) {
        char drv[1100];
        snprintf(drv, sizeof(drv), "%s/harness/src/bench.c", c->root);
        objs_add(&l, "%s/obj/bench.o", c->dir);
        objs_add(&l, "%s/obj/versions.o", c->dir);
        if ((rc = ours(c, drv, l.v[0], PLAIN)) < 0 || (rc = ours(c, path, l.v[1], PLAIN)) < 0 ||
            (rc = add_lab_objs(c, s, &l, PLAIN)) < 0)
            goto out;
        objs_add(&l, "%s", c->libharness);
        snprintf(o->bench, sizeof(o->bench), "%s/bench", c->dir);
        o->bench_ok = !link_bin(c, o->bench, l.v, l.n, NULL, PLAIN,
                                o->tests_ok ? &o->link_log : NULL);
    }
    for (int r = 0; r < s->nraces && r < SPEC_MAX_RACES && rc >= 0; r++)
        rc = build_race(c, s, o, r);
out:
    objs_free(&l);
    return rc < 0 ? rc : 0;
}

void build_free(struct build_out *o)
{
    for (int i = 0; i < SPEC_MAX_FILES; i++)
        free(o->file_log[i]);
    for (int i = 0; i < SPEC_MAX_RACES; i++)
        free(o->race_log[i]);
    free(o->link_log);
    memset(o, 0, sizeof(*o));
}
