/* requires.h: items that wait for others (a spec's requires=): found by name, gated. */
#ifndef REQUIRES_H
#define REQUIRES_H

#include <stdbool.h>

#include "report.h"

/* The item of r named `name`, or NULL. */
struct item *requires_find(const struct report *r, const char *name);

/* Do the n tests named in req all pass in r? If one does not, `it` is not to be run: it
 * gets V_NOT_IMPLEMENTED when that test is a stub, else V_SKIPPED, and a line saying
 * which test it waits for. */
bool requires_met(const struct report *r, const char (*req)[96], int n, struct item *it);

#endif
