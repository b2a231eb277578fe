/* timeline.c: who ran on which core when: the samples of a run and the boxes they make. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timeline.h"
#include "timeline_int.h"

void timeline_init(struct timeline *tl, const char *label)
{
    memset(tl, 0, sizeof(*tl));
    snprintf(tl->label, sizeof(tl->label), "%s", label ? label : "");
    tl->ncores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (tl->ncores < 1)
        tl->ncores = 1;
}

void timeline_free(struct timeline *tl)
{
    free(tl->at);
    free(tl->s);
    tl->at = NULL;
    tl->s = NULL;
    tl->n = tl->cap = 0;
    tl->nticks = tl->cap_ticks = 0;
}

/* "pid (comm) S ppid ...": the comm is whatever the task named itself, so it may hold
 * spaces and ')': it ends at the last ')'. Field 39 (processor) is the 37th after it. */
int timeline_parse_stat(const char *line, struct tl_stat *st)
{
    const char *open = strchr(line, '('), *close = strrchr(line, ')'), *p;
    size_t len;

    memset(st, 0, sizeof(*st));
    if (!open || !close || close < open || sscanf(line, "%d", &st->pid) != 1)
        return -EINVAL;
    len = (size_t)(close - open - 1);
    if (len >= sizeof(st->comm))
        len = sizeof(st->comm) - 1;
    memcpy(st->comm, open + 1, len);
    if (sscanf(close + 1, " %c %d", &st->state, &st->ppid) != 2)
        return -EINVAL;
    p = close + 1;
    for (int field = 3; field < 39; field++) { /* p: the space before field `field` */
        p = strchr(p + 1, ' ');
        if (!p)
            return -EINVAL;
    }
    return sscanf(p, " %d", &st->cpu) == 1 ? 0 : -EINVAL;
}

int timeline_tick(struct timeline *tl, double t)
{
    if (tl->nticks == tl->cap_ticks) {
        int cap = tl->cap_ticks ? 2 * tl->cap_ticks : 1024;
        double *at = cap <= TIMELINE_MAX_SAMPLES ? realloc(tl->at, cap * sizeof(*at)) : NULL;
        if (!at) {
            tl->full = true;
            return -ENOSPC;
        }
        tl->at = at;
        tl->cap_ticks = cap;
    }
    tl->at[tl->nticks] = t;
    return tl->nticks++;
}

static int worker_of(struct timeline *tl, pid_t pid, pid_t tid, const char *comm)
{
    for (int i = 0; i < tl->nw; i++)
        if (tl->w[i].tid == tid)
            return i;
    if (tl->nw == TIMELINE_MAX_WORKERS)
        return -ENOSPC;
    tl->w[tl->nw] = (struct tl_worker){.pid = pid, .tid = tid};
    snprintf(tl->w[tl->nw].comm, sizeof(tl->w[tl->nw].comm), "%s", comm);
    return tl->nw++;
}

int timeline_add(struct timeline *tl, int tick, pid_t pid, pid_t tid, const char *comm,
                 enum tl_kind kind, int cpu)
{
    int w = worker_of(tl, pid, tid, comm);

    if (w < 0 || tl->n == TIMELINE_MAX_SAMPLES) {
        tl->full = true;
        return -ENOSPC;
    }
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? 2 * tl->cap : 4096;
        struct tl_sample *s = realloc(tl->s, cap * sizeof(*s));
        if (!s) {
            tl->full = true;
            return -ENOSPC;
        }
        tl->s = s;
        tl->cap = cap;
    }
    tl->s[tl->n++] = (struct tl_sample){.tick = tick, .worker = w, .cpu = cpu, .kind = kind};
    return 0;
}

/* ---- boxes ---- */

/* When tick k ends: the next tick, or one interval on for the last. */
static double tick_end(const struct timeline *tl, int k)
{
    return k + 1 < tl->nticks ? tl->at[k + 1] : tl->at[k] + TIMELINE_INTERVAL_MS / 1000.0;
}

/* Each cooking sample's slot among the tasks running on its core at its tick (samples
 * of one tick are consecutive). */
