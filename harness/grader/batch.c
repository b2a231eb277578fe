/* batch.c: grade every submission folder of a folder, several at once; a gradebook. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "batch_state.h"
#include "cores.h"
#include "gradebook.h"
#include "grading.h"
#include "sys.h"

enum {
    BATCH_PARKED_MAX = 32, /* gradings waiting, tested, for their turn to time (each keeps
                              its box and kitchen meanwhile): more, and the wave is timed */
    BATCH_PATH = 1200,
};

struct batch_grader batch_grader = {grading_begin, grading_wants_speed, grading_speed, grading_end};

/* Where a submission's grading stands. */
enum job_state { J_NEW, J_TESTING, J_PARKED, J_DONE };

/* One submission of the batch: its paths and options, its grader process. */
struct job {
    const char *name;
    struct opts o;
    char src[BATCH_PATH], out[BATCH_PATH], junit[BATCH_PATH], build[BATCH_PATH];
    char state[BATCH_PATH], log[BATCH_PATH], err[BATCH_PATH];
    /* --regrade: the cells to re-time (comma-separated), the saved report they go into
     * and where it lives; skip when there is nothing to re-time (or nothing saved). */
    char cells[1024], saved[BATCH_PATH], saved_json[BATCH_PATH], saved_junit[BATCH_PATH];
    struct report old;
    bool have_old, skip;
    enum job_state st;
    pid_t pid;
    int status_fd, go_fd; /* the parent's ends: "R" (parked) comes in, "G" (time now) out */
    int rc;
};

void batch_src(const char *dir, const char *lab, char *src, size_t len)
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

int batch_list(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    *names = NULL;
    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_type == DT_REG)
            continue;
        *names = realloc(*names, (n + 1) * sizeof(**names));
        (*names)[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(*names, n, sizeof(**names), cmp_str);
    return n;
}

int batch_jobs(int asked)
{
    struct cores c;

    if (asked > 0)
        return asked;
    cores_detect(&c);
    return c.usable >= 2 ? (int)c.usable : 1;
}

/* mkdir -p of a folder. */
static void make_dirs(const char *path)
{
    char dir[BATCH_PATH];

    snprintf(dir, sizeof(dir), "%s/", path);
    for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(dir, 0755);
        *p = '/';
    }
}

/* --regrade: the inconclusive items of the saved report (speed cells, and tests that a
 * busy machine left so: correct.c), into j->cells. */
static void find_inconclusive(struct job *j)
{
    size_t used = 0;

    for (size_t i = 0; i < j->old.n; i++) {
        const struct item *it = &j->old.items[i];
        if ((it->kind != ITEM_SPEED && it->kind != ITEM_TEST) || it->verdict != V_INCONCLUSIVE ||
            used + strlen(it->name) + 2 >= sizeof(j->cells))
            continue;
        used +=
            snprintf(j->cells + used, sizeof(j->cells) - used, "%s%s", used ? "," : "", it->name);
    }
}

/* Paths and options of submission `name`. The grading writes ROOT/build/batch/<name>/
 * <lab>.json, .xml, .state and .log; a regrade writes <lab>.regrade.* and builds in
 * <lab>-regrade, leaving the batch's files to the merge. */
static void job_init(const struct opts *o, struct job *j, const char *name)
{
    char dir[BATCH_PATH], base[BATCH_PATH - 100];
    const char *tag = o->regrade ? ".regrade" : "";

    j->name = name;
    snprintf(dir, sizeof(dir), "%s/%s", o->batch, name);
    batch_src(dir, o->lab, j->src, sizeof(j->src));
    snprintf(base, sizeof(base), "%s/build/batch/%s/%s", o->root, name, o->lab);
    snprintf(j->saved, sizeof(j->saved), "%s.state", base);
    snprintf(j->saved_json, sizeof(j->saved_json), "%s.json", base);
    snprintf(j->saved_junit, sizeof(j->saved_junit), "%s.xml", base);
    snprintf(j->out, sizeof(j->out), "%s%s.json", base, tag);
    snprintf(j->junit, sizeof(j->junit), "%s.xml", base);
    snprintf(j->build, sizeof(j->build), "%s%s", base, o->regrade ? "-regrade" : "");
    snprintf(j->state, sizeof(j->state), "%s%s.state", base, tag);
    snprintf(j->log, sizeof(j->log), "%s%s.log", base, tag);
    snprintf(j->err, sizeof(j->err), "%s%s.err", base, tag);
    j->o = *o;
    j->o.src = j->src, j->o.out = j->out, j->o.build = j->build, j->o.state = j->state;
    j->o.junit = o->regrade ? NULL : j->junit;
    j->o.batch = NULL, j->o.svg = NULL, j->o.book = NULL, j->o.name = name;
    j->o.regrade = 0;
    j->status_fd = j->go_fd = -1;
    if (o->regrade) {
        j->have_old = batch_state_load(&j->old, j->saved) == 0;
        if (j->have_old)
            find_inconclusive(j);
        j->skip = !j->cells[0];
        j->o.only = j->cells;
    }
    unlink(j->state); /* a grading that fails to start must not leave an old one standing */
}

