/* build_cc.c: the compiler, the linker and objcopy, each run contained as the jail user
 * in the box, with the kit's flags and messages that name files as the student sees them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_cc.h"
#include "fault.h"
#include "jail.h"
#include "sandbox.h"
#include "sys.h"

/* Split a flags string at spaces into argv (pkg-config output has no quoting), leaving
 * `room` entries free at the end for what the caller adds after them (and the NULL). */
static int add_words(char **argv, int argc, char *words, int room)
{
    char *save = NULL;

    for (char *w = strtok_r(words, " \t\n", &save); w && argc < BUILD_MAX_ARGS - room;
         w = strtok_r(NULL, " \t\n", &save))
        argv[argc++] = w;
    return argc;
}

/* What the compiler said, file names as the student sees them (cook.c:7:7,
 * harness/labs/...): the box's src/ and kit/ taken out, in place. The same words in
 * every box, so a student file's entry in the cache keeps them as well. */
static void unbox(char *text, const char *box)
{
    static const char *const parts[] = {"/src/", "/kit/"};
    size_t blen = strlen(box);
    char *r = text, *w = text;

    while (*r) {
        bool cut = false;
        for (size_t k = 0; k < 2 && !cut && blen && !strncmp(r, box, blen); k++)
            if (!strncmp(r + blen, parts[k], 5)) {
                r += blen + 5;
                cut = true;
            }
        if (!cut)
            *w++ = *r++;
    }
    *w = '\0';
}

/* Run the compiler (or linker) contained, as the jail user, in the box: its input is
 * the student's (a file may #include /dev/zero, or drive the preprocessor into
 * exponential expansion). 0 on success, 1 when it failed, -errno when it did not run. */
static int run_limited(const struct build_out *o, char **argv, const char *log, char **text,
                       double cpu_s);

int cc_run(const struct build_out *o, char **argv, const char *log, char **text)
{
    return run_limited(o, argv, log, text, CC_CPU_S);
}

