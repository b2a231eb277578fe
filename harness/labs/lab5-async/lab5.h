/* lab5.h: what you write in lab 5 (one waiter, many tables). Read it; do not edit it. */
#ifndef LAB5_H
#define LAB5_H

#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/*
 * Every function returns 0 on success, a negative errno on failure, and
 * -ENOSYS while it still holds its TODO(student) stub.
 */

/* ---- loop.c: the event loop ------------------------------------------------------------ */

/*
 * One thread, one loop, in the spirit of redis' ae.c and Python's asyncio: you
 * say what you are waiting for (a descriptor becoming readable or writable, a
 * moment in time) and which function to call then; loop_run() waits for all of
 * it at once, in poll() (or epoll_wait() when loop.c is built with LOOP_EPOLL),
 * and calls each function when its moment comes. Callbacks run on the thread
 * that called loop_run(), one at a time, to completion: while one runs, nothing
 * else does. A callback may call any loop_* function on its own loop except
 * loop_run() and loop_free().
 */
struct loop;

#define LOOP_READ  1 /* the descriptor can be read without blocking (data, EOF or an error) */
#define LOOP_WRITE 2 /* the descriptor can be written without blocking (or has an error) */

/* Called when fd is ready: `events` holds the LOOP_READ / LOOP_WRITE bits that are
 * both ready and watched (an error or a hang-up sets every watched bit). */
typedef void (*loop_fd_cb)(struct loop *l, int fd, int events, void *arg);
/* Called once, when a timer's moment has come. */
typedef void (*loop_timer_cb)(struct loop *l, void *arg);

/* A new, empty loop in *lp. -ENOMEM (or the backend's -errno) on failure. */
int loop_new(struct loop **lp);

/* Frees the loop and its own descriptors (an epoll fd). Watched descriptors stay
 * open: they are the caller's. Pending timers are dropped without a call. */
void loop_free(struct loop *l);

/*
 * Watch fd: call cb(l, fd, ready, arg) every time fd is ready for one of `events`
 * (LOOP_READ, LOOP_WRITE or both), until loop_unwatch(). Watching a watched fd
 * again replaces its events, cb and arg. -EINVAL for l == NULL, fd < 0, no cb, or
 * events not a non-empty subset of LOOP_READ | LOOP_WRITE. The descriptor stays the
 * caller's: watching and unwatching it leave its flags as they were (a blocking one
 * stays blocking; libuv's uv_poll makes it non-blocking, this loop does not).
 */
int loop_watch(struct loop *l, int fd, int events, loop_fd_cb cb, void *arg);

/*
 * Stop watching fd; -ENOENT if it is not watched. Once it returns, that watch
 * gets no more callbacks, even from events already reported in the same round.
 * Unwatch a descriptor before you close it: its number is soon reused.
 */
int loop_unwatch(struct loop *l, int fd);

/*
 * Call cb(l, arg) once, `seconds` from now (0 means: in the next round), on a
 * clock that never jumps (CLOCK_MONOTONIC). "Now" is the moment loop_after() is
 * called (not the start of the round it is called in), and `seconds` counts to the
 * microsecond, not in whole milliseconds. Never early; late only by as much as
 * the callbacks that ran in between took. Timers due at the same moment run in
 * the order they were scheduled. -EINVAL for l == NULL, no cb, seconds < 0 or NaN.
 */
int loop_after(struct loop *l, double seconds, loop_timer_cb cb, void *arg);

/*
 * Run until there is nothing left to wait for: no watched descriptor and no
 * pending timer (so returns 0 at once on an empty loop). While it waits it sleeps
 * in the kernel and uses no CPU. Returns 0, or -errno if waiting itself failed
 * (an interrupted wait, EINTR, is not a failure); a failed run drops nothing (its
 * watches and timers stay), and the loop can be run again, as often as it failed.
 * A round is one wait (poll(), with a timeout of 0 when a timer is due already),
 * then the callbacks of the descriptors it
 * found ready and of the timers due at one reading of the clock taken after the wait
 * (the reference runs the descriptors' first; either order is right): a timer that a
 * timer callback sets, even for 0 s, waits for the next round.
 */
int loop_run(struct loop *l);

/* ---- async.c: tasks on the loop ------------------------------------------------------------ */

