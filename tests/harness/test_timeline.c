/* test_timeline.c: /proc stat lines parsed, boxes and lanes, the SVG, live sampling, its cost. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sys.h"
#include "timeline.h"
#include "timeline_int.h"

/* A stat line as the kernel writes it: 52 fields, `cpu` in field 39. */
static void stat_line(char *buf, size_t len, int pid, const char *comm, char state, int cpu)
{
    int n = snprintf(buf, len, "%d (%s) %c 77", pid, comm, state);

    for (int field = 5; field <= 52; field++)
        n += snprintf(buf + n, len - n, " %d", field == 39 ? cpu : field * 10);
    snprintf(buf + n, len - n, "\n");
}

Test(timeline, parses_a_stat_line)
{
    char line[512];
    struct tl_stat st;

    stat_line(line, sizeof(line), 4242, "bench", 'R', 1);
    cr_assert_eq(timeline_parse_stat(line, &st), 0);
    cr_assert_eq(st.pid, 4242);
    cr_assert_eq(st.ppid, 77);
    cr_assert_str_eq(st.comm, "bench");
    cr_assert_eq(st.state, 'R');
    cr_assert_eq(st.cpu, 1);
}

Test(timeline, a_comm_with_spaces_and_parentheses_ends_at_the_last_paren)
{
    char line[512];
    struct tl_stat st;

    /* a task may name itself anything: this one tries to shift the fields */
    stat_line(line, sizeof(line), 9, "a) S 1 (b c", 'S', 3);
    cr_assert_eq(timeline_parse_stat(line, &st), 0);
    cr_assert_str_eq(st.comm, "a) S 1 (b c");
    cr_assert_eq(st.state, 'S');
    cr_assert_eq(st.ppid, 77);
    cr_assert_eq(st.cpu, 3);
}

Test(timeline, refuses_what_is_not_a_stat_line)
{
    struct tl_stat st;

    cr_assert_lt(timeline_parse_stat("", &st), 0);
    cr_assert_lt(timeline_parse_stat("12 (cut short) R 1 2 3", &st), 0);
    cr_assert_lt(timeline_parse_stat("12 no parens R 1", &st), 0);
}

Test(timeline, parses_our_own_stat)
{
    char *line = sys_slurp("/proc/self/stat", 4096, NULL);
    struct tl_stat st;

    cr_assert(line);
    cr_assert_eq(timeline_parse_stat(line, &st), 0);
    cr_assert_eq(st.pid, getpid());
    cr_assert_eq(st.ppid, getppid());
    cr_assert_eq(st.state, 'R'); /* reading it */
    cr_assert(st.cpu >= 0 && st.cpu < sysconf(_SC_NPROCESSORS_CONF), "cpu %d", st.cpu);
    free(line);
}

/*
 * The synthetic run: 4 ticks 1 ms apart on 2 cores.
 *   worker 0, tid 10 (pid 10): cooks on core 0 at ticks 0-3
 *   worker 1, tid 20 (pid 20, a process): cooks on core 1 at ticks 0-1, blocked at tick 2
 *   worker 2, tid 11 (pid 10): cooks on core 0 at tick 1 too (two tasks, one core), then
 *                              waits on the kitchen at ticks 2-3
 * (workers are numbered as the sampler first sees them)
 */
static void synthetic(struct timeline *tl)
{
    timeline_init(tl, "version threads");
    tl->ncores = 2;
    for (int k = 0; k < 4; k++) {
        int tick = timeline_tick(tl, 100.0 + k * 0.001);
        cr_assert_eq(tick, k);
        timeline_add(tl, tick, 10, 10, "bench", TL_COOK, 0);
        if (k == 1)
            timeline_add(tl, tick, 10, 11, "bench", TL_COOK, 0);
        if (k >= 2)
            timeline_add(tl, tick, 10, 11, "bench", TL_KITCHEN, 0);
        if (k < 2)
            timeline_add(tl, tick, 20, 20, "a<b", TL_COOK, 1);
        if (k == 2)
            timeline_add(tl, tick, 20, 20, "a<b", TL_BLOCKED, 1);
    }
}

static const struct tl_box *find(const struct tl_box *b, int n, int worker, enum tl_kind kind,
                                 double t0)
{
    for (int i = 0; i < n; i++)
        if (b[i].worker == worker && b[i].kind == kind && b[i].t0 > t0 - 1e-6 &&
            b[i].t0 < t0 + 1e-6)
            return &b[i];
    return NULL;
}

