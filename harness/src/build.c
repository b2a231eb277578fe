/* build.c: copy a student's files into a clean folder and build them against ours. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "jail.h"

#define MAX_ARGS 64
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

static int compile(const struct build_conf *c, const char *src, const char *obj, const char *log,
                   char **text)
{
    char inc1[1100], inc2[1100], inc3[1100], map1[1100], map2[1100], flags[1024];
    char *argv[MAX_ARGS];
    int n = 0;

    snprintf(inc1, sizeof(inc1), "-I%s/harness/include", c->root);
    snprintf(inc2, sizeof(inc2), "-I%s/harness/labs/%s", c->root, c->lab);
    snprintf(inc3, sizeof(inc3), "-I%s/harness/src", c->root);
    /* messages name files as the student sees them: harness/labs/..., cook.c */
    snprintf(map1, sizeof(map1), "-fmacro-prefix-map=%s/=", c->root);
    snprintf(map2, sizeof(map2), "-fmacro-prefix-map=%s/src/=", c->dir);
    snprintf(flags, sizeof(flags), "%s", c->cr_cflags ? c->cr_cflags : "");
    argv[n++] = (char *)c->cc;
    argv[n++] = "-std=c11";
    argv[n++] = "-D_POSIX_C_SOURCE=200809L";
    argv[n++] = "-Wall";
    argv[n++] = "-Wextra";
    argv[n++] = "-O2";
    argv[n++] = "-g";
    argv[n++] = "-pthread";
    argv[n++] = "-fdiagnostics-color=never";
    argv[n++] = inc1;
    argv[n++] = inc2;
    argv[n++] = inc3;
    argv[n++] = map2;
    argv[n++] = map1;
    n = add_words(argv, n, flags);
    argv[n++] = "-c";
    argv[n++] = (char *)src;
    argv[n++] = "-o";
    argv[n++] = (char *)obj;
    argv[n] = NULL;
    return run_cc(argv, log, text);
}

static int link_bin(const struct build_conf *c, const char *out, const char *main_obj,
                    const char *extra_obj, const struct spec *s, const char *libs, char **text)
{
    char objs[SPEC_MAX_FILES][1100], words[1024], log[1100], *argv[MAX_ARGS];
    int n = 0;

    snprintf(words, sizeof(words), "%s", libs ? libs : "");
    snprintf(log, sizeof(log), "%s.log", out);
    argv[n++] = (char *)c->cc;
    argv[n++] = "-pthread";
    argv[n++] = "-o";
    argv[n++] = (char *)out;
    argv[n++] = (char *)main_obj;
    if (extra_obj)
        argv[n++] = (char *)extra_obj;
    for (int i = 0; i < s->nfiles; i++) {
        snprintf(objs[i], sizeof(objs[i]), "%s/obj/%s.o", c->dir, s->files[i]);
        argv[n++] = objs[i];
    }
    argv[n++] = (char *)c->libharness;
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
    } else if (compile(c, to, obj, log, &o->file_log[i]) == 0) {
        o->file_ok[i] = true;
        return 0;
    }
    snprintf(from, sizeof(from), "%s/%s", c->skeleton, name);
    snprintf(log, sizeof(log), "%s/obj/%s.skeleton.log", c->dir, name);
    return compile(c, from, obj, log, NULL) == 0 ? 0 : -ENOEXEC;
}

static int ours(const struct build_conf *c, const char *path, const char *obj, char **text)
{
    char log[1200];

    snprintf(log, sizeof(log), "%s.log", obj);
    return compile(c, path, obj, log, text) == 0 ? 0 : -ENOEXEC;
}

int build_lab(const struct build_conf *c, const struct spec *s, struct build_out *o)
{
    char path[1100], tests_o[1100], bench_o[1100], vers_o[1100], drv[1100];
    int rc;

    memset(o, 0, sizeof(*o));
    snprintf(path, sizeof(path), "rm -rf '%s' && mkdir -p '%s/src' '%s/obj' '%s/run'", c->dir,
             c->dir, c->dir, c->dir);
    if (strchr(c->dir, '\'') || system(path) != 0)
        return -EIO;
    snprintf(o->run, sizeof(o->run), "%s/run", c->dir);
    chmod(o->run, 01777); /* the jail user writes here (sticky, like /tmp) */
    for (int i = 0; i < s->nfiles; i++)
        if ((rc = build_student_file(c, s->files[i], o, i)) < 0)
            return rc;
    snprintf(path, sizeof(path), "%s/harness/labs/%s/tests.c", c->root, c->lab);
    snprintf(tests_o, sizeof(tests_o), "%s/obj/tests.o", c->dir);
    snprintf(o->tests, sizeof(o->tests), "%s/tests", c->dir);
    if ((rc = ours(c, path, tests_o, NULL)) < 0)
        return rc;
    o->tests_ok = !link_bin(c, o->tests, tests_o, NULL, s, c->cr_libs, &o->link_log);
    snprintf(path, sizeof(path), "%s/harness/labs/%s/versions.c", c->root, c->lab);
    snprintf(vers_o, sizeof(vers_o), "%s/obj/versions.o", c->dir);
    snprintf(drv, sizeof(drv), "%s/harness/src/bench.c", c->root);
    snprintf(bench_o, sizeof(bench_o), "%s/obj/bench.o", c->dir);
    snprintf(o->bench, sizeof(o->bench), "%s/bench", c->dir);
    if (access(path, R_OK) == 0) {
        if ((rc = ours(c, path, vers_o, NULL)) < 0 || (rc = ours(c, drv, bench_o, NULL)) < 0)
            return rc;
        o->bench_ok = !link_bin(c, o->bench, bench_o, vers_o, s, NULL,
                                o->tests_ok ? &o->link_log : NULL);
    }
    return 0;
}

void build_free(struct build_out *o)
{
    for (int i = 0; i < SPEC_MAX_FILES; i++)
        free(o->file_log[i]);
    free(o->link_log);
    memset(o, 0, sizeof(*o));
}
