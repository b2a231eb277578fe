/* pool.h: interpreter threads under one GIL, the way a Python ThreadPoolExecutor runs. */
#ifndef POOL_H
#define POOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "interp.h"

#define COOK_CHUNK 64 /* dish_mix() rounds per MIX instruction */

/* Threads that each take the next job, compile it to bytecode and run it, holding the
 * GIL except in blocking calls. */
struct pool {
    struct interp rt;
    const struct job *jobs;
    size_t n;
    struct result *out;
    atomic_size_t next;
    atomic_int failed; /* the first GIL or interpreter error, which ends the run */
    uint32_t chunk;    /* dish_mix() rounds per MIX: fewer, more shared INCREFs */
};

/* `workers` threads (1..64) of one interpreter under g (NULL: no GIL at all, and what
 * broke is printed), `chunk` rounds per MIX. 0 once every job has a result and the
 * shared reference counts are intact; the first GIL error; or -EPROTO. */
int pool_map(const struct job *jobs, size_t n, struct result *out, int workers, struct gil *g,
             uint32_t chunk);
/* pool_map() under a fresh GIL of the default interval (the student's gil.c), COOK_CHUNK
 * rounds per MIX: what lab 4 times, and lab 6 beside its processes. */
int pool_gil_map(const struct job *jobs, size_t n, struct result *out, int workers);
/* pool_gil_map() with one bytecode thread, whatever `workers` says: what the GIL costs
 * alone (gil1, by hand; no cell's baseline). */
int pool_gil1_map(const struct job *jobs, size_t n, struct result *out, int workers);
/* One bytecode thread (whatever `workers` says) and no GIL, COOK_CHUNK rounds per MIX: what
 * pool_gil_map() with one worker costs a GIL that adds nothing when nobody else waits, with
 * no student code in it (solo, the baseline of labs 4 and 6: a GIL slow only when alone
 * cannot slow it). 0, or -EPROTO. */
int pool_solo_map(const struct job *jobs, size_t n, struct result *out, int workers);
/* Run jobs until none is left; the caller holds the GIL. */
void pool_serve(struct pool *p, struct interp_thread *t);
/* Keep the first error in *failed. */
void pool_fail(atomic_int *failed, int rc);
/* After the run: the GIL kept the shared reference counts and bytecode to one thread
 * (0), or -EPROTO with the problem on stderr, prefixed by who. */
int pool_post_mortem(struct interp *rt, const char *who);

#endif
