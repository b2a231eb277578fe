/* test_build.c: where a borrowed file (lab 6 builds on earlier labs' files) is looked for:
 * inside the submission, never in a classmate's folder beside it; and which Criterion a lab's
 * test runner links (the kit's static one, harness/criterion/, or the system's). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "box.h"
#include "build.h"

static char dir[64];

static void init(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_build.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void fini(void)
{
    box_remove(dir);
}

TestSuite(build, .init = init, .fini = fini);

/* Folders (ending in '/') and files under dir. */
static void make(const char *const *paths)
{
    for (; *paths; paths++) {
        char p[256];
        size_t n = strlen(*paths);
        snprintf(p, sizeof(p), "%s/%s", dir, *paths);
        if ((*paths)[n - 1] == '/')
            cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
        else
            close(open(p, O_CREAT | O_WRONLY, 0644));
    }
}

/* Where threads.c (lab2-threads) is looked for when src (and top, if any) are these. */
static void where(const char *src, const char *top, char *at, size_t len)
{
    char s[256], t[256], base[512], rel[512];
    struct build_conf c = {.lab = "lab6-choosing", .src = s, .top = top ? t : NULL};

    snprintf(s, sizeof(s), "%s/%s", dir, src);
    snprintf(t, sizeof(t), "%s/%s", dir, top ? top : "");
    build_borrowed_at(&c, "lab2-threads", "threads.c", base, rel, sizeof(base));
    cr_assert_eq(strncmp(base, dir, strlen(dir)), 0, "%s", base);
    snprintf(at, len, "%s | %s", base + strlen(dir), rel);
}

/* A batch: a submission folder named "lab6-choosing" beside a classmate's "lab2-threads":
 * the classmate's threads.c is never taken (it once was, and built into the other's
 * grade); the submission's own is, wherever it put it. */
Test(build, a_batch_never_borrows_from_a_sibling)
{
    static const char *const tree[] = {"b/",
                                       "b/lab6-choosing/",
                                       "b/lab6-choosing/hybrid.c",
                                       "b/lab2-threads/",
                                       "b/lab2-threads/threads.c",
                                       "b/ann/",
                                       "b/ann/lab6-choosing/",
                                       "b/ann/lab2-threads/",
                                       "b/ann/lab2-threads/threads.c",
                                       "b/bo/",
                                       "b/bo/labs/",
                                       "b/bo/labs/lab6-choosing/",
                                       "b/bo/labs/lab2-threads/",
                                       "b/bo/labs/lab2-threads/threads.c",
                                       NULL};
    char at[600];

    make(tree);
    where("b/lab6-choosing", "b/lab6-choosing", at, sizeof(at));
    cr_assert_str_eq(at, "/b/lab6-choosing | threads.c", "its own top (missing: the skeleton)");
    where("b/lab6-choosing", "b/lab6-choosing/", at, sizeof(at));
    cr_assert_str_eq(at, "/b/lab6-choosing | threads.c");
    /* its own folders, as a submission lays them out, are still found */
    where("b/ann/lab6-choosing", "b/ann", at, sizeof(at));
    cr_assert_str_eq(at, "/b/ann | lab2-threads/threads.c");
    where("b/bo/labs/lab6-choosing", "b/bo", at, sizeof(at));
    cr_assert_str_eq(at, "/b/bo/labs | lab2-threads/threads.c");
    /* one graded alone (--src labs/lab6-choosing of the student's clone): beside it */
    where("b/lab6-choosing", NULL, at, sizeof(at));
    cr_assert_str_eq(at, "/b | lab2-threads/threads.c");
}

/* A top is a whole folder name: "b" is not the top of "bx/lab6-choosing". */
Test(build, top_is_a_whole_folder_name)
{
    static const char *const tree[] = {"bx/", "bx/lab6-choosing/", "bx/lab2-threads/",
                                       "bx/lab2-threads/threads.c", NULL};
    char at[600];

    make(tree);
    where("bx/lab6-choosing", "b", at, sizeof(at));
    cr_assert_str_eq(at, "/bx/lab6-choosing | threads.c");
}

/* The kit's static Criterion (harness/criterion/build.sh): taken with its shared libraries
 * when criterion-kit.txt says "static" and the archive is there; the system's otherwise. */
static const char *kit_as(const char *txt, bool archive, const char **libs)
{
    static const char *const tree[] = {"bin/", "harness/", NULL};
    char p[256], bindir[128];
    FILE *f;

    make(tree);
    snprintf(p, sizeof(p), "%s/harness/criterion-kit.txt", dir);
    cr_assert_not_null(f = fopen(p, "w"));
    fputs(txt, f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/harness/libcriterion-kit.a", dir);
    if (archive)
        close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(bindir, sizeof(bindir), "%s/bin", dir);
    *libs = "-lcriterion";
    return build_criterion_kit(bindir, libs); /* read once a process: a test is one */
}

Test(build, the_static_criterion_when_make_built_it)
{
    const char *libs, *kit = kit_as("static\n-Wl,--as-needed -lnanomsg\n", true, &libs);

    cr_assert_not_null(kit);
    cr_assert(strstr(kit, "/bin/../harness/libcriterion-kit.a"), "%s", kit);
    cr_assert_str_eq(libs, "-Wl,--as-needed -lnanomsg");
}

Test(build, the_shared_criterion_otherwise)
{
    const char *libs;

    cr_assert_null(kit_as("shared: no libprotobuf-nanopb.a\n", true, &libs));
    cr_assert_str_eq(libs, "-lcriterion");
}

Test(build, the_shared_criterion_when_the_archive_is_gone)
{
    const char *libs;

    cr_assert_null(kit_as("static\n-lnanomsg\n", false, &libs));
    cr_assert_str_eq(libs, "-lcriterion");
}
