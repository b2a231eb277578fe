/* interp.c: a tiny bytecode interpreter under the student's GIL, like CPython's ceval.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interp.h"
#include "workload.h"

double interp_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- programs ------------------------------------------------------------------------------ */

static void emit(struct code *c, enum interp_op op, uint32_t arg)
{
    c->ins[c->n++] = (struct instr){.op = (uint8_t)op, .arg = arg};
}

static void set_const(struct code *c, int i, uint64_t value)
{
    c->consts[i] = (struct obj){.refcnt = 1, .value = value};
}

/* An empty program whose constants (0 until set) hold one reference each. */
static void clear(struct code *c)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < INTERP_CONSTS; i++)
        set_const(c, i, 0);
}

/*
 *  i = rounds / chunk                  (x is already in local 0)
 *  while i != 0: x = mix(x, chunk); i = i - 1     (the backward jump checks the breaker)
 *  return mix(x, rounds % chunk)
 */
static void emit_cook_loop(struct code *c, uint64_t rounds, uint32_t chunk)
{
    uint32_t loop = (uint32_t)c->n + 2, tail = loop + 10;

    set_const(c, 1, rounds / chunk);
    emit(c, OP_CONST, 1);
    emit(c, OP_STORE, 1);
    emit(c, OP_LOAD, 1); /* loop */
    emit(c, OP_JUMP_IF_ZERO, tail);
    emit(c, OP_LOAD, 0);
    emit(c, OP_MIX, chunk);
    emit(c, OP_STORE, 0);
    emit(c, OP_LOAD, 1);
    emit(c, OP_SMALL, 1);
    emit(c, OP_SUB, 0);
    emit(c, OP_STORE, 1);
    emit(c, OP_JUMP, loop);
    emit(c, OP_LOAD, 0); /* tail */
    emit(c, OP_MIX, (uint32_t)(rounds % chunk));
    emit(c, OP_RETURN, 0);
}

/* x = seed, then the cooking loop */
void interp_code_cook(struct code *c, uint64_t seed, uint64_t rounds, uint32_t chunk)
{
    clear(c);
    if (chunk == 0)
        chunk = 1;
    set_const(c, 0, seed);
    emit(c, OP_CONST, 0);
    emit(c, OP_STORE, 0);
    emit_cook_loop(c, rounds, chunk);
}

/* x = order(item), then the cooking loop */
void interp_code_meal(struct code *c, uint16_t port, uint64_t item, uint64_t rounds, uint32_t chunk)
{
    clear(c);
    if (chunk == 0)
        chunk = 1;
    set_const(c, 0, item);
    emit(c, OP_CONST, 0);
    emit(c, OP_ORDER, port);
    emit(c, OP_STORE, 0);
    emit_cook_loop(c, rounds, chunk);
}

static struct interp_tally *_Atomic tally;

void (*interp_job_done)(void);

void interp_tally_into(struct interp_tally *t)
{
    atomic_store(&tally, t);
}

/* Count a job, the chunk of a cook or a meal, and note who ran it (the first free slot, or
 * its own). */
static void count_job(const struct interp_thread *t, const struct job *j, uint32_t chunk)
{
    struct interp_tally *y = atomic_load(&tally);
    int pid = (int)getpid();

    if (!y)
        return;
    atomic_fetch_add(&y->jobs, 1);
    if (!t->rt->gil)
        atomic_fetch_add(&y->without_gil, 1);
    else if (t->rt->gil->interval_us != GIL_DEFAULT_INTERVAL_US) /* set once, by gil_init() */
        atomic_fetch_add(&y->odd_interval, 1);
    if (j->kind == JOB_COOK || j->kind == JOB_MEAL) {
        unsigned c = chunk ? chunk : 1, lo = atomic_load(&y->chunk_lo),
                 hi = atomic_load(&y->chunk_hi);

        while ((lo == 0 || c < lo) && !atomic_compare_exchange_weak(&y->chunk_lo, &lo, c))
            ;
        while (c > hi && !atomic_compare_exchange_weak(&y->chunk_hi, &hi, c))
            ;
    }
    for (int i = 0; i < INTERP_TALLY_PIDS; i++) {
        int seen = 0;

        if (atomic_compare_exchange_strong(&y->pids[i], &seen, pid) || seen == pid)
            return;
    }
}

int interp_run_job(struct interp_thread *t, const struct job *j, uint32_t chunk, struct result *res)
{
    struct code c;

    count_job(t, j, chunk);

    switch (j->kind) {
    case JOB_COOK:
        interp_code_cook(&c, j->seed, j->rounds, chunk);
        break;
    case JOB_ORDER:
        interp_code_order(&c, j->port, j->seed);
        break;
    case JOB_MEAL:
        interp_code_meal(&c, j->port, j->seed, j->rounds, chunk);
        break;
    default:
        *res = (struct result){.status = -EINVAL};
        return -EINVAL;
    }
    res->value = 0;
    res->status = interp_run(t, &c, &res->value);
    if (interp_job_done)
        interp_job_done();
    return res->status;
}

