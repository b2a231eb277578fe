/* cr_modules.h: where Criterion's code is, its start-up's module walk kept short, and its
 * socket kept in the run's folder (cr_socket.c). */
#ifndef CR_MODULES_H
#define CR_MODULES_H

#include <stdbool.h>

/* Is this address in libcriterion's code (a return address: who called us)? */
bool cr_in_criterion(const void *addr);

/* Nothing: check_begin calls it so that every test runner links cr_socket.c (Criterion's
 * socket in the run's own folder, not /tmp). */
void cr_socket_here(void);

#endif
