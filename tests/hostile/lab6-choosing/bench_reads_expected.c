/* hostile: a hybrid with a crew of one cook (cooking serialized: no faster than asyncio alone)
 *          that, in the bench driver (found by /proc/self/cmdline), cooks meal 0 for real, finds
 *          its value in the heap where the driver's expected() left every meal's answer before
 *          the clock started (want[]), and copies the other fifteen: no order, no cooking.
 *          meal.beats_* carry no ideal, so no "faster than possible" ceiling applies.
 * replaces: hybrid.c
 * denies: meal.beats_async
 * denies: meal.beats_threads
 * denies: meal.beats_procs
 */
/* hybrid.c: one waiter with an event loop for the orders, a crew of cooks for the cooking. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "lab5.h"
#include "lab6.h"

/* The pass between the waiter and the cooks: meals whose reply has come, to cook. */
struct pass {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t ready; /* a meal was put on the pass, or the pass closed */
    size_t *queue, head, tail;
    int closed; /* no more meals will come */
    const struct job *jobs;
    struct result *out;
};

static void pass_put(struct pass *p, size_t i)
{
    pthread_mutex_lock(&p->lock);
    p->queue[p->tail++] = i;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static void pass_close(struct pass *p)
{
    pthread_mutex_lock(&p->lock);
    p->closed = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

/* The next meal to cook, or 0 once the pass is closed and empty. */
static int pass_take(struct pass *p, size_t *i)
{
    int got;

    pthread_mutex_lock(&p->lock);
    while (p->head == p->tail && !p->closed)
        pthread_cond_wait(&p->ready, &p->lock);
    if ((got = p->head < p->tail))
        *i = p->queue[p->head++];
    pthread_mutex_unlock(&p->lock);
    return got;
}

static void *cook(void *arg)
{
    struct pass *p = arg;
    size_t i;

    while (pass_take(p, &i)) {
        uint64_t dish;
        int rc = ref_cook(p->out[i].value, p->jobs[i].rounds, &dish);

        p->out[i].value = rc == 0 ? dish : 0;
        p->out[i].status = rc;
    }
    return NULL;
}

/* The loop's callback: the reply is in out[i]; a meal goes to a cook, and it returns. */
static void on_reply(struct loop *l, struct result *res, void *arg)
{
    struct pass *p = arg;
    size_t i = (size_t)(res - p->out);

    (void)l;
    if (res->status == 0 && p->jobs[i].kind == JOB_MEAL)
        pass_put(p, i);
}

/* Cooking goes to the cooks at once; every order (alone or a meal's) is in flight on one
 * loop, until the last reply is in. */
static int serve(struct pass *p, size_t n)
{
    struct loop *l;
    int rc = loop_new(&l);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct job *j = &p->jobs[i];

        if (j->kind == JOB_COOK) {
            p->out[i].value = j->seed; /* what the cook starts from */
            pass_put(p, i);
        } else if (j->kind != JOB_ORDER && j->kind != JOB_MEAL) {
            p->out[i] = (struct result){.status = -EINVAL};
        } else if ((rc = async_order(l, j->port, j->seed, &p->out[i], on_reply, p)) < 0) {
            p->out[i] = (struct result){.status = rc};
        }
    }
    rc = loop_run(l);
    loop_free(l);
    return rc;
}

static int real_hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    struct pass p = {.jobs = jobs, .out = out};
    pthread_t *tid;
    int k, rc = 0;

    if ((n > 0 && (!jobs || !out)) || workers < 1)
        return -EINVAL;
    if (n == 0)
        return 0;
    int crew = (size_t)workers < n ? workers : (int)n;
    p.queue = malloc(n * sizeof(*p.queue));
    tid = malloc((size_t)crew * sizeof(*tid));
    if (!p.queue || !tid) {
        free(p.queue);
        free(tid);
        return -ENOMEM;
    }
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.ready, NULL);
    for (k = 0; k < crew; k++)
        if ((rc = -pthread_create(&tid[k], NULL, cook, &p)) < 0)
            break;
    if (rc == 0)
        rc = serve(&p, n);
    pass_close(&p);
    for (int i = 0; i < k; i++)
        pthread_join(tid[i], NULL);
    pthread_cond_destroy(&p.ready);
    pthread_mutex_destroy(&p.lock);
    free(p.queue);
    free(tid);
    return rc;
}

