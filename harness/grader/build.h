/* build.h: copy a student's files into a clean folder and build them against ours. */
#ifndef BUILD_H
#define BUILD_H

#include <stdbool.h>

#include "objcache.h"
#include "spec.h"

struct build_conf {
    const char *root;     /* the kit's top folder */
    const char *lab;      /* e.g. "lab1-baselines" */
    const char *src;      /* the folder being graded */
    const char *top;      /* a batch's submission folder (src or above it): a borrowed file is
                           * looked for inside it alone, never beside it (a sibling's); NULL:
                           * beside src too (the kit's layout, labs/lab4-gil/gil.c) */
    const char *skeleton; /* labs/<lab>: stands in for a file that does not compile */
    const char *dir;      /* the build folder (made empty first): logs, ours alone */
    const char *cc;       /* the compiler's path */
    const char *cr_cflags, *cr_libs; /* Criterion, from pkg-config */
    const char *libharness;          /* build/harness/libharness.a */
    const char *cr_kit;    /* build/harness/libcriterion-kit.a (harness/criterion/build.sh): the
                            * test runner links Criterion statically, cr_libs then being what it
                            * still needs; NULL: cr_libs links the system's libcriterion.so */
    const char *kitchen;   /* build/bin/kitchen: the tests may start their own */
    bool keep_symbols;     /* --debug (gdb): the test runner and bench driver keep their symbol
                            * tables; graded builds link them stripped (cc_link) */
    const char *cache_dir; /* objcache.h: the kit's own objects from earlier builds (NULL:
                            * compile them every time) */
    bool no_bench;         /* no speed cell will be timed (--no-speed, or --only names none):
                            * the bench driver is not linked (build_out.bench_skipped) */
    bool no_races;         /* no race driver is built (the reference's build: values.h) */
    const char *fuse_ld;   /* "-fuse-ld=gold" where binutils has gold (build_fuse_ld()): a
                            * link takes half the CPU of ld.bfd's; NULL: the compiler's own */
};
#define BUILD_LD_GOLD "/usr/bin/ld.gold"
/* The -fuse-ld= option for cc_link: gold when it is there and GRADE_LD is not "bfd". */
const char *build_fuse_ld(void);
/* The kit's static Criterion (harness/criterion/build.sh: BINDIR/../harness/criterion-kit.txt
 * says "static"): its archive's path, *libs set to the shared libraries it still needs; NULL
 * (*libs untouched) where make could not build it: the system's libcriterion.so, then. */
const char *build_criterion_kit(const char *bindir, const char **libs);
#define BUILD_MAX_OTHER_LABS 8 /* earlier labs a lab may borrow from or build on */

struct build_out {
    bool file_ok[SPEC_MAX_FILES];   /* compiled; when not, the skeleton's copy stands in */
    char *file_log[SPEC_MAX_FILES]; /* what the compiler said (warnings too), malloc'd */
    bool tests_ok, bench_ok;        /* the test runner and the bench driver linked */
    bool bench_skipped;             /* not linked: nothing to time (build_conf.no_bench) */
    char *link_log;                 /* what the linker said when one did not */
    char tests[1024], bench[1024];  /* their paths */
    /* The box: a fresh folder outside the kit (TMPDIR, /tmp, ...), reachable by the jail
     * user wherever the kit lies (a private folder as root too). kit/ and src/ hold
     * copies of what the compiler may read (ours; the student's files), read-only for
     * the jail user; out/ (objects, programs) and run/ (the runs' working folder) are
     * the jail user's own. Removed by build_free. */
    char box[256];
    char cflags[512]; /* harness/cflags, one line */
    /* labs whose definitions (headers, support) this one uses */
    char other_labs[BUILD_MAX_OTHER_LABS][64];
    int nother_labs;
    char run[1024];               /* box/run */
    char kitchen[1024];           /* box/kit/bin/kitchen */
    char logs[1024];              /* dir/logs: what compilers and runs print, ours alone */
    bool race_ok[SPEC_MAX_RACES]; /* each race driver built with ThreadSanitizer */
    char race[SPEC_MAX_RACES][1024];
    char *race_log[SPEC_MAX_RACES];       /* what the compiler said when one did not build */
    struct objcache cache;                /* where cc_ours() finds and keeps the kit's objects */
    int cached, compiled;                 /* the kit's objects found there, and compiled */
    int student_cached, student_compiled; /* the student's files, the same way */
};

/* Where borrowed file `name` of lab `lab` (lab 6 builds on the student's lab 4 gil.c) is
 * looked for: base/rel, base the folder the instructor named (or its parent), rel the
 * student's part, where no link is followed (box_copy_below). Beside the graded folder
 * when it is named as the lab (labs/lab6-choosing -> labs/lab4-gil/gil.c) and that is
 * still inside c->top (a batch's folder "lab6-choosing" has its classmates beside it,
 * "lab2-threads" one of them: never theirs), else in a folder of that lab inside it, else
 * at its top (a flat submission); the file may be missing (the skeleton stands in). */
void build_borrowed_at(const struct build_conf *c, const char *lab, const char *name, char *base,
                       char *rel, size_t len);

/* Returns 0 when the harness could do its part (even if the student's code did not
 * compile: see out), -errno when it could not; then `why` says what failed. A student
 * file that does not compile, or breaks a rule of audit.h, is reported in file_log
 * and the skeleton's copy stands in. */
int build_lab(const struct build_conf *c, const struct spec *s, struct build_out *out, char *why,
              size_t len);
void build_free(struct build_out *out);

#endif
