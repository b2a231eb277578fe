/* workload.h: the jobs every version maps over, and the kitchen's rules. */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/*
 * Two kinds of work, one shape. A cook job is CPU-bound: `rounds` rounds of
 * dish_mix() from `seed`. An order is I/O-bound: send `seed` to the kitchen
 * server on 127.0.0.1:`port` and wait for its reply, which only that kitchen can make
 * (kitchen.h: a key of its own, which no other process can read).
 * A meal is both, one after the other, as a web handler fetches and then renders:
 * order `seed`, then cook the reply for `rounds` rounds (lab 6).
 * A poisoned job (the harness's, for crash isolation) kills whoever runs it with
 * ref_job_run(): SIGABRT for an odd seed, SIGSEGV for an even one.
 */
enum job_kind { JOB_COOK, JOB_ORDER, JOB_POISON, JOB_MEAL };

struct job {
    enum job_kind kind;
    uint64_t seed;   /* the ingredients (cook) or the item ordered (order, meal) */
    uint64_t rounds; /* JOB_COOK, JOB_MEAL: mixing rounds, the CPU cost */
    uint16_t port;   /* JOB_ORDER, JOB_MEAL: the kitchen's TCP port on 127.0.0.1 */
};

/* One result per job, in job order. */
struct result {
    uint64_t value; /* the dish cooked, or the kitchen's reply */
    int status;     /* 0 when value is good; -errno, or -(1000 + signal) for a
                       worker that crashed (see JOB_CRASHED) */
};

#define JOB_CRASHED(sig) (-(1000 + (sig)))

/*
 * The executor shape every version of every lab has, like Python's
 * concurrent.futures.Executor.map: run jobs[0..n) with at most `workers`
 * workers, write out[i] for jobs[i]. Returns 0 once every job has a result
 * (a failed job has its own out[i].status), -errno if the executor itself
 * failed, -ENOSYS while it is not implemented.
 */
typedef int (*map_fn)(const struct job *jobs, size_t n, struct result *out, int workers);

/* One round of cooking: a 64-bit mixer the compiler cannot shortcut. */
static inline uint64_t dish_mix(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x + 0x9e3779b97f4a7c15ULL;
}

/*
 * The kitchen's wire protocol (one order per connection): the client sends
 * the item in decimal followed by '\n'; after its latency the kitchen sends
 * its reply to the item in decimal followed by '\n' and closes. A line that is
 * not a number gets "ERR\n". (A connection whose first byte is '?' is the harness
 * checking replies instead: kitchen_check() in kitchen.h.)
 */
#define KITCHEN_LINE_MAX 32

/* Reference answers (harness/lib/workload.c), what student code is checked against. */
int ref_cook(uint64_t seed, uint64_t rounds, uint64_t *dish);
/* Rounds a second of ref_cook()'s loop on the calling thread's CPU clock (the best of three
 * runs of 2,000,000 rounds); 0 if the clock failed. Always the optimized loop (cook_rate.c). */
double ref_cook_rate(void);
int ref_order(uint16_t port, uint64_t item, uint64_t *reply);
/* ref_order() for items[0..n) at once, each on its own connection (up to 64 in flight):
 * about one latency for up to 64 items. 0, or the first failure's -errno. */
int ref_order_many(uint16_t port, size_t n, const uint64_t *items, uint64_t *replies);
/* Run one job (cook, order, meal) into *res; a failed job gets value 0 with its status.
 * Returns the status. */
int ref_job_run(const struct job *job, struct result *res);
int ref_seq_map(const struct job *jobs, size_t n, struct result *out, int workers);

/* Deterministic inputs from a seed (splitmix64), so a run can be replayed. */
uint64_t workload_rand(uint64_t *state);

#endif
