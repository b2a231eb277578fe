/* grade.c: grade one lab folder (or a folder of submissions): build, test, time, report. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "build.h"
#include "cores.h"
#include "correct.h"
#include "gradebook.h"
#include "jail.h"
#include "kitchen.h"
#include "race.h"
#include "report.h"
#include "speed.h"

#define CPU_TARGET_S 0.3 /* a sequential cooking run takes about this long */
#define MEM_LIMIT (4ULL << 30) /* address space of a run: room for threads' stacks */

struct opts {
    const char *root, *lab, *src, *build, *out, *junit, *batch, *svg;
    const char *only_speed; /* comma-separated cell names, or NULL for all */
    const char *only;       /* comma-separated items or suites to grade, or NULL for all */
    int repeat;             /* > 1: run the tests this many times, seeds seed, seed + 1, ... */
    char bindir[1024], kitchen_bin[1100]; /* where this program and its kitchen are */
    uint64_t seed;
    int color;    /* -1 auto */
    int no_speed;
};

#define MAX_MEASURED SPEC_MAX_SPEEDS

struct measured {
    struct cell c;  /* c.spec: the first cell that asked for this experiment */
    enum verdict v; /* V_PASS when measured; else what went wrong */
};

/* Everything one grading run shares. */
struct run {
    const struct opts *o;
    struct spec spec;
    struct build_out b;
    struct kitchen k;
    struct cores cores;
    double rate;  /* cooking rounds a second, calibrated */
    struct report r;
    struct measured measured[MAX_MEASURED];
    int nmeasured;
};

/* What one trial needs to know, for the trial_fn callback. */
struct trial_ctx {
    struct run *run;
    const struct spec_speed *s;
    int workers;
    uint64_t rounds;
};

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double self_cpu(void)
{
    struct rusage u;

    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static struct item *find_item(struct report *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->items[i].name, name))
            return &r->items[i];
    return NULL;
}

/* The bench driver's result channel: a pipe read by a thread of ours, each line stamped
 * with the time it arrived, so that the grader, not the timed process, holds the clock. */
#define CHAN_LINES 4
#define CHAN_BYTES 4096

struct chan {
    int fd;                     /* the read end */
    char text[CHAN_BYTES + 1];  /* what arrived, NUL-ended */
    size_t len;
    double at[CHAN_LINES];      /* when each of the first lines was complete */
    int lines;
    bool overflow;              /* more than CHAN_BYTES: not the driver's doing */
};

