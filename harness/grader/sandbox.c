/* sandbox.c: the one way the grader contains a run of lab code (jail.h's options). */
#include "sandbox.h"

#include "netns.h"

struct jail_opts *sandbox_opts(struct sandbox *sb, const char *box, const char *run,
                               struct jail_limits lim, const char *out, char *const *env)
{
    *sb = (struct sandbox){.ro = {box, NULL}, .rw = {run, NULL}};
    sb->o = (struct jail_opts){
        .lim = lim,
        .dir = run,
        .out_path = out,
        .env = env,
        .drop_privileges = true,
        .sandbox = true,
        .ro = sb->ro,
        .rw = sb->rw,
    };
    return &sb->o;
}

void sandbox_note(struct report *r)
{
    const char *why;

    if (jail_sandbox(&why))
        report_note(r, "sandbox: %s\n", why);
    else
        report_note(r,
                    "sandbox: no namespaces (%s): runs see the same /tmp, file system and "
                    "process list as %s, limited by the audit, the rlimits and the pids "
                    "cgroup only; nothing is hidden: they can read every file that user "
                    "may (the kit, its solutions, other submissions)\n",
                    why, jail_uid() >= 0 ? "this grader's own uid" : "the user running the grader");
    if (*netns_why())
        report_note(r, "network: %s\n", netns_why());
}
