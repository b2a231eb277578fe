/* cr_modules.h: where Criterion's code is, and its start-up's module walk kept short. */
#ifndef CR_MODULES_H
#define CR_MODULES_H

#include <stdbool.h>

/* Is this address in libcriterion's code (a return address: who called us)? */
bool cr_in_criterion(const void *addr);

#endif