static void slots(const struct timeline *tl, int *slot, int *nslots)
{
    for (size_t i = 0; i < tl->n; i++) {
        slot[i] = 0;
        nslots[i] = 1;
        if (tl->s[i].kind != TL_COOK)
            continue;
        for (size_t j = i; j-- > 0 && tl->s[j].tick == tl->s[i].tick;)
            slot[i] += tl->s[j].kind == TL_COOK && tl->s[j].cpu == tl->s[i].cpu;
    }
    for (size_t i = 0; i < tl->n; i++) {
        if (tl->s[i].kind != TL_COOK)
            continue;
        for (size_t j = i; j < tl->n && tl->s[j].tick == tl->s[i].tick; j++)
            if (tl->s[j].kind == TL_COOK && tl->s[j].cpu == tl->s[i].cpu && slot[j] + 1 > nslots[i])
                nslots[i] = slot[j] + 1;
        for (size_t j = i; j-- > 0 && tl->s[j].tick == tl->s[i].tick;)
            if (tl->s[j].kind == TL_COOK && tl->s[j].cpu == tl->s[i].cpu)
                nslots[i] = nslots[j] > nslots[i] ? nslots[j] : nslots[i];
    }
}

static bool extends(const struct tl_box *b, const struct tl_sample *s, int slot, int nslots,
                    int last_tick)
{
    return b->worker == s->worker && b->kind == s->kind && s->tick == last_tick + 1 &&
           (s->kind != TL_COOK || (b->cpu == s->cpu && b->slot == slot && b->nslots == nslots));
}

int timeline_boxes(const struct timeline *tl, struct tl_box **out)
{
    int *slot = calloc(tl->n + 1, sizeof(int)), *nslots = calloc(tl->n + 1, sizeof(int));
    int *open = malloc((tl->nw + 1) * sizeof(int)), *last = malloc((tl->nw + 1) * sizeof(int));
    struct tl_box *b = malloc((tl->n + 1) * sizeof(*b));
    double t0 = span_start(tl), t1 = span_end(tl);
    int n = -ENOMEM;

    if (!slot || !nslots || !open || !last || !b)
        goto out;
    slots(tl, slot, nslots);
    n = 0;
    for (int w = 0; w < tl->nw; w++)
        open[w] = -1;
    for (size_t i = 0; i < tl->n; i++) {
        const struct tl_sample *s = &tl->s[i];
        double a = tl->at[s->tick], z = tick_end(tl, s->tick);
        if (z <= t0 || a >= t1)
            continue;
        if (open[s->worker] >= 0 &&
            extends(&b[open[s->worker]], s, slot[i], nslots[i], last[s->worker])) {
            b[open[s->worker]].t1 = (z < t1 ? z : t1) - t0;
        } else {
            b[n] = (struct tl_box){.t0 = (a > t0 ? a : t0) - t0,
                                   .t1 = (z < t1 ? z : t1) - t0,
                                   .worker = s->worker,
                                   .cpu = s->cpu,
                                   .kind = s->kind,
                                   .slot = slot[i],
                                   .nslots = nslots[i]};
            open[s->worker] = n++;
        }
        last[s->worker] = s->tick;
    }
out:
    free(slot);
    free(nslots);
    free(open);
    free(last);
    if (n < 0) {
        free(b);
        b = NULL;
    }
    *out = b;
    return n;
}

/* ---- the picture ---- */

int timeline_names(const struct timeline *tl, const struct tl_box *b, int n, int *order,
                   char (*names)[40])
{
    pid_t first = 0, procs[TIMELINE_MAX_WORKERS];
    int k = 0, nprocs = 0;

    for (int w = 0; w < tl->nw; w++)
        order[w] = -1;
    for (int i = 0; i < n; i++) {
        const struct tl_worker *w = &tl->w[b[i].worker];
        int threads = 0, proc = 0;
        if (order[b[i].worker] >= 0)
            continue;
        if (!first)
            first = w->pid;
        for (int j = 0; j < tl->nw; j++)
            threads += order[j] >= 0 && tl->w[j].pid == w->pid;
        while (proc < nprocs && procs[proc] != w->pid)
            proc++;
        if (w->pid != first && proc == nprocs)
            procs[nprocs++] = w->pid;
        order[b[i].worker] = k++;
        if (w->pid == first && !threads)
            snprintf(names[b[i].worker], 40, "main thread");
        else if (w->pid == first)
            snprintf(names[b[i].worker], 40, "thread %d", threads);
        else if (!threads)
            snprintf(names[b[i].worker], 40, "process %d", proc + 1);
        else
            snprintf(names[b[i].worker], 40, "process %d thread %d", proc + 1, threads);
    }
    return k;
}
