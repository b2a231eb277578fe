/* build.c: copy a student's files into a clean folder and build them against ours. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "audit.h"
#include "build.h"
#include "fault.h"
#include "jail.h"

#define MAX_ARGS 64

/* What a race driver needs of ours besides the lab's files. */
static const char *const tsan_lib[] = {"workload", "jobs", "kitchen", "done"};
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

/* Copy a regular file; with `nofollow`, `from` must not be a link (a student's file: a
 * link to /etc/shadow would have the compiler quote it back). */
static int copy_file(const char *from, const char *to, mode_t mode, bool nofollow)
{
    char buf[65536];
    ssize_t n = 0;
    struct stat st;
    int in = open(from, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW | O_NONBLOCK : 0)), out;
    int rc = 0;

    if (in < 0)
        return -errno;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return -EINVAL;
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
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

/* Copy the regular files of a folder (not its sub-folders) into another. */
static int copy_flat(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;
    int rc = 0;

    if (!d)
        return -errno;
    while (rc == 0 && (e = readdir(d))) {
        char a[1100], b[1100];
        struct stat st;
        snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
        snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
        if (e->d_name[0] != '.' && stat(a, &st) == 0 && S_ISREG(st.st_mode))
            rc = copy_file(a, b, 0644, false);
    }
    closedir(d);
    return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)flag, (void)f;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove a tree without following links (the jail user's runs have all ended). */
static void remove_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static int mkdirs(const char *box, mode_t mode, int uid, const char *const *names)
{
    for (; *names; names++) {
        char path[1100];
        snprintf(path, sizeof(path), "%s/%s", box, *names);
        if (mkdir(path, mode) < 0 || chmod(path, mode) < 0)
            return -errno;
        if (uid >= 0 && chown(path, (uid_t)uid, (gid_t)uid) < 0)
            return -errno;
    }
    return 0;
}

/* A fresh box in the first temporary folder that lets its programs run. */
static int new_box(struct build_out *o)
{
    const char *tmp = getenv("TMPDIR");
    const char *bases[] = {tmp && tmp[0] == '/' ? tmp : "/tmp", "/tmp", "/var/tmp", "/dev/shm"};

    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        struct statvfs vfs;
        if (statvfs(bases[i], &vfs) < 0 || (vfs.f_flag & ST_NOEXEC))
            continue;
        snprintf(o->box, sizeof(o->box), "%s/restaurant-lab-XXXXXX", bases[i]);
        if (mkdtemp(o->box) && chmod(o->box, 0711) == 0)
            return 0;
    }
    o->box[0] = '\0';
    return -ENOSPC;
}

/* harness/cflags: the flags every C file is compiled with, one per line ('#': a comment),
 * joined by spaces into out. */
static int read_cflags(const char *root, char *out, size_t len)
{
    char path[1100];
    size_t used = 0;

    snprintf(path, sizeof(path), "%s/harness/cflags", root);
    char *text = build_slurp(path, 4096);
    if (!text)
        return -ENOENT;
    out[0] = '\0';
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (l[0] != '#' && l[0] && used + strlen(l) + 2 < len)
            used += (size_t)snprintf(out + used, len - used, "%s ", l);
    free(text);
    return used ? 0 : -EINVAL;
}

