/* test_objcache.c: the kit's objects kept once and found again only while nothing they
 * were compiled from has changed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "objcache.h"
#include "objcache_int.h"
#include "sys.h"

static char top[64], box[96], kit[128], cache[96], cc[96], sys_h[96], obj[160], dfile[200];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* A box with a kit (one header, one source), a compiler, a "system" header outside the
 * box, an object and the dependency file its compile wrote. */
static void init(void)
{
    char path[1024];

    snprintf(top, sizeof(top), "/tmp/test_objcache.XXXXXX");
    cr_assert_not_null(mkdtemp(top));
    snprintf(box, sizeof(box), "%s/restaurant-lab-box", top);
    snprintf(kit, sizeof(kit), "%s/kit/harness", box);
    snprintf(path, sizeof(path), "mkdir -p %s/include %s/labs/lab1 %s/out/obj %s/src", kit, kit,
             box, box);
    cr_assert_eq(system(path), 0);
    snprintf(path, sizeof(path), "%s/include/workload.h", kit);
    write_file(path, "int ref_cook(int);\n");
    snprintf(path, sizeof(path), "%s/labs/lab1/tests.c", kit);
    write_file(path, "#include \"workload.h\"\n");
    snprintf(cache, sizeof(cache), "%s/cache", top);
    snprintf(cc, sizeof(cc), "%s/cc", top);
    write_file(cc, "#!/bin/sh\n");
    snprintf(sys_h, sizeof(sys_h), "%s/stdio.h", top);
    write_file(sys_h, "int printf(const char *, ...);\n");
    snprintf(obj, sizeof(obj), "%s/out/obj/tests.o", box);
    write_file(obj, "\177ELF an object");
    snprintf(dfile, sizeof(dfile), "%s.d", obj);
    snprintf(path, sizeof(path), "%s: %s/labs/lab1/tests.c \\\n %s/include/workload.h %s\n", obj,
             kit, kit, sys_h);
    write_file(dfile, path);
}

static void fini(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
    system(cmd);
}

TestSuite(objcache, .init = init, .fini = fini);

static const char *key = "/usr/bin/cc -O2 -c @BOX@/kit/harness/labs/lab1/tests.c -o @BOX@/x.o";

/* Kept by one build, found by the next: the same bytes. */
Test(objcache, kept_then_found)
{
    struct objcache oc;
    char again[300];

    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(objcache_get(&oc, key, obj), -ENOENT, "an empty cache has nothing");
    cr_assert_eq(objcache_put(&oc, key, obj, dfile, box), 0);
    snprintf(again, sizeof(again), "%s/out/obj/again.o", box);
    cr_assert_eq(objcache_get(&oc, key, again), 0);
    char *a = sys_slurp(obj, 4096, NULL), *b = sys_slurp(again, 4096, NULL);
    cr_assert_str_eq(a, b);
    free(a), free(b);
    cr_assert_eq(objcache_get(&oc, "/usr/bin/cc -O1 -c x.c", again), -ENOENT,
                 "another compile's words are another entry");
}

/* Two graders missing the same entry at once: the second waits, asleep, until the first has
 * kept it (and finds it then); another key is not held up; a lock not had in time (or a
 * cache that is off) is -1, and the grader compiles anyway. No clock decides: the first
 * holds its lock until the test lets it go. */
