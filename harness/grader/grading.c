/* grading.c: one grading of one folder: build, tests, races, speed cells, report. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cells.h"
#include "cores.h"
#include "correct.h"
#include "gradebook.h"
#include "grading.h"
#include "grading_int.h"
#include "html.h"
#include "jail.h"
#include "kitchen.h"
#include "race.h"
#include "requires.h"
#include "batch_state.h"
#include "sandbox.h"
#include "speedlock.h"
#include "sys.h"

/* Interrupted: only async-signal-safe calls; the removal is an `rm` of our own, waited
 * for. */
static char *volatile box_to_remove;     /* the build's box (build_out.box), while there is one */
static char *volatile ref_box_to_remove; /* the reference's (values.h), while there is one */

/* rm -rf box, waited for (async-signal-safe). */
static void remove_now(char *box)
{
    char *argv[] = {"/bin/rm", "-rf", "--", box, NULL};
    pid_t pid;

    if (box && box[0] && (pid = fork()) == 0) {
        execve(argv[0], argv, (char *[]){NULL});
        _exit(127);
    } else if (box && box[0] && pid > 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

static void on_interrupt(int sig)
{
    jail_abort();
    remove_now(box_to_remove);
    remove_now(ref_box_to_remove);
    signal(sig, SIG_DFL);
    raise(sig);
}

void grading_catch_interrupts(void)
{
    struct sigaction sa = {.sa_handler = on_interrupt};

    sigemptyset(&sa.sa_mask);
    for (int s = 0; s < 3; s++)
        sigaction((int[]){SIGINT, SIGTERM, SIGHUP}[s], &sa, NULL);
}

/*
 * --repeat N: the tests again with seeds seed + 1 ... seed + N - 1, on the same build
 * (what a flaky test or an input that collides with a verdict needs to show). A test
 * that does not pass under some seed turns its item into a failure that names the seed
 * (replay: --seed S) and what it said; the scoreboard line says how many runs there were.
 */
static void repeat_tests(struct grading *g, const struct correct_conf *c)
{
    const struct opts *o = g->o;
    struct correct_conf cc = *c;
    int bad = 0, unrun = 0;

    for (size_t i = 0; i < g->r.n; i++) { /* the first run's, counted as the others' are */
        enum verdict v = g->r.items[i].verdict;
        bool ran = v != V_BUILD_ERROR && v != V_SKIPPED;

        if (g->r.items[i].kind == ITEM_TEST) {
            bad += ran && v != V_PASS;
            unrun += !ran; /* "0 results other than pass" would read as all passed */
        }
    }
    for (int r = 1; r < o->repeat; r++) {
        struct report once;

        report_init(&once, o->lab, g->spec.title);
        cc.seed = o->seed + (uint64_t)r;
        correct_run(&cc, &g->spec, &g->b, &once);
        bad += grading_fold_repeat(&g->r, &once, cc.seed, r + 1, o->repeat);
        report_free(&once);
    }
    report_note(&g->r, "tests run %d times (seeds %llu-%llu): %d results other than pass%s\n",
                o->repeat, (unsigned long long)o->seed,
                (unsigned long long)(o->seed + (uint64_t)o->repeat - 1), bad,
                unrun ? "; tests not run (a build error, or what they need did not pass) not "
                        "counted: see their items"
                      : "");
}

/* Race i of the spec as an item: run when what it requires passed and its driver built. */
struct item grading_race_item(struct grading *g, int i)
{
    const struct spec_race *s = &g->spec.races[i];
    struct item it = {.kind = ITEM_RACE, .max_score = s->points};
    struct race_conf rc = {.bin = g->b.race[i],
                           .sanitizer = s->sanitizer,
                           .box = g->b.box,
                           .run = g->b.run,
                           .logs = g->b.logs,
                           .seed = g->o->seed,
                           .port = g->k.port,
                           .timeout_s = 60};

    snprintf(it.name, sizeof(it.name), "%s", s->name);
    snprintf(it.hint, sizeof(it.hint), "%s", s->hint);
    if (!requires_met(&g->r, s->requires, s->nrequires, &it)) {
    } else if (!g->b.race_ok[i]) {
        it.verdict = V_BUILD_ERROR;
        item_printf(&it, "the race driver did not build with %s:\n%s",
                    s->sanitizer == SAN_ADDRESS     ? "AddressSanitizer"
                    : s->sanitizer == SAN_UNDEFINED ? "UndefinedBehaviorSanitizer"
                                                    : "ThreadSanitizer",
                    g->b.race_log[i] ? g->b.race_log[i] : "");
    } else {
        it.verdict = race_run(&rc, &it);
    }
    it.score = it.verdict == V_PASS ? s->points : 0;
    return it;
}

static void race_items(struct grading *g)
{
    for (int i = 0; i < g->spec.nraces; i++) {
        struct item it = grading_race_item(g, i);
        report_add(&g->r, &it);
    }
}

/* The cells' site and report: what cells_grade needs of this grading. */
static void cells_setup(struct grading *g)
{
    g->cells = (struct cells){
        .site = {.bench = g->b.bench,
                 .box = g->b.box,
                 .run = g->b.run,
                 .logs = g->b.logs,
                 .k = &g->k,
                 .cores = &g->cores,
                 .seed = g->o->seed},
        .bench_ok = g->b.bench_ok,
        .r = &g->r,
        .timelines = g->o->timelines,
        .root = g->o->root,
    };
}

bool grading_wants_cells(const struct grading *g)
{
    return g->kitchen_up && !g->o->no_speed && g->spec.nspeeds > 0;
}

/* The machine's timing lock, or -errno (said on stderr: the grading goes on without). */
int grading_take_lock(void)
{
    int lock = speedlock_take(speedlock_path());

    if (lock < 0)
        fprintf(stderr, "grade: timing without the machine's speed lock (%s: %s)\n",
                speedlock_path(), strerror(-lock));
    return lock;
}

/* The speed cells; with the machine's timing lock (one grader times at a time on this
 * machine: a batch's others, make check's), unless `locked` says we hold it. A grading
 * with nothing to time (a skeleton) does not wait for the others. */
void grading_speed_items(struct grading *g, bool locked)
{
    int lock = -1;

    if (!grading_wants_cells(g))
        return;
    cells_setup(g);
    if (!cells_any_to_time(&g->cells, &g->spec, g->o->only_speed)) {
        cells_grade(&g->cells, &g->spec, g->o->only_speed); /* each says why it was not run */
        return;
    }
    if (!locked)
        lock = grading_take_lock();
    cells_grade(&g->cells, &g->spec, g->o->only_speed);
    if (!locked)
        speedlock_release(lock);
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

/* The lab's spec, narrowed to --only, and the report's heading. -1 when it cannot. */
static int start(struct grading *g)
{
    const struct opts *o = g->o;
    char path[1100], err[1400], word[128];

    snprintf(path, sizeof(path), "%s/harness/labs/%s/spec", o->root, o->lab);
    if (spec_load(path, &g->spec, err, sizeof(err)) < 0) {
        fprintf(stderr, "grade: %s\n", err);
        return -1;
    }
    if (spec_select(&g->spec, o->only) == 0) { /* a word of it names nothing: which */
        fprintf(stderr, "grade: --only %s names no item of %s (see its spec)\n",
                spec_unknown(&g->spec, o->only, word, sizeof(word)) ? word : o->only, o->lab);
        return -1;
    }
    report_init(&g->r, o->lab, g->spec.title);
    if (o->only)
        report_note(&g->r, "only %s: a partial run, scored on these items alone\n", o->only);
    snprintf(g->r.source, sizeof(g->r.source), "%s", shown(o->src));
    g->r.seed = o->seed;
    cores_detect(&g->cores);
    snprintf(g->r.machine, sizeof(g->r.machine), "%s", g->cores.why);
    fingerprint_take(&g->r.fp, &g->cores, o->root, getenv("CC_PATH"), NULL);
    return 0;
}

struct build_conf grading_build_conf(const struct opts *o, char skel[1100], char lib[1100])
{
    struct build_conf bc = {
        .root = o->root,
        .lab = o->lab,
        .src = o->src,
        .top = o->top,
        .skeleton = skel,
        .dir = o->build,
        .cc = getenv("CC_PATH") ? getenv("CC_PATH") : "/usr/bin/cc",
        .cr_cflags = getenv("CRITERION_CFLAGS"),
        .cr_libs = getenv("CRITERION_LIBS"),
        .libharness = lib,
        .kitchen = o->kitchen_bin,
        .cache_dir = o->objcache[0] ? o->objcache : NULL,
        .fuse_ld = build_fuse_ld(),
    };

    snprintf(skel, 1100, "%s/labs/%s", o->root, o->lab);
    snprintf(lib, 1100, "%s/../harness/libharness.a", o->bindir);
    if (!bc.cr_libs || !*bc.cr_libs)
        bc.cr_libs = "-lcriterion";
    bc.cr_kit = build_criterion_kit(o->bindir, &bc.cr_libs);
    return bc;
}

/* Build the folder against the kit, into g->b; -1 (a harness error item) when our part
 * failed. */
static int build(struct grading *g)
{
    char skel[1100], lib[1100], err[1400];
    struct build_conf bc = grading_build_conf(g->o, skel, lib);

    bc.no_bench = g->o->no_speed || g->spec.nspeeds == 0; /* spec_select: --only's cells */
    box_to_remove = g->b.box; /* mkdtemp fills it in place: a path, or empty, at all times */
    if (build_lab(&bc, &g->spec, &g->b, err, sizeof(err)) < 0) {
        grading_harness_error(&g->r, "build", err);
        return -1;
    }
    grading_build_items(&g->r, &g->spec, &g->b);
    sandbox_note(&g->r);
    if (values_wanted(&g->spec)) {
        values_prepare(&g->values, &bc, &g->spec);
        ref_box_to_remove = g->values.ref.box;
        if (!g->values.have_ref)
            report_note(&g->r, "values: %s\n", g->values.why);
    }
    return 0;
}

enum verdict (*grading_run_test)(const struct correct_conf *c, const struct spec_test *t,
                                 struct item *it, struct jail_result *r);

struct correct_conf grading_correct_conf(struct grading *g)
{
    return (struct correct_conf){.tests = g->b.tests,
                                 .box = g->b.box,
                                 .run = g->b.run,
                                 .logs = g->b.logs,
                                 .seed = g->o->seed,
                                 .port = g->k.port,
                                 .timeout_s = 20,
                                 .kitchen = g->b.kitchen,
                                 .run_test = grading_run_test,
                                 .values = &g->values};
}

/* With the kitchen up: the tests (--repeat: again), the races. The speed cells follow
 * (grading_speed_items; in a batch, grading_alone). */
static void run_items(struct grading *g)
{
    const struct opts *o = g->o;
    struct correct_conf cc = grading_correct_conf(g);

    correct_run(&cc, &g->spec, &g->b, &g->r);
    if (o->repeat > 1)
        repeat_tests(g, &cc);
    if (correct_canary(&cc, &g->b, &g->r) < 0) {
        race_items(g); /* listed, not run: what they require was not judged */
        return;
    }
    grading_note_todo(&g->r, &g->spec);
    race_items(g);
}

/* Show and save the report; the exit code grading_run returns. */
static int finish(struct grading *g)
{
    const struct opts *o = g->o;

    report_print(&g->r, stdout, o->color);
    if (report_write_json(&g->r, o->out) < 0)
        fprintf(stderr, "grade: could not write %s\n", o->out);
    if (o->junit && report_write_junit(&g->r, o->junit) < 0)
        fprintf(stderr, "grade: could not write %s\n", o->junit);
    if (o->svg && report_write_svg(&g->r, o->svg) < 0)
        fprintf(stderr, "grade: could not write %s\n", o->svg);
    if (o->html && html_write(&g->r, o->html) < 0) /* after the chart: the page shows it */
        fprintf(stderr, "grade: could not write %s (or the index beside it)\n", o->html);
    return report_errors(&g->r) ? 3 : report_full(&g->r) ? 0 : 1;
}

struct grading *grading_begin(const struct opts *o, int *rc)
{
    struct grading *g = calloc(1, sizeof(*g));
    struct kitchen_conf kc = {.latency_ms = 50};

    *rc = 2;
    if (!g) {
        fprintf(stderr, "grade: no memory to grade %s\n", o->src);
        return NULL;
    }
    g->o = o;
    g->t0 = sys_now();
    if (start(g) < 0) {
        free(g);
        return NULL;
    }
    *rc = 0;
    if (build(g) < 0)
        return g;
    if (kitchen_start(o->kitchen_bin, &kc, &g->k) < 0) {
        char err[1200];
        snprintf(err, sizeof(err), "could not start the kitchen (%s)", o->kitchen_bin);
        grading_harness_error(&g->r, "kitchen", err);
        return g;
    }
    g->kitchen_up = true;
    jail_protect(g->k.pid);
    run_items(g);
    return g;
}

int grading_end(struct grading *g)
{
    const struct opts *o = g->o;
    int rc, err;

    if (g->kitchen_up && kitchen_stop(&g->k) == -EIO)
        grading_void_failures(&g->r, "kitchen",
                              "the kitchen (the grader's I/O server) ended during the "
                              "run: orders to it were refused from then on");
    g->r.elapsed_s = sys_now() - g->t0;
    rc = finish(g);
    if (o->book && gradebook_add(o->book, o->name, &g->r) < 0)
        fprintf(stderr, "grade: no memory for %s's gradebook row\n", o->name);
    if (o->state && (err = batch_state_save(&g->r, o->state)) < 0)
        fprintf(stderr, "grade: could not write %s: %s\n", o->state, strerror(-err));
    report_free(&g->r);
    build_free(&g->b);
    box_to_remove = NULL;
    values_free(&g->values);
    ref_box_to_remove = NULL;
    spec_free(&g->spec);
    free(g);
    return rc;
}

int grading_run(const struct opts *o)
{
    int rc;
    struct grading *g = grading_begin(o, &rc);

    if (!g)
        return rc;
    grading_speed_items(g, false);
    return grading_end(g);
}