static int run_limited(const struct build_out *o, char **argv, const char *log, char **text,
                       double cpu_s)
{
    char tmp[1100], out[1100];
    char *env[] = {tmp, NULL};
    /* out_bytes caps every file the compiler writes, the object file too. The kit's
     * longest compile (lab 5's tests.c under a sanitizer) takes 3-5 s of CPU: CC_CPU_S, 20;
     * a student's file, a few hundred lines, well under 1 s even under a sanitizer:
     * CC_STUDENT_CPU_S, 8, so a preprocessor bomb (hostile macro_explosion; a literal
     * include_dev_zero is refused before: audit_includes) burns 8 s of a core, not 60,
     * before it reads build error. The wall allows for a machine loaded 2x over. */
    struct jail_limits lim = {.wall_s = 45,
                              .cpu_s = cpu_s,
                              .nproc = 32,
                              .out_bytes = 256 << 20,
                              .mem_bytes = 3ULL << 30,
                              .disk_bytes = 1ULL << 30}; /* 256 MiB of assembly, its object */
    struct sandbox sb;
    struct jail_result r;
    int rc;

    snprintf(out, sizeof(out), "%s/out", o->box);
    snprintf(tmp, sizeof(tmp), "TMPDIR=%s/out/tmp", o->box);
    /* the box read-only, out/ writable and the compiler's working folder */
    struct jail_opts *jo = sandbox_opts(&sb, o->box, out, lim, log, env);
    rc = jail_run(argv, jo, &r);
    /* the log kept is what is read of it: a compiler made to write 190 MB of messages
     * (#pragma message, red team 12's compiler_log_bloat) left them in the build folder */
    if (sys_file_size(log) > BUILD_LOG_MAX)
        truncate(log, BUILD_LOG_MAX);
    if (text) {
        free(*text);
        *text = sys_slurp(log, BUILD_LOG_MAX, NULL);
        if (*text)
            unbox(*text, o->box);
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

/* The compiler's words for one compile, and the buffers they point into. */
struct words {
    char *argv[BUILD_MAX_ARGS];
    char inc1[1100], inc2[1100], map1[1100], map2[1100], map3[1100], flags[1024], kit[2048];
    char other[BUILD_MAX_OTHER_LABS][1100];
};

const char *cc_san_tag(enum flavour fl)
{
    return fl == TSAN ? "tsan" : fl == ASAN ? "asan" : fl == UBSAN ? "ubsan" : NULL;
}

/* The words that compile src into obj (or preprocess it), with the lab's flags; dfile:
 * gcc's list of what it included (NULL: none). */
static void words(struct words *w, const struct build_conf *c, const struct build_out *o,
                  const char *src, const char *obj, const char *dfile, enum flavour fl)
{
    char **argv = w->argv;
    int n = 0;

    snprintf(w->inc1, sizeof(w->inc1), "-I%s/kit/harness/include", o->box);
    snprintf(w->inc2, sizeof(w->inc2), "-I%s/kit/harness/labs/%s", o->box, c->lab);
    for (int k = 0; k < o->nother_labs; k++)
        snprintf(w->other[k], sizeof(w->other[k]), "-I%s/kit/harness/labs/%s", o->box,
                 o->other_labs[k]);
    /* messages name files as the student sees them: harness/labs/..., cook.c */
    snprintf(w->map1, sizeof(w->map1), "-ffile-prefix-map=%s/kit/=", o->box);
    snprintf(w->map2, sizeof(w->map2), "-ffile-prefix-map=%s/src/=", o->box);
    /* debug info also keeps the folder the compiler ran in (ThreadSanitizer prints it) */
    snprintf(w->map3, sizeof(w->map3), "-fdebug-prefix-map=%s/out=.", o->box);
    snprintf(w->flags, sizeof(w->flags), "%s", c->cr_cflags ? c->cr_cflags : "");
    snprintf(w->kit, sizeof(w->kit), "%s", o->cflags);
    argv[n++] = (char *)c->cc;
    n = add_words(argv, n, w->kit, 32); /* harness/cflags: -std, -W..., -g, -pthread */
    argv[n++] = cc_san_tag(fl) ? "-O1" : "-O2";
    argv[n++] = "-pipe"; /* no temporary files */
    argv[n++] = "-fdiagnostics-color=never";
    if (fl == TSAN)
        argv[n++] = "-fsanitize=thread";
    if (fl == ASAN) {
        argv[n++] = "-fsanitize=address";
        argv[n++] = "-fno-omit-frame-pointer";
    }
    /* UBSan: every kind it knows, out-of-range conversions too; the first ends the run */
    if (fl == UBSAN) {
        argv[n++] = "-fsanitize=undefined,float-cast-overflow";
        argv[n++] = "-fno-sanitize-recover=all";
        argv[n++] = "-fno-omit-frame-pointer";
    }
    argv[n++] = w->inc1;
    argv[n++] = w->inc2;
    for (int k = 0; k < o->nother_labs && n < BUILD_MAX_ARGS - 16; k++)
        argv[n++] = w->other[k];
    if (fl != PREPROCESS) {
        argv[n++] = w->map2;
        argv[n++] = w->map1;
        argv[n++] = w->map3;
    }
    n = add_words(argv, n, w->flags, 8); /* -MD -MF dfile -c src -o obj, NULL */
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
}

/* Compile src into obj (or preprocess it), with the lab's flags; dfile: gcc's list of
 * what it included (NULL: none). `ours`: the build_out of a compile of the kit's own
 * file (its cache and counts), else NULL (a student's file: cc_student_get/put). */
static int compile(const struct build_conf *c, const struct build_out *o, const char *src,
                   const char *obj, const char *dfile, const char *log, char **text,
                   enum flavour fl, struct build_out *ours)
{
    char key[4096];
    struct words w;

    words(&w, c, o, src, obj, dfile, fl);
    if (!ours)
        return run_limited(o, w.argv, log, text, CC_STUDENT_CPU_S);
    if (cc_san_tag(fl)) {
        /* Our files in a race driver carry no debug information: its DWARF would name
         * check_finished() and its address as .symtab did (cc_strip_ours) */
        int n = 0;
        while (w.argv[n])
            n++;
        if (n < BUILD_MAX_ARGS - 1) {
            w.argv[n++] = "-g0";
            w.argv[n] = NULL;
        }
    }
    /* ours: from the cache when it has it; else compiled, and kept there */
    if (objcache_key(w.argv, o->box, key, sizeof(key)) < 0)
        return cc_run(o, w.argv, log, text);
    if (objcache_get(&ours->cache, key, obj) == 0) {
        ours->cached++;
        return 0;
    }
    /* a grader beside this one may be compiling it now (CI's checks start together, and
     * lab 5's tests.c takes 5 s): wait for it rather than compile it twice */
    int lock = objcache_lock(&ours->cache, key, CC_CACHE_WAIT_S);
    if (lock >= 0 && objcache_get(&ours->cache, key, obj) == 0) {
        objcache_unlock(lock);
        ours->cached++;
        return 0;
    }
    int rc = cc_run(o, w.argv, log, text);
    ours->compiled++;
    if (rc == 0 && dfile)
        objcache_put(&ours->cache, key, obj, dfile, o->box);
    objcache_unlock(lock);
    return rc;
}

int cc_compile(const struct build_conf *c, const struct build_out *o, const char *src,
               const char *obj, const char *dfile, const char *log, char **text, enum flavour fl)
{
    return compile(c, o, src, obj, dfile, log, text, fl, NULL);
}

/* A student file's key: the compiler's words (the box's path taken out) and the digest
 * of src's bytes. */
static int student_key(const struct build_conf *c, const struct build_out *o, const char *src,
                       const char *obj, const char *dfile, enum flavour fl, char *key, size_t len)
{
    struct words w;
    char digest[33];
    size_t used;

    if (!o->cache.dir[0] || !dfile)
        return -ENOENT;
    words(&w, c, o, src, obj, dfile, fl);
    if (objcache_key(w.argv, o->box, key, len) < 0 || objcache_digest(src, digest) < 0 ||
        (used = strlen(key)) + 40 >= len)
        return -ENAMETOOLONG;
    snprintf(key + used, len - used, " #%s", digest);
    return 0;
}

int cc_student_get(const struct build_conf *c, struct build_out *o, const char *src,
                   const char *obj, const char *dfile, char **text, enum flavour fl)
{
    char key[4200];
    int rc;

    if ((rc = student_key(c, o, src, obj, dfile, fl, key, sizeof(key))) < 0)
        return rc;
    if ((rc = objcache_get_src(&o->cache, key, obj, src, text)) == 0)
        o->student_cached++;
    return rc;
}

int cc_student_put(const struct build_conf *c, struct build_out *o, const char *src,
                   const char *obj, const char *dfile, const char *text, enum flavour fl)
{
    char key[4200];
    int rc;

    o->student_compiled++;
    /* a student's object of a normal size only: the cache outlives the grading, and files
     * just under OBJ_MAX kept ~325 MB from one grading for a week (red team 12,
     * objcache_bloat); a big one is compiled again next time instead */
    if (sys_file_size(obj) > STUDENT_CACHE_MAX || sys_file_size(src) > STUDENT_CACHE_MAX)
        return 0;
    if ((rc = student_key(c, o, src, obj, dfile, fl, key, sizeof(key))) < 0)
        return rc;
    return objcache_put_src(&o->cache, key, obj, dfile, o->box, src, text);
}

const char *build_fuse_ld(void)
{
    const char *e = getenv("GRADE_LD");

    if (e && !strcmp(e, "bfd"))
        return NULL;
    return access(BUILD_LD_GOLD, X_OK) == 0 ? "-fuse-ld=gold" : NULL;
}

const char *build_criterion_kit(const char *bindir, const char **libs)
{
    static char kit[1100], words[512];
    static bool read;
    char path[1100], *text, *nl;

    if (!read) {
        read = true;
        snprintf(path, sizeof(path), "%s/../harness/criterion-kit.txt", bindir);
        text = sys_slurp(path, 4096, NULL);
        snprintf(kit, sizeof(kit), "%s/../harness/libcriterion-kit.a", bindir);
        if (text && !strncmp(text, "static\n", 7) && access(kit, R_OK) == 0) {
            if ((nl = strchr(text + 7, '\n')))
                *nl = '\0';
            snprintf(words, sizeof(words), "%s", text + 7);
        } else
            kit[0] = '\0';
        free(text);
    }
    if (kit[0])
        *libs = words;
    return kit[0] ? kit : NULL;
}

int cc_link(const struct build_conf *c, const struct build_out *o, const char *out,
            char *const objs[], int nobjs, const char *libs, enum flavour fl, char **text)
{
    char words[1024], log[1100], *argv[BUILD_MAX_ARGS];
    const char *base = strrchr(out, '/');
    int n = 0;

    snprintf(words, sizeof(words), "%s", libs ? libs : "");
    snprintf(log, sizeof(log), "%s/%s.log", o->logs, base ? base + 1 : out);
    argv[n++] = (char *)c->cc;
    argv[n++] = "-pthread";
    if (c->fuse_ld)
        argv[n++] = (char *)c->fuse_ld;
    if (fl == TSAN)
        argv[n++] = "-fsanitize=thread";
    if (fl == ASAN)
        argv[n++] = "-fsanitize=address";
    if (fl == UBSAN)
        argv[n++] = "-fsanitize=undefined,float-cast-overflow";
    if (fl == FAULTY)
        argv[n++] = FAULT_WRAP;
    /* Stripped (no .symtab, no debug info): student code that reads /proc/self/exe finds
     * no harness function by name (check_end(), check_finished(), ref_cook(): a true
     * "done" line, or the reference's answers; hostile cook_exe_symtab_check_end.c).
     * Nothing of ours needs them: Criterion finds its tests by section, assertions carry
     * __FILE__ and __LINE__, the dynamic symbols (no -rdynamic: the C library's and
     * Criterion's imports only) stay. The sanitizers' drivers are linked with their symbols:
     * their reports name functions and lines; build_race then takes ours out of them
     * (cc_strip_ours; DESIGN.md, "The seal"). */
    if (!c->keep_symbols && !cc_san_tag(fl))
        argv[n++] = "-s";
    argv[n++] = "-o";
    argv[n++] = (char *)out;
    for (int i = 0; i < nobjs && n < BUILD_MAX_ARGS - 8; i++)
        argv[n++] = objs[i];
    n = add_words(argv, n, words, 2); /* -lm, NULL */
    argv[n++] = "-lm";
    argv[n] = NULL;
    return cc_run(o, argv, log, text);
}

/* Compile one of our files (the kit's own: a failure is the harness's) into obj. */
int cc_ours(const struct build_conf *c, struct build_out *o, const char *path, const char *obj,
            enum flavour fl)
{
    char log[1200];
    const char *base = strrchr(obj, '/');

    snprintf(log, sizeof(log), "%s/%s%s%s.log", o->logs, cc_san_tag(fl) ? cc_san_tag(fl) : "",
             cc_san_tag(fl) ? "-" : "", base ? base + 1 : obj);
    char deps[1100];

    snprintf(deps, sizeof(deps), "%s.d", obj); /* what it included: the cache checks it */
    return compile(c, o, path, obj, o->cache.dir[0] ? deps : NULL, log, NULL, fl, o) == 0
               ? 0
               : -ENOEXEC;
}
