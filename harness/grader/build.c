/* build.c: copy a student's files into a clean folder and build them against ours: each
 * student file compiled alone and audited (the skeleton's copy stands in when it fails),
 * then the test runner, the bench driver and the race drivers linked. The box is box.c's;
 * the compiler runs through build_cc.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "box.h"
#include "build.h"
#include "build_cc.h"
#include "build_int.h"
#include "jail.h"
#include "sys.h"

void objs_add(struct objs *l, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (l->n < BUILD_MAX_ARGS && vasprintf(&l->v[l->n], fmt, ap) >= 0)
        l->n++;
    va_end(ap);
}

void objs_free(struct objs *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

/* The lab's support files (ours, e.g. an interpreter) and the student's objects. */
int add_lab_objs(const struct build_conf *c, const struct spec *s, struct build_out *o,
                 struct objs *l, enum flavour fl)
{
    char dir[16];
    int rc;

    snprintf(dir, sizeof(dir), "obj%s%s", cc_san_tag(fl) ? "-" : "",
             cc_san_tag(fl) ? cc_san_tag(fl) : "");
    for (int i = 0; i < s->nsupport; i++) {
        char src[1100], obj[1100];
        snprintf(src, sizeof(src), "%s/kit/harness/labs/%s/%s", o->box,
                 s->support_lab[i][0] ? s->support_lab[i] : c->lab, s->support[i]);
        snprintf(obj, sizeof(obj), "%s/out/%s/support-%s.o", o->box, dir, s->support[i]);
        if (access(obj, F_OK) != 0 && (rc = cc_ours(c, o, src, obj, fl)) < 0)
            return rc;
        objs_add(l, "%s", obj);
    }
    for (int i = 0; i < s->nfiles; i++)
        objs_add(l, "%s/out/%s/%s.o", o->box, dir, s->files[i]);
    return 0;
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

/* The most of a student file's preprocessed text the audit reads; a file whose text (or
 * object, AUDIT_OBJ_MAX) is bigger is refused as the student's (audit_too_big). */
#define PRE_MAX (256u << 20)

/* The rules of audit.h for a student file that compiled: 0 kept, 1 broken (the reason
 * in the file's log; a file too big to audit too), -errno when the audit itself failed. */
static int audit_file(const struct build_conf *c, const struct spec *s, struct build_out *o, int i)
{
    const char *name = s->files[i];
    char src[1100], obj[1100], dep[1100], pre[1100], log[1100], why[2048];
    char kit[1100], lab[1100], own[1100], other[BUILD_MAX_OTHER_LABS][1100];
    const char *allowed[6 + 8] = {AUDIT_SYSTEM_HEADER_DIRS, kit, lab, own};
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
    for (int k = 0; k < o->nother_labs; k++) {
        snprintf(other[k], sizeof(other[k]), "%s/kit/harness/labs/%s/", o->box, o->other_labs[k]);
        allowed[5 + k] = other[k];
    }
    if ((rc = audit_deps(dep, name, allowed, why, sizeof(why))) != 0)
        goto out;
    if ((rc = audit_too_big(obj, AUDIT_OBJ_MAX, name, "object file", why, sizeof(why))) != 0)
        goto out; /* the student's, not the harness's: the audit does not read it */
    if ((rc = cc_compile(c, o, src, pre, NULL, log, NULL, PREPROCESS)) != 0)
        return rc < 0 ? rc : -EIO; /* it compiled a moment ago */
    if ((rc = audit_too_big(pre, PRE_MAX, name, "preprocessed source", why, sizeof(why))) != 0) {
        remove(pre);
        goto out;
    }
    text = audit_read_untrusted(pre, jail_uid(), PRE_MAX, NULL);
    raw = sys_slurp(src, BOX_SRC_MAX, NULL);
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

/* Does the student's copy `to` #include what no compile should read (audit_includes)?
 * Then its item says why, and it is not compiled. */
static bool refused_includes(struct build_out *o, const char *to, const char *name, int i)
{
    char why[2048];
    char *raw = sys_slurp(to, BOX_SRC_MAX, NULL);
    bool refused = raw && audit_includes(raw, name, why, sizeof(why)) > 0;

    if (refused)
        log_add(&o->file_log[i], why);
    free(raw);
    return refused;
}

/* Is src's parent (src up to `slash`) at or below c->top (always, with no top)? */
static bool inside_top(const struct build_conf *c, const char *slash)
{
    size_t n = strlen(c->top ? c->top : "");

    while (n > 1 && c->top[n - 1] == '/')
        n--;
    return !c->top ||
           ((size_t)(slash - c->src) >= n && !strncmp(c->src, c->top, n) && c->src[n] == '/');
}

/* A borrowed file (build_borrowed_at): its lab's skeleton goes to kit/skel, to stand in
 * if the student's is not where it is looked for or does not build. 0 or -errno. */
static int borrowed(const struct build_conf *c, const struct spec *s, const struct build_out *o,
                    int i, char *base, char *rel, size_t len)
{
    const char *name = s->files[i], *lab = s->file_lab[i];
    char skel[1100], to[1100];
    int rc;

    snprintf(skel, sizeof(skel), "%s/labs/%s/%s", c->root, lab, name);
    snprintf(to, sizeof(to), "%s/kit/skel/%s", o->box, name);
    if ((rc = box_copy_file(skel, to, 0644, true)) < 0)
        return rc;
    build_borrowed_at(c, lab, name, base, rel, len);
    return 0;
}

void build_borrowed_at(const struct build_conf *c, const char *lab, const char *name, char *base,
                       char *rel, size_t len)
{
    const char *slash = strrchr(c->src, '/');
    char from[2300];

    if (slash && !strcmp(slash + 1, c->lab) && inside_top(c, slash)) {
        snprintf(base, len, "%.*s", slash == c->src ? 1 : (int)(slash - c->src), c->src);
        snprintf(rel, len, "%s/%s", lab, name);
        snprintf(from, sizeof(from), "%s/%s", base, rel);
        if (access(from, F_OK) == 0)
            return;
    }
    snprintf(base, len, "%s", c->src);
    snprintf(rel, len, "%s/%s", lab, name);
    snprintf(from, sizeof(from), "%s/%s", base, rel);
    if (access(from, F_OK) != 0)
        snprintf(rel, len, "%s", name);
}

/* A student file: copied (no link on its way below the graded folder), compiled,
 * audited; the skeleton's copy stands in when it fails. -errno only when the harness
 * failed. */
static int build_student_file(const struct build_conf *c, const struct spec *s, struct build_out *o,
                              int i)
{
    const char *name = s->files[i];
    char base[1100], rel[1100], from[2300], to[1100], obj[1100], dep[1100], log[1200];
    int rc;

    if (s->file_lab[i][0] && (rc = borrowed(c, s, o, i, base, rel, sizeof(base))) < 0)
        return rc;
    if (!s->file_lab[i][0]) {
        snprintf(base, sizeof(base), "%s", c->src);
        snprintf(rel, sizeof(rel), "%s", name);
    }
    snprintf(from, sizeof(from), "%s/%s", base, rel);
    snprintf(to, sizeof(to), "%s/src/%s", o->box, name);
    snprintf(obj, sizeof(obj), "%s/out/obj/%s.o", o->box, name);
    snprintf(dep, sizeof(dep), "%s/out/obj/%s.d", o->box, name);
    snprintf(log, sizeof(log), "%s/%s.log", o->logs, name);
    if ((rc = box_copy_below(base, rel, to, 0644)) < 0) {
        const char *why = rc == -ENOENT  ? "is missing"
                          : rc == -EFBIG ? "holds more than the grader's 4 MiB for a source file "
                                           "(a large table? compute it when the program runs)"
                          : rc == -ELOOP || rc == -ENOTDIR
                              ? "is a link or lies in a linked folder (the grader follows no "
                                "link below the graded folder)"
                              : "is not a plain file (a link?)";
        int n = s->file_lab[i][0] ? asprintf(&o->file_log[i],
                                             "%s %s: %s's skeleton stands in "
                                             "(this lab builds on your %s)\n",
                                             from, why, s->file_lab[i], s->file_lab[i])
                                  : asprintf(&o->file_log[i],
                                             "%s %s: the skeleton's copy stands in\n", from, why);
        if (n < 0)
            o->file_log[i] = NULL;
    } else if (refused_includes(o, to, name, i)) {
        /* not compiled: the skeleton stands in, the item says why */
    } else if (cc_student_get(c, o, to, obj, dep, &o->file_log[i], PLAIN) == 0) {
        o->file_ok[i] = true; /* these bytes compiled, passed the audit and were localized */
        return 0;
    } else if ((rc = cc_compile(c, o, to, obj, dep, log, &o->file_log[i], PLAIN)) < 0) {
        return rc;
    } else if (rc == 0 && (rc = audit_file(c, s, o, i)) < 0) {
        return rc;
    } else if (rc == 0) {
        o->file_ok[i] = true;
        if ((rc = cc_localize(o, s, obj)) == 0)
            cc_student_put(c, o, to, obj, dep, o->file_log[i], PLAIN);
        return rc;
    }
    snprintf(from, sizeof(from), "%s/kit/skel/%s", o->box, name);
    snprintf(log, sizeof(log), "%s/%s.skeleton.log", o->logs, name);
    rc = cc_compile(c, o, from, obj, NULL, log, NULL, PLAIN);
    return rc == 0 ? cc_localize(o, s, obj) : rc < 0 ? rc : -ENOEXEC;
}

/* The test runner: our tests, the lab's support, the student's files, Criterion. */
static int build_tests(const struct build_conf *c, const struct spec *s, struct build_out *o)
{
    char path[1100];
    struct objs l = {0};
    int rc;

    snprintf(path, sizeof(path), "%s/kit/harness/labs/%s/tests.c", o->box, c->lab);
    objs_add(&l, "%s/out/obj/tests.o", o->box);
    if ((rc = cc_ours(c, o, path, l.v[0], PLAIN)) == 0 &&
        (rc = add_lab_objs(c, s, o, &l, PLAIN)) == 0) {
        objs_add(&l, "%s/kit/lib/libharness.a", o->box);
        if (c->cr_kit)
            objs_add(&l, "%s/kit/lib/libcriterion-kit.a", o->box);
        snprintf(o->tests, sizeof(o->tests), "%s/out/tests", o->box);
        o->tests_ok =
            (rc = cc_link(c, o, o->tests, l.v, l.n, c->cr_libs, FAULTY, &o->link_log)) == 0;
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
    if (c->no_bench) {
        o->bench_skipped = true; /* a link of a second ~1 MB program that nothing would run */
        return 0;
    }
    if (access(path, R_OK) != 0)
        return 0;
    snprintf(drv, sizeof(drv), "%s/kit/harness/drivers/bench.c", o->box);
    objs_add(&l, "%s/out/obj/bench.o", o->box);
    objs_add(&l, "%s/out/obj/versions.o", o->box);
    if ((rc = cc_ours(c, o, drv, l.v[0], PLAIN)) == 0 &&
        (rc = cc_ours(c, o, path, l.v[1], PLAIN)) == 0 &&
        (rc = add_lab_objs(c, s, o, &l, PLAIN)) == 0) {
        objs_add(&l, "%s/kit/lib/libharness.a", o->box);
        snprintf(o->bench, sizeof(o->bench), "%s/out/bench", o->box);
        /* no PIE: the version table's pointers are written by the linker, with no
         * relocation record left in memory once bench.c has wiped the table */
        rc = cc_link(c, o, o->bench, l.v, l.n, "-no-pie", PLAIN, o->tests_ok ? &o->link_log : NULL);
        o->bench_ok = rc == 0;
    }
    objs_free(&l);
    return rc < 0 ? rc : 0;
}

/* How a build step failed, for a message: a compiler or linker that exited non-zero is
 * -ENOEXEC here, which strerror() would call "Exec format error". */
static const char *failed_how(int rc)
{
    return rc == -ENOEXEC ? "the compiler or linker failed" : strerror(-rc);
}

int build_lab(const struct build_conf *c, const struct spec *s, struct build_out *o, char *why,
              size_t len)
{
    char path[1200];
    int rc;

    memset(o, 0, sizeof(*o));
    snprintf(o->logs, sizeof(o->logs), "%s/logs", c->dir);
    /* emptied and made without a shell: a submission's folder name (o'brien) is any bytes */
    if ((rc = box_remove(c->dir)) < 0 || (rc = sys_mkdirs(o->logs, 0755)) < 0) {
        snprintf(why, len, "could not make the build folder %s: %s", c->dir, strerror(-rc));
        return rc;
    }
    const char *labs[8];
    o->nother_labs = spec_other_labs(s, labs, BUILD_MAX_OTHER_LABS);
    for (int k = 0; k < o->nother_labs; k++)
        snprintf(o->other_labs[k], sizeof(o->other_labs[k]), "%s", labs[k]);
    if ((rc = box_make(c, o)) < 0) {
        snprintf(why, len,
                 "could not make a box for the build in a temporary folder "
                 "(TMPDIR, /tmp, /var/tmp, /dev/shm): %s",
                 strerror(-rc));
        return rc;
    }
    snprintf(path, sizeof(path), "%s/kit/harness", o->box);
    if (c->cache_dir)
        objcache_open(&o->cache, c->cache_dir, path, c->cc); /* off when it cannot */
    for (int i = 0; i < s->nfiles; i++)
        if ((rc = build_student_file(c, s, o, i)) < 0) {
            snprintf(why, len, "building %s failed in the harness (%s); see %s", s->files[i],
                     failed_how(rc), o->logs);
            return rc;
        }
    if ((rc = build_tests(c, s, o)) < 0 || (rc = build_bench(c, s, o)) < 0) {
        snprintf(why, len, "the harness's own code did not build (%s); see %s", failed_how(rc),
                 o->logs);
        return rc;
    }
    for (int r = 0; r < s->nraces && r < SPEC_MAX_RACES && !c->no_races; r++)
        if ((rc = build_race(c, s, o, r)) < 0) {
            snprintf(why, len, "a race driver did not build (%s); see %s", failed_how(rc), o->logs);
            return rc;
        }
    snprintf(path, sizeof(path), "%s/objcache.log", o->logs);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "the kit's objects: %d from %s, %d compiled\n", o->cached,
                o->cache.dir[0] ? o->cache.dir : "no cache", o->compiled);
        fprintf(f,
                "the student's files: %d found (compiled before from the same bytes), "
                "%d compiled\n",
                o->student_cached, o->student_compiled);
        fclose(f);
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
    box_remove(o->box);
    memset(o, 0, sizeof(*o));
}
