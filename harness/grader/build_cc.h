/* build_cc.h: the compiler, the linker and objcopy, run as the jail user in the box; for
 * build.c, build_race.c and build_names.c (cc_localize, cc_strip_ours) only. */
#ifndef BUILD_CC_H
#define BUILD_CC_H

#include "build.h"

#define BUILD_MAX_ARGS 64
#define BUILD_LOG_MAX  (256 * 1024)
/* The most a student's source or object may hold to be kept in the object cache. */
#define STUDENT_CACHE_MAX (1 << 20)

/* How a file is built: normally, instrumented for a sanitizer (ThreadSanitizer,
 * AddressSanitizer, UndefinedBehaviorSanitizer), or only preprocessed (for the audit). */
enum flavour { PLAIN, TSAN, ASAN, UBSAN, PREPROCESS, FAULTY /* linked with fault.c's wrappers */ };

/* A sanitizer's flavour: "tsan", "asan" or "ubsan" (its objects' folder is obj-<tag>, its
 * logs <tag>-...); NULL for the others. */
const char *cc_san_tag(enum flavour fl);

/* Compile src into obj (or preprocess it), with the lab's flags; dfile: gcc's list of
 * what it included (NULL: none); log: where the compiler's output goes, read back into
 * *text (NULL: not read). 0 on success, 1 when it failed, -errno when it did not run. */
int cc_compile(const struct build_conf *c, const struct build_out *o, const char *src,
               const char *obj, const char *dfile, const char *log, char **text, enum flavour fl);
/* A student's file compiled before from the same bytes, with the same words, kit and
 * headers (objcache_get_src): its object (audited, localized) copied to obj and what the
 * compiler said then to *text. 0 on a hit (o->student_cached counts it), -ENOENT on a
 * miss or with no cache or no dfile (dfile: where this compile writes its -MD list). */
int cc_student_get(const struct build_conf *c, struct build_out *o, const char *src,
                   const char *obj, const char *dfile, char **text, enum flavour fl);
/* Keep obj, compiled from src with cc_compile(..., dfile, ..., fl) and then audited and
 * localized, for the next cc_student_get; counted in o->student_compiled. 0 or -errno
 * (a failure only means the next build compiles it again). */
int cc_student_put(const struct build_conf *c, struct build_out *o, const char *src,
                   const char *obj, const char *dfile, const char *text, enum flavour fl);
/* Run a tool of the toolchain (argv[0]: its path) as the jail user in the box, its output
 * into log (and *text, unless NULL). Returns as cc_compile. */
int cc_run(const struct build_out *o, char **argv, const char *log, char **text);
/* The CPU seconds a compile (or link) may take: the kit's own files (lab 5's tests.c under a
 * sanitizer takes 3-5 s), and a student's file (cc_compile of a file not the kit's). */
#define CC_CPU_S         20
#define CC_STUDENT_CPU_S 8
/* How long a grader waits for another compiling the same object of the kit's (at most
 * CC_CPU_S of CPU, on a busy machine longer), before it compiles it itself. */
#define CC_CACHE_WAIT_S 60
/* Link objs (and libs, pkg-config words) into out; the log is out's name in o->logs.
 * Returns as cc_compile. */
int cc_link(const struct build_conf *c, const struct build_out *o, const char *out,
            char *const objs[], int nobjs, const char *libs, enum flavour fl, char **text);
/* Only the lab's own names stay visible outside a student's object: a student file
 * cannot stand in for a C library or harness function (say, its own fclose()).
 * 0 or -ENOEXEC. */
int cc_localize(const struct build_out *o, const struct spec *s, const char *obj);
/* Take out of a linked race driver's .symtab every name one of our objects (`ours`)
 * defines: student code that reads /proc/self/exe finds no check_finished(), ref_*() or
 * kitchen function there, while the sanitizers' reports still name the student's
 * functions (their names and debug information stay), but for a name the student's
 * file shares with ours (a static check_finished() of its own would otherwise keep our
 * function's name beside it), which goes too. The list is exe.strip. 0, or -errno (then
 * exe must not be run). */
int cc_strip_ours(const struct build_out *o, const char *exe, char *const ours[], int nours);
/* Compile one of our files (the kit's own: a failure is the harness's) into obj, or
 * take it from o->cache (objcache.h) when an earlier build compiled it the same way:
 * 0 or -ENOEXEC. */
int cc_ours(const struct build_conf *c, struct build_out *o, const char *path, const char *obj,
            enum flavour fl);

#endif
