/* test_audit.c: what a student's compiled file may contain, call and include. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "siphash.h"

static char tmp[] = "/tmp/test_audit.XXXXXX";
static const char *const api[] = {"cook", NULL};
static const char *const allow[] = {"socket", NULL};
static const struct audit_rules rules = {.allow = allow, .api = api, .lab = "labX"};

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", tmp);
    strcpy(tmp, "/tmp/test_audit.XXXXXX");
}

TestSuite(audit, .init = setup, .fini = teardown, .timeout = 20);

/* Write `code` to tmp/x.c and compile it with `flags`; returns the object's path. */
static const char *compile(const char *code, const char *flags)
{
    static char obj[256];
    char src[256], cmd[1024];
    FILE *f;

    snprintf(src, sizeof(src), "%s/x.c", tmp);
    snprintf(obj, sizeof(obj), "%s/x.o", tmp);
    f = fopen(src, "w");
    cr_assert_not_null(f);
    fputs(code, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "cc -std=c11 -O2 -w %s -c %s -o %s -MD -MF %s/x.d", flags, src, obj,
             tmp);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    return obj;
}

static int audit(const char *code, char *why, size_t len)
{
    return audit_object(compile(code, ""), "x.c", &rules, why, len);
}

Test(audit, plain_code_with_allowed_calls_passes)
{
    char why[1024];
    int rc = audit("#include <string.h>\n#include <pthread.h>\n#include <sys/socket.h>\n"
                   "int cook(char *s) { pthread_mutex_t m; pthread_mutex_init(&m, 0);"
                   " return (int)strlen(s) + socket(0, 0, 0); }\n",
                   why, sizeof(why));

    cr_assert_eq(rc, 0, "%s", why);
    /* a lock in memory shared with forked children is a thread function too (examiner 13b:
     * a correct lab 6 pool with its counter under a process-shared mutex was refused) */
    rc = audit("#include <pthread.h>\n"
               "int cook(pthread_mutex_t *m) { pthread_mutexattr_t a; pthread_mutexattr_init(&a);"
               " pthread_mutexattr_setpshared(&a, 1); pthread_mutexattr_setrobust(&a, 1);"
               " int rc = pthread_mutex_init(m, &a); if (pthread_mutex_lock(m) == 130)"
               " pthread_mutex_consistent(m); return rc; }\n",
               why, sizeof(why));
    cr_assert_eq(rc, 0, "%s", why);
    /* a timed wait on a clock named per call (glibc 2.30) is a thread function too (an
     * examiner's correct GIL, round 67, was refused pthread_cond_clockwait()) */
    rc = audit("#define _GNU_SOURCE\n#include <pthread.h>\n#include <time.h>\n"
               "int wait_until(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)"
               " { return pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, t); }\n",
               why, sizeof(why));
    cr_assert_eq(rc, 0, "%s", why);
}

/* What gcc calls in libgcc for 128-bit arithmetic is arithmetic, not a call of the student's
 * (examiner 42c: a correct GIL that divided an __int128 deadline was refused __divti3()). */
Test(audit, libgcc_arithmetic_passes)
{
    char why[1024];
    int rc =
        audit("__int128 q(__int128 a, __int128 b) { return a / b + a % b; }\n"
              "unsigned __int128 u(unsigned __int128 a, unsigned __int128 b) { return a / b; }\n"
              "double d(__int128 a) { return (double)a; }\n"
              "__int128 f(double x) { return (__int128)x; }\n"
              "int m(long a, long b, long *r) { return __builtin_mul_overflow(a, b, r); }\n",
              why, sizeof(why));

    cr_assert_eq(rc, 0, "%s", why);
    rc = audit("long g(long a, long b) { return a * b; }\nint h(void) { return getpid(); }\n"
               "void k(void) { extern void __divti4_x(void); __divti4_x(); }\n",
               why, sizeof(why));
    cr_assert_eq(rc, 1, "a name merely near libgcc's is still named: %s", why);
    cr_assert(strstr(why, "__divti4_x"), "%s", why);
}

