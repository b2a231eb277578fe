/* sandbox.c: the one way the grader contains a run of lab code (jail.h's options). */
#include "sandbox.h"

#include "netns.h"

struct jail_opts *sandbox_opts(struct sandbox *sb, const char *box, const char *run,
                               struct jail_limits lim, const char *out, char *const *env)
{
    *sb = (struct sandbox){.ro = {box, NULL}, .rw = {run, NULL}};
    if (lim.mem_total == 0)
        lim.mem_total = SANDBOX_MEM_TOTAL;
    if (lim.disk_bytes == 0)
        lim.disk_bytes = SANDBOX_DISK_BYTES;
    if (lim.disk_files == 0)
        lim.disk_files = SANDBOX_DISK_FILES;
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
    if (jail_mem_cgroup() == 1)
        report_note(r,
                    "memory: at most %llu MiB for each run, all its processes together, no "
                    "swap (a memory cgroup)\n",
                    (unsigned long long)(jail_cg_mem_total(SANDBOX_MEM_TOTAL) >> 20));
    else if (jail_mem_cgroup() == 0)
        report_note(r, "memory: no memory cgroup could be made here: a run's memory is limited "
                       "per process only (RLIMIT_AS: 4 GiB for a test's process, up to 64 of "
                       "them), and not at all in the race drivers (sanitizers run without "
                       "RLIMIT_AS), so one submission could take the machine's memory\n");
    if (*netns_why())
        report_note(r, "network: %s\n", netns_why());
}