Test(timeline, boxes_merge_ticks_and_share_a_crowded_core)
{
    struct timeline tl;
    struct tl_box *b;
    const struct tl_box *x;

    synthetic(&tl);
    cr_assert_eq(tl.nw, 3);
    int n = timeline_boxes(&tl, &b);
    /* worker 0: [0,1) alone, [1,2) sharing core 0, [2,4) alone; worker 2: [1,2) sharing,
     * [2,4) waiting; worker 1: [0,2) on core 1, [2,3) blocked */
    cr_assert_eq(n, 7, "%d boxes", n);
    cr_assert((x = find(b, n, 0, TL_COOK, 0)));
    cr_assert(x->t1 > 0.001 - 1e-6 && x->t1 < 0.001 + 1e-6 && x->nslots == 1 && x->cpu == 0);
    cr_assert((x = find(b, n, 0, TL_COOK, 0.001)));
    cr_assert(x->slot == 0 && x->nslots == 2, "slot %d of %d", x->slot, x->nslots);
    cr_assert((x = find(b, n, 2, TL_COOK, 0.001)));
    cr_assert(x->slot == 1 && x->nslots == 2 && x->cpu == 0);
    cr_assert((x = find(b, n, 0, TL_COOK, 0.002)));
    cr_assert(x->nslots == 1 && x->t1 > 0.004 - 1e-6, "t1 %f", x->t1);
    cr_assert((x = find(b, n, 2, TL_KITCHEN, 0.002)));
    double end = 0.003 + TIMELINE_INTERVAL_MS / 1000.0; /* the last tick lasts an interval */
    cr_assert(x->t1 > end - 1e-6 && x->t1 < end + 1e-6, "t1 %f", x->t1);
    cr_assert((x = find(b, n, 1, TL_COOK, 0)));
    cr_assert(x->cpu == 1 && x->nslots == 1 && x->t1 > 0.002 - 1e-6 && x->t1 < 0.002 + 1e-6);
    cr_assert((x = find(b, n, 1, TL_BLOCKED, 0.002)));
    free(b);
    timeline_free(&tl);
}

Test(timeline, boxes_are_cut_to_the_span)
{
    struct timeline tl;
    struct tl_box *b;

    synthetic(&tl);
    tl.start = 100.0015; /* from the middle of tick 1 */
    tl.end = 100.0025;
    int n = timeline_boxes(&tl, &b);
    for (int i = 0; i < n; i++)
        cr_assert(b[i].t0 >= 0 && b[i].t1 <= 0.001 + 1e-6, "box %d: %f-%f", i, b[i].t0, b[i].t1);
    cr_assert(find(b, n, 0, TL_COOK, 0)); /* tick 1's half, then tick 2's half */
    cr_assert(find(b, n, 0, TL_COOK, 0.0005));
    cr_assert(!find(b, n, 1, TL_COOK, 0.0005)); /* the process was blocked by then */
    free(b);
    timeline_free(&tl);
}

Test(timeline, names_threads_of_the_first_process_and_other_processes)
{
    struct timeline tl;
    struct tl_box *b;
    int order[TIMELINE_MAX_WORKERS];
    char names[TIMELINE_MAX_WORKERS][40];

    synthetic(&tl);
    timeline_add(&tl, 3, 20, 21, "a<b", TL_COOK, 1); /* a thread of the process */
    int n = timeline_boxes(&tl, &b);
    cr_assert_eq(timeline_names(&tl, b, n, order, names), 4);
    cr_assert_str_eq(names[0], "main thread");
    cr_assert_str_eq(names[1], "process 1");
    cr_assert_str_eq(names[2], "thread 1");
    cr_assert_str_eq(names[3], "process 1 thread 1");
    cr_assert(order[0] == 0 && order[1] == 1 && order[2] == 2 && order[3] == 3);
    free(b);
    timeline_free(&tl);
}

/* timeline_int.h: a panel's span, from the first tick to one interval past the last,
 * unless start and end say otherwise. */
Test(timeline, span_runs_from_the_first_tick_to_an_interval_past_the_last)
{
    struct timeline tl;

    timeline_init(&tl, "empty");
    cr_assert_eq(span_start(&tl), 0);
    cr_assert_float_eq(span_end(&tl), TIMELINE_INTERVAL_MS / 1000.0, 1e-9);
    synthetic(&tl);
    cr_assert_float_eq(span_start(&tl), 100.0, 1e-9);
    cr_assert_float_eq(span_end(&tl), 100.003 + TIMELINE_INTERVAL_MS / 1000.0, 1e-9);
    tl.start = 100.0015;
    tl.end = 100.0025;
    cr_assert_float_eq(span_start(&tl), 100.0015, 1e-9);
    cr_assert_float_eq(span_end(&tl), 100.0025, 1e-9);
    timeline_free(&tl);
}