Test(objcache, one_compile_of_an_entry_at_a_time)
{
    struct objcache oc, off = {.dir = ""};
    int ready[2], go[2], held, other;
    char c;
    pid_t pid;

    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(go), 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) { /* the first grader: compiles until told, keeps the object, lets go */
        int fd = objcache_lock(&oc, key, 1);
        if (write(ready[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(2);
        usleep(50 * 1000); /* the second is asleep in objcache_lock() meanwhile, or not yet */
        objcache_put(&oc, key, obj, dfile, box);
        objcache_unlock(fd);
        _exit(fd >= 0 ? 0 : 1);
    }
    cr_assert_eq(read(ready[0], &c, 1), 1);
    cr_assert_eq(objcache_get(&oc, key, obj), -ENOENT, "the first has not kept it yet");
    other = objcache_lock(&oc, "/usr/bin/cc -O1 -c other.c", 0.1);
    cr_assert_geq(other, 0, "another entry's lock is free meanwhile");
    objcache_unlock(other);
    cr_assert_eq(objcache_lock(&oc, key, 0.1), -1, "held by the first: none within 0.1 s");
    cr_assert_eq(write(go[1], "x", 1), 1);
    held = objcache_lock(&oc, key, 60);
    cr_assert_geq(held, 0, "the lock once the first let it go");
    cr_assert_eq(objcache_get(&oc, key, obj), 0, "and, with it, the entry the first kept");
    objcache_unlock(held);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the first had its lock");
    cr_assert_eq(objcache_lock(&off, key, 1), -1, "a cache that is off has no lock");
    objcache_unlock(-1); /* nothing to let go */
}

/* A change to any file of the kit, or to the compiler, is another digest: a miss. */
Test(objcache, kit_or_compiler_changed)
{
    struct objcache oc, changed, other_cc;
    char path[1024], again[300];

    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(objcache_put(&oc, key, obj, dfile, box), 0);
    snprintf(path, sizeof(path), "%s/include/workload.h", kit);
    write_file(path, "int ref_cook(long);\n");
    cr_assert_eq(objcache_open(&changed, cache, kit, cc), 0);
    cr_assert_str_neq(oc.kit, changed.kit);
    snprintf(again, sizeof(again), "%s/out/obj/again.o", box);
    cr_assert_eq(objcache_get(&changed, key, again), -ENOENT);
    write_file(path, "int ref_cook(int);\n"); /* back as it was: found again */
    cr_assert_eq(objcache_open(&changed, cache, kit, cc), 0);
    cr_assert_str_eq(oc.kit, changed.kit);
    cr_assert_eq(objcache_get(&changed, key, again), 0);
    write_file(cc, "#!/bin/sh\n# gcc 12.3, upgraded\n");
    cr_assert_eq(objcache_open(&other_cc, cache, kit, cc), 0);
    cr_assert_eq(objcache_get(&other_cc, key, again), -ENOENT);
    snprintf(path, sizeof(path), "%s/labs/lab1/new.h", kit); /* a file more: a change too */
    write_file(path, "\n");
    cr_assert_eq(objcache_open(&changed, cache, kit, cc), 0);
    cr_assert_str_neq(oc.kit, changed.kit);
}

/* A header outside the kit (the C library's) that changed since: compile again. */
Test(objcache, system_header_changed)
{
    struct objcache oc;
    char again[300];

    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(objcache_put(&oc, key, obj, dfile, box), 0);
    write_file(sys_h, "int printf(const char *restrict, ...);\n");
    snprintf(again, sizeof(again), "%s/out/obj/again.o", box);
    cr_assert_eq(objcache_get(&oc, key, again), -ENOENT);
    cr_assert_eq(access(again, F_OK), -1, "nothing copied on a miss");
    unlink(sys_h);
    cr_assert_eq(objcache_get(&oc, key, again), -ENOENT, "a header gone is a change too");
}

/* A student's file, src/cook.c, compiled with a warning: its object and words written at
 * `skey` (the compiler's words and the digest of cook.c's bytes). */
static const char *skey = "/usr/bin/cc -O2 -c @BOX@/src/cook.c -o @BOX@/out/obj/cook.c.o #d1";

static void student_compiled(char *src, size_t len, const char *code)
{
    char text[1024];

    snprintf(src, len, "%s/src/cook.c", box);
    write_file(src, code);
    snprintf(text, sizeof(text), "%s: %s %s/include/workload.h %s\n", obj, src, kit, sys_h);
    write_file(dfile, text);
    write_file(obj, "\177ELF\0cook's object"); /* a NUL inside, as objects have */
}

/* Kept with what the compiler said, found again from the very same bytes (which begin
 * with blanks); the object comes back whole, NUL bytes and all. */
Test(objcache, student_file_same_bytes)
{
    struct objcache oc;
    char src[300], again[300], *said = NULL;

    student_compiled(src, sizeof(src), "\n  int cook(int x) { int unused; return x; }\n");
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    snprintf(again, sizeof(again), "%s/out/obj/again.o", box);
    cr_assert_eq(objcache_get_src(&oc, skey, again, src, &said), -ENOENT, "nothing kept yet");
    cr_assert_eq(objcache_put_src(&oc, skey, obj, dfile, box, src, "cook.c:1: warning\n"), 0);
    cr_assert_eq(objcache_get_src(&oc, skey, again, src, &said), 0);
    size_t a, b;
    char *x = sys_slurp(obj, 4096, &a), *y = sys_slurp(again, 4096, &b);
    cr_assert_eq(a, b);
    cr_assert_eq(memcmp(x, y, a), 0, "the object, byte for byte");
    cr_assert_str_eq(said, "cook.c:1: warning\n");
    free(x), free(y), free(said);
    said = strdup("stale");
    cr_assert_eq(objcache_put_src(&oc, skey, obj, dfile, box, src, NULL), 0);
    cr_assert_eq(objcache_get_src(&oc, skey, again, src, &said), 0);
    cr_assert_null(said, "it said nothing this time");
}

/* The digest in the key only finds an entry: other bytes under the same key (a digest
 * that matched by chance, or made to) are a miss, never the other file's object. A
 * system header changed is a miss too. */
Test(objcache, student_file_other_bytes)
{
    struct objcache oc;
    char src[300], again[300], digest[33], other[33];

    student_compiled(src, sizeof(src), "int cook(int x) { return x; }\n");
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(objcache_digest(src, digest), 0);
    cr_assert_eq(objcache_put_src(&oc, skey, obj, dfile, box, src, NULL), 0);
    write_file(src, "int cook(int x) { return x + 1; }\n");
    cr_assert_eq(objcache_digest(src, other), 0);
    cr_assert_str_neq(digest, other);
    snprintf(again, sizeof(again), "%s/out/obj/again.o", box);
    cr_assert_eq(objcache_get_src(&oc, skey, again, src, NULL), -ENOENT);
    cr_assert_eq(access(again, F_OK), -1, "no object written on a miss");
    write_file(src, "int cook(int x) { return x; }\n");
    cr_assert_eq(objcache_get_src(&oc, skey, again, src, NULL), 0, "the first bytes again");
    write_file(sys_h, "int printf(const char *, ...); /* upgraded */\n");
    cr_assert_eq(objcache_get_src(&oc, skey, again, src, NULL), -ENOENT);
}

/* A student's file that included another file of the box (its own header) is not kept:
 * only the kit's headers and the file itself may be named. */
Test(objcache, student_file_own_header)
{
    struct objcache oc;
    char src[300], text[1024];

    student_compiled(src, sizeof(src), "#include \"cook.h\"\n");
    snprintf(text, sizeof(text), "%s: %s %s/src/cook.h\n", obj, src, box);
    write_file(dfile, text);
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(objcache_put_src(&oc, skey, obj, dfile, box, src, NULL), -EPERM);
    cr_assert_eq(objcache_put(&oc, key, obj, dfile, box), -EPERM, "nor as one of ours");
}

/* An object that read a file of the box that is not the kit's (the student's folder) is
 * never kept as one of ours: it would be another student's next time. */
Test(objcache, never_student_files)
{
    struct objcache oc;
    char text[1024], again[300];

    snprintf(text, sizeof(text), "%s: %s/labs/lab1/tests.c %s/src/cook.h\n", obj, kit, box);
    write_file(dfile, text);
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(objcache_put(&oc, key, obj, dfile, box), -EPERM);
    snprintf(again, sizeof(again), "%s/out/obj/again.o", box);
    cr_assert_eq(objcache_get(&oc, key, again), -ENOENT);
    snprintf(text, sizeof(text), "%s: relative/tests.c\n", obj);
    write_file(dfile, text);
    cr_assert_eq(objcache_put(&oc, key, obj, dfile, box), -EINVAL, "relative names are refused");
}

/* A folder others may write to is not trusted, and off means off. */
Test(objcache, untrusted_folder_or_off)
{
    struct objcache oc;
    char again[300];

    cr_assert_eq(mkdir(cache, 0777), 0);
    cr_assert_eq(chmod(cache, 0777), 0);
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), -EPERM);
    cr_assert_eq(oc.dir[0], '\0');
    cr_assert_eq(objcache_put(&oc, key, obj, dfile, box), -ENOENT);
    snprintf(again, sizeof(again), "%s/out/obj/again.o", box);
    cr_assert_eq(objcache_get(&oc, key, again), -ENOENT);
    cr_assert_eq(objcache_open(&oc, NULL, kit, cc), -EINVAL);
}