Test(audit, a_call_off_the_allowlist_is_named)
{
    char why[1024];
    int rc = audit("#include <stdlib.h>\n#include <stdio.h>\n"
                   "int cook(void) { FILE *f = fopen(\"x\", \"w\"); atexit(0); exit(!f); }\n",
                   why, sizeof(why));

    cr_assert_eq(rc, 1);
    cr_assert(strstr(why, "x.c calls fopen()"), "%s", why);
    cr_assert(strstr(why, "x.c calls atexit()"), "%s", why);
    cr_assert(strstr(why, "x.c calls exit()"), "%s", why);
}

/* An undefined symbol has no type: a C library variable is named as one, not as a call. */
Test(audit, a_variable_off_the_allowlist_is_named_as_one)
{
    char why[1024];
    int rc =
        audit("#include <stdio.h>\nint cook(void) { return fileno(stdin); }\n", why, sizeof(why));

    cr_assert_eq(rc, 1);
    cr_assert(strstr(why, "x.c uses stdin, which"), "%s", why);
    cr_assert(strstr(why, "x.c calls fileno()"), "%s", why);
    cr_assert(!strstr(why, "stdin()"), "%s", why);
}

Test(audit, a_constructor_is_refused)
{
    char why[1024];
    int rc = audit("#include <stdio.h>\n__attribute__((constructor)) static void c(void)"
                   " { puts(\"x\"); }\nint cook(void) { return 0; }\n",
                   why, sizeof(why));

    cr_assert_eq(rc, 1);
    cr_assert(strstr(why, "constructor or destructor"), "%s", why);
}

Test(audit, ifunc_resolvers_are_refused)
{
    char why[1024];
    /* the red team's ifunc_preseal: the resolver runs while ld.so relocates, before main() */
    int rc = audit("static int real(int x) { return x; }\n"
                   "static void *resolve(void) { return (void *)real; }\n"
                   "static int mix(int x) __attribute__((ifunc(\"resolve\")));\n"
                   "int cook(int x) { return mix(x); }\n",
                   why, sizeof(why));

    cr_assert_eq(rc, 1);
    cr_assert(strstr(why, "mix is an IFUNC"), "%s", why);
    /* the API function itself an IFUNC */
    rc = audit("static int real(int x) { return x; }\n"
               "static void *resolve(void) { return (void *)real; }\n"
               "int cook(int x) __attribute__((ifunc(\"resolve\")));\n",
               why, sizeof(why));
    cr_assert_eq(rc, 1);
    cr_assert(strstr(why, "cook is an IFUNC"), "%s", why);
    /* gcc's own resolvers (function multi-versioning) are IFUNCs too */
    rc = audit("__attribute__((target_clones(\"avx2\", \"default\"))) int cook(int x)"
               " { return x + 1; }\n",
               why, sizeof(why));
    cr_assert_eq(rc, 1);
    cr_assert(strstr(why, "IFUNC"), "%s", why);
}

Test(audit, init_arrays_by_section_name_or_type_are_refused)
{
    char why[1024];
    static const char *const ways[] = {
        /* a function pointer put in the array by its section name */
        "__attribute__((section(\".init_array\"), used)) static void (*p)(void) = f;\n",
        "__attribute__((section(\".preinit_array\"), used)) static void (*p)(void) = f;\n",
        "__attribute__((section(\".ctors.00042\"), used)) static void (*p)(void) = f;\n",
        "__attribute__((section(\".fini_array\"), used)) static void (*p)(void) = f;\n",
        /* a name of its own, of type INIT_ARRAY (flags injected into the assembler) */
        "__attribute__((section(\"mine,\\\"aw\\\",@init_array #\"), used)) static void "
        "(*p)(void) = f;\n",
        /* code in .init */
        "__attribute__((section(\".init\"), used)) static void g(void) { f(); }\n", NULL};

    for (const char *const *w = ways; *w; w++) {
        char code[1024];
        snprintf(code, sizeof(code), "static void f(void) {}\n%sint cook(int x) { return x; }\n",
                 *w);
        int rc = audit(code, why, sizeof(why));
        cr_assert_eq(rc, 1, "%s: %d", *w, rc);
        cr_assert(strstr(why, "outside the calls the harness makes") ||
                      strstr(why, "section of its own"),
                  "%s: %s", *w, why);
    }
}

