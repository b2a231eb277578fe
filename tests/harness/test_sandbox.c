/* test_sandbox.c: every run of lab code is contained alike. */
#include <string.h>

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
