/* trial.c: one timed trial of the bench driver, contained, its clock held by the grader. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "box.h"
#include "sandbox.h"
#include "sys.h"
#include "threads_seen.h"
#include "trial.h"
#include "audit.h"

#define MEM_LIMIT (4ULL << 30) /* address space of a run: room for threads' stacks */

static void *chan_read(void *arg)
{
    struct chan *c = arg;
    char buf[512];
    ssize_t n;

    while ((n = read(c->fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
        double t = sys_now();
        for (ssize_t i = 0; i < n; i++) {
            if (c->len == CHAN_BYTES) {
                c->overflow = true;
                continue;
            }
            c->text[c->len++] = buf[i];
            if (buf[i] == '\n' && c->lines < CHAN_LINES)
                c->at[c->lines++] = t;
        }
    }
    c->text[c->len] = '\0';
    return NULL;
}

int trial_run_with_chan(char *const argv[], struct jail_opts *o, struct jail_result *r,
                        struct chan *c)
{
    int fds[2], rc;
    pthread_t th;

    memset(c, 0, sizeof(*c));
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    c->fd = fds[0];
    if ((rc = pthread_create(&th, NULL, chan_read, c)) != 0) {
        close(fds[0]);
        close(fds[1]);
        return -rc;
    }
    o->pass_fd = fds[1];
    rc = jail_run(argv, o, r);
    close(fds[1]); /* every process of the run is gone: the reader sees the end */
    pthread_join(th, NULL);
    close(fds[0]);
    /* A line read after the run ended was written before it did: a reader that a busy
     * machine kept waiting stamps it late, never after the end. */
    for (int i = 0; rc == 0 && i < c->lines; i++)
        if (c->at[i] > r->t_end)
            c->at[i] = r->t_end;
    return rc;
}

/* Is text (one line, up to its newline) "error harness error, ... tag=<tag>" with the true
 * tag of what comes before " tag=" under the run's key? The tag then leaves t->what. */
static bool harness_said(const struct chan *c, const char *text)
{
    size_t len = strcspn(text, "\n");
    const char *tag = len >= 21 ? memmem(text, len, " tag=", 5) : NULL;

    return tag && !strncmp(text, "error harness error, ", 21) &&
           audit_tag_ok(c->key, text, (size_t)(tag - text), tag + 5);
}

/* The channel had no "ok" line: the driver's fault line, or words for its silence. */
static void judge_fault(const struct chan *c, const char *ok, struct trial *t)
{
    const char *text = c->lines == 2 || !strncmp(c->text, "start ", 6) ? ok : c->text;
    bool ours = text && harness_said(c, text);

    /* the driver's own words for a fault of the harness (bench.c), not the code's: only
     * with the run's tag, which the code under test cannot make */
    t->fault = text && !strncmp(text, "notimpl", 7) ? V_NOT_IMPLEMENTED : ours ? V_ERROR : V_FAIL;
    snprintf(t->what, sizeof(t->what), "%s",
             text && *text ? text : "the bench driver printed nothing");
    t->what[strcspn(t->what, "\n")] = '\0';
    if (ours)
        *strstr(t->what, " tag=") = '\0';
    else if (text && !strncmp(text, "error harness error, ", 21))
        snprintf(t->what, sizeof(t->what),
                 "the bench driver's result channel carried a harness error's words without "
                 "the run's tag: the code under test wrote them, so the run is its failure");
    if (t->fault == V_NOT_IMPLEMENTED)
        snprintf(t->what, sizeof(t->what), "not implemented: %s", text + 8);
}

void trial_judge(const struct chan *c, const struct jail_result *r, struct trial *t)
{
    const char *text = c->text, *ok = strchr(text, '\n');
    unsigned long long h;
    double c0;

    ok = ok ? ok + 1 : text + strlen(text);
    if (c->overflow || (c->lines > 2) || (c->lines == 2 && strncmp(text, "start cpu=", 10))) {
        t->fault = V_FAIL;
        snprintf(t->what, sizeof(t->what),
                 "the bench driver's result channel (fd 3) carried "
                 "lines it did not write: something in the code under test wrote to it");
        return;
    }
    if (c->lines == 2 && sscanf(text, "start cpu=%lf", &c0) == 1 && !strncmp(ok, "ok ", 3) &&
        strstr(ok, " hash=") && sscanf(strstr(ok, " hash="), " hash=%llx", &h) == 1) {
        const char *x = strstr(ok, " x=");
        t->wall = r->t_end - c->at[0];
        t->cpu = r->cpu_s - c0 > 0 ? r->cpu_s - c0 : 0;
        t->hash = h;
        t->fault = V_PASS;
        t->has_x = x && sscanf(x, " x=%lf", &t->x) == 1;
        return;
    }
    judge_fault(c, ok, t);
}

double trial_need(const struct trial_ctx *x, int side)
{
    double P = x->site->cores->usable;

    if (x->s->all_cores)
        return P;
    if (!side || x->s->workload == WORKLOAD_IO)
        return 1;
    return x->workers < P ? x->workers : P;
}

void trial_append_tail(char *buf, size_t len, const char *path)
{
    char *text = sys_slurp(path, 1 << 20, NULL);
    size_t used = strlen(buf), n = text ? strlen(text) : 0;
    const char *tail = text;

    if (n == 0 || used + 40 >= len)
        goto out;
    if (n > 480) { /* what fits in a trial's what[] beside the jail's words */
        tail = text + n - 480;
        tail += strcspn(tail, "\n") + 1; /* from a line's start */
    }
    if (*tail)
        snprintf(buf + used, len - used, "\nits output ended with:\n%s", tail);
out:
    free(text);
}

/* Ten times the sequential time, but never minutes: 10,000 orders one after another
 * would take 500 s, and a hung trial ends its cell anyway. */
static struct jail_limits limits(const struct spec_speed *s)
{
    int n = s->jobs > s->baseline_jobs ? s->jobs : s->baseline_jobs;
    double wait = s->workload == WORKLOAD_CPU ? 0 : n * s->latency_ms / 1000.0;
    double expect = (s->workload == WORKLOAD_IO ? 0 : TRIAL_CPU_TARGET_S) + wait;

    return (struct jail_limits){.wall_s = fmin(10 * expect + 2, 30),
                                .cpu_s = fmin(40 * expect + 8, 120),
                                .nproc = 256,
                                .mem_bytes = MEM_LIMIT,
                                .nofile = 0,
                                .out_bytes = 1 << 20};
}

/* The driver's arguments past its version: jobs, workers, rounds, port, seed. */
struct bench_args {
    char jobs[16], workers[16], rounds[32], port[16], seed[32];
};

static void bench_args(const struct trial_ctx *x, int side, struct bench_args *a)
{
    snprintf(a->jobs, sizeof(a->jobs), "%d", side ? x->s->jobs : x->s->baseline_jobs);
    snprintf(a->workers, sizeof(a->workers), "%d", x->workers);
    snprintf(a->rounds, sizeof(a->rounds), "%" PRIu64, x->rounds);
    snprintf(a->port, sizeof(a->port), "%u", x->site->k->port);
    snprintf(a->seed, sizeof(a->seed), "%" PRIu64, x->site->seed);
}

/* A run that did not exit by itself: the jail's words for it, and what it printed. */
static void ended_early(const struct jail_result *r, const char *out, struct trial *t)
{
    jail_describe(r, t->what, sizeof(t->what));
    t->fault = r->end == JAIL_TIMEOUT || r->end == JAIL_CPU_LIMIT ? V_TIMEOUT
               : r->end == JAIL_SIGNALED                          ? V_CRASH
                                                                  : V_FAIL;
    trial_append_tail(t->what, sizeof(t->what), out);
}

/* The grader's own failure to run a trial: never the student's (ERR!). */
static int harness_error(struct trial *t, const char *what)
{
    snprintf(t->what, sizeof(t->what), "harness error, not your code: %s", what);
    t->fault = V_ERROR;
    return -EIO;
}

/* A trial that passed, measured on a machine others disturbed (their CPU, or its tasks
 * kept waiting for a core): its pair is dropped (speed.c), never judged. */
static bool disturbed(const struct trial_ctx *x, int side, const struct sysload *before,
                      const struct sysload *after, const struct jail_result *r, double own,
                      double waited, double others, struct trial *t)
{
    int workers = side ? x->workers : 1, online = x->site->cores->online;

    return sysload_disturbed(before, after, r->wall_s, own, online, trial_need(x, side), workers,
                             t->why, sizeof(t->why)) ||
           sysload_starved(waited, r->wall_s, others, workers, online, t->why, sizeof(t->why));
}

int trial_run(void *arg, int side, struct trial *t)
{
    struct trial_ctx *x = arg;
    const struct spec_speed *s = x->s;
    const struct bench_site *site = x->site;
    struct bench_args a;
    char out[1100], keyv[64];
    char *env[] = {"MALLOC_ARENA_MAX=2", keyv, NULL};
    uint64_t key[2];
    char *argv[] = {(char *)site->bench,
                    (char *)(side ? s->version : s->baseline),
                    (char *)spec_workload_name(s->workload),
                    a.jobs,
                    a.workers,
                    a.rounds,
                    a.port,
                    a.seed,
                    (char *)spec_skew_name(s->skew),
                    NULL};
    struct sandbox sb;
    struct sysload before, after;
    struct jail_result r;
    struct chan ch;
    struct tl_sampler *sp = NULL;
    struct threads_seen *ts = NULL;
    char dir[1100];
    double k0, c0, w0;
    int rc, most;

    bench_args(x, side, &a);
    jail_sandbox_settle(); /* the trial's CPU is a figure: without bubblewrap's own */
    if (audit_done_key(key, keyv, sizeof(keyv)) < 0 ||
        box_run_folder(site->box, dir, sizeof(dir)) < 0)
        return harness_error(t, "could not make the trial's folder");
    snprintf(out, sizeof(out), "%s/bench.out", site->logs);
    k0 = kitchen_cpu(site->k);
    c0 = sys_self_cpu();
    /* x: counted from outside the run, for all of it */
    if (side && s->x_threads && !(ts = threads_seen_start(jail_running))) {
        box_remove(dir);
        return harness_error(t, "could not start the thread counter");
    }
    if (x->tl[side]) /* from outside the run: /proc, read by a thread of ours */
        sp = timeline_start(x->tl[side], jail_running);
    sysload_read(&before);
    w0 = sysload_self_wait();
    /* in a folder of its own (box_run_folder), removed after it: no trial finds what
     * another (the untimed warm-up) left */
    struct jail_opts *jo = sandbox_opts(&sb, site->box, dir, limits(s), out, env);
    jo->runq = true; /* did others keep its tasks waiting for a CPU? (sysload_starved) */
    rc = trial_run_with_chan(argv, jo, &r, &ch);
    box_remove(dir);
    most = threads_seen_stop(ts);
    if (sp) {
        timeline_stop(sp);
        x->tl[side]->start = ch.lines ? ch.at[0] : 0; /* from the "start" line on */
        x->tl[side]->end = r.t_end;
        x->tl[side] = NULL;
    }
    if (rc < 0 || r.end == JAIL_START_FAILED)
        return harness_error(t, "could not start the bench driver");
    sysload_read(&after);
    /* the machine's CPU while it ran, less ours: the run's, the kitchen's, the grader's */
    double own = r.cpu_s + (kitchen_cpu(site->k) - k0) + (sys_self_cpu() - c0);
    /* the run's tasks, or ours (the grader's clocks), kept waiting while others ran */
    double others = sysload_others(&before, &after, r.wall_s, own, site->cores->online),
           waited = r.runq_s < 0 ? -1 : r.runq_s + (sysload_self_wait() - w0);
    if (r.end != JAIL_EXITED) {
        ended_early(&r, out, t);
        return 0;
    }
    memcpy(ch.key, key, sizeof(key));
    trial_judge(&ch, &r, t);
    if (side && s->x_threads) { /* the grader's count, never the run's own word */
        t->x = most;
        t->has_x = most > 0;
    }
    if (t->fault != V_PASS)
        trial_append_tail(t->what, sizeof(t->what), out);
    else
        t->disturbed = disturbed(x, side, &before, &after, &r, own, waited, others, t);
    return 0;
}

uint64_t trial_ref_hash(const struct trial_ctx *x)
{
    size_t n = x->s->jobs;
    int meals = x->s->workload == WORKLOAD_MIXED;
    struct job *jobs = calloc(n, sizeof(*jobs));
    struct result *res = calloc(n, sizeof(*res));
    uint64_t *items = calloc(n, sizeof(*items)), *replies = calloc(n, sizeof(*replies)), h = 0;

    /* orders: the kitchen checks them after each run (bench.c); and one hash can judge both
     * sides only when both run the same jobs (baseline_jobs 0: as many) */
    if (x->s->workload == WORKLOAD_IO || (x->s->baseline_jobs && x->s->baseline_jobs != x->s->jobs))
        goto out;
    if (jobs && res && items && replies) {
        bench_make_jobs(jobs, n, meals ? JOB_MEAL : JOB_COOK, x->rounds,
                        meals ? x->site->k->port : 0, x->site->seed, x->s->skew == SKEW_SKEWED);
        if (meals) { /* each meal: the kitchen's reply to its item, cooked (workload.h) */
            for (size_t i = 0; i < n; i++)
                items[i] = jobs[i].seed;
            if (ref_order_many(x->site->k->port, n, items, replies) < 0)
                goto out;
            for (size_t i = 0; i < n; i++)
                ref_cook(replies[i], jobs[i].rounds, &res[i].value);
        } else {
            ref_seq_map(jobs, n, res, 1);
        }
        h = bench_hash(res, n);
    }
out:
    free(jobs);
    free(res);
    free(items);
    free(replies);
    return h;
}

int trial_calibrate(const struct bench_site *site, double *rate)
{
    char *argv[] = {(char *)site->bench, "calibrate", NULL};
    struct jail_limits lim = {.wall_s = 10, .nproc = 4, .out_bytes = 4096};
    struct sandbox sb;
    struct jail_result r;
    struct chan ch;

    *rate = 0;
    if (trial_run_with_chan(argv, sandbox_opts(&sb, site->box, site->run, lim, NULL, NULL), &r,
                            &ch) < 0 ||
        r.end != JAIL_EXITED || r.code)
        return -EIO;
    if (ch.lines != 1 || sscanf(ch.text, "rate %lf", rate) != 1)
        *rate = 0;
    return *rate > 0 ? 0 : -EIO;
}