Test(audit, machine_code_written_as_data_is_refused)
{
    char why[1024];
    int rc = audit("__attribute__((section(\".text.evil\"))) const unsigned char sc[] ="
                   " {0x0f, 0x05, 0xc3};\nint cook(void) { return sc[0]; }\n",
                   why, sizeof(why));

    cr_assert_eq(rc, 1);
    cr_assert(strstr(why, "data (sc) among its code"), "%s", why);
}

/* The static Criterion's code section (harness/criterion/build.sh): cr_in_criterion() takes
 * whatever lies in it, or between bounds of that name, for Criterion's code (check_end's
 * guard). A file can put data there (a function's code, merged by the linker into an
 * executable section) or define the bounds itself: both refused. */
Test(audit, the_static_criterion_section_and_section_bounds_are_refused)
{
    char why[1024];
    static const char *const ways[] = {
        "__attribute__((section(\"criterion_text\"))) const unsigned char sc[] = {0xc3};\n",
        "__attribute__((section(\"criterion_text.x\"))) int v = 1;\n",
        "const char __start_criterion_text[1];\n",
        "__asm__(\".globl __stop_criterion_text\\n.set __stop_criterion_text, 0\");\n", NULL};

    for (const char *const *w = ways; *w; w++) {
        char code[1024];
        snprintf(code, sizeof(code), "%sint cook(int x) { return x; }\n", *w);
        int rc = audit_object(compile(code, ""), "x.c", &rules, why, sizeof(why));
        cr_assert_eq(rc, 1, "%s: %d", *w, rc);
        cr_assert(strstr(why, "Criterion section") || strstr(why, "only the linker gives"),
                  "%s: %s", *w, why);
    }
}

Test(audit, not_an_object_is_an_error_of_the_check)
{
    char path[256], why[64];
    FILE *f;

    snprintf(path, sizeof(path), "%s/junk.o", tmp);
    f = fopen(path, "w");
    fputs("not ELF at all", f);
    fclose(f);
    cr_assert_lt(audit_object(path, "junk.o", &rules, why, sizeof(why)), 0);
}

Test(audit, includes_outside_the_allowed_folders_are_named)
{
    char dfile[256], inc[256], why[1024], kit[300];
    const char *allowed[] = {"/usr/include/", "/usr/lib/gcc/", kit, NULL};
    FILE *f;

    snprintf(inc, sizeof(inc), "%s/secret.c", tmp);
    f = fopen(inc, "w");
    fputs("int secret = 1;\n", f);
    fclose(f);
    snprintf(kit, sizeof(kit), "%s/x.c", tmp); /* the file itself */
    compile("#include <stdio.h>\n#include \"secret.c\"\n", "");
    snprintf(dfile, sizeof(dfile), "%s/x.d", tmp);
    cr_assert_eq(audit_deps(dfile, "x.c", allowed, why, sizeof(why)), 1);
    cr_assert(strstr(why, "x.c includes ") && strstr(why, "secret.c"), "%s", why);
    kit[0] = '\0';
    snprintf(kit, sizeof(kit), "%s/", tmp); /* the whole folder: now allowed */
    cr_assert_eq(audit_deps(dfile, "x.c", allowed, why, sizeof(why)), 0, "%s", why);
}

Test(audit, absolute_includes_outside_the_system_headers_are_refused_before_compiling)
{
    char why[2048];

    cr_assert_eq(
        audit_includes("#include <stdio.h>\n#include \"lab4.h\"\n"
                       "#include \"/usr/include/stdlib.h\"\n  #  include </usr/lib/gcc/x.h>\n"
                       "// #include \"/dev/zero\" in a comment line is not a directive\n"
                       "#include \"../lab4-gil/lab4.h\"\n",
                       "gil.c", why, sizeof(why)),
        0, "%s", why);
    cr_assert_eq(audit_includes("int x;\n#include \"/dev/zero\"\n", "gil.c", why, sizeof(why)), 1);
    cr_assert(strstr(why, "gil.c includes /dev/zero: a file may include only system headers"), "%s",
              why);
    cr_assert_eq(audit_includes("# include_next </proc/self/environ>\n", "a.c", why, sizeof(why)),
                 1);
    cr_assert(strstr(why, "/proc/self/environ"), "%s", why);
    cr_assert_eq(
        audit_includes("#include \"/usr/include/../../dev/zero\"\n", "a.c", why, sizeof(why)), 1,
        "a way out of /usr/include by .. is refused");
    cr_assert_eq(audit_includes("#include \"/dev/zero\n", "a.c", why, sizeof(why)), 0,
                 "an unended name is the compiler's to refuse");
}