/* The key: the box's path taken out wherever it appears; too long says so. */
Test(objcache, key_without_the_box)
{
    char *argv[] = {"/usr/bin/cc", "-I/tmp/restaurant-lab-ab12/kit/harness/include",
                    "-ffile-prefix-map=/tmp/restaurant-lab-ab12/src/=", NULL};
    char k[256], tiny[16];

    cr_assert_eq(objcache_key(argv, "/tmp/restaurant-lab-ab12", k, sizeof(k)), 0);
    cr_assert_str_eq(k, "/usr/bin/cc -I@BOX@/kit/harness/include -ffile-prefix-map=@BOX@/src/=");
    cr_assert_eq(objcache_key(argv, "/tmp/restaurant-lab-ab12", tiny, sizeof(tiny)), -ENAMETOOLONG);
}

/* n files named prefix<i> in the cache, each last used `age` seconds ago. */
static void fill(const char *prefix, int n, long age)
{
    char path[300];

    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s%d", cache, prefix, i);
        write_file(path, "");
        struct timespec t[2] = {{.tv_sec = time(NULL) - age}, {.tv_sec = time(NULL) - age}};
        cr_assert_eq(utimensat(AT_FDCWD, path, t, 0), 0);
    }
}

static int left(const char *prefix, int n)
{
    char path[300];
    int k = 0;

    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s%d", cache, prefix, i);
        k += access(path, F_OK) == 0;
    }
    return k;
}

