/* sandbox.h: the one way the grader contains a run of lab code (jail.h's options). */
#ifndef SANDBOX_H
#define SANDBOX_H

#include "jail.h"
#include "report.h"

/* The memory of a whole run, every process together (jail_limits.mem_total), unless the
 * caller asks for another: ten times what any lab's solution holds at its peak (race
 * drivers under ThreadSanitizer included), far below what the machine has. */
#define SANDBOX_MEM_TOTAL (2ULL << 30)

/* What a run may add to its folder (jail_limits.disk_bytes, disk_files), unless the caller
 * asks for more: a test writes its TAP and done files there, a few KiB; a run that writes
 * more than this is killed (a disk flood), before the disk every grading shares fills. */
#define SANDBOX_DISK_BYTES (256ULL << 20)
#define SANDBOX_DISK_FILES 10000

/* The options of one run, and the folder lists they point to: do not copy it. */
struct sandbox {
    struct jail_opts o;
    const char *ro[2], *rw[2];
};

/* Every run of lab code is alike: as the jail user, in namespaces where the machine
 * has them, working in `run` (the build's scratch folder, the only one it may write),
 * seeing the build's `box` read-only and of the rest only the system's folders (no kit,
 * no solutions, no other submission: jail.h), under `lim`. The compiler runs so too. Its output
 * goes to `out` (NULL: nowhere), its environment is `env` (NULL: the jail's alone). Returns &sb->o,
 * for the caller to adjust (pass_fd) and hand to jail_run. */
struct jail_opts *sandbox_opts(struct sandbox *sb, const char *box, const char *run,
                               struct jail_limits lim, const char *out, char *const *env);

/* A scoreboard note: how runs were contained here, and what is lost where namespaces
 * cannot be had. */
void sandbox_note(struct report *r);

#endif