static int count(const char *text, const char *what)
{
    int n = 0;

    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

Test(timeline, svg_has_a_lane_per_core_and_a_box_per_run)
{
    char dir[] = "/tmp/timeline-XXXXXX", path[128];
    struct timeline a, base;
    const struct timeline *both[2] = {&base, &a};

    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.svg", dir);
    synthetic(&a);
    timeline_init(&base, "baseline <ref>");
    base.ncores = 2;
    for (int k = 0; k < 8; k++) /* the baseline: one task on core 1, 8 ms */
        timeline_add(&base, timeline_tick(&base, 50.0 + k * 0.001), 5, 5, "bench", TL_COOK, 1);
    cr_assert_eq(timeline_write_svg(both, 2, "cook.threads & co", "a note", path), 0);
    char *svg = sys_slurp(path, 1 << 20, NULL);
    cr_assert(svg);
    cr_assert(strstr(svg, "<svg") && strstr(svg, "</svg>\n"));
    cr_assert(strstr(svg, "cook.threads &amp; co") && strstr(svg, "baseline &lt;ref&gt;"));
    cr_assert_eq(count(svg, ">core 0<"), 2); /* a lane per core, per panel */
    cr_assert_eq(count(svg, ">core 1<"), 2);
    cr_assert_eq(count(svg, "): running "), 6); /* 1 baseline box, 5 of the version */
    cr_assert_eq(count(svg, "): waiting on I/O "), 1);
    cr_assert_eq(count(svg, "): blocked "), 1);
    cr_assert(strstr(svg, "<title>process 1 (a&lt;b): running 0.0-2.0 ms</title>"), "%s", svg);
    cr_assert(strstr(svg, ">thread 1 waits<") && strstr(svg, ">process 1 waits<"));
    cr_assert(!strstr(svg, ">main thread waits<")); /* it never waited */
    char spans[2][32];
    snprintf(spans[0], sizeof(spans[0]), "(%d ms, 1 task)", 7 + TIMELINE_INTERVAL_MS);
    snprintf(spans[1], sizeof(spans[1]), "(%d ms, 3 tasks)", 3 + TIMELINE_INTERVAL_MS);
    cr_assert(strstr(svg, spans[0]) && strstr(svg, spans[1]), "%s / %s", spans[0], spans[1]);
    free(svg);
    timeline_free(&a);
    timeline_free(&base);
    unlink(path);
    rmdir(dir);
}

/* ---- live: a real process tree sampled from outside ---- */

static atomic_bool spin_stop;

static void *spin(void *arg)
{
    volatile unsigned long x = 0;

    (void)arg;
    while (!atomic_load(&spin_stop))
        x++;
    return NULL;
}

/* A child that keeps two threads busy until killed. */
static pid_t busy_child(void)
{
    pid_t pid = fork();

    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, spin, NULL);
        spin(NULL);
        _exit(0);
    }
    return pid;
}

static pid_t live_root;
static pid_t root_fn(void)
{
    return live_root;
}

/* Distinct tasks seen running, and distinct cores they ran on. */
static void running(const struct timeline *tl, int *tasks, int *cores)
{
    bool task[TIMELINE_MAX_WORKERS] = {0}, core[1024] = {0};

    *tasks = *cores = 0;
    for (size_t i = 0; i < tl->n; i++)
        if (tl->s[i].kind == TL_COOK) {
            *tasks += !task[tl->s[i].worker];
            task[tl->s[i].worker] = true;
            *cores += !core[tl->s[i].cpu & 1023];
            core[tl->s[i].cpu & 1023] = true;
        }
}

Test(timeline, live_sampler_sees_two_busy_threads, .timeout = 20)
{
    struct timeline tl;
    int tasks, cores;

    timeline_init(&tl, "live");
    live_root = busy_child();
    cr_assert_gt(live_root, 0);
    struct tl_sampler *sp = timeline_start(&tl, root_fn);
    cr_assert(sp);
    usleep(300000);
    timeline_stop(sp);
    kill(live_root, SIGKILL);
    waitpid(live_root, NULL, 0);
    running(&tl, &tasks, &cores);
    cr_assert_gt(tl.nticks, 100, "%d ticks in 300 ms", tl.nticks);
    cr_assert_eq(tl.nw, 2, "%d tasks", tl.nw);
    cr_assert_eq(tasks, 2);
    cr_log_info("2 busy threads: seen on %d core(s)", cores);
    cr_assert(cores >= 1 && cores <= tl.ncores);
    timeline_free(&tl);
}