/* ---- --regrade: the re-timed cells into the saved report ---- */

static struct item *find_cell(struct report *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if ((r->items[i].kind == ITEM_SPEED || r->items[i].kind == ITEM_TEST) &&
            !strcmp(r->items[i].name, name))
            return &r->items[i];
    return NULL;
}

/* Each cell of j->cells takes its new item (a cell skipped this time, for a test it
 * needs that failed now, keeps the old one); then the batch's files are written again. */
static void merge(struct job *j)
{
    struct report fresh;
    char cells[sizeof(j->cells)], *save = NULL;

    if (batch_state_load(&fresh, j->state) < 0) {
        printf("regrade %s: not re-timed (see %s)\n", j->name, j->log);
        return;
    }
    snprintf(cells, sizeof(cells), "%s", j->cells);
    for (char *c = strtok_r(cells, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        struct item *was = find_cell(&j->old, c), *now = find_cell(&fresh, c);
        if (!was || !now || now->verdict == V_SKIPPED || now->verdict == V_ERROR) {
            printf("regrade %s: %s: kept (%s)\n", j->name, c,
                   !now                        ? "not graded"
                   : now->verdict == V_SKIPPED ? "what it needs did not pass this time"
                                               : "a harness error");
            continue;
        }
        printf("regrade %s: %s: %s -> %s\n", j->name, c, verdict_name(was->verdict),
               verdict_name(now->verdict));
        free(was->output);
        *was = *now;
        now->output = NULL;
    }
    report_note(&j->old, "re-timed by a regrade (seed %llu): %s\n", (unsigned long long)fresh.seed,
                j->cells);
    report_free(&fresh);
    if (report_write_json(&j->old, j->saved_json) < 0 ||
        report_write_junit(&j->old, j->saved_junit) < 0 || batch_state_save(&j->old, j->saved))
        fprintf(stderr, "grade: could not update %s's results\n", j->name);
    unlink(j->state);
    unlink(j->out);
}

/* ---- in order: what each grading printed, its gradebook row ---- */

static void replay(const char *path, FILE *to)
{
    size_t len;
    char *text = sys_slurp(path, SIZE_MAX, &len);

    if (text)
        fwrite(text, 1, len, to);
    free(text);
}

static void add_note(char *list, size_t size, const char *name)
{
    size_t used = strlen(list);

    snprintf(list + used, size - used, "%s%s", used ? " " : "", name);
}

/* The i-th of n is done: show it (a parallel batch's from its log), merge a regrade, add
 * its row; a harness error or a grading that could not grade joins `again`. */
static void job_show(const struct opts *o, struct gradebook *book, struct job *j, bool from_log,
                     char *again, size_t size)
{
    struct report r;
    bool have;

    if (from_log) {
        replay(j->log, stdout);
        fflush(stdout);
        replay(j->err, stderr);
    }
    unlink(j->err);
    if (o->regrade && !j->skip && j->rc != 2)
        merge(j);
    if (o->regrade && !j->have_old) {
        gradebook_add_error(book, j->name, o->lab, "no saved results: grade the batch first");
        return;
    }
    if (j->rc == 3 || j->rc == 2)
        add_note(again, size, j->name);
    have = o->regrade || batch_state_load(&r, j->state) == 0;
    if (!have) {
        gradebook_add_error(book, j->name, o->lab, "not graded (see the log)");
        return;
    }
    if (gradebook_add(book, j->name, o->regrade ? &j->old : &r) < 0)
        fprintf(stderr, "grade: no memory for %s's gradebook row\n", j->name);
    if (!o->regrade)
        report_free(&r);
}

static void header(const struct job *j, int i, int n)
{
    printf("\n=== %s (%d of %d)%s\n", j->name, i + 1, n,
           j->skip ? (j->have_old ? ": nothing to re-time" : ": no saved results") : "");
}

/* ---- one at a time, in this process ---- */

static int grade_here(const struct opts *o)
{
    int rc;
    struct grading *g = batch_grader.begin(o, &rc);

    if (!g)
        return rc;
    if (batch_grader.wants_speed(g))
        batch_grader.speed(g);
    return batch_grader.end(g);
}

static void run_sequential(const struct opts *o, struct gradebook *book, struct job *jobs, int n,
                           char *again, size_t size)
{
    for (int i = 0; i < n; i++) {
        header(&jobs[i], i, n);
        jobs[i].rc = jobs[i].skip ? 0 : grade_here(&jobs[i].o);
        job_show(o, book, &jobs[i], false, again, size);
    }
}

/* ---- several at once: a grader process per submission ---- */

static struct job *volatile live_jobs; /* for the signal handler: whose graders to stop */
static volatile int live_n;

/* Interrupted: each grader removes its own box (its own handler); then we die of it. */
static void forward(int sig)
{
    for (int i = 0; i < live_n; i++)
        if (live_jobs[i].pid > 0 && live_jobs[i].st != J_DONE)
            kill(live_jobs[i].pid, sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_forward(void)
{
    struct sigaction sa = {.sa_handler = forward};

    sigemptyset(&sa.sa_mask);
    for (int s = 0; s < 3; s++)
        sigaction((int[]){SIGINT, SIGTERM, SIGHUP}[s], &sa, NULL);
}

/* The grader of job `me`: the tests and races; "R" to the parent, then wait for "G" to
 * time its cells alone; the report. Its output goes to its log, shown in order later. */
static _Noreturn void child(struct job *jobs, int n, int me, const int status[2], const int go[2])
{
    struct job *j = &jobs[me];
    struct grading *g;
    int out = open(j->log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    int err = open(j->err, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    int rc;
    char c = 'R';

    close(status[0]), close(go[1]); /* the parent's ends: a read of "G" must see it go */
    for (int i = 0; i < n; i++)
        if (i != me && jobs[i].st != J_DONE && jobs[i].pid > 0)
            close(jobs[i].status_fd), close(jobs[i].go_fd);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(2);
    close(out), close(err);
    grading_catch_interrupts();
    if (!(g = batch_grader.begin(&j->o, &rc))) {
        fflush(NULL);
        _exit(rc);
    }
    if (batch_grader.wants_speed(g)) {
        fflush(NULL);
        /* no "G" (the batch has gone): no timing alone, so no timing */
        if (write(status[1], &c, 1) == 1 && read(go[0], &c, 1) == 1)
            batch_grader.speed(g);
    }
    rc = batch_grader.end(g);
    fflush(NULL);
    _exit(rc);
}

static void start(struct job *jobs, int n, int i)
{
    int status[2], go[2];
    struct job *j = &jobs[i];

    j->st = J_DONE;
    j->rc = 2;
    if (pipe2(status, O_CLOEXEC) < 0)
        return;
    if (pipe2(go, O_CLOEXEC) < 0) {
        close(status[0]), close(status[1]);
        return;
    }
    fflush(NULL);
    j->pid = fork();
    if (j->pid == 0)
        child(jobs, n, i, status, go);
    close(status[1]), close(go[0]);
    if (j->pid < 0) {
        fprintf(stderr, "grade: %s: could not start its grader: %s\n", j->name, strerror(errno));
        close(status[0]), close(go[1]);
        return;
    }
    j->status_fd = status[0], j->go_fd = go[1];
    j->st = J_TESTING;
}

/* The grader of j has ended (or is about to): reap it, keep its exit code. */
static void reap(struct job *j)
{
    int ws;

    while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    j->rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : 2;
    if (!WIFEXITED(ws))
        fprintf(stderr, "grade: %s: its grader died (%s)\n", j->name,
                WIFSIGNALED(ws) ? strsignal(WTERMSIG(ws)) : "?");
    close(j->status_fd), close(j->go_fd);
    j->status_fd = j->go_fd = -1;
    j->st = J_DONE;
}

/* Wait until a testing grader parks ("R") or ends. */
static void wait_event(struct job *jobs, int n)
{
    struct pollfd p[n];
    int k = 0;

    for (int i = 0; i < n; i++)
        if (jobs[i].st == J_TESTING)
            p[k++] = (struct pollfd){.fd = jobs[i].status_fd, .events = POLLIN};
    if (poll(p, k, -1) < 0)
        return; /* EINTR: look again */
    for (int i = 0, m = 0; i < n && m < k; i++) {
        char c;
        if (jobs[i].st != J_TESTING || p[m++].revents == 0)
            continue;
        if (read(jobs[i].status_fd, &c, 1) == 1)
            jobs[i].st = J_PARKED;
        else
            reap(&jobs[i]);
    }
}

/* Nothing is testing: time the parked ones, in order, one at a time. */
static void time_parked(struct job *jobs, int n)
{
    for (int i = 0; i < n; i++) {
        if (jobs[i].st != J_PARKED)
            continue;
        if (write(jobs[i].go_fd, "G", 1) != 1)
            kill(jobs[i].pid, SIGTERM);
        reap(&jobs[i]);
    }
}

static int count(const struct job *jobs, int n, enum job_state st)
{
    int k = 0;

    for (int i = 0; i < n; i++)
        k += jobs[i].st == st;
    return k;
}

/*
 * Up to `par` graders test at once; a grader with cells to time parks until no grader
 * tests (all are tested, or BATCH_PARKED_MAX wait), then the parked ones time, one
 * after another, in order. Each grading's output is shown in order as the ones before it
 * are done: the same text, rows and scores as one after another.
 */
static void run_parallel(const struct opts *o, struct gradebook *book, struct job *jobs, int n,
                         int par, char *again, size_t size)
{
    int next = 0, shown = 0;

    live_jobs = jobs, live_n = n;
    catch_forward();
    while (shown < n) {
        int testing = count(jobs, n, J_TESTING), parked = count(jobs, n, J_PARKED);

        while (next < n && testing < par && testing + parked < BATCH_PARKED_MAX) {
            if (!jobs[next].skip)
                start(jobs, n, next), testing += jobs[next].st == J_TESTING;
            else
                jobs[next].st = J_DONE;
            next++;
        }
        if (testing == 0 && parked)
            time_parked(jobs, n);
        else if (testing)
            wait_event(jobs, n);
        for (; shown < n && jobs[shown].st == J_DONE; shown++) {
            header(&jobs[shown], shown, n);
            job_show(o, book, &jobs[shown], !jobs[shown].skip, again, size);
        }
    }
    grading_catch_interrupts();
    live_n = 0;
}

/* ---- the gradebook and its summary ---- */

static void write_book(const struct opts *o, const struct gradebook *book, int n)
{
    char csv[1100], md[1100];
    FILE *f;

    snprintf(csv, sizeof(csv), "%s/build/batch/%s.csv", o->root, o->lab);
    snprintf(md, sizeof(md), "%s/build/batch/%s-summary.md", o->root, o->lab);
    if ((f = fopen(csv, "w"))) {
        gradebook_write(book, f);
        fclose(f);
        printf("\ngradebook: %s (%d submissions)\n", csv, n);
    }
    if ((f = fopen(md, "w"))) {
        gradebook_summary(book, f);
        fclose(f);
        printf("summary:   %s\n", md);
    }
}

int batch_grade(const struct opts *o)
{
    char **names, again[4096] = "", dir[1100];
    struct gradebook book = {0};
    int n = batch_list(o->batch, &names), par = batch_jobs(o->jobs);
    struct job *jobs;

    if (n < 0) {
        fprintf(stderr, "grade: %s: %s\n", o->batch, strerror(-n));
        return 2;
    }
    if (!(jobs = calloc(n ? n : 1, sizeof(*jobs)))) {
        fprintf(stderr, "grade: no memory for a batch of %d\n", n);
        return 2;
    }
    for (int i = 0; i < n; i++) {
        snprintf(dir, sizeof(dir), "%s/build/batch/%s", o->root, names[i]);
        make_dirs(dir);
        job_init(o, &jobs[i], names[i]);
    }
    if (par > 1 && n > 1)
        run_parallel(o, &book, jobs, n, par, again, sizeof(again));
    else
        run_sequential(o, &book, jobs, n, again, sizeof(again));
    write_book(o, &book, n);
    for (int i = 0; i < n; i++) {
        if (jobs[i].have_old)
            report_free(&jobs[i].old);
        free(names[i]);
    }
    free(jobs);
    free(names);
    gradebook_free(&book);
    if (again[0]) {
        printf("harness errors (the grader's fault, not the students'): regrade %s\n", again);
        return 3;
    }
    return 0;
}
