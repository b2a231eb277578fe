/* debug.h: grade --debug: one test under gdb, as the grader would run it. */
#ifndef DEBUG_H
#define DEBUG_H

#include <stddef.h>

#include "options.h"

/* Build the --src folder as grade --run does (run_prepare), start the kitchen, and run the
 * test o->debug_test ("suite::name") in gdb (env GDB names another debugger), as the
 * grader runs it (--filter, one job, SEED, KITCHEN_PORT, KITCHEN_BIN), but as the user and
 * without the jail, gdb following the process that runs the test. Refused as root except
 * on the kit's own labs/<lab>. Returns gdb's exit code; 2 for a test the lab does not have
 * (or refused); 3 when the harness could not do its part. */
int debug_test(const struct opts *o);

/* "suite::name" as Criterion's --filter=suite/name, into buf. */
void debug_filter(const char *test, char *buf, size_t len);

#endif