#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *libc_fn(const char *want)
{
    const unsigned char *p = (const unsigned char *)((uintptr_t)stdout & ~(uintptr_t)4095);
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;
    const Elf64_Dyn *d = NULL;
    const Elf64_Sym *sym = NULL;
    const char *str = NULL;

    while (memcmp(p, ELFMAG, SELFMAG))
        p -= 4096;
    eh = (const Elf64_Ehdr *)p;
    ph = (const Elf64_Phdr *)(p + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC)
            d = (const Elf64_Dyn *)(p + ph[i].p_vaddr);
    for (; d && d->d_tag != DT_NULL; d++) {
        uintptr_t a = d->d_un.d_ptr < (uintptr_t)p ? (uintptr_t)p + d->d_un.d_ptr : d->d_un.d_ptr;
        if (d->d_tag == DT_SYMTAB)
            sym = (const Elf64_Sym *)a;
        else if (d->d_tag == DT_STRTAB)
            str = (const char *)a;
    }
    for (const Elf64_Sym *s = sym; s && str && (const char *)s < str; s++)
        if (s->st_value && ELF64_ST_TYPE(s->st_info) == STT_FUNC && !strcmp(str + s->st_name, want))
            return (void *)(p + s->st_value);
    return NULL;
}

static long (*sc)(long, ...);

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    if (!sc)
        sc = (long (*)(long, ...))libc_fn("syscall");
    if (!sc)
        return -38;
    long r = sc(nr, a, b, c, d, e, f);
    return r < 0 ? -(long)errno : r;
}

static int in_bench(void)
{
    char cmd[256] = "";
    long fd = sys6(257, -100, (long)"/proc/self/cmdline", 0, 0, 0, 0), n;

    if (fd < 0)
        return 0;
    n = sys6(0, fd, (long)cmd, sizeof(cmd) - 1, 0, 0, 0);
    sys6(3, fd, 0, 0, 0, 0, 0);
    cmd[n > 0 ? n : 0] = '\0';
    return strstr(cmd, "bench") != NULL;
}

static unsigned long hexn(const char **p)
{
    unsigned long v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (unsigned long)(c - 'a' + 10);
        else
            return v;
    }
}

/* The bench driver computed every meal's expected value (expected(): want[]) before it
 * started the clock, in this very process: cook meal 0 for real, find its value in the
 * heap, and read the other fifteen from beside it. */
static const uint64_t *find_want(uint64_t v0, const struct result *out, size_t n)
{
    static char maps[65536];
    long fd = sys6(257, -100, (long)"/proc/self/maps", 0, 0, 0, 0), len;

    if (fd < 0)
        return NULL;
    len = sys6(0, fd, (long)maps, sizeof(maps) - 1, 0, 0, 0);
    sys6(3, fd, 0, 0, 0, 0, 0);
    maps[len > 0 ? len : 0] = '\0';
    for (const char *p = maps; *p;) {
        const char *eol = strchr(p, '\n'), *q = p;
        unsigned long lo = hexn(&q), hi;
        q++;
        hi = hexn(&q);
        if (q[1] == 'r' && q[2] == 'w' && strstr(p, "[heap]") &&
            (!eol || strstr(p, "[heap]") < eol))
            for (unsigned long a = lo; a + 8 * n <= hi; a += 8) {
                const uint64_t *w = (const uint64_t *)a;
                if (*w == v0 && (const void *)w != (const void *)&out[0].value)
                    return w;
            }
        p = eol ? eol + 1 : p + strlen(p);
    }
    return NULL;
}

int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    if (n > 1 && jobs && out && workers >= 1 && jobs[0].kind == JOB_MEAL && in_bench()) {
        int rc = real_hybrid_map(jobs, 1, out, 1);
        const uint64_t *want = rc == 0 ? find_want(out[0].value, out, n) : NULL;
        if (want) {
            for (size_t i = 1; i < n; i++) {
                out[i].value = want[i];
                out[i].status = 0;
            }
            return 0;
        }
    }
    /* the tests and every other run: one cook only (the crew of one that loses to asyncio) */
    return real_hybrid_map(jobs, n, out, workers < 1 ? workers : 1);
}