/* Called once when a task has finished and written its *res. */
typedef void (*async_done_cb)(struct loop *l, struct result *res, void *arg);

/*
 * A sleep: `seconds` from now, write res->status = 0 and res->value = how many
 * microseconds after its due time it really woke (how late the loop was), then
 * call done(l, res, arg) if done is not NULL. -EINVAL for l or res NULL or
 * seconds < 0 or NaN; then nothing is scheduled (and nothing kept).
 */
int async_sleep(struct loop *l, double seconds, struct result *res, async_done_cb done, void *arg);

/*
 * One order, without blocking: connect to the kitchen on 127.0.0.1:`port` (a
 * non-blocking socket), send `item` (protocol in workload.h), read the reply as
 * it arrives, in as many pieces as it comes in, until the kitchen hangs up (the
 * kitchen closes first: a client that closes first keeps its port in TIME_WAIT),
 * and then write *res: status 0 and value the kitchen's reply (in decimal, a leading
 * zero no error: "007" is 7); or status -EPROTO
 * for a reply that is not one whole number line ("ERR", a number past 2^64 - 1,
 * bytes after the newline, or a kitchen that hung up before it), or -errno for a failed
 * connection (-ECONNREFUSED when nobody listens, even when connect() says so at
 * once: the order was under way; -ECONNRESET when a recv() fails so: a reset is no
 * hang-up). Then closes its socket (once: a number closed twice may be another
 * order's by then) and calls done(l, res, arg) if done is not NULL.
 * Returns 0 once the order is under way: from then on its outcome, success or
 * failure, arrives only through *res and done, and only from loop_run(): neither is
 * written or called before async_order() returns. Returns -errno, and never calls
 * done, if it could not start (-EINVAL for l or res NULL; no socket: -EMFILE...).
 */
int async_order(struct loop *l, uint16_t port, uint64_t item, struct result *res,
                async_done_cb done, void *arg);

/* What async_gather() runs. */
enum task_kind {
    TASK_SLEEP, /* async_sleep(seconds): value = microseconds late */
    TASK_ORDER, /* async_order(port, seed): value = the kitchen's reply */
    TASK_COOK,  /* ref_cook(seed, rounds), run in a callback of the loop: value = the dish */
};

struct task {
    enum task_kind kind;
    double seconds;  /* TASK_SLEEP */
    uint16_t port;   /* TASK_ORDER */
    uint64_t seed;   /* TASK_ORDER: the item; TASK_COOK: the ingredients */
    uint64_t rounds; /* TASK_COOK */
};

/* Orders in flight at once when the caller does not say (max_inflight = 0). */
#define ASYNC_MAX_INFLIGHT 1000

/*
 * asyncio.gather() in C: run tasks[0..n) on one new loop, in this thread, all at
 * the same time, and return once each has written out[i]. Sleeps and cooking start
 * at once (cooking in a 0-second timer's callback); orders start as soon as fewer
 * than max_inflight (0: ASYNC_MAX_INFLIGHT; a larger one is taken as it is) are in
 * flight, in task order. The open-file soft limit is raised to the hard limit
 * (however high), and the room for orders is counted under the raised limit; if
 * even that leaves room for fewer orders than wanted in flight, fewer are started
 * at a time and a message on stderr says so (and only then: sleeps and cooking hold
 * no descriptor). A failed task has its own
 * out[i].status (-EINVAL for an unknown kind), and async_gather() still returns 0.
 * Returns -EINVAL for NULL arrays with n > 0, -EMFILE when not one more descriptor
 * can be opened, or the loop's -errno. No descriptor stays open afterwards.
 */
int async_gather(const struct task *tasks, size_t n, struct result *out, size_t max_inflight);

/*
 * The async executor (map_fn in workload.h): the jobs as tasks of one
 * async_gather() (JOB_COOK as TASK_COOK, JOB_ORDER as TASK_ORDER, any other kind
 * gets status -EINVAL), on this thread only. `workers` is ignored: there is one
 * waiter, however many tables (max_inflight 0: every order in flight at once, up to
 * ASYNC_MAX_INFLIGHT, whatever `workers` says).
 */
int async_map(const struct job *jobs, size_t n, struct result *out, int workers);

#endif
