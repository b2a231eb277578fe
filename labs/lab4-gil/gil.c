/* gil.c: the global interpreter lock, as CPython 3.2+ builds it (Python/ceval_gil.h). */
#include <errno.h>
#include <time.h>

#include "lab4.h"

int gil_init(struct gil *g, long interval_us)
{
    /* TODO(student): *g is an unlocked GIL with switch interval interval_us, no drop request,
     * no switch yet, and condition variables that wait on CLOCK_MONOTONIC (-EINVAL for a NULL g
     * or interval_us <= 0).
     */
    (void)g;
    (void)interval_us;
    return -ENOSYS;
}

int gil_destroy(struct gil *g)
{
    /* TODO(student): what gil_init() made is destroyed (-EINVAL for a NULL g). */
    (void)g;
    return -ENOSYS;
}

int gil_take(struct gil *g)
{
    /* TODO(student): the caller holds the GIL, having set drop_request after every whole
     * interval it waited in vain, and the thread waiting in gil_drop() for a switch is woken.
     */
    (void)g;
    return -ENOSYS;
}

int gil_drop(struct gil *g)
{
    /* TODO(student): the GIL is free and a waiter woken; if a drop was requested, another thread
     * has taken the GIL before this returns (forced switching).
     */
    (void)g;
    return -ENOSYS;
}

int gil_yield(struct gil *g)
{
    /* TODO(student): if drop_request was set, the GIL was dropped and taken again; otherwise
     * nothing changed.
     */
    (void)g;
    return -ENOSYS;
}

int gil_blocking(struct gil *g, int (*call)(void *arg), void *arg)
{
    /* TODO(student): call(arg) ran with the GIL released, the caller holds the GIL again, and
     * call's result is returned.
     */
    (void)g;
    (void)call;
    (void)arg;
    return -ENOSYS;
}
