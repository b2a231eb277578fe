/* race.h: run a lab's race driver under ThreadSanitizer (or AddressSanitizer) and judge what
 * it reports. */
#ifndef RACE_H
#define RACE_H

#include <stdbool.h>

#include <stdint.h>

#include "jail.h"
#include "report.h"
#include "spec.h"

struct race_conf {
    const char *bin;          /* the driver, built with -fsanitize=thread (or =address) */
    enum sanitizer sanitizer; /* which: its options, and what its exit code says */
    const char *box;          /* the build's box (build.h): bound read-only under namespaces */
    const char *run;          /* scratch folder, the jail user's: what it holds is untrusted */
    const char *logs;         /* where the driver's output goes: ours alone */
    uint64_t seed;
    uint16_t port; /* the kitchen's */
    double timeout_s;
};

/* Run the driver contained and judge it into it (verdict, output). */
enum verdict race_run(const struct race_conf *c, struct item *it);

/* Judge a finished run from its output (exposed for tests): a TSan report is a fail
 * that quotes the two conflicting accesses (file:line, thread, function); an ASan report
 * a fail that quotes the bad access and where the memory was allocated. */
enum verdict race_judge(const char *out, const struct jail_result *r, struct item *it);

/* race_judge, unless the driver's own set-up failed: it exited CHECK_HARNESS_EXIT and its
 * done file holds "harness error" (`harness_said`, a line code under test cannot forge):
 * then a harness error (ERR!), never the student's fail. Exit 70 without that line is a
 * fail like any other. */
enum verdict race_verdict(const char *out, const struct jail_result *r, bool harness_said,
                          struct item *it);

#endif
