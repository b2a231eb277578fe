/* gilpool.c: multiprocessing.Pool: worker processes, each with its own interpreter and GIL. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab6.h"

int gil_pool_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    /* TODO(student): min(workers, n) worker processes, each with its own GIL (gil_init)
     * and interpreter (interp_init, interp_thread_init, interp_enter), take jobs from a
     * counter they share (a MAP_SHARED mapping, <sys/mman.h>; MAP_ANONYMOUS needs
     * _DEFAULT_SOURCE defined at the top of this file, before the first #include) and run
     * each with interp_run_job(); out[i] is jobs[i]'s result (-EIO if its worker died
     * first); every worker is waited for and the mapping unmapped.
     */
    (void)jobs;
    (void)n;
    (void)out;
    (void)workers;
    return -ENOSYS;
}