/* The box: copies of what the compiler may read, and the jail user's own folders. */
static int make_box(const struct build_conf *c, struct build_out *o)
{
    static const char *const ours[] = {"kit", "kit/harness", "kit/harness/include",
                                       "kit/harness/labs", "kit/harness/lib",
                                       "kit/harness/drivers", "kit/lib",
                                       "kit/bin", "kit/skel", "src", NULL};
    static const char *const theirs[] = {"out", "out/tmp", "out/obj", "out/obj-tsan", "run",
                                         NULL};
    char a[1100], b[1100], lab[160];
    int rc;

    if ((rc = new_box(o)) < 0)
        return rc;
    snprintf(lab, sizeof(lab), "kit/harness/labs/%s", c->lab);
    const char *labdir[] = {lab, NULL};
    if ((rc = mkdirs(o->box, 0755, -1, ours)) < 0 || (rc = mkdirs(o->box, 0755, -1, labdir)) < 0 ||
        (rc = mkdirs(o->box, 0700, jail_uid(), theirs)) < 0)
        return rc;
    static const char *const trees[] = {"harness/include", "harness/lib", "harness/drivers",
                                        NULL};
    for (const char *const *t = trees; *t; t++) {
        snprintf(a, sizeof(a), "%s/%s", c->root, *t);
        snprintf(b, sizeof(b), "%s/kit/%s", o->box, *t);
        if ((rc = copy_flat(a, b)) < 0)
            return rc;
    }
    snprintf(a, sizeof(a), "%s/harness/labs/%s", c->root, c->lab);
    snprintf(b, sizeof(b), "%s/%s", o->box, lab);
    if ((rc = copy_flat(a, b)) < 0)
        return rc;
    snprintf(b, sizeof(b), "%s/kit/skel", o->box);
    if ((rc = copy_flat(c->skeleton, b)) < 0)
        return rc;
    snprintf(b, sizeof(b), "%s/kit/lib/libharness.a", o->box);
    if ((rc = copy_file(c->libharness, b, 0644, false)) < 0)
        return rc;
    snprintf(o->kitchen, sizeof(o->kitchen), "%s/kit/bin/kitchen", o->box);
    if (c->kitchen && (rc = copy_file(c->kitchen, o->kitchen, 0755, false)) < 0)
        return rc;
    snprintf(o->run, sizeof(o->run), "%s/run", o->box);
    return read_cflags(c->root, o->cflags, sizeof(o->cflags));
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

/* Run the compiler (or linker) contained, as the jail user, in the box: its input is
 * the student's (a file may #include /dev/zero, or drive the preprocessor into
 * exponential expansion). 0 on success, 1 when it failed, -errno when it did not run. */
static int run_cc(const struct build_out *o, char **argv, const char *log, char **text)
{
    char tmp[1100], out[1100];
    char *env[] = {tmp, NULL};
    const char *ro[] = {o->box, NULL}, *rw[] = {out, NULL};
    struct jail_opts jo = {
        /* out_bytes caps every file the compiler writes, the object file too */
        .lim = {.wall_s = 60, .cpu_s = 60, .nproc = 32, .out_bytes = 256 << 20,
                .mem_bytes = 3ULL << 30},
        .out_path = log,
        .dir = out,
        .env = env,
        .drop_privileges = true,
        .sandbox = true, .ro = ro, .rw = rw,
    };
    struct jail_result r;
    int rc;

    snprintf(out, sizeof(out), "%s/out", o->box);
    snprintf(tmp, sizeof(tmp), "TMPDIR=%s/out/tmp", o->box);
    rc = jail_run(argv, &jo, &r);
    if (text) {
        free(*text);
        *text = build_slurp(log, LOG_MAX);
    }
    if (rc < 0)
        return rc;
    if (r.end == JAIL_START_FAILED)
        return -(r.code ? r.code : EIO);
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

/* How a file is built: normally, instrumented for ThreadSanitizer, or only
 * preprocessed (for the audit). */
enum flavour { PLAIN, TSAN, PREPROCESS, FAULTY /* linked with fault.c's wrappers */ };

/* Compile src into obj (or preprocess it), with the lab's flags; dfile: gcc's list of
 * what it included (NULL: none). */
static int compile(const struct build_conf *c, const struct build_out *o, const char *src,
                   const char *obj, const char *dfile, const char *log, char **text,
                   enum flavour fl)
{
    char inc1[1100], inc2[1100], map1[1100], map2[1100], map3[1100], flags[1024], kit[2048];
    char *argv[MAX_ARGS];
    int n = 0;

    snprintf(inc1, sizeof(inc1), "-I%s/kit/harness/include", o->box);
    snprintf(inc2, sizeof(inc2), "-I%s/kit/harness/labs/%s", o->box, c->lab);
    /* messages name files as the student sees them: harness/labs/..., cook.c */
    snprintf(map1, sizeof(map1), "-ffile-prefix-map=%s/kit/=", o->box);
    snprintf(map2, sizeof(map2), "-ffile-prefix-map=%s/src/=", o->box);
    /* debug info also keeps the folder the compiler ran in (ThreadSanitizer prints it) */
    snprintf(map3, sizeof(map3), "-fdebug-prefix-map=%s/out=.", o->box);
    snprintf(flags, sizeof(flags), "%s", c->cr_cflags ? c->cr_cflags : "");
    snprintf(kit, sizeof(kit), "%s", o->cflags);
    argv[n++] = (char *)c->cc;
    n = add_words(argv, n, kit); /* harness/cflags: -std, -W..., -g, -pthread */
    argv[n++] = fl == TSAN ? "-O1" : "-O2";
    argv[n++] = "-pipe"; /* no temporary files */
    argv[n++] = "-fdiagnostics-color=never";
    if (fl == TSAN)
        argv[n++] = "-fsanitize=thread";
    argv[n++] = inc1;
    argv[n++] = inc2;
    if (fl != PREPROCESS) {
        argv[n++] = map2;
        argv[n++] = map1;
        argv[n++] = map3;
    }
    n = add_words(argv, n, flags);
    if (dfile) {
        argv[n++] = "-MD";
        argv[n++] = "-MF";
        argv[n++] = (char *)dfile;
    }
    argv[n++] = fl == PREPROCESS ? "-E" : "-c";
    argv[n++] = (char *)src;
    argv[n++] = "-o";
    argv[n++] = (char *)obj;
    argv[n] = NULL;
    return run_cc(o, argv, log, text);
}

static int link_bin(const struct build_conf *c, const struct build_out *o, const char *out,
                    char *const objs[], int nobjs, const char *libs, enum flavour fl,
                    char **text)
{
    char words[1024], log[1100], *argv[MAX_ARGS];
    const char *base = strrchr(out, '/');
    int n = 0;

    snprintf(words, sizeof(words), "%s", libs ? libs : "");
    snprintf(log, sizeof(log), "%s/%s.log", o->logs, base ? base + 1 : out);
    argv[n++] = (char *)c->cc;
    argv[n++] = "-pthread";
    if (fl == TSAN)
        argv[n++] = "-fsanitize=thread";
    if (fl == FAULTY)
        argv[n++] = FAULT_WRAP;
    argv[n++] = "-o";
    argv[n++] = (char *)out;
    for (int i = 0; i < nobjs && n < MAX_ARGS - 8; i++)
        argv[n++] = objs[i];
    n = add_words(argv, n, words);
    argv[n++] = "-lm";
    argv[n] = NULL;
    return run_cc(o, argv, log, text);
}

/* Only the lab's own names stay visible outside a student's object: a student file
 * cannot stand in for a C library or harness function (say, its own fclose()). */
static int localize(const struct build_out *o, const struct spec *s, const char *obj)
{
    char *argv[MAX_ARGS + SPEC_MAX_NAMES], log[1100], keep[SPEC_MAX_NAMES][64];
    int n = 0;

    argv[n++] = "/usr/bin/objcopy";
    for (int i = 0; i < s->napi; i++) {
        snprintf(keep[i], sizeof(keep[i]), "-G%s", s->api[i]);
        argv[n++] = keep[i];
    }
    argv[n++] = (char *)obj;
    argv[n] = NULL;
    snprintf(log, sizeof(log), "%s/objcopy.log", o->logs);
    return run_cc(o, argv, log, NULL) == 0 ? 0 : -ENOEXEC;
}

/* Append text to a malloc'd log. */
static void log_add(char **log, const char *text)
{
    char *t;

    if (asprintf(&t, "%s%s", *log ? *log : "", text) >= 0) {
        free(*log);
        *log = t;
    }
}

/* The rules of audit.h for a student file that compiled: 0 kept, 1 broken (the reason
 * in the file's log), -errno when the audit itself failed. */
static int audit_file(const struct build_conf *c, const struct spec *s, struct build_out *o,
                      int i)
{
    const char *name = s->files[i];
    char src[1100], obj[1100], dep[1100], pre[1100], log[1100], why[2048];
    char kit[1100], lab[1100], own[1100];
    const char *allowed[] = {"/usr/include/", "/usr/lib/gcc/", kit, lab, own, NULL};
    struct audit_rules rules = {.allow = s->allow, .api = s->api, .lab = c->lab};
    char *raw, *text;
    int rc;

    snprintf(src, sizeof(src), "%s/src/%s", o->box, name);
    snprintf(obj, sizeof(obj), "%s/out/obj/%s.o", o->box, name);
    snprintf(dep, sizeof(dep), "%s/out/obj/%s.d", o->box, name);
    snprintf(pre, sizeof(pre), "%s/out/obj/%s.i", o->box, name);
    snprintf(log, sizeof(log), "%s/%s.E.log", o->logs, name);
    snprintf(kit, sizeof(kit), "%s/kit/harness/include/", o->box);
    snprintf(lab, sizeof(lab), "%s/kit/harness/labs/%s/", o->box, c->lab);
    snprintf(own, sizeof(own), "%s/src/", o->box);
    if ((rc = audit_deps(dep, name, allowed, why, sizeof(why))) != 0)
        goto out;
    if ((rc = compile(c, o, src, pre, NULL, log, NULL, PREPROCESS)) != 0)
        return rc < 0 ? rc : -EIO; /* it compiled a moment ago */
    text = audit_read_untrusted(pre, jail_uid(), 256u << 20, NULL);
    raw = build_slurp(src, 4u << 20);
    rc = text && raw ? audit_source(text, src, raw, name, why, sizeof(why)) : -EIO;
    free(text);
    free(raw);
    remove(pre);
    if (rc == 0)
        rc = audit_object(obj, name, &rules, why, sizeof(why));
out:
    if (rc > 0)
        log_add(&o->file_log[i], why);
    return rc;
}

/* A student file: copied, compiled, audited; the skeleton's copy stands in when it
 * fails. -errno only when the harness failed. */
static int build_student_file(const struct build_conf *c, const struct spec *s,
                              struct build_out *o, int i)
{
    const char *name = s->files[i];
    char from[1100], to[1100], obj[1100], dep[1100], log[1100];
    int rc;

    snprintf(from, sizeof(from), "%s/%s", c->src, name);
    snprintf(to, sizeof(to), "%s/src/%s", o->box, name);
    snprintf(obj, sizeof(obj), "%s/out/obj/%s.o", o->box, name);
    snprintf(dep, sizeof(dep), "%s/out/obj/%s.d", o->box, name);
    snprintf(log, sizeof(log), "%s/%s.log", o->logs, name);
    if ((rc = copy_file(from, to, 0644, true)) < 0) {
        if (asprintf(&o->file_log[i], "%s %s: the skeleton's copy stands in\n", from,
                     rc == -ENOENT ? "is missing" : "is not a plain file (a link?)") < 0)
            o->file_log[i] = NULL;
    } else if ((rc = compile(c, o, to, obj, dep, log, &o->file_log[i], PLAIN)) < 0) {
        return rc;
    } else if (rc == 0 && (rc = audit_file(c, s, o, i)) < 0) {
        return rc;
    } else if (rc == 0) {
        o->file_ok[i] = true;
        return localize(o, s, obj);
    }
    snprintf(from, sizeof(from), "%s/kit/skel/%s", o->box, name);
    snprintf(log, sizeof(log), "%s/%s.skeleton.log", o->logs, name);
    rc = compile(c, o, from, obj, NULL, log, NULL, PLAIN);
    return rc == 0 ? localize(o, s, obj) : rc < 0 ? rc : -ENOEXEC;
}

/* Compile one of our files (the kit's own: a failure is the harness's) into obj. */
static int ours(const struct build_conf *c, const struct build_out *o, const char *path,
                const char *obj, enum flavour fl)
{
    char log[1200];
    const char *base = strrchr(obj, '/');

    snprintf(log, sizeof(log), "%s/%s%s.log", o->logs, fl == TSAN ? "tsan-" : "",
             base ? base + 1 : obj);
    return compile(c, o, path, obj, NULL, log, NULL, fl) == 0 ? 0 : -ENOEXEC;
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
static int add_lab_objs(const struct build_conf *c, const struct spec *s,
                        const struct build_out *o, struct objs *l, enum flavour fl)
{
    const char *dir = fl == TSAN ? "obj-tsan" : "obj";
    int rc;

    for (int i = 0; i < s->nsupport; i++) {
        char src[1100], obj[1100];
        snprintf(src, sizeof(src), "%s/kit/harness/labs/%s/%s", o->box, c->lab, s->support[i]);
        snprintf(obj, sizeof(obj), "%s/out/%s/support-%s.o", o->box, dir, s->support[i]);
        if (access(obj, F_OK) != 0 && (rc = ours(c, o, src, obj, fl)) < 0)
            return rc;
        objs_add(l, "%s", obj);
    }
    for (int i = 0; i < s->nfiles; i++)
        objs_add(l, "%s/out/%s/%s.o", o->box, dir, s->files[i]);
    return 0;
}

/* A race driver with ThreadSanitizer: the student's files (or the stand-ins that
 * compiled), ours, and the driver, all instrumented. Returns 0 or -errno. */
static int build_race(const struct build_conf *c, const struct spec *s, struct build_out *o,
                      int r)
{
    char src[1100], obj[1100], log[1200];
    struct objs l = {0};
    int rc = 0;

    for (int i = 0; i < s->nfiles; i++) {
        snprintf(src, sizeof(src), "%s/%s/%s", o->box, o->file_ok[i] ? "src" : "kit/skel",
                 s->files[i]);
        snprintf(obj, sizeof(obj), "%s/out/obj-tsan/%s.o", o->box, s->files[i]);
        snprintf(log, sizeof(log), "%s/tsan-%s.log", o->logs, s->files[i]);
        if (access(obj, F_OK) == 0)
            continue;
        if ((rc = compile(c, o, src, obj, NULL, log, &o->race_log[r], TSAN)) > 0)
            return 0; /* compiled plainly, but not with TSan: the race item says so */
        if (rc < 0 || (rc = localize(o, s, obj)) < 0)
            return rc;
    }
    snprintf(src, sizeof(src), "%s/kit/harness/labs/%s/%s", o->box, c->lab, s->races[r].driver);
    objs_add(&l, "%s/out/obj-tsan/race-%s.o", o->box, s->races[r].name);
    if ((rc = ours(c, o, src, l.v[0], TSAN)) < 0)
        goto out;
    if ((rc = add_lab_objs(c, s, o, &l, TSAN)) < 0)
        goto out;
    for (size_t i = 0; i < sizeof(tsan_lib) / sizeof(tsan_lib[0]); i++) {
        snprintf(src, sizeof(src), "%s/kit/harness/lib/%s.c", o->box, tsan_lib[i]);
        snprintf(obj, sizeof(obj), "%s/out/obj-tsan/lib-%s.o", o->box, tsan_lib[i]);
        if (access(obj, F_OK) != 0 && (rc = ours(c, o, src, obj, TSAN)) < 0)
            goto out;
        objs_add(&l, "%s", obj);
    }
    snprintf(o->race[r], sizeof(o->race[r]), "%s/out/race-%s", o->box, s->races[r].name);
    o->race_ok[r] = !link_bin(c, o, o->race[r], l.v, l.n, NULL, TSAN, &o->race_log[r]);
out:
    objs_free(&l);
    return rc;
}

/* The test runner: our tests, the lab's support, the student's files, Criterion. */
static int build_tests(const struct build_conf *c, const struct spec *s, struct build_out *o)
{
    char path[1100];
    struct objs l = {0};
    int rc;

    snprintf(path, sizeof(path), "%s/kit/harness/labs/%s/tests.c", o->box, c->lab);
    objs_add(&l, "%s/out/obj/tests.o", o->box);
    if ((rc = ours(c, o, path, l.v[0], PLAIN)) == 0 && (rc = add_lab_objs(c, s, o, &l, PLAIN)) == 0) {
        objs_add(&l, "%s/kit/lib/libharness.a", o->box);
        snprintf(o->tests, sizeof(o->tests), "%s/out/tests", o->box);
        o->tests_ok = (rc = link_bin(c, o, o->tests, l.v, l.n, c->cr_libs, FAULTY, &o->link_log)) == 0;
    }
    objs_free(&l);
    return rc < 0 ? rc : 0;
}

/* The bench driver: ours, the lab's versions, support and the student's files. */
static int build_bench(const struct build_conf *c, const struct spec *s, struct build_out *o)
{
    char path[1100], drv[1100];
    struct objs l = {0};
    int rc = 0;

    snprintf(path, sizeof(path), "%s/kit/harness/labs/%s/versions.c", o->box, c->lab);
    if (access(path, R_OK) != 0)
        return 0;
    snprintf(drv, sizeof(drv), "%s/kit/harness/drivers/bench.c", o->box);
    objs_add(&l, "%s/out/obj/bench.o", o->box);
    objs_add(&l, "%s/out/obj/versions.o", o->box);
    if ((rc = ours(c, o, drv, l.v[0], PLAIN)) == 0 && (rc = ours(c, o, path, l.v[1], PLAIN)) == 0 &&
        (rc = add_lab_objs(c, s, o, &l, PLAIN)) == 0) {
        objs_add(&l, "%s/kit/lib/libharness.a", o->box);
        snprintf(o->bench, sizeof(o->bench), "%s/out/bench", o->box);
        rc = link_bin(c, o, o->bench, l.v, l.n, NULL, PLAIN, o->tests_ok ? &o->link_log : NULL);
        o->bench_ok = rc == 0;
    }
    objs_free(&l);
    return rc < 0 ? rc : 0;
}

int build_lab(const struct build_conf *c, const struct spec *s, struct build_out *o,
              char *why, size_t len)
{
    char cmd[1200];
    int rc;

    memset(o, 0, sizeof(*o));
    snprintf(o->logs, sizeof(o->logs), "%s/logs", c->dir);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", c->dir, o->logs);
    if (strchr(c->dir, '\'') || system(cmd) != 0) {
        snprintf(why, len, "could not make the build folder %s", c->dir);
        return -EIO;
    }
    if ((rc = make_box(c, o)) < 0) {
        snprintf(why, len, "could not make a box for the build in a temporary folder "
                           "(TMPDIR, /tmp, /var/tmp, /dev/shm): %s", strerror(-rc));
        return rc;
    }
    for (int i = 0; i < s->nfiles; i++)
        if ((rc = build_student_file(c, s, o, i)) < 0) {
            snprintf(why, len, "building %s failed in the harness (%s); see %s", s->files[i],
                     strerror(-rc), o->logs);
            return rc;
        }
    if ((rc = build_tests(c, s, o)) < 0 || (rc = build_bench(c, s, o)) < 0) {
        snprintf(why, len, "the harness's own code did not build (%s); see %s", strerror(-rc),
                 o->logs);
        return rc;
    }
    for (int r = 0; r < s->nraces && r < SPEC_MAX_RACES; r++)
        if ((rc = build_race(c, s, o, r)) < 0) {
            snprintf(why, len, "a race driver did not build (%s); see %s", strerror(-rc), o->logs);
            return rc;
        }
    return 0;
}

void build_free(struct build_out *o)
{
    for (int i = 0; i < SPEC_MAX_FILES; i++)
        free(o->file_log[i]);
    for (int i = 0; i < SPEC_MAX_RACES; i++)
        free(o->race_log[i]);
    free(o->link_log);
    remove_tree(o->box);
    memset(o, 0, sizeof(*o));
}