/* A full folder loses the entries unused for a week, and only those; it is looked through
 * at most once in ten minutes (a grading a second later does not stat 2,000 files again). */
Test(objcache, full_folder_pruned_hourly)
{
    struct objcache oc;
    char stamp[200];

    cr_assert_eq(mkdir(cache, 0700), 0);
    fill("new", 2000, 0);
    fill("old", 20, 8 * 24 * 3600);
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(left("old", 20), 0, "entries unused for 8 days go from a full folder");
    cr_assert_eq(left("new", 2000), 2000, "entries used today stay");
    fill("old", 20, 8 * 24 * 3600);
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(left("old", 20), 20, "a second grading within ten minutes does not look again");
    snprintf(stamp, sizeof(stamp), "%s/.pruned", cache);
    struct timespec t[2] = {{.tv_sec = time(NULL) - 7200}, {.tv_sec = time(NULL) - 7200}};
    cr_assert_eq(utimensat(AT_FDCWD, stamp, t, 0), 0);
    cr_assert_eq(objcache_open(&oc, cache, kit, cc), 0);
    cr_assert_eq(left("old", 20), 0, "two hours later it looks again");
}

/* An entry of `bytes` bytes per file, in files name.m and name.o, last used `age` seconds
 * ago (the manifest's time; the object's is older, as when it was kept and used since). */
static void entry(const char *name, long bytes, long age)
{
    char path[300];
    const char *ext[] = {"m", "o"};

    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s.%s", cache, name, ext[i]);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f, "%s", path);
        cr_assert_eq(ftruncate(fileno(f), bytes), 0);
        fclose(f);
        long t = time(NULL) - (i == 0 ? age : age + 86400);
        struct timespec ts[2] = {{.tv_sec = t}, {.tv_sec = t}};
        cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    }
}

static int entry_files(const char *name)
{
    char path[300];
    int k = 0;

    snprintf(path, sizeof(path), "%s/%s.m", cache, name);
    k += access(path, F_OK) == 0;
    snprintf(path, sizeof(path), "%s/%s.o", cache, name);
    k += access(path, F_OK) == 0;
    return k;
}

/* Over its bytes' cap, the cache loses its least used entries, each whole (manifest and
 * object: the object's own time is when it was kept, not when it was last used), until a
 * quarter under the cap; under it, nothing goes, however old. */
Test(objcache, over_its_bytes_the_least_used_go)
{
    cr_assert_eq(mkdir(cache, 0700), 0);
    /* ten entries of 2 x 100 bytes: "e0" used 10 hours ago ... "e9" now */
    for (int i = 0; i < 10; i++) {
        char name[8];
        snprintf(name, sizeof(name), "e%d", i);
        entry(name, 100, (9 - i) * 3600);
    }
    fill(".tmp-", 1, 99999); /* a put under way: not an entry */
    cr_assert_eq(objcache_prune_bytes(cache, 2000), 0, "2,000 bytes held, not more: none go");
    cr_assert_eq(objcache_prune_bytes(cache, 1999), 3, "1,400 bytes is a quarter below 1,999");
    for (int i = 0; i < 10; i++) {
        char name[8];
        snprintf(name, sizeof(name), "e%d", i);
        cr_assert_eq(entry_files(name), i < 3 ? 0 : 2, "%s: the 3 least used go, whole", name);
    }
    cr_assert_eq(left(".tmp-", 1), 1, "a file being put stays");
    /* used again: its manifest's time is now, and it outlives newer entries */
    struct timespec now[2] = {{.tv_nsec = UTIME_NOW}, {.tv_nsec = UTIME_NOW}};
    char m[300];
    snprintf(m, sizeof(m), "%s/e3.m", cache);
    cr_assert_eq(utimensat(AT_FDCWD, m, now, 0), 0);
    cr_assert_eq(objcache_prune_bytes(cache, 1000), 4);
    cr_assert_eq(entry_files("e3"), 2, "the entry used just now stays");
    for (int i = 4; i < 8; i++) {
        char name[8];
        snprintf(name, sizeof(name), "e%d", i);
        cr_assert_eq(entry_files(name), 0, "%s: older in use than e3, it goes", name);
    }
}