Test(audit, inline_assembly_in_the_file_is_refused_in_headers_not)
{
    const char *pre = "# 1 \"/box/src/x.c\"\nint a;\n"
                      "# 1 \"/usr/include/stdio.h\" 1 3 4\n"
                      "extern int f(void) __asm__ (\"\" \"g\");\n"
                      "# 3 \"/box/src/x.c\" 2\nint cook(void) { return 0; }\n";
    const char *bad = "# 1 \"/box/src/x.c\"\nint cook(void) { __asm__(\"nop\"); return 0; }\n";
    const char *str = "# 1 \"/box/src/x.c\"\nconst char *s = \"asm __asm__\"; int asmx;\n";
    char why[512];

    cr_assert_eq(audit_source(pre, "/box/src/x.c", "", "x.c", why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(audit_source(str, "/box/src/x.c", "", "x.c", why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(audit_source(bad, "/box/src/x.c", "", "x.c", why, sizeof(why)), 1);
    cr_assert(strstr(why, "inline assembly"), "%s", why);
}

Test(audit, line_directives_are_refused)
{
    char why[512];

    cr_assert_eq(audit_source("", "/box/src/x.c", "int a;\n  #  line 5 \"/usr/include/x.h\"\n",
                              "x.c", why, sizeof(why)),
                 1);
    cr_assert(strstr(why, "#line"), "%s", why);
    cr_assert_eq(audit_source("", "/box/src/x.c", "# 12 \"y\"\n", "x.c", why, sizeof(why)), 1);
    cr_assert_eq(audit_source("", "/box/src/x.c", "#include <x.h>\n#define LINE 1\n", "x.c", why,
                              sizeof(why)),
                 0, "%s", why);
}

Test(audit, a_line_directive_however_spelled_is_refused)
{
    /* what gcc -E makes of %:line, ??=line, #/ * * /line or a continued #\ line: a marker
     * that names another file with no include entered (flag 1) or left (flag 2) */
    const char *pre = "# 0 \"/box/src/x.c\"\n# 0 \"<built-in>\"\n# 0 \"<command-line>\"\n"
                      "# 1 \"/usr/include/stdc-predef.h\" 1 3 4\n# 0 \"<command-line>\" 2\n"
                      "# 1 \"/box/src/x.c\"\nint a;\n# 1 \"/usr/include/stdio.h\"\n"
                      "int f(void) { __asm__(\"nop\"); return 0; }\n";
    const char *fine = "# 0 \"/box/src/x.c\"\n# 0 \"<built-in>\"\n# 0 \"<command-line>\"\n"
                       "# 1 \"/box/src/x.c\"\n# 1 \"/usr/include/stdio.h\" 1 3 4\n"
                       "extern int f(void) __asm__ (\"\" \"g\");\n"
                       "# 3 \"/box/src/x.c\" 2\nint a;\n# 40 \"/box/src/x.c\"\nint b;\n";
    char why[512];

    cr_assert_eq(audit_source(pre, "/box/src/x.c", "", "x.c", why, sizeof(why)), 1);
    cr_assert(strstr(why, "#line"), "%s", why);
    cr_assert_eq(audit_source(fine, "/box/src/x.c", "", "x.c", why, sizeof(why)), 0,
                 "includes entered and left, a jump within the file: %s", why);
}

Test(audit, sanitizer_opt_outs_are_refused)
{
    const char *words[] = {"__attribute__((no_sanitize(\"thread\")))",
                           "__attribute__((no_sanitize_address))",
                           "__attribute__((__no_sanitize_thread__))",
                           "__attribute__((disable_sanitizer_instrumentation))"};
    char pre[512], why[512];

    for (int i = 0; i < 4; i++) {
        snprintf(pre, sizeof(pre), "# 1 \"/box/src/x.c\"\n%s void tally_add(void) {}\n", words[i]);
        cr_assert_eq(audit_source(pre, "/box/src/x.c", "", "x.c", why, sizeof(why)), 1, "%s",
                     words[i]);
        cr_assert(strstr(why, "sanitizers' sight"), "%s", why);
    }
    cr_assert_eq(audit_source("# 1 \"/box/src/x.c\"\nconst char *s = \"no_sanitize\"; "
                              "int no_sanitized;\n",
                              "/box/src/x.c", "", "x.c", why, sizeof(why)),
                 0, "a string and another word: %s", why);
}

Test(audit, untrusted_files_are_read_only_when_plain_and_owned)
{
    char file[256], link[256], why[120];
    const uint64_t key[2] = {1, 2}, other[2] = {1, 3};
    FILE *f;

    snprintf(file, sizeof(file), "%s/f", tmp);
    snprintf(link, sizeof(link), "%s/l", tmp);
    f = fopen(file, "w");
    fprintf(f, "done a::b 12 %016llx\n", (unsigned long long)siphash24(key, "done a::b 12", 12));
    fclose(f);
    cr_assert_eq(symlink(file, link), 0);
    cr_assert_null(audit_read_untrusted(link, -1, 100, NULL), "read through a link");
    cr_assert_null(audit_read_untrusted(file, (int)getuid() + 1, 100, NULL), "wrong owner");
    cr_assert_null(audit_read_untrusted(file, -1, 4, NULL), "over the size");
    cr_assert_eq(audit_done_seen(file, (int)getuid(), key, "a::b", why, sizeof(why), NULL), 1, "%s",
                 why);
    cr_assert_eq(audit_done_seen(file, (int)getuid(), key, "a::bc", why, sizeof(why), NULL), 0);
    cr_assert_eq(audit_done_seen(link, (int)getuid(), key, "a::b", why, sizeof(why), NULL), 0);
    cr_assert_eq(audit_done_seen(file, (int)getuid(), other, "a::b", why, sizeof(why), NULL), -1,
                 "a tag under another key");
}

/* An object (or preprocessed text) too big for the audit to read (a 65 MiB initialised
 * array) is the student's build failure, saying the limit: it once was a harness error
 * (ERR!, exit 3, a regrade asked for ever). */
Test(audit, an_object_over_the_limit_is_the_students_failure)
{
    char why[1024] = "", path[300];
    const char *obj = compile("static const volatile unsigned char blob[65u << 20] = {1};\n"
                              "int cook(int x) { return x + blob[0]; }\n",
                              "");
    struct stat st;
    FILE *f;

    cr_assert_eq(stat(obj, &st), 0);
    cr_assert_gt(st.st_size, AUDIT_OBJ_MAX);
    cr_assert_eq(audit_object(obj, "x.c", &rules, why, sizeof(why)), 1);
    cr_assert_not_null(strstr(why, "x.c: its object file is 65 MiB, over the grader's limit of "
                                   "64 MiB"),
                       "%s", why);
    snprintf(path, sizeof(path), "%s/small", tmp);
    cr_assert_not_null(f = fopen(path, "w"));
    fclose(f);
    cr_assert_eq(truncate(path, (1u << 20) + 1), 0);
    cr_assert_eq(audit_too_big(path, 1u << 20, "y.c", "preprocessed source", why, sizeof(why)), 1);
    cr_assert_not_null(strstr(why, "y.c: its preprocessed source is 1 MiB, over the grader's "
                                   "limit of 1 MiB"),
                       "%s", why);
    cr_assert_eq(audit_too_big(path, 2u << 20, "y.c", "preprocessed source", why, sizeof(why)), 0);
    cr_assert_eq(truncate(path, 4096), 0);
    cr_assert_eq(audit_object(path, "y.c", &rules, why, sizeof(why)), -EINVAL, "not ELF: ours");
}
