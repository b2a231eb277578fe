/* interp.h: a tiny bytecode interpreter whose threads share objects, as CPython's do. */
#ifndef INTERP_H
#define INTERP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lab4.h"
#include "workload.h"

/*
 * Objects carry a plain, non-atomic reference count, like CPython's ob_refcnt: every
 * push onto the stack is an INCREF, every pop a DECREF, and nothing but the GIL keeps
 * two threads from updating the same count at once. Small ints are shared by every
 * thread (CPython caches -5..256), and so are the constants of a code object that
 * several threads run: those are the counts that break without a GIL.
 */
struct interp_thread;

struct obj {
    long refcnt; /* not atomic: guarded by the GIL */
    uint64_t value;
    struct interp_thread *pool; /* whose free list it returns to; NULL: shared, static */
    struct obj *next_free;
};

enum interp_op {
    OP_CONST,        /* push code constant arg */
    OP_SMALL,        /* push the shared small int arg (0..INTERP_SMALL-1) */
    OP_LOAD,         /* push local arg */
    OP_STORE,        /* pop into local arg */
    OP_SUB,          /* pop b, pop a, push a - b */
    OP_MIX,          /* pop x, push x after arg rounds of dish_mix() */
    OP_JUMP,         /* jump to arg; a backward jump checks the eval breaker */
    OP_JUMP_IF_ZERO, /* pop x, jump to arg if x is 0 */
    OP_ORDER,        /* pop an item, order it from the kitchen on port arg with the GIL
                        released, push the reply */
    OP_SLEEP,        /* wait arg microseconds with the GIL released */
    OP_RETURN,       /* pop the result and stop */
};

struct instr {
    uint8_t op;
    uint32_t arg;
};

#define INTERP_SMALL    4
#define INTERP_CODE_MAX 24
#define INTERP_CONSTS   2
#define INTERP_LOCALS   2
#define INTERP_STACK    4
#define INTERP_POOL     16

/* A program: instructions and its own constants (one reference each, held by the code). */
struct code {
    struct instr ins[INTERP_CODE_MAX];
    int n;
    struct obj consts[INTERP_CONSTS];
};

/* The interpreter state all threads share. */
struct interp {
    struct gil *gil;                /* NULL: no GIL at all (see what breaks) */
    struct obj small[INTERP_SMALL]; /* shared by every thread of every program */
    atomic_int in_bytecode;         /* threads running bytecode right now */
    atomic_int max_in_bytecode;     /* the most that ever did at once: 1 with a GIL */
    atomic_long freed_in_use;       /* shared objects whose count fell to 0 while in use */
};

/* One interpreter thread: its objects, and what it measured. */
struct interp_thread {
    struct interp *rt;
    struct obj pool[INTERP_POOL];
    struct obj *free;
    int nfree;
    int holding;        /* 1 between interp_enter() and interp_leave() */
    uint64_t ninstr;    /* instructions run */
    uint64_t nblocking; /* blocking calls made */
    double *waits;      /* if set: each wait for the GIL after a blocking call, seconds */
    size_t nwaits, maxwaits;
};

/* Programs. Cooking: `rounds` rounds of dish_mix() from `seed`, `chunk` rounds per
 * MIX instruction (a small chunk means more instructions and more shared INCREFs). */
void interp_code_cook(struct code *c, uint64_t seed, uint64_t rounds, uint32_t chunk);
/* One order for `item` from the kitchen on `port`; the result is the reply. */
void interp_code_order(struct code *c, uint16_t port, uint64_t item);
/* One blocking wait of `us` microseconds; the result is 0. */
void interp_code_sleep(struct code *c, uint32_t us);
/* A meal: order `item` from the kitchen on `port`, then cook the reply (lab 6). */
void interp_code_meal(struct code *c, uint16_t port, uint64_t item, uint64_t rounds,
                      uint32_t chunk);
/* Compile a job (cook, order or meal; `chunk` rounds per MIX) and run it: what a worker
 * of a pool does. res gets the value and status (interp_run's, or -EINVAL for another
 * kind); returns the status. Call between interp_enter() and interp_leave(). */
int interp_run_job(struct interp_thread *t, const struct job *j, uint32_t chunk,
                   struct result *res);

int interp_init(struct interp *rt, struct gil *g);
int interp_thread_init(struct interp_thread *t, struct interp *rt);
/* Start running bytecode on this thread (takes the GIL), and stop (drops it). */
int interp_enter(struct interp_thread *t);
int interp_leave(struct interp_thread *t);
/* Run one program between interp_enter() and interp_leave(); 0 and *result, or the
 * -errno of a failed blocking call or GIL function (-ENOSYS for a stub). */
int interp_run(struct interp_thread *t, const struct code *c, uint64_t *result);

/*
 * Once every thread has left: are the shared reference counts what they were (small
 * ints, and the constants of the `n` codes given), did no shared object reach 0, and
 * did only one thread at a time run bytecode? 0, or -EPROTO with the first problem
 * in words in why.
 */
int interp_check(struct interp *rt, const struct code *const *codes, size_t n, char *why,
                 size_t len);

/*
 * For tests that must see inside worker processes (lab 6): once interp_tally_into(t) is
 * called with t in a shared mapping (MAP_SHARED, so that forked workers count into the
 * same one), every interp_run_job() counts its job there, and whether the interpreter
 * running it had a GIL, the chunk a cook or a meal was compiled with, and notes the pid
 * that ran it. NULL stops counting.
 */
#define INTERP_TALLY_PIDS 64
struct interp_tally {
    atomic_uint jobs;                   /* jobs run with interp_run_job() */
    atomic_uint without_gil;            /* of those, on an interpreter with no GIL */
    atomic_uint odd_interval;           /* of those, under a GIL whose interval_us is not
                                           GIL_DEFAULT_INTERVAL_US */
    atomic_uint chunk_lo, chunk_hi;     /* the least and most `chunk` a cook or a meal was run
                                           with (0 taken as 1, as the programs do; 0: none) */
    atomic_int pids[INTERP_TALLY_PIDS]; /* the pids that ran them, each once (0: free) */
};
void interp_tally_into(struct interp_tally *t);
/* For tests that must act inside worker processes (lab 6): when set (before the workers
 * are forked), interp_run_job() calls it as it returns from a job that ran, in the process
 * that ran it. NULL (the default): nothing. */
extern void (*interp_job_done)(void);

/* A monotonic clock in seconds, for the lab's measurements. */
double interp_now(void);

#endif
