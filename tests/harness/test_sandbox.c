/* test_sandbox.c: every run of lab code is contained alike. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sandbox.h"

Test(sandbox, options_of_a_run)
{
    char *env[] = {"SEED=1", NULL};
    struct jail_limits lim = {.wall_s = 20, .nproc = 64, .out_bytes = 1 << 20};
    struct sandbox sb;
    struct jail_opts *o = sandbox_opts(&sb, "/tmp/box", "/tmp/box/run", lim, "/logs/x.out", env);

    cr_assert_eq(o, &sb.o);
    cr_assert(o->drop_privileges && o->sandbox);
    cr_assert_str_eq(o->dir, "/tmp/box/run", "it works in its scratch folder");
    cr_assert_str_eq(o->ro[0], "/tmp/box");
    cr_assert_null(o->ro[1]);
    cr_assert_str_eq(o->rw[0], "/tmp/box/run", "the only folder it may write");
    cr_assert_null(o->rw[1]);
    cr_assert_str_eq(o->out_path, "/logs/x.out");
    cr_assert_eq(o->env, env);
    cr_assert_eq(o->pass_fd, 0);
    cr_assert_float_eq(o->lim.wall_s, 20, 1e-9);
    cr_assert_eq(o->lim.nproc, 64);
    cr_assert_eq(o->lim.out_bytes, 1 << 20);
}

Test(sandbox, no_output_no_environment)
{
    struct sandbox sb;
    struct jail_opts *o =
        sandbox_opts(&sb, "b", "r", (struct jail_limits){.wall_s = 1}, NULL, NULL);

    cr_assert_null(o->out_path);
    cr_assert_null(o->env);
}

Test(sandbox, note_says_how_runs_are_contained, .timeout = 60)
{
    struct report r;

    report_init(&r, "lab", "t");
    sandbox_note(&r);
    cr_assert(!strncmp(r.output, "sandbox: ", 9), "%s", r.output);
    report_free(&r);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
    chmod(path, 0644);
}

/* Compile box/<name> in the box as build_cc.c does; 0 when it compiled; its messages in
 * *log (a static buffer). */
static int compile_in(const char *box, const char *name, char **log)
{
    static char text[8192];
    char src[PATH_MAX], obj[PATH_MAX], out[PATH_MAX], logf[PATH_MAX], tmp[PATH_MAX + 16];
    char *argv[] = {"/usr/bin/cc", "-c", src, "-o", obj, NULL};
    char *env[] = {tmp, NULL};
    struct jail_limits lim = {
        .wall_s = 60, .cpu_s = 60, .nproc = 32, .out_bytes = 64 << 20, .mem_bytes = 3ULL << 30};
    struct sandbox sb;
    struct jail_result r;
    FILE *f;
    size_t n;

    snprintf(src, sizeof(src), "%s/%s", box, name);
    snprintf(obj, sizeof(obj), "%s/out/%s.o", box, name);
    snprintf(out, sizeof(out), "%s/out", box);
    snprintf(tmp, sizeof(tmp), "TMPDIR=%s", out);
    snprintf(logf, sizeof(logf), "%s/%s.log", box, name);
    cr_assert_eq(jail_run(argv, sandbox_opts(&sb, box, out, lim, logf, env), &r), 0);
    f = fopen(logf, "r");
    cr_assert_not_null(f);
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    *log = text;
    return r.end == JAIL_EXITED ? r.code : -1;
}

/* The compiler runs in the same view as the code it builds: a file outside the box
 * (below the kit's build/, beside this binary, readable by anyone) does not exist for
 * it, so an #include of it cannot have the compiler quote it; the system's headers and
 * the box's own do. */
Test(sandbox, compiler_sees_only_the_box, .timeout = 180)
{
    char exe[PATH_MAX] = "", hidden[PATH_MAX], box[] = "/tmp/test_sandbox.XXXXXX";
    char path[PATH_MAX + 32], text[PATH_MAX + 200], cmd[2 * PATH_MAX + 32], *log;
    const char *why;
    ssize_t n;
    int rc_in, rc_out;

    if (!jail_sandbox(&why))
        cr_skip_test("%s", why);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    cr_assert_gt(n, 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    snprintf(hidden, sizeof(hidden), "%s/sandbox_hidden.XXXXXX", exe);
    cr_assert_not_null(mkdtemp(hidden));
    chmod(hidden, 0755);
    snprintf(path, sizeof(path), "%s/solution.h", hidden);
    write_file(path, "int the_reference_solution(void) { return 42; }\n");
    cr_assert_not_null(mkdtemp(box));
    chmod(box, 0711);
    snprintf(cmd, sizeof(cmd), "%s/out", box);
    cr_assert_eq(mkdir(cmd, 0777), 0);
    chmod(cmd, 0777); /* the jail user's (box.c chowns it) */
    snprintf(cmd, sizeof(cmd), "%s/own.h", box);
    write_file(cmd, "#define OWN 1\n");
    snprintf(cmd, sizeof(cmd), "%s/in.c", box);
    write_file(cmd, "#include <stdio.h>\n#include \"own.h\"\nint f(void) { return OWN; }\n");
    snprintf(text, sizeof(text), "#include \"%s\"\nint g(void) { return 0; }\n", path);
    snprintf(cmd, sizeof(cmd), "%s/out.c", box);
    write_file(cmd, text);

    rc_in = compile_in(box, "in.c", &log);
    snprintf(text, sizeof(text), "%s", log);
    rc_out = compile_in(box, "out.c", &log);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", hidden, box);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s, %s", hidden, box);
    cr_assert_eq(rc_in, 0, "the system's headers and the box's own: %s", text);
    cr_assert_neq(rc_out, 0, "the compiler included a file outside the box");
    cr_assert(strstr(log, "No such file or directory"), "%s", log);
    cr_assert_null(strstr(log, "the_reference_solution"), "%s", log);
}

/* Without namespaces nothing can be hidden from a run: the note says so. */
Test(sandbox, note_without_namespaces_says_nothing_is_hidden, .timeout = 60)
{
    struct report r;

    setenv("JAIL_SANDBOX", "off", 1); /* before the first probe: each test is a process */
    report_init(&r, "lab", "t");
    sandbox_note(&r);
    cr_assert(strstr(r.output, "sandbox: no namespaces (turned off"), "%s", r.output);
    cr_assert(strstr(r.output, "nothing is hidden"), "%s", r.output);
    cr_assert(strstr(r.output, "solutions"), "%s", r.output);
    report_free(&r);
}
