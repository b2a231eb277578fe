/* lab1.h: what you write in lab 1 (one waiter). Read it; do not edit it. */
#ifndef LAB1_H
#define LAB1_H

#include <stdint.h>
#include <time.h>

#include "workload.h"

/*
 * Every function returns 0 on success, a negative errno on failure, and
 * -ENOSYS while it still holds its TODO(student) stub.
 */

/* cook.c: cook one dish: `rounds` rounds of dish_mix() starting from `seed` (rounds = 0:
 * the seed itself). -EINVAL for a NULL dish, refused at once whatever the rounds (before
 * any mixing). */
int cook(uint64_t seed, uint64_t rounds, uint64_t *dish);

/* serve.c: place one order for `item` with the kitchen on 127.0.0.1:`port`
 * (protocol in workload.h): send the order line and nothing more, then wait for its
 * reply however long the kitchen takes (no time limit of its own). The reply is whole
 * at its '\n': return then, without waiting for the kitchen to close the connection.
 * A reply is any uint64_t in decimal, "0" and "18446744073709551615" included: digits
 * only, up to the '\n' (no sign, no space, no '\r', no NUL byte; "+12", " 12", "12\r\n"
 * and "12\0x\n" are protocol errors, -EPROTO). Always decimal: leading zeros are digits
 * like any other ("007" is 7, "017" is 17, never octal), "0x1f" a protocol error. A
 * line of more than 20 digits (zeros in front: "000000000000000000000007") is yours to
 * read (7) or refuse (-EPROTO): room for 20 digits and the '\n' is all a reply needs.
 * Leaves no descriptor open, whatever number it got (0 too, when the caller had closed
 * its stdin). -EINVAL for a NULL reply, refused before the socket is made (with no
 * descriptor free too: -EINVAL, not the -EMFILE of a socket() tried first). */
int serve(uint16_t port, uint64_t item, uint64_t *reply);

/* seq.c: the sequential executor, one waiter (see map_fn in workload.h).
 * Runs each job in order with cook() or serve(); `workers` is ignored. A failed job
 * gets its own out[i].status (its -errno; its out[i].value means nothing then, and
 * nobody reads it) and the others still run; a job of another kind (neither JOB_COOK
 * nor JOB_ORDER) gets status -EINVAL. seq_map() itself still returns 0 when jobs
 * failed: their statuses say so. n = 0 returns 0 and writes nothing, whatever the
 * pointers; -EINVAL for NULL arrays when n > 0. */
int seq_map(const struct job *jobs, size_t n, struct result *out, int workers);

/* timer.c: a stopwatch for wall-clock time and CPU time. Its fields are the caller's to
 * read too: each a valid struct timespec as <time.h> defines it, the whole seconds in
 * tv_sec and 0 <= tv_nsec < 1000000000 (never more than a second in tv_nsec). */
struct stopwatch {
    struct timespec wall; /* when timer_start() ran, on a clock that never jumps */
    struct timespec cpu;  /* CPU time the process had used by then */
};

struct timing {
    double wall; /* seconds that passed on the wall clock */
    double cpu;  /* seconds of CPU (user plus system time) this process used meanwhile:
                    all its threads, and its children once they have been waited for */
};

/*
 * Both as seconds in a double: a struct timespec is tv_sec + tv_nsec / 1e9, and
 * getrusage()'s struct timeval (ru_utime, ru_stime) is tv_sec + tv_usec / 1e6.
 * "Its children once waited for" is getrusage(RUSAGE_CHILDREN, ...) added to
 * RUSAGE_SELF: both only grow, so the difference between stop and start is what
 * the process and the children it reaped meanwhile used.
 * A stopwatch's start is all in *sw (nothing kept elsewhere between the calls): two
 * stopwatches can run at once, nested or overlapping, each measuring from its own start.
 */

int timer_start(struct stopwatch *sw);
int timer_stop(const struct stopwatch *sw, struct timing *t);

/* metrics.c: what the numbers mean. */
enum bound {
    BOUND_CPU, /* cooking: the work kept a core busy (CPU / wall >= 0.5 per worker) */
    BOUND_IO,  /* waiting: the work mostly waited (CPU / wall < 0.5 per worker) */
};

/* Classify work that ran on `workers` workers; -EINVAL for a NULL t, a timing that
 * cannot be classified (wall <= 0, cpu < 0, a NaN: those and no others) or workers < 1.
 * cpu = 0 is a timing like any other (work that only waited: BOUND_IO), and so is an
 * infinite one, cpu / wall deciding: cpu = inf over a finite wall is BOUND_CPU, a finite
 * cpu over wall = inf BOUND_IO (both infinite: your choice, a bound or -EINVAL). */
int classify(const struct timing *t, int workers, enum bound *b);

/* seq.wall / par.wall; -EINVAL unless both walls are > 0. Any such walls give an s: an
 * infinite wall is > 0 like any other, seq.wall = inf over a finite par.wall gives inf,
 * a finite seq.wall over par.wall = inf gives 0 (both infinite: your choice, NaN or
 * -EINVAL). */
int speedup(const struct timing *seq, const struct timing *par, double *s);

/* Speedup per worker, s / workers; -EINVAL unless s > 0 and workers >= 1. Any such s
 * gives an e: a slowdown (0 < s < 1: s = 0.5 on 2 workers gives 0.25) too, and an
 * infinite s (e = inf). */
int efficiency(double s, int workers, double *e);

/* Amdahl's law: the speedup on `workers` workers of a program whose
 * parallel part is the fraction p (0 <= p <= 1) of its sequential time;
 * -EINVAL outside those ranges or for workers < 1. */
int amdahl(double p, int workers, double *s);

/* Amdahl's law backwards (the Karp-Flatt view): the parallel fraction p that
 * a measured speedup s on `workers` workers implies; -EINVAL unless s > 0 and
 * workers >= 2. Any such s and workers give a p: workers = 2 included, a slowdown
 * (0 < s < 1: p below 0) too, a speedup above workers too (superlinear, from caches
 * say: s = 3 on 2 workers gives p = 4/3, above 1), and an infinite s (1/s = 0:
 * p = 1 / (1 - 1/workers), 2 on 2 workers). */
int parallel_fraction(double s, int workers, double *p);

#endif