Test(timeline, live_tree_takes_in_children_and_says_what_they_wait_on, .timeout = 20)
{
    struct timeline tl;
    struct tl_tree *tree;
    int sv[2], fds[2];
    char c;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(pipe(fds), 0);
    pid_t root = fork();
    if (root == 0) { /* a parent blocked on a pipe, its child on a socket */
        if (fork() == 0) {
            ssize_t n = read(sv[1], &c, 1);
            _exit(n == 1 ? 0 : 1);
        }
        ssize_t n = read(fds[0], &c, 1);
        _exit(n == 1 ? 0 : 1);
    }
    timeline_init(&tl, "tree");
    cr_assert((tree = timeline_tree_new(root)));
    usleep(100000); /* both asleep by now */
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(timeline_sample(&tl, tree), 0);
        usleep(1000);
    }
    cr_assert_eq(tl.nw, 2, "%d tasks", tl.nw);
    enum tl_kind parent = tl.s[tl.n - 2].kind, child = tl.s[tl.n - 1].kind;
    if (tl.w[tl.s[tl.n - 1].worker].pid == root) { /* in the tree's order: root first */
        enum tl_kind k = parent;
        parent = child;
        child = k;
    }
    cr_assert_eq(parent, TL_BLOCKED, "the parent reads a pipe: %d", parent);
    cr_assert_eq(child, TL_KITCHEN, "the child reads a socket: %d", child);
    cr_assert_eq(write(sv[0], "x", 1), 1);
    cr_assert_eq(write(fds[1], "x", 1), 1);
    int st;
    waitpid(root, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    usleep(50000);
    cr_assert_eq(timeline_sample(&tl, tree), -ESRCH); /* nothing of the tree is left */
    timeline_tree_free(tree);
    timeline_free(&tl);
}

/* The cost: a two-thread busy run of a fixed amount of work (a cooking cell's shape),
 * timed with and without the sampler, interleaved, medians. */
static double work_run(bool sampled, double *sampler_cpu)
{
    struct timeline tl;
    struct tl_sampler *sp = NULL;
    double t0, c0 = sys_self_cpu();

    timeline_init(&tl, "cost");
    live_root = 0;
    if (sampled)
        sp = timeline_start(&tl, root_fn);
    t0 = sys_now();
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        volatile unsigned long x = 0;
        pthread_create(&t, NULL, (void *(*)(void *))spin, NULL); /* a busy neighbour */
        for (unsigned long i = 0; i < 50000000UL; i++)
            x += i;
        _exit(0);
    }
    live_root = pid;
    waitpid(pid, NULL, 0);
    double wall = sys_now() - t0;
    timeline_stop(sp);
    *sampler_cpu = sys_self_cpu() - c0;
    timeline_free(&tl);
    return wall;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Five interleaved pairs, sampled and not: the medians of the sampled wall, the plain
 * wall and the sampler's own CPU share, in m[0..2]. */
static void measure_cost(double m[3])
{
    double on[5], off[5], cpu[5], dummy;

    for (int i = 0; i < 5; i++) {
        if (i % 2) {
            off[i] = work_run(false, &dummy);
            on[i] = work_run(true, &cpu[i]);
        } else {
            on[i] = work_run(true, &cpu[i]);
            off[i] = work_run(false, &dummy);
        }
        cpu[i] /= on[i];
    }
    qsort(on, 5, sizeof(double), cmp);
    qsort(off, 5, sizeof(double), cmp);
    qsort(cpu, 5, sizeof(double), cmp);
    m[0] = on[2], m[1] = off[2], m[2] = cpu[2];
    fprintf(stderr,
            "timeline cost: median wall %.4f s sampled, %.4f s not (%+.1f%%); the sampler "
            "used %.2f%% of one core\n",
            m[0], m[1], 100 * (m[0] / m[1] - 1), 100 * m[2]);
}

/* The sampler's own CPU is what it takes from the run: a few % of one core, whatever the
 * machine does. The wall figure is at the mercy of a shared machine (identical runs vary
 * by 50%, and by 120% at a load of 50): only a gross cost (a sampler that spins) is
 * caught by it, measured again up to 3 times; a machine too busy all along skips it. */
Test(timeline, sampling_costs_little, .timeout = 120)
{
    double m[3], least = 1;

    /* its CPU share is retried too: a run is ~20 ms, and a fork's and a thread's fixed costs
     * on a loaded machine (CI beside two other graders) once read 21% of a core; a sampler
     * that spins takes most of one, every time */
    for (int attempt = 0; attempt < 3; attempt++) {
        measure_cost(m);
        least = m[2] < least ? m[2] : least;
        if (m[2] < 0.10 && m[0] / m[1] < 2.0)
            return;
    }
    cr_assert_lt(least, 0.5, "the sampler used %.1f%% of a core at the least of 3 tries: it spins",
                 100 * least);
    if (least >= 0.10)
        cr_skip_test("the sampler used %.1f%% of a core at the least of 3 tries (a few %% on a "
                     "quiet machine): the machine is too busy to tell",
                     100 * least);
    cr_skip_test("sampled runs took %.0f%% longer 3 times: the machine is too busy to time "
                 "it (the sampler's own CPU, %.1f%% of a core, is within bounds)",
                 100 * (m[0] / m[1] - 1), 100 * m[2]);
}