void interp_code_order(struct code *c, uint16_t port, uint64_t item)
{
    clear(c);
    set_const(c, 0, item);
    emit(c, OP_CONST, 0);
    emit(c, OP_ORDER, port);
    emit(c, OP_RETURN, 0);
}

void interp_code_sleep(struct code *c, uint32_t us)
{
    clear(c);
    emit(c, OP_SLEEP, us);
    emit(c, OP_SMALL, 0);
    emit(c, OP_RETURN, 0);
}

/* ---- objects ------------------------------------------------------------------------------- */

int interp_init(struct interp *rt, struct gil *g)
{
    if (!rt)
        return -EINVAL;
    memset(rt, 0, sizeof(*rt));
    rt->gil = g;
    for (int i = 0; i < INTERP_SMALL; i++)
        rt->small[i] = (struct obj){.refcnt = 1, .value = (uint64_t)i};
    atomic_init(&rt->in_bytecode, 0);
    atomic_init(&rt->max_in_bytecode, 0);
    atomic_init(&rt->freed_in_use, 0);
    return 0;
}

int interp_thread_init(struct interp_thread *t, struct interp *rt)
{
    if (!t || !rt)
        return -EINVAL;
    memset(t, 0, sizeof(*t));
    t->rt = rt;
    for (int i = 0; i < INTERP_POOL; i++) {
        t->pool[i].pool = t;
        t->pool[i].next_free = t->free;
        t->free = &t->pool[i];
    }
    t->nfree = INTERP_POOL;
    return 0;
}

static struct obj *new_obj(struct interp_thread *t, uint64_t value)
{
    struct obj *o = t->free;

    if (!o)
        return NULL;
    t->free = o->next_free;
    t->nfree--;
    o->refcnt = 1;
    o->value = value;
    return o;
}

/* Py_INCREF: a plain read-modify-write, safe only while this thread holds the GIL. */
static inline void incref(struct obj *o)
{
    o->refcnt++;
}

/* Py_DECREF: at 0 the object is freed; a shared one must never get there. */
static inline void decref(struct interp_thread *t, struct obj *o)
{
    if (--o->refcnt != 0)
        return;
    if (o->pool == t) {
        o->next_free = t->free;
        t->free = o;
        t->nfree++;
    } else {
        /* CPython would free it while others still use it: count it instead */
        atomic_fetch_add(&t->rt->freed_in_use, 1);
    }
}

/* ---- the GIL, as the interpreter sees it ---------------------------------------------------- */

static void count_in(struct interp *rt)
{
    int n = atomic_fetch_add(&rt->in_bytecode, 1) + 1;
    int m = atomic_load(&rt->max_in_bytecode);

    while (n > m && !atomic_compare_exchange_weak(&rt->max_in_bytecode, &m, n))
        ;
}

static void count_out(struct interp *rt)
{
    atomic_fetch_sub(&rt->in_bytecode, 1);
}

int interp_enter(struct interp_thread *t)
{
    int rc = t->rt->gil ? gil_take(t->rt->gil) : 0;

    if (rc < 0)
        return rc;
    t->holding = 1;
    count_in(t->rt);
    return 0;
}

int interp_leave(struct interp_thread *t)
{
    if (!t->holding)
        return 0;
    t->holding = 0;
    count_out(t->rt);
    return t->rt->gil ? gil_drop(t->rt->gil) : 0;
}

/* The eval breaker: another thread asked for the GIL. */
static int breaker(struct interp_thread *t)
{
    struct gil *g = t->rt->gil;
    int rc;

    if (!g || !atomic_load_explicit(&g->drop_request, memory_order_relaxed))
        return 0;
    count_out(t->rt);
    rc = gil_yield(g);
    count_in(t->rt);
    return rc;
}

/* What gil_blocking() is handed (its `arg`): the call's inputs and its reply, nothing the
 * harness measures with. */
struct blocking {
    int op;
    uint32_t arg;
    uint64_t item, reply;
};

/* When this thread's blocking call itself ended (0: not yet), which the convoy cell counts
 * the wait for the GIL from. It is kept here, out of the struct gil_blocking() is handed:
 * a gil_blocking() that rewrote an `end` there once forged a wait of one interval (red team
 * 9, hostile convoy_end_rewrite.patch). The call runs on the thread that called
 * gil_blocking() (Py_BEGIN_ALLOW_THREADS), which reads it. */
static _Thread_local double call_end;

/* The system call the GIL is released around: an order, or a plain wait. */
static int blocking_call(void *arg)
{
    struct blocking *b = arg;
    int rc = 0;

    if (b->op == OP_ORDER) {
        rc = ref_order((uint16_t)b->arg, b->item, &b->reply);
    } else {
        struct timespec d = {.tv_sec = b->arg / 1000000, .tv_nsec = (b->arg % 1000000) * 1000L};

        while (nanosleep(&d, &d) != 0 && errno == EINTR)
            ;
    }
    call_end = interp_now();
    return rc;
}

/* Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS around the call. */
static int blocking(struct interp_thread *t, struct blocking *b)
{
    double end;
    int rc;

    t->nblocking++;
    call_end = 0;
    if (!t->rt->gil)
        return blocking_call(b);
    count_out(t->rt);
    rc = gil_blocking(t->rt->gil, blocking_call, b);
    count_in(t->rt);
    end = call_end; /* read once, now that gil_blocking() is back with the GIL */
    if (end > 0 && t->waits && t->nwaits < t->maxwaits)
        t->waits[t->nwaits++] = interp_now() - end;
    return rc;
}

/* ---- the evaluation loop ------------------------------------------------------------------- */

#define PUSH(o) (stack[sp++] = (o))
#define POP()   (stack[--sp])

int interp_run(struct interp_thread *t, const struct code *c, uint64_t *result)
{
    struct obj *stack[INTERP_STACK], *locals[INTERP_LOCALS] = {NULL}, *a, *b;
    struct obj *consts = (struct obj *)c->consts; /* their counts change: that is the point */
    struct blocking blk;
    int pc = 0, sp = 0, rc = 0;

    if (!t->holding)
        return -EPERM;
    /* like CPython's RESUME: a call checks the eval breaker too, so a thread that runs
     * short programs in a loop still hears a drop request */
    if ((rc = breaker(t)) < 0)
        return rc;
    for (;;) {
        const struct instr *in = &c->ins[pc++];

        t->ninstr++;
        switch (in->op) {
        case OP_CONST:
            incref(&consts[in->arg]);
            PUSH(&consts[in->arg]);
            break;
        case OP_SMALL:
            incref(&t->rt->small[in->arg]);
            PUSH(&t->rt->small[in->arg]);
            break;
        case OP_LOAD:
            incref(locals[in->arg]);
            PUSH(locals[in->arg]);
            break;
        case OP_STORE:
            a = locals[in->arg];
            locals[in->arg] = POP();
            if (a)
                decref(t, a);
            break;
        case OP_SUB:
            b = POP();
            a = POP();
            PUSH(new_obj(t, a->value - b->value));
            decref(t, a);
            decref(t, b);
            break;
        case OP_MIX: {
            uint64_t x;

            if (in->arg == 0)
                break;
            a = POP();
            x = a->value;
            for (uint32_t i = 0; i < in->arg; i++)
                x = dish_mix(x);
            PUSH(new_obj(t, x));
            decref(t, a);
            break;
        }
        case OP_JUMP:
            if ((int)in->arg < pc && (rc = breaker(t)) < 0)
                goto out;
            pc = (int)in->arg;
            break;
        case OP_JUMP_IF_ZERO:
            a = POP();
            if (a->value == 0)
                pc = (int)in->arg;
            decref(t, a);
            break;
        case OP_ORDER:
            a = POP();
            blk = (struct blocking){.op = OP_ORDER, .arg = in->arg, .item = a->value};
            decref(t, a);
            if ((rc = blocking(t, &blk)) < 0)
                goto out;
            PUSH(new_obj(t, blk.reply));
            break;
        case OP_SLEEP:
            blk = (struct blocking){.op = OP_SLEEP, .arg = in->arg};
            if ((rc = blocking(t, &blk)) < 0)
                goto out;
            break;
        case OP_RETURN:
            a = POP();
            *result = a->value;
            decref(t, a);
            goto out;
        }
        if (sp > 0 && !stack[sp - 1]) {
            rc = -ENOMEM; /* the thread's object pool ran dry: an interpreter bug */
            goto out;
        }
    }
out:
    while (sp > 0)
        decref(t, POP());
    for (int i = 0; i < INTERP_LOCALS; i++)
        if (locals[i])
            decref(t, locals[i]);
    return rc;
}

/* ---- the post-mortem ----------------------------------------------------------------------- */

static int check_obj(const struct obj *o, const char *what, int i, char *why, size_t len)
{
    if (o->refcnt == 1)
        return 0;
    snprintf(why, len,
             "reference counts corrupted: %s %d has refcount %ld once every thread finished, "
             "expected 1 (INCREFs and DECREFs from two threads at once were lost)",
             what, i, o->refcnt);
    return -EPROTO;
}

int interp_check(struct interp *rt, const struct code *const *codes, size_t n, char *why,
                 size_t len)
{
    int max = atomic_load(&rt->max_in_bytecode);
    long freed = atomic_load(&rt->freed_in_use);

    if (freed > 0) {
        snprintf(why, len,
                 "reference counts corrupted: shared objects reached refcount 0 %ld times while "
                 "still in use (CPython would have freed them)",
                 freed);
        return -EPROTO;
    }
    for (int i = 0; i < INTERP_SMALL; i++)
        if (check_obj(&rt->small[i], "small int", i, why, len) < 0)
            return -EPROTO;
    for (size_t k = 0; k < n; k++)
        for (int i = 0; i < INTERP_CONSTS; i++)
            if (check_obj(&codes[k]->consts[i], "code constant", i, why, len) < 0)
                return -EPROTO;
    if (max > 1) {
        snprintf(why, len, "%d threads ran bytecode at the same time (with a GIL: at most 1)", max);
        return -EPROTO;
    }
    return 0;
}