static void *chan_read(void *arg)
{
    struct chan *c = arg;
    char buf[512];
    ssize_t n;

    while ((n = read(c->fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
        double t = now();
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

/* Run argv (the bench driver) in the jail with the channel as its fd 3. */
static int run_with_chan(char *const argv[], struct jail_opts *o, struct jail_result *r,
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
    return rc;
}

/* Judge a trial from its channel: "start cpu=C", then "ok ... hash=H [x=X]" (or a fault
 * line). Wall time runs from the "start" line's arrival to the end of the run's process
 * (seen by the jail), not to the "ok" line, which the code under test could send early
 * and then silence the real one; after "ok" the driver only exits. CPU is the run's own
 * (the kernel's count, from its end) less what it had used at "start". */
static void parse_bench(const struct chan *c, const struct jail_result *r, struct trial *t)
{
    const char *text = c->text, *ok = strchr(text, '\n');
    unsigned long long h;
    double c0;

    ok = ok ? ok + 1 : text + strlen(text);
    if (c->overflow || (c->lines > 2) ||
        (c->lines == 2 && strncmp(text, "start cpu=", 10))) {
        t->fault = V_FAIL;
        snprintf(t->what, sizeof(t->what), "the bench driver's result channel (fd 3) carried "
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
    text = c->lines == 2 || !strncmp(text, "start ", 6) ? ok : text;
    t->fault = text && !strncmp(text, "notimpl", 7) ? V_NOT_IMPLEMENTED : V_FAIL;
    snprintf(t->what, sizeof(t->what), "%s",
             text && *text ? text : "the bench driver printed nothing");
    t->what[strcspn(t->what, "\n")] = '\0';
    if (t->fault == V_NOT_IMPLEMENTED)
        snprintf(t->what, sizeof(t->what), "not implemented: %s", text + 8);
}

/* The cores a trial of `version` could keep busy: a parallel cooking version min(W, P),
 * anything else one (the kitchen and the waiters mostly wait). */
static double need(const struct trial_ctx *x, int side)
{
    double P = x->run->cores.usable;

    if (x->s->all_cores)
        return P;
    if (!side || x->s->workload != WORKLOAD_CPU)
        return 1;
    return x->workers < P ? x->workers : P;
}

/* Add the last lines a failed run printed (the lab's own diagnosis, a student's
 * printf) to its message: a few hundred bytes, as the run wrote them. */
static void append_tail(char *buf, size_t len, const char *path)
{
    char *text = build_slurp(path, 1 << 20);
    size_t used = strlen(buf), n = text ? strlen(text) : 0;
    const char *tail = text;

    if (n == 0 || used + 40 >= len)
        goto out;
    if (n > 300) {
        tail = text + n - 300;
        tail += strcspn(tail, "\n") + 1; /* from a line's start */
    }
    if (*tail)
        snprintf(buf + used, len - used, "\nits output ended with:\n%s", tail);
out:
    free(text);
}

static int run_trial(void *arg, int side, struct trial *t)
{
    struct trial_ctx *x = arg;
    const struct spec_speed *s = x->s;
    const char *version = side ? s->version : s->baseline;
    char jobs[16], workers[16], rounds[32], port[16], seed[32], out[1100];
    char *env[] = {"MALLOC_ARENA_MAX=2", (char *)kitchen_key_env(), NULL};
    char *argv[] = {x->run->b.bench, (char *)version, (char *)spec_workload_name(s->workload),
                    jobs, workers, rounds, port, seed, (char *)spec_skew_name(s->skew), NULL};
    int n = s->jobs > s->baseline_jobs ? s->jobs : s->baseline_jobs;
    double expect = s->workload == WORKLOAD_CPU ? CPU_TARGET_S : n * s->latency_ms / 1000.0;
    const char *ro[] = {x->run->b.box, NULL}, *rw[] = {x->run->b.run, NULL};
    struct jail_opts o = {
        /* ten times the sequential time, but never minutes: 10,000 orders one after
         * another would take 500 s, and a hung trial ends its cell anyway */
        .lim = {.wall_s = fmin(10 * expect + 2, 30), .cpu_s = fmin(40 * expect + 8, 120),
                .nproc = 256,
                .mem_bytes = MEM_LIMIT, .nofile = 0, .out_bytes = 1 << 20},
        .dir = x->run->b.run,
        .out_path = out,
        .env = env,
        .drop_privileges = true,
        .sandbox = true, .ro = ro, .rw = rw,
    };
    struct sysload before, after;
    struct jail_result r;
    struct chan ch;
    double k0, k1, c0, c1;

    snprintf(jobs, sizeof(jobs), "%d", side ? s->jobs : s->baseline_jobs);
    snprintf(workers, sizeof(workers), "%d", x->workers);
    snprintf(rounds, sizeof(rounds), "%" PRIu64, x->rounds);
    snprintf(port, sizeof(port), "%u", x->run->k.port);
    snprintf(seed, sizeof(seed), "%" PRIu64, x->run->o->seed);
    snprintf(out, sizeof(out), "%s/bench.out", x->run->b.logs);
    k0 = kitchen_cpu(&x->run->k);
    c0 = self_cpu();
    sysload_read(&before);
    if (run_with_chan(argv, &o, &r, &ch) < 0 || r.end == JAIL_START_FAILED) {
        snprintf(t->what, sizeof(t->what), "harness error, not your code: could not start the "
                 "bench driver");
        t->fault = V_ERROR;
        return -EIO;
    }
    sysload_read(&after);
    k1 = kitchen_cpu(&x->run->k);
    c1 = self_cpu();
    if (r.end != JAIL_EXITED) {
        jail_describe(&r, t->what, sizeof(t->what));
        t->fault = r.end == JAIL_TIMEOUT || r.end == JAIL_CPU_LIMIT ? V_TIMEOUT
                   : r.end == JAIL_SIGNALED                         ? V_CRASH
                                                                    : V_FAIL;
        append_tail(t->what, sizeof(t->what), out);
        return 0;
    }
    parse_bench(&ch, &r, t);
    if (t->fault != V_PASS)
        append_tail(t->what, sizeof(t->what), out);
    if (t->fault == V_PASS)
        t->disturbed = sysload_disturbed(&before, &after, r.wall_s,
                                         r.cpu_s + (k1 - k0) + (c1 - c0), x->run->cores.online,
                                         need(x, side), side ? x->workers : 1, t->why,
                                         sizeof(t->why));
    return 0;
}

/* The reference's answer hash for a cooking cell, computed here (our own code). */
static uint64_t ref_hash(const struct trial_ctx *x)
{
    size_t n = x->s->jobs;
    struct job *jobs = calloc(n, sizeof(*jobs));
    struct result *res = calloc(n, sizeof(*res));
    uint64_t h = 0;

    if (jobs && res) {
        bench_make_jobs(jobs, n, 1, x->rounds, 0, x->run->o->seed, x->s->skew == SKEW_SKEWED);
        ref_seq_map(jobs, n, res, 1);
        h = bench_hash(res, n);
    }
    free(jobs);
    free(res);
    return h;
}

/* Is every core we need free now? Probes a few times before giving up. */
static bool cores_free(struct run *run, double need, char *why, size_t len)
{
    double got = 0;

    /* A neighbour's burst passes: wait for it a while (about 7 s in all) before calling
     * the cell inconclusive, so that a correct student is measured, not excused. */
    for (int i = 0; i < 8; i++) {
        got = cores_probe(need, 100);
        if (got >= 0.9 * need)
            return true;
        usleep(i < 5 ? 250000 * (i + 1) : 1500000);
    }
    snprintf(why, len, "the pre-flight probe found only %.2f of %.0f cores free (%s)", got, need,
             run->cores.why);
    return false;
}

/* Do the tests an item requires pass? If not, it is not run, and says why. */
static bool requires_pass(struct run *run, char (*req)[96], int n, struct item *it)
{
    for (int i = 0; i < n; i++) {
        const struct item *t = find_item(&run->r, req[i]);
        if (!t || t->verdict != V_PASS) {
            it->verdict = t && t->verdict == V_NOT_IMPLEMENTED ? V_NOT_IMPLEMENTED : V_SKIPPED;
            item_printf(it, "not run until %s passes (now: %s)%s\n", req[i],
                        t ? verdict_name(t->verdict) : "not run",
                        it->kind == ITEM_SPEED ? "; a fast wrong answer earns nothing" : "");
            return false;
        }
    }
    return true;
}

static bool gate(struct run *run, const struct spec_speed *s, struct item *it)
{
    if (!requires_pass(run, (char (*)[96])s->requires, s->nrequires, it))
        return false;
    if (!run->b.bench_ok) {
        it->verdict = V_BUILD_ERROR;
        item_printf(it, "the bench driver could not be built with your code\n");
        return false;
    }
    return true;
}

/* Cooking rounds a second on this machine, from the bench driver (our code in it). */
static int calibrate(struct run *run)
{
    char *argv[] = {run->b.bench, "calibrate", NULL};
    const char *ro[] = {run->b.box, NULL}, *rw[] = {run->b.run, NULL};
    struct jail_opts o = {.lim = {.wall_s = 10, .nproc = 4, .out_bytes = 4096},
                          .dir = run->b.run, .drop_privileges = true,
                          .sandbox = true, .ro = ro, .rw = rw};
    struct jail_result r;
    struct chan ch;

    if (run_with_chan(argv, &o, &r, &ch) < 0 || r.end != JAIL_EXITED || r.code)
        return -EIO;
    if (ch.lines != 1 || sscanf(ch.text, "rate %lf", &run->rate) != 1)
        run->rate = 0;
    return run->rate > 0 ? 0 : -EIO;
}

/* Two cells with the same experiment share its measurement (their checks differ). */
static bool same_experiment(const struct spec_speed *a, const struct spec_speed *b)
{
    return a->workload == b->workload && !strcmp(a->version, b->version) &&
           !strcmp(a->baseline, b->baseline) && a->skew == b->skew &&
           a->jobs == b->jobs && a->baseline_jobs == b->baseline_jobs &&
           a->workers == b->workers && a->latency_ms == b->latency_ms &&
           a->all_cores == b->all_cores;
}

/* Measure the cell's experiment, or reuse this run's measurement of it unless `fresh`.
 * Returns V_PASS when measured (c filled), else why not (c->fault says it in words). */
static enum verdict measure(struct run *run, struct trial_ctx *x, struct cell *c, bool fresh)
{
    const struct spec_speed *s = x->s;
    struct measured *m = NULL;
    enum verdict v;

    for (int i = 0; i < run->nmeasured && !m; i++)
        if (same_experiment(run->measured[i].c.spec, s))
            m = &run->measured[i];
    if (m && !fresh) {
        *c = m->c;
        c->spec = s;
        return m->v;
    }
    /* Cooking in parallel needs its cores free; waiting needs next to none. */
    double need = s->workload != WORKLOAD_CPU ? 0 : s->all_cores ? c->P : c->W < c->P ? c->W : c->P;
    if (need > 0 && !cores_free(run, need, c->fault, sizeof(c->fault)))
        v = V_INCONCLUSIVE;
    else
        v = speed_measure(c, run_trial, x, s->workload == WORKLOAD_CPU ? ref_hash(x) : 0);
    if (!m && run->nmeasured < MAX_MEASURED)
        m = &run->measured[run->nmeasured++];
    if (m)
        *m = (struct measured){.c = *c, .v = v};
    return v;
}

static void speed_cell(struct run *run, const struct spec_speed *s)
{
    struct item it = {.kind = ITEM_SPEED, .max_score = s->points};
    struct trial_ctx x = {.run = run, .s = s};
    struct cell c = {.spec = s};
    enum verdict v = V_INCONCLUSIVE;

    snprintf(it.name, sizeof(it.name), "%s", s->name);
    snprintf(it.hint, sizeof(it.hint), "%s", s->hint);
    c.P = run->cores.usable;
    x.workers = s->workers ? s->workers : (int)c.P > 0 ? (int)c.P : 1;
    c.W = x.workers;
    c.N = s->jobs;
    c.ideal = spec_ideal(s->ideal, c.W, c.P, c.N);
    speed_expected(&c, it.expected, sizeof(it.expected));
    if (!gate(run, s, &it))
        goto out;
    /* cooking is sized to this machine, once, when a cell first needs it */
    if (s->workload == WORKLOAD_CPU && !run->rate && calibrate(run) < 0) {
        it.verdict = V_INCONCLUSIVE;
        item_printf(&it, "the harness could not calibrate the cooking workload here\n");
        goto out;
    }
    x.rounds = (uint64_t)(run->rate * CPU_TARGET_S);
    for (int attempt = 0; attempt < 2; attempt++) {
        bool retry = false;
        free(it.output);
        it.output = NULL;
        v = measure(run, &x, &c, attempt > 0);
        if (v == V_INCONCLUSIVE) {
            item_printf(&it, "%s\n", c.fault);
            continue;
        }
        if (v != V_PASS) { /* wrong, hung or crashed: the code's fault, not the machine's */
            item_printf(&it, "%s\n", c.fault);
            break;
        }
        v = speed_judge(&c, &it, &retry);
        if (!retry)
            break;
    }
    if (v == V_INCONCLUSIVE)
        item_printf(&it, "still inconclusive after 2 tries (%s)\n", run->cores.why);
    it.verdict = v;
out:
    it.score = it.verdict == V_PASS ? s->points : 0;
    report_add(&run->r, &it);
}

static void race_items(struct run *run)
{
    for (int i = 0; i < run->spec.nraces && i < SPEC_MAX_RACES; i++) {
        const struct spec_race *s = &run->spec.races[i];
        struct item it = {.kind = ITEM_RACE, .max_score = s->points};
        struct race_conf rc = {.bin = run->b.race[i], .box = run->b.box, .run = run->b.run,
                               .logs = run->b.logs,
                               .seed = run->o->seed, .port = run->k.port, .timeout_s = 60};

        snprintf(it.name, sizeof(it.name), "%s", s->name);
        snprintf(it.hint, sizeof(it.hint), "%s", s->hint);
        if (!requires_pass(run, (char (*)[96])s->requires, s->nrequires, &it)) {
        } else if (!run->b.race_ok[i]) {
            it.verdict = V_BUILD_ERROR;
            item_printf(&it, "the race driver did not build with ThreadSanitizer:\n%s",
                        run->b.race_log[i] ? run->b.race_log[i] : "");
        } else {
            it.verdict = race_run(&rc, &it);
        }
        it.score = it.verdict == V_PASS ? s->points : 0;
        report_add(&run->r, &it);
    }
}

static void build_items(struct run *run)
{
    for (int i = 0; i < run->spec.nfiles; i++) {
        struct item it = {.kind = ITEM_BUILD, .verdict = run->b.file_ok[i] ? V_PASS : V_BUILD_ERROR};
        snprintf(it.name, sizeof(it.name), "build %s", run->spec.files[i]);
        snprintf(it.hint, sizeof(it.hint),
                 "fix the first error the compiler names (file:line); the skeleton's %s stands "
                 "in meanwhile, so the other parts are still graded",
                 run->spec.files[i]);
        if (run->b.file_log[i] && run->b.file_log[i][0])
            item_printf(&it, "%s", run->b.file_log[i]);
        report_add(&run->r, &it);
    }
    if (!run->b.tests_ok || !run->b.bench_ok) {
        struct item it = {.kind = ITEM_BUILD, .verdict = V_BUILD_ERROR};
        snprintf(it.name, sizeof(it.name), "build link");
        snprintf(it.hint, sizeof(it.hint),
                 "your files must not define main() or names the harness defines");
        item_printf(&it, "%s", run->b.link_log ? run->b.link_log : "the link failed\n");
        report_add(&run->r, &it);
    }
}

/* One line that lists what is still a stub, for the scoreboard's end. */
static void note_todo(struct run *run)
{
    char list[512] = "";
    size_t used = 0;

    for (int i = 0; i < run->spec.ntests; i++) {
        const struct spec_test *t = &run->spec.tests[i];
        const struct item *it = find_item(&run->r, t->name);
        char one[200];
        if (!it || it->verdict != V_NOT_IMPLEMENTED)
            continue;
        snprintf(one, sizeof(one), "%s (%s)", t->fn[0] ? t->fn : t->name, t->file);
        if (strstr(list, one) || used + strlen(one) + 3 >= sizeof(list))
            continue;
        used += snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", one);
    }
    if (used)
        report_note(&run->r, "not implemented yet: %s\n", list);
}

/* The lab's row(s) of the course's matrix, from what was measured: per version, its
 * median speedup over its baseline and how many cores it kept busy, per workload. */
static void note_matrix(struct run *run)
{
    bool any = false;

    for (int i = 0; i < run->nmeasured; i++) {
        const struct measured *m = &run->measured[i];
        const struct cell *c[2] = {NULL, NULL}; /* cooking, waiting */
        bool first = true;

        if (m->v != V_PASS || !m->c.clean)
            continue;
        for (int j = 0; j < i; j++) /* each version once */
            first &= strcmp(run->measured[j].c.spec->version, m->c.spec->version) != 0;
        if (!first)
            continue;
        for (int j = i; j < run->nmeasured; j++) {
            const struct measured *o = &run->measured[j];
            int w = o->c.spec->workload == WORKLOAD_CPU ? 0 : 1;
            if (o->v == V_PASS && o->c.clean && !c[w] &&
                !strcmp(o->c.spec->version, m->c.spec->version) &&
                o->c.spec->jobs == o->c.spec->baseline_jobs)
                c[w] = &o->c;
        }
        if (!c[0] && !c[1])
            continue;
        if (!any)
            report_note(&run->r, "matrix row (median speedup over the baseline; cpu/wall = "
                                 "cores kept busy):\n  %-10s %-24s %s\n",
                        "version", "cooking (CPU-bound)", "waiting (I/O-bound)");
        any = true;
        char cook[64] = "-", wait[64] = "-";
        if (c[0])
            snprintf(cook, sizeof(cook), "%.2fx  cpu/wall %.2f", c[0]->speedup.median,
                     c[0]->cpuwall.median);
        if (c[1])
            snprintf(wait, sizeof(wait), "%.2fx  cpu/wall %.2f", c[1]->speedup.median,
                     c[1]->cpuwall.median);
        report_note(&run->r, "  %-10s %-24s %s\n", m->c.spec->version, cook, wait);
    }
}

/* Is `name` in the comma-separated `list` (NULL: everything is)? */
static bool wanted(const char *list, const char *name)
{
    size_t len = strlen(name);

    for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
            return true;
    return !list;
}

static void speed_all(struct run *run)
{
    if (run->o->no_speed || !run->spec.nspeeds)
        return;
    for (int i = 0; i < run->spec.nspeeds; i++)
        if (wanted(run->o->only_speed, run->spec.speeds[i].name))
            speed_cell(run, &run->spec.speeds[i]);
    note_matrix(run);
}

static void paths(const struct opts *o, char *spec, char *skel, char *lib, size_t len)
{
    snprintf(spec, len, "%s/harness/labs/%s/spec", o->root, o->lab);
    snprintf(skel, len, "%s/labs/%s", o->root, o->lab);
    snprintf(lib, len, "%s/../harness/libharness.a", o->bindir);
}

/* A path as the user would write it: relative to where they ran us, when it is below. */
static const char *shown(const char *path)
{
    char cwd[1024];
    size_t len;

    if (!getcwd(cwd, sizeof(cwd)))
        return path;
    len = strlen(cwd);
    return !strncmp(path, cwd, len) && path[len] == '/' ? path + len + 1 : path;
}

/* Interrupted (Ctrl-C, a batch system's SIGTERM): kill the run under way and remove the
 * box, which lies outside the kit, then die of the same signal. Only async-signal-safe
 * calls: the removal is an `rm` of our own, waited for. */
static char *volatile box_to_remove; /* the build's box (build_out.box), while there is one */

static void on_interrupt(int sig)
{
    char *box = box_to_remove;
    char *argv[] = {"/bin/rm", "-rf", "--", box, NULL};
    pid_t pid;

    jail_abort();
    if (box && box[0] && (pid = fork()) == 0) {
        execve(argv[0], argv, (char *[]){NULL});
        _exit(127);
    } else if (box && box[0] && pid > 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_interrupts(void)
{
    struct sigaction sa = {.sa_handler = on_interrupt};

    sigemptyset(&sa.sa_mask);
    for (int s = 0; s < 3; s++)
        sigaction((int[]){SIGINT, SIGTERM, SIGHUP}[s], &sa, NULL);
}

/* How runs were contained here, and what is lost where namespaces cannot be had. */
static void note_sandbox(struct report *r)
{
    const char *why;

    if (jail_sandbox(&why))
        report_note(r, "sandbox: %s\n", why);
    else
        report_note(r, "sandbox: no namespaces (%s): runs see the same /tmp, file system and "
                       "process list as %s, limited by the audit, the rlimits and the pids "
                       "cgroup only\n", why,
                    jail_uid() >= 0 ? "this grader's own uid" : "the user running the grader");
}

/*
 * --repeat N: the tests again with seeds seed + 1 ... seed + N - 1, on the same build
 * (what a flaky test or an input that collides with a verdict needs to show). A test
 * that does not pass under some seed turns its item into a failure that names the seed
 * (replay: --seed S) and what it said; the scoreboard line says how many runs there were.
 */
static void repeat_tests(struct run *run, const struct correct_conf *c)
{
    struct correct_conf cc = *c;
    int bad = 0;

    for (int r = 1; r < run->o->repeat; r++) {
        struct report once;

        report_init(&once, run->o->lab, run->spec.title);
        cc.seed = run->o->seed + (uint64_t)r;
        correct_run(&cc, &run->spec, &run->b, &once);
        for (size_t i = 0; i < once.n; i++) {
            struct item *it = find_item(&run->r, once.items[i].name);
            enum verdict v = once.items[i].verdict;

            if (!it || v == V_PASS || it->verdict == V_BUILD_ERROR ||
                (v == V_SKIPPED && it->verdict == V_SKIPPED))
                continue; /* a build error is the same under every seed: said once */
            bad++;
            if (it->verdict == V_PASS) {
                it->verdict = v == V_SKIPPED ? V_INCONCLUSIVE : v;
                it->score = 0;
            }
            item_printf(it, "seed %llu (run %d of %d): %s\n%.600s",
                        (unsigned long long)cc.seed, r + 1, run->o->repeat, verdict_name(v),
                        once.items[i].output ? once.items[i].output : "");
        }
        report_free(&once);
    }
    report_note(&run->r, "tests run %d times (seeds %llu-%llu): %d results other than pass\n",
                run->o->repeat, (unsigned long long)run->o->seed,
                (unsigned long long)(run->o->seed + (uint64_t)run->o->repeat - 1), bad);
}

/* A grading step of ours failed: one item that says so, never the student's fault. */
static void harness_error(struct report *r, const char *step, const char *what)
{
    struct item it = {.kind = ITEM_BUILD, .verdict = V_ERROR};

    snprintf(it.name, sizeof(it.name), "harness %s", step);
    snprintf(it.hint, sizeof(it.hint), "regrade once the grader is fixed; your code was not "
                                       "judged");
    item_printf(&it, "harness error, not your code: %s\n", what);
    report_add(r, &it);
}

/* Grade o->src into o->out; returns 0 on a full score, 1 below it, 3 when a step of the
 * grader's own failed (a harness error: regrade), 2 when it could not grade at all. */
static int grade_one(const struct opts *o)
{
    char specp[1100], skel[1100], lib[1100], err[1400];
    struct run run = {.o = o};
    struct kitchen_conf kc = {.latency_ms = 50};
    double t0 = now();
    int rc;

    paths(o, specp, skel, lib, sizeof(specp));
    if (spec_load(specp, &run.spec, err, sizeof(err)) < 0) {
        fprintf(stderr, "grade: %s\n", err);
        return 2;
    }
    if (spec_select(&run.spec, o->only) == 0) {
        fprintf(stderr, "grade: --only %s names no item of %s (see its spec)\n", o->only, o->lab);
        return 2;
    }
    report_init(&run.r, o->lab, run.spec.title);
    if (o->only)
        report_note(&run.r, "only %s: a partial run, scored on these items alone\n", o->only);
    snprintf(run.r.source, sizeof(run.r.source), "%s", shown(o->src));
    run.r.seed = o->seed;
    cores_detect(&run.cores);
    snprintf(run.r.machine, sizeof(run.r.machine), "%s", run.cores.why);
    struct build_conf bc = {
        .root = o->root, .lab = o->lab, .src = o->src, .skeleton = skel, .dir = o->build,
        .cc = getenv("CC_PATH") ? getenv("CC_PATH") : "/usr/bin/cc",
        .cr_cflags = getenv("CRITERION_CFLAGS"), .cr_libs = getenv("CRITERION_LIBS"),
        .libharness = lib, .kitchen = o->kitchen_bin,
    };
    if (!bc.cr_libs || !*bc.cr_libs)
        bc.cr_libs = "-lcriterion";
    box_to_remove = run.b.box; /* mkdtemp fills it in place: a path, or empty, at all times */
    if (build_lab(&bc, &run.spec, &run.b, err, sizeof(err)) < 0) {
        harness_error(&run.r, "build", err);
        goto out_report;
    }
    build_items(&run);
    note_sandbox(&run.r);
    if (kitchen_start(o->kitchen_bin, &kc, &run.k) < 0) {
        snprintf(err, sizeof(err), "could not start the kitchen (%s)", o->kitchen_bin);
        harness_error(&run.r, "kitchen", err);
        goto out_report;
    }
    jail_protect(run.k.pid);
    struct correct_conf cc = {.tests = run.b.tests, .box = run.b.box, .run = run.b.run,
                              .logs = run.b.logs,
                              .seed = o->seed, .port = run.k.port, .timeout_s = 20,
                              .kitchen = run.b.kitchen};
    correct_run(&cc, &run.spec, &run.b, &run.r);
    if (o->repeat > 1)
        repeat_tests(&run, &cc);
    note_todo(&run);
    race_items(&run);
    speed_all(&run);
    kitchen_stop(&run.k);
out_report:
    run.r.elapsed_s = now() - t0;
    report_print(&run.r, stdout, o->color);
    if (report_write_json(&run.r, o->out) < 0)
        fprintf(stderr, "grade: could not write %s\n", o->out);
    if (o->junit && report_write_junit(&run.r, o->junit) < 0)
        fprintf(stderr, "grade: could not write %s\n", o->junit);
    if (o->svg && report_write_svg(&run.r, o->svg) < 0)
        fprintf(stderr, "grade: could not write %s\n", o->svg);
    rc = report_errors(&run.r) ? 3 : report_full(&run.r) ? 0 : 1;
    report_free(&run.r);
    build_free(&run.b);
    box_to_remove = NULL;
    spec_free(&run.spec);
    return rc;
}

/* The lab's files in a submission: DIR/labs/<lab>/, DIR/<lab>/, or DIR itself; never
 * through a link a student planted (lstat). */
static void submission_src(const char *dir, const char *lab, char *src, size_t len)
{
    struct stat st, labs;
    char parent[1200];

    snprintf(parent, sizeof(parent), "%s/labs", dir);
    snprintf(src, len, "%s/labs/%s", dir, lab);
    if (lstat(parent, &labs) == 0 && S_ISDIR(labs.st_mode) && lstat(src, &st) == 0 &&
        S_ISDIR(st.st_mode))
        return;
    snprintf(src, len, "%s/%s", dir, lab);
    if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode))
        return;
    snprintf(src, len, "%s", dir);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Grade every submission folder in o->batch, one after another (speed never overlaps),
 * into build/batch/<name>/<lab>.json, then a CSV gradebook. */
static int grade_batch(const struct opts *o)
{
    DIR *d = opendir(o->batch);
    struct dirent *e;
    char **names = NULL, **results = NULL, regrade[4096] = "";
    size_t n = 0;
    int worst = 0;

    if (!d) {
        fprintf(stderr, "grade: %s: %s\n", o->batch, strerror(errno));
        return 2;
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_type == DT_REG)
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    results = calloc(n + 1, sizeof(*results));
    for (size_t i = 0; i < n; i++) {
        char dir[1100], src[1200], out[1200], build[1200], junit[1200];
        struct opts one = *o;
        snprintf(dir, sizeof(dir), "%s/%s", o->batch, names[i]);
        submission_src(dir, o->lab, src, sizeof(src));
        snprintf(out, sizeof(out), "%s/build/batch/%s/%s.json", o->root, names[i], o->lab);
        snprintf(junit, sizeof(junit), "%s/build/batch/%s/%s.xml", o->root, names[i], o->lab);
        snprintf(build, sizeof(build), "%s/build/batch/%s/%s", o->root, names[i], o->lab);
        one.src = src, one.out = out, one.junit = junit, one.build = build, one.batch = NULL;
        one.svg = NULL;
        printf("\n=== %s (%zu of %zu)\n", names[i], i + 1, n);
        int rc = grade_one(&one);
        if (rc == 3 || rc == 2) {
            size_t used = strlen(regrade);
            snprintf(regrade + used, sizeof(regrade) - used, "%s%s", used ? " " : "", names[i]);
        }
        if (rc > worst)
            worst = rc;
        results[i] = strdup(out);
    }
    char csv[1100];
    snprintf(csv, sizeof(csv), "%s/build/batch/%s.csv", o->root, o->lab);
    FILE *f = fopen(csv, "w");
    if (f) {
        gradebook_write(results, n, f);
        fclose(f);
        printf("\ngradebook: %s (%zu submissions)\n", csv, n);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]), free(results[i]);
    free(names);
    free(results);
    if (regrade[0]) {
        printf("harness errors (the grader's fault, not the students'): regrade %s\n", regrade);
        return 3;
    }
    return 0;
}

/* Runs chdir into their scratch folder: every path we hand out must be absolute. */
static const char *absolute(const char *path)
{
    static char cwd[1024];
    char *abs;

    if (!path || path[0] == '/')
        return path;
    if (!cwd[0] && !getcwd(cwd, sizeof(cwd)))
        return path;
    if (asprintf(&abs, "%s/%s", cwd, path) < 0)
        return path;
    return abs; /* lives as long as the program */
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: grade --root DIR --lab NAME (--src DIR | --batch DIR) [options]\n"
            "  --root DIR      the kit's top folder\n"
            "  --lab NAME      e.g. lab1-baselines\n"
            "  --src DIR       the folder with the student's files\n"
            "  --batch DIR     grade every submission folder in DIR (CSV gradebook too)\n"
            "  --build DIR     build folder (default ROOT/build/check/NAME)\n"
            "  --out FILE      results.json (default ROOT/build/results/NAME.json)\n"
            "  --junit FILE    also write JUnit XML\n"
            "  --svg FILE      also draw the speed cells as an SVG chart\n"
            "  --seed N        replay a run's inputs (default: random, printed)\n"
            "  --no-speed      correctness only\n"
            "  --speed A,B     time only these speed cells\n"
            "  --only A,B      grade only these items or suites (and the tests they need)\n"
            "  --repeat N      run the tests N times (seeds seed..seed+N-1), one build\n"
            "  --color WHEN    always, never or auto (default)\n");
}

int main(int argc, char **argv)
{
    static char build[1100], out[1100];
    struct opts o = {.color = -1, .seed = 0};
    static const struct option longs[] = {
        {"root", 1, 0, 'r'}, {"lab", 1, 0, 'l'},   {"src", 1, 0, 's'},   {"batch", 1, 0, 'B'},
        {"build", 1, 0, 'b'}, {"out", 1, 0, 'o'},  {"junit", 1, 0, 'j'}, {"seed", 1, 0, 'S'},
        {"no-speed", 0, 0, 'n'}, {"speed", 1, 0, 'p'}, {"color", 1, 0, 'c'},
        {"only", 1, 0, 'O'},     {"repeat", 1, 0, 'R'}, {"svg", 1, 0, 'g'},
        {"help", 0, 0, 'h'},     {0, 0, 0, 0},
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'r': o.root = optarg; break;
        case 'l': o.lab = optarg; break;
        case 's': o.src = optarg; break;
        case 'B': o.batch = optarg; break;
        case 'b': o.build = optarg; break;
        case 'o': o.out = optarg; break;
        case 'j': o.junit = optarg; break;
        case 'g': o.svg = optarg; break;
        case 'S': o.seed = strtoull(optarg, NULL, 0); break;
        case 'n': o.no_speed = 1; break;
        case 'p': o.only_speed = optarg; break;
        case 'O': o.only = optarg; break;
        case 'R': o.repeat = atoi(optarg); break;
        case 'c': o.color = !strcmp(optarg, "always") ? 1 : !strcmp(optarg, "never") ? 0 : -1;
                  break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.root || !o.lab || (!o.src == !o.batch) || (o.batch && (o.only || o.repeat))) {
        usage(stderr);
        return 2;
    }
    if (o.color < 0)
        o.color = isatty(1) && !getenv("NO_COLOR");
    if (!o.seed) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        o.seed = ((uint64_t)t.tv_nsec ^ (uint64_t)getpid() << 20) % 1000000000 + 1;
    }
    snprintf(build, sizeof(build), "%s/build/check/%s", o.root, o.lab);
    snprintf(out, sizeof(out), "%s/build/results/%s.json", o.root, o.lab);
    o.build = absolute(o.build ? o.build : build);
    o.out = absolute(o.out ? o.out : out);
    o.root = absolute(o.root);
    o.src = absolute(o.src);
    o.batch = absolute(o.batch);
    o.junit = absolute(o.junit);
    o.svg = absolute(o.svg);
    if (!realpath("/proc/self/exe", o.bindir)) {
        perror("grade: /proc/self/exe");
        return 2;
    }
    *strrchr(o.bindir, '/') = '\0';
    snprintf(o.kitchen_bin, sizeof(o.kitchen_bin), "%s/kitchen", o.bindir);
    setvbuf(stdout, NULL, _IOLBF, 0);
    catch_interrupts();
    if (kitchen_new_key() < 0) {
        perror("grade: a kitchen key");
        return 2;
    }
    return o.batch ? grade_batch(&o) : grade_one(&o);
}
