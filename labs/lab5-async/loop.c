/* loop.c: the event loop: watched descriptors, a heap of timers, one thread (poll or epoll). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "lab5.h"

/*
 * The loop's state is yours to design (the handout's Hints suggest one): the
 * watched descriptors, the pending timers, and the backend's own state, a pollfd
 * array for poll() or, with LOOP_EPOLL defined (step 6: `#define LOOP_EPOLL 1` on this
 * file's first line), an epoll descriptor.
 */
struct loop {
    /* TODO(student): the loop remembers its watches, its timers and its backend's state. */
    int unused;
};

int loop_new(struct loop **lp)
{
    /* TODO(student): *lp is a new loop with nothing watched and no timer pending. */
    (void)lp;
    return -ENOSYS;
}

void loop_free(struct loop *l)
{
    /* TODO(student): all that the loop allocated or opened is released; watched fds stay open. */
    (void)l;
}

int loop_watch(struct loop *l, int fd, int events, loop_fd_cb cb, void *arg)
{
    /* TODO(student): fd is watched for `events`, and cb(l, fd, ready, arg) runs whenever it is
     * ready for some of them.
     */
    (void)l;
    (void)fd;
    (void)events;
    (void)cb;
    (void)arg;
    return -ENOSYS;
}

int loop_unwatch(struct loop *l, int fd)
{
    /* TODO(student): fd is no longer watched and its watch gets no more callbacks, not even
     * for events already reported this round.
     */
    (void)l;
    (void)fd;
    return -ENOSYS;
}

int loop_after(struct loop *l, double seconds, loop_timer_cb cb, void *arg)
{
    /* TODO(student): cb(l, arg) is pending, to run once, never before `seconds` from now,
     * after every pending timer due earlier or at the same time.
     */
    (void)l;
    (void)seconds;
    (void)cb;
    (void)arg;
    return -ENOSYS;
}

int loop_run(struct loop *l)
{
    /* TODO(student): every callback that came due has run, and nothing is left watched or
     * pending; the waits in between slept in poll() without using the CPU.
     */
    (void)l;
    return -ENOSYS;
}
