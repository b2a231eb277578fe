/* async.c: one waiter, many tables: sleeps, orders and cooking as tasks of one event loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "lab5.h"

int async_sleep(struct loop *l, double seconds, struct result *res, async_done_cb done, void *arg)
{
    /* TODO(student): `seconds` from now, the loop writes *res (status 0, value the microseconds
     * it woke late) and then calls done(l, res, arg).
     */
    (void)l;
    (void)seconds;
    (void)res;
    (void)done;
    (void)arg;
    return -ENOSYS;
}

int async_order(struct loop *l, uint16_t port, uint64_t item, struct result *res,
                async_done_cb done, void *arg)
{
    /* TODO(student): the order is under way on a non-blocking socket, and the loop will write
     * *res (the reply, -EPROTO or -errno), close the socket and call done(l, res, arg).
     */
    (void)l;
    (void)port;
    (void)item;
    (void)res;
    (void)done;
    (void)arg;
    return -ENOSYS;
}

int async_gather(const struct task *tasks, size_t n, struct result *out, size_t max_inflight)
{
    /* TODO(student): every task ran on one loop in this thread, at most max_inflight orders at
     * a time, and out[i] holds the result of tasks[i]. If loop_run() fails, no callback runs
     * again: close and free the orders still in flight yourself, then loop_free().
     */
    (void)tasks;
    (void)n;
    (void)out;
    (void)max_inflight;
    return -ENOSYS;
}

int async_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    /* TODO(student): out[i] holds the result of jobs[i], every job run by one async_gather(). */
    (void)jobs;
    (void)n;
    (void)out;
    (void)workers;
    return -ENOSYS;
}
