/* test_batch.c: which folders of a batch are submissions, where a lab's files lie; a
 * batch of fake gradings, in parallel and one after another, and its regrade. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "batch.h"
#include "kitchen.h"
#include "batch_int.h"
#include "batch_state.h"
#include "cores.h"
#include "gradebook.h"
#include "grading.h"
#include "report.h"
#include "sys.h"

static char dir[64];

static void at(const char *rel, bool folder)
{
    char p[256];

    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    if (folder)
        cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
    else
        close(open(p, O_CREAT | O_WRONLY, 0644));
}

static void init(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_batch.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void fini(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", dir);
}

TestSuite(batch, .init = init, .fini = fini);

Test(batch, submissions_sorted_without_hidden_or_files)
{
    char **names;

    at("zoe", true), at("adam", true), at(".git", true), at("notes.txt", false);
    cr_assert_eq(batch_list(dir, &names), 2);
    cr_assert_str_eq(names[0], "adam");
    cr_assert_str_eq(names[1], "zoe");
    free(names[0]), free(names[1]), free(names);
}

Test(batch, empty_and_missing)
{
    char **names, missing[128];

    cr_assert_eq(batch_list(dir, &names), 0);
    free(names);
    snprintf(missing, sizeof(missing), "%s/none", dir);
    cr_assert_eq(batch_list(missing, &names), -ENOENT);
}

Test(batch, lab_files_found_where_a_student_put_them)
{
    char sub[128], src[256], want[256];

    snprintf(sub, sizeof(sub), "%s/s", dir);
    at("s", true);
    batch_src(sub, "lab1-x", src, sizeof(src));
    cr_assert_str_eq(src, sub, "the submission itself");
    at("s/lab1-x", true);
    batch_src(sub, "lab1-x", src, sizeof(src));
    snprintf(want, sizeof(want), "%s/lab1-x", sub);
    cr_assert_str_eq(src, want);
    at("s/labs", true), at("s/labs/lab1-x", true);
    batch_src(sub, "lab1-x", src, sizeof(src));
    snprintf(want, sizeof(want), "%s/labs/lab1-x", sub);
    cr_assert_str_eq(src, want, "the kit's own layout first");
}

Test(batch, a_planted_link_is_not_followed)
{
    char sub[128], src[256], link[256];

    snprintf(sub, sizeof(sub), "%s/s", dir);
    at("s", true), at("elsewhere", true);
    snprintf(link, sizeof(link), "%s/lab1-x", sub);
    cr_assert_eq(symlink("../elsewhere", link), 0);
    batch_src(sub, "lab1-x", src, sizeof(src));
    cr_assert_str_eq(src, sub);
}

/* A link among the submissions is listed (it gets a row that says it is refused); a link
 * is never a submission's folder, the batch's entry itself included. */
Test(batch, links_are_listed_and_refused)
{
    char **names, path[256], src[256];

    at("alice", true), at("notes.txt", false);
    snprintf(path, sizeof(path), "%s/mallory", dir);
    cr_assert_eq(symlink("alice", path), 0);
    cr_assert_eq(batch_list(dir, &names), 2);
    cr_assert_str_eq(names[0], "alice");
    cr_assert_str_eq(names[1], "mallory");
    free(names[0]), free(names[1]), free(names);
    cr_assert_str_eq(batch_refused(path), "a link, not a folder: refused");
    snprintf(src, sizeof(src), "x");
    cr_assert_eq(batch_src(path, "lab1-x", src, sizeof(src)), -ELOOP);
    cr_assert_str_eq(src, "", "no path through the link");
    snprintf(path, sizeof(path), "%s/alice", dir);
    cr_assert_null(batch_refused(path));
    cr_assert_eq(batch_src(path, "lab1-x", src, sizeof(src)), 0);
    cr_assert_str_eq(src, path);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    cr_assert_str_eq(batch_refused(path), "not a folder: refused");
    cr_assert_eq(batch_src(path, "lab1-x", src, sizeof(src)), -ENOTDIR);
}

/* ---- batch_grade with fake gradings: parallel against sequential, and --regrade ---- */

/* A fake grading: its report is made from the submission's name. A name that starts
 * with 'i' leaves its speed cell inconclusive; one with 'f' fails its test; "z" cannot
 * be graded at all. Each half logs when it ran (CLOCK_MONOTONIC), for the overlap check. */
struct grading {
    const struct opts *o;
    struct report r;
    double t0;
};

static char events[256]; /* each half appends "T|S name start end" */

static void log_event(char kind, const char *name, double t0)
{
    FILE *f = fopen(events, "a");

    cr_assert_not_null(f);
    fprintf(f, "%c %s %.6f %.6f\n", kind, name, t0, sys_now());
    fclose(f);
}

static void item(struct report *r, const char *name, enum item_kind k, enum verdict v, double pts,
                 const char *why)
{
    struct item it = {.kind = k, .verdict = v, .max_score = pts, .score = v == V_PASS ? pts : 0};

    snprintf(it.name, sizeof(it.name), "%s", name);
    if (why)
        item_printf(&it, "%s\n", why);
    report_add(r, &it);
}

static char keys[160]; /* when set: each grading appends its network, and whether its
                        * environment holds a kitchen key (it must not: kitchen.h) */

static void log_network(const char *name)
{
    char ns[64] = "";
    FILE *f;

    if (!keys[0] || readlink("/proc/thread-self/ns/net", ns, sizeof(ns) - 1) < 0)
        return;
    /* held open till the test ends: a freed namespace's number is soon reused */
    (void)!open("/proc/thread-self/ns/net", O_RDONLY);
    cr_assert_not_null(f = fopen(keys, "a"));
    fprintf(f, "%s %s %s\n", name, getenv("KITCHEN_KEY") ? "key" : "nokey", ns);
    fclose(f);
}

static struct grading *fake_begin(const struct opts *o, int *rc)
{
    struct grading *g = calloc(1, sizeof(*g));
    const char *name = strrchr(o->src, '/') + 1;

    log_network(name);
    *rc = 2;
    if (!strcmp(name, "z")) {
        free(g);
        return NULL;
    }
    g->o = o, g->t0 = sys_now();
    report_init(&g->r, o->lab, "fake");
    /* a regrade (--only the cells) runs the test again: a different verdict, never kept;
     * but "ie"'s test, which a busy machine left inconclusive, is re-run and passes */
    bool busy_test = !strcmp(name, "ie");
    item(&g->r, "t1", ITEM_TEST,
         busy_test                   ? (o->only ? V_PASS : V_INCONCLUSIVE)
         : name[0] == 'f' || o->only ? V_FAIL
                                     : V_PASS,
         2, busy_test && !o->only ? "failed 3 times while the machine was busy" : NULL);
    usleep(40000 + 10000 * (name[1] % 3));
    printf("tests of %s\n", name);
    if (o->only)
        printf("%s on %s alone\n", name, o->only);
    log_event('T', name, g->t0);
    return g;
}

static bool fake_wants(const struct grading *g)
{
    return !g->o->no_speed;
}

static void fake_speed(struct grading *g)
{
    const char *name = strrchr(g->o->src, '/') + 1;
    double t0 = sys_now();
    bool unsure = name[0] == 'i' && !g->o->only; /* a regrade times it cleanly */

    usleep(30000);
    item(&g->r, "s1", ITEM_SPEED, unsure ? V_INCONCLUSIVE : V_PASS, 3,
         unsure ? "only 2 of 5 pairs were measured cleanly (need 4)" : NULL);
    item(&g->r, "s2", ITEM_SPEED, V_PASS, 1, NULL);
    printf("speed of %s\n", name);
    log_event('S', name, t0);
}

static int fake_end(struct grading *g)
{
    int rc = report_full(&g->r) ? 0 : 1;

    cr_assert_eq(batch_state_save(&g->r, g->o->state), 0);
    report_write_json(&g->r, g->o->out);
    report_free(&g->r);
    free(g);
    return rc;
}

static const char *const subs[] = {"a", "fb", "ic", "d", "ie", "z", "fg", "h"};
static const char *only_for[2];      /* batch_of()'s --only-for, when set */
static const char *subs_at = "subs"; /* the batch folder, under dir */

/* A batch of the fake submissions under root dir/r, its stdout kept in `out`. */
static int batch_of(int jobs, bool regrade, bool speed, char **out)
{
    char subdir[128], root[128], path[256];
    struct opts o = {.lab = "lab9-fake", .seed = 7, .jobs = jobs, .regrade = regrade};
    int saved = dup(1), fd, rc;
    size_t len;

    snprintf(subdir, sizeof(subdir), "%s/%s", dir, subs_at);
    snprintf(root, sizeof(root), "%s/r", dir);
    mkdir(subdir, 0755), mkdir(root, 0755);
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", subdir, subs[i]);
        mkdir(path, 0755);
    }
    o.root = root, o.batch = subdir, o.no_speed = !speed;
    for (; o.n_only_for < 2 && only_for[o.n_only_for]; o.n_only_for++)
        o.only_for[o.n_only_for] = only_for[o.n_only_for];
    batch_grader = (struct batch_grader){fake_begin, fake_wants, fake_speed, fake_end};
    snprintf(path, sizeof(path), "%s/stdout", dir);
    fflush(stdout);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1), close(fd);
    rc = batch_grade(&o);
    fflush(stdout);
    dup2(saved, 1), close(saved);
    *out = sys_slurp(path, SIZE_MAX, &len);
    return rc;
}

static char *file_of(const char *rel)
{
    char path[256];
    char *text;

    snprintf(path, sizeof(path), "%s/r/build/batch/%s", dir, rel);
    text = sys_slurp(path, SIZE_MAX, NULL);
    cr_assert_not_null(text, "%s", path);
    return text;
}

/* The path of `rel` in the batch folder dir/subs's own results folder (batch_out_dir). */
static void ours(char *path, size_t len, const char *rel)
{
    char root[128], subdir[128], out[512];

    snprintf(root, sizeof(root), "%s/r", dir);
    snprintf(subdir, sizeof(subdir), "%s/%s", dir, subs_at);
    batch_out_dir(root, subdir, out, sizeof(out));
    snprintf(path, len, "%s%s%s", out, *rel ? "/" : "", rel);
}

/* A file of the batch folder's own results: "a/lab9-fake.json", its gradebook... */
static char *own_file(const char *rel)
{
    char path[600];
    char *text;

    ours(path, sizeof(path), rel);
    text = sys_slurp(path, SIZE_MAX, NULL);
    cr_assert_not_null(text, "%s", path);
    return text;
}

Test(batch, parallel_gives_the_sequential_rows_and_output, .timeout = 60)
{
    char *seq_out, *par_out, *seq_csv, *par_csv;

    snprintf(events, sizeof(events), "%s/events", dir);
    cr_assert_eq(batch_of(1, false, true, &seq_out), 3, "z could not be graded: regrade it");
    seq_csv = file_of("lab9-fake.csv");
    cr_assert_eq(batch_of(3, false, true, &par_out), 3);
    par_csv = file_of("lab9-fake.csv");
    cr_assert_str_eq(par_csv, seq_csv);
    cr_assert_str_eq(par_out, seq_out);
    cr_assert_not_null(strstr(seq_csv, "\nfb,lab9-fake,4,6,0,3,1,\n"), "%s", seq_csv);
    cr_assert_not_null(strstr(seq_csv, "\nz,lab9-fake,,,,,,error: not graded"), "%s", seq_csv);
    cr_assert_not_null(strstr(seq_out, "=== a (1 of 8)\ntests of a\nspeed of a\n"), "%s", seq_out);
    free(seq_out), free(par_out), free(seq_csv), free(par_csv);
}

/* Each batch folder keeps a gradebook of its own beside the lab's last one: a second
 * section's batch leaves the first section's rows in place. */
Test(batch, each_folder_keeps_its_own_gradebook, .timeout = 60)
{
    char *out, *last, *mine;

    snprintf(events, sizeof(events), "%s/events", dir);
    batch_of(1, false, true, &out);
    last = file_of("lab9-fake.csv");
    mine = own_file("lab9-fake.csv");
    cr_assert_str_eq(mine, last);
    cr_assert_not_null(strstr(out, "/lab9-fake.csv (8 submissions)"), "%s", out);
    free(out), free(last), free(mine);
    free(own_file("lab9-fake-summary.md"));
}

/* Two sections' batch folders of one name ("subs"), with submissions of the same names:
 * each keeps its own results, and a regrade of one re-times its own saved cells, never the
 * other's (they once shared build/batch/<name>/: the second batch overwrote the first's
 * reports, and a regrade of the first read the second's). */
Test(batch, two_folders_of_one_name_keep_their_own_results, .timeout = 60)
{
    char *out, *first_ic, *second_ic, *first_csv, *second_csv, one[600], two[600];

    snprintf(events, sizeof(events), "%s/events", dir);
    batch_of(1, false, true, &out), free(out);
    ours(one, sizeof(one), "");
    subs_at = "section-b/subs";
    snprintf(two, sizeof(two), "%s/section-b", dir);
    mkdir(two, 0755);
    batch_of(1, false, true, &out), free(out);
    batch_of(1, true, true, &out), free(out); /* the second section's regrade */
    ours(two, sizeof(two), "");
    cr_assert_str_neq(one, two);
    second_ic = own_file("submissions/ic/lab9-fake.json");
    second_csv = own_file("lab9-fake.csv");
    subs_at = "subs";
    first_ic = own_file("submissions/ic/lab9-fake.json");
    first_csv = own_file("lab9-fake.csv");
    cr_assert_null(strstr(second_ic, "INCONCLUSIVE"), "re-timed: %s", second_ic);
    cr_assert_not_null(strstr(first_ic, "INCONCLUSIVE"), "not the first's to re-time: %s",
                       first_ic);
    cr_assert_not_null(strstr(second_csv, "\nic,lab9-fake,6,6,2,3,1,\n"), "%s", second_csv);
    cr_assert_not_null(strstr(first_csv, "\nic,lab9-fake,3,6,2,0,1,\"1 inconclusive"), "%s",
                       first_csv);
    free(first_ic), free(second_ic), free(first_csv), free(second_csv);
}

/* Submission folders named as the gradebook's files ("lab9-fake.csv", "...-summary.md")
 * are graded like any other, and the gradebook is still written: the submissions' results
 * lie one level below it (OUT/submissions/<name>/), where no name meets it (they once
 * made a folder where the gradebook goes, and the batch had none, silently). */
Test(batch, a_submission_named_as_the_gradebook_leaves_it_in_place, .timeout = 60)
{
    char path[600], *out, *csv;
    struct stat st;

    snprintf(events, sizeof(events), "%s/events", dir);
    snprintf(path, sizeof(path), "%s/subs", dir);
    mkdir(path, 0755);
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/subs/%s", dir,
                 i ? "lab9-fake-summary.md" : "lab9-fake.csv");
        cr_assert_eq(mkdir(path, 0755), 0);
    }
    cr_assert_eq(batch_of(1, false, false, &out), 3, "z could not be graded: %s", out);
    cr_assert_not_null(strstr(out, "/lab9-fake.csv (10 submissions)"), "%s", out);
    csv = own_file("lab9-fake.csv");
    cr_assert_not_null(strstr(csv, "\nlab9-fake.csv,lab9-fake,2,2,2,\n"), "%s", csv);
    cr_assert_not_null(strstr(csv, "\nlab9-fake-summary.md,lab9-fake,2,2,2,\n"), "%s", csv);
    free(csv), free(out);
    ours(path, sizeof(path), "lab9-fake-summary.md");
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert(S_ISREG(st.st_mode), "%s is no file", path);
    free(own_file("submissions/lab9-fake.csv/lab9-fake.json"));
}

/* A gradebook that cannot be written (here: a folder stands where the lab's last one
 * goes) is said on stderr, and the batch exits 3, the grader's fault; never silently. */
Test(batch, a_gradebook_that_cannot_be_written_is_the_graders_error, .timeout = 60)
{
    char path[600], *out, *err;
    int saved, fd, rc;

    snprintf(events, sizeof(events), "%s/events", dir);
    snprintf(path, sizeof(path), "%s/r", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/r/build", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/r/build/batch", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/r/build/batch/lab9-fake.csv", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/stderr", dir);
    fflush(stderr);
    saved = dup(2);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2), close(fd);
    subs_at = "subs";
    rc = batch_of(1, false, false, &out);
    fflush(stderr);
    dup2(saved, 2), close(saved);
    err = sys_slurp(path, SIZE_MAX, NULL);
    cr_assert_eq(rc, 3);
    cr_assert_not_null(err);
    cr_assert_not_null(strstr(err, "could not write "), "%s", err);
    cr_assert_not_null(strstr(err, "/lab9-fake.csv: Is a directory"), "%s", err);
    cr_assert_not_null(strstr(err, "gradebook of this batch is missing"), "%s", err);
    free(own_file("lab9-fake.csv")); /* the folder's own is still written */
    free(out), free(err);
}

Test(batch, folder_tag_is_a_safe_file_name)
{
    static const char *const cases[][2] = {
        {"/srv/section-A/", "section-A"},
        {"subs", "subs"},
        {"/", "batch"},
        {"..", "batch"},
        {"a b;$(x)", "a_b___x_"},
        {"x/\n\x1b[1m", "___1m"},
        {"/tmp/s\303\251", "s__"},
    };
    char tag[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        batch_folder_tag(cases[i][0], tag, sizeof(tag));
        cr_assert_str_eq(tag, cases[i][1], "%s", cases[i][0]);
    }
}

/* Each submission is graded (as root) in a network of its own, in a parallel batch as in a
 * sequential one: its runs cannot reach another's kitchen. No grading has a kitchen key in
 * its environment, for its runs to inherit: each kitchen keeps its own (test_kitchen.c). */
Test(batch, each_submission_has_its_own_network_and_no_key, .timeout = 60)
{
    char *out, line[256], seen_key[16][96], seen_ns[16][64], own[64] = "";
    int n = 0;
    FILE *f;

    cr_assert_gt(readlink("/proc/thread-self/ns/net", own, sizeof(own) - 1), 0);
    snprintf(events, sizeof(events), "%s/events", dir);
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    for (int jobs = 1; jobs <= 3; jobs += 2) {
        remove(keys);
        batch_of(jobs, false, false, &out);
        free(out);
        cr_assert_not_null(f = fopen(keys, "r"));
        for (n = 0; n < 16 && fgets(line, sizeof(line), f); n++) {
            char name[16];

            cr_assert_eq(sscanf(line, "%15s %95s %63s", name, seen_key[n], seen_ns[n]), 3, "%s",
                         line);
            cr_assert_str_eq(seen_key[n], "nokey", "%s was graded with KITCHEN_KEY set", name);
            if (geteuid() == 0)
                cr_assert_str_neq(seen_ns[n], own, "%s was graded in the batch's network", name);
            for (int k = 0; k < n; k++) {
                /* one process grades them all in turn: each time a new namespace */
                if (geteuid() == 0 && jobs == 1)
                    cr_assert_str_neq(seen_ns[k], seen_ns[n], "two shared a network (%s)",
                                      seen_ns[n]);
            }
        }
        fclose(f);
        cr_assert_eq(n, 8, "every submission began (jobs %d)", jobs);
    }
    keys[0] = '\0';
}

/* In a parallel batch, tests overlap (that is its point) but a speed half overlaps no
 * other half at all. */
Test(batch, speed_is_timed_alone, .timeout = 60)
{
    struct span {
        char kind, name[8];
        double t0, t1;
    } s[32];
    int n = 0, overlapping_tests = 0;
    char *out;
    FILE *f;

    snprintf(events, sizeof(events), "%s/events", dir);
    batch_of(3, false, true, &out);
    free(out);
    cr_assert_not_null(f = fopen(events, "r"));
    while (n < 32 && fscanf(f, " %c %7s %lf %lf", &s[n].kind, s[n].name, &s[n].t0, &s[n].t1) == 4)
        n++;
    fclose(f);
    cr_assert_eq(n, 7 + 7, "7 gradings, each tests and speed");
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++) {
            bool overlap = s[i].t0 < s[k].t1 && s[k].t0 < s[i].t1;
            cr_assert(!overlap || (s[i].kind == 'T' && s[k].kind == 'T'), "%c %s overlaps %c %s",
                      s[i].kind, s[i].name, s[k].kind, s[k].name);
            overlapping_tests += overlap;
        }
    cr_assert_gt(overlapping_tests, 0, "3 jobs: some tests ran at once");
}

Test(batch, regrade_retimes_only_inconclusive_cells, .timeout = 60)
{
    char *out, *csv, *a_before, *a_after, *ic;
    struct report r;
    char path[600];

    snprintf(events, sizeof(events), "%s/events", dir);
    batch_of(2, false, true, &out);
    free(out);
    csv = file_of("lab9-fake.csv");
    cr_assert_not_null(strstr(csv, "\nic,lab9-fake,3,6,2,0,1,\"1 inconclusive"), "%s", csv);
    free(csv);
    a_before = own_file("submissions/a/lab9-fake.json");
    cr_assert_eq(batch_of(2, true, true, &out), 0);
    cr_assert_not_null(strstr(out, "regrade ic: s1: inconclusive -> pass"), "%s", out);
    cr_assert_not_null(strstr(out, "regrade ie: t1: inconclusive -> pass"),
                       "a test a busy machine left inconclusive is re-run too: %s", out);
    cr_assert_not_null(strstr(out, "=== a (1 of 8): nothing to re-time"), "%s", out);
    free(out);
    a_after = own_file("submissions/a/lab9-fake.json");
    cr_assert_str_eq(a_after, a_before, "a had nothing inconclusive: untouched");
    csv = file_of("lab9-fake.csv");
    /* ic: its cell now passes; its test kept its pass (the regrade's fail is not taken) */
    cr_assert_not_null(strstr(csv, "\nic,lab9-fake,6,6,2,3,1,\n"), "%s", csv);
    cr_assert_not_null(strstr(csv, "\nie,lab9-fake,6,6,2,3,1,\n"), "%s", csv);
    cr_assert_not_null(strstr(csv, "\nfb,lab9-fake,4,6,0,3,1,\n"), "%s", csv);
    cr_assert_not_null(strstr(csv, "\nz,lab9-fake,,,,,,error: no saved results"), "%s", csv);
    ours(path, sizeof(path), "submissions/ic/lab9-fake.state");
    cr_assert_eq(batch_state_load(&r, path), 0);
    cr_assert_eq(r.n, 3);
    cr_assert_eq(r.items[0].verdict, V_PASS, "the test as the batch had it");
    cr_assert_eq(r.items[1].verdict, V_PASS, "the re-timed cell");
    cr_assert_not_null(strstr(r.output, "re-timed by a regrade"));
    report_free(&r);
    ic = own_file("submissions/ic/lab9-fake.json");
    cr_assert_null(strstr(ic, "INCONCLUSIVE"), "%s", ic);
    free(ic), free(csv), free(a_before), free(a_after);
}

/* Entries that are links (to a classmate's folder, to a folder outside the batch) are
 * refused unread: never graded, 0 points and the reason in the CSV and their results.json,
 * in parallel as in turn; a folder's name reaches the terminal with its control characters
 * as \xNN and the CSV as text a spreadsheet will not run; the others score as ever. */
Test(batch, links_are_refused_and_names_are_made_safe, .timeout = 60)
{
    static const char *const odd[] = {"=cmd|x,\"y\"", "new\nline\033[31m"};
    char path[256], *out[2], *csv[2], *json, *events_text;

    snprintf(events, sizeof(events), "%s/events", dir);
    mkdir(strcat(strcpy(path, dir), "/subs"), 0755);
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/subs/%s", dir, odd[i]);
        cr_assert_eq(mkdir(path, 0755), 0);
    }
    snprintf(path, sizeof(path), "%s/subs/mallory", dir);
    cr_assert_eq(symlink("a", path), 0);
    snprintf(path, sizeof(path), "%s/subs/evil", dir);
    cr_assert_eq(symlink("/etc", path), 0);
    for (int k = 0, jobs = 1; k < 2; k++, jobs += 2) {
        remove(events);
        batch_of(jobs, false, false, &out[k]);
        csv[k] = file_of("lab9-fake.csv");
        events_text = sys_slurp(events, SIZE_MAX, NULL);
        cr_assert_not_null(events_text);
        cr_assert_null(strstr(events_text, "mallory"), "a link was graded:\n%s", events_text);
        cr_assert_null(strstr(events_text, "evil"), "a link was graded:\n%s", events_text);
        free(events_text);
    }
    cr_assert_str_eq(csv[1], csv[0]);
    cr_assert_str_eq(out[1], out[0]);
    cr_assert_not_null(
        strstr(csv[0], "\nmallory,lab9-fake,0,,,\"a link, not a folder: refused\"\n"), "%s",
        csv[0]);
    cr_assert_not_null(strstr(csv[0], "\nevil,lab9-fake,0,,,\"a link, not a folder: refused\"\n"),
                       "%s", csv[0]);
    cr_assert_not_null(strstr(csv[0], "\n\"'=cmd|x,\"\"y\"\"\",lab9-fake,2,2,2,\n"), "%s", csv[0]);
    cr_assert_not_null(strstr(csv[0], "\nnew\\x0aline\\x1b[31m,lab9-fake,2,2,2,\n"), "%s", csv[0]);
    cr_assert_not_null(strstr(csv[0], "\na,lab9-fake,2,2,2,\n"), "%s", csv[0]);
    cr_assert_not_null(strstr(out[0], "\n=== mallory (10 of 12): a link, not a folder: refused\n\n"
                                      "=== new\\x0aline\\x1b[31m (11 of 12)\n"),
                       "%s", out[0]);
    cr_assert_not_null(strstr(out[0], "\n=== evil (4 of 12): a link, not a folder: refused\n"),
                       "%s", out[0]);
    json = own_file("submissions/mallory/lab9-fake.json");
    cr_assert_not_null(strstr(json, "\"score\": 0,"), "%s", json);
    cr_assert_not_null(strstr(json, "mallory: a link, not a folder: refused, 0 points"), "%s",
                       json);
    free(json);
    for (int k = 0; k < 2; k++)
        free(out[k]), free(csv[k]);
}

/* --only-for NAME=A,B: NAME on A,B alone, in parallel as in turn; the others on all */
Test(batch, only_for_grades_its_submission_alone_on_its_items, .timeout = 60)
{
    char *out, *csv;

    snprintf(events, sizeof(events), "%s/events", dir);
    only_for[0] = "d=t1", only_for[1] = "dd=t9"; /* dd: no such submission, d no prefix */
    for (int jobs = 1; jobs <= 3; jobs += 2) {
        batch_of(jobs, false, false, &out);
        cr_assert_not_null(strstr(out, "tests of d\nd on t1 alone\n"), "%s", out);
        cr_assert_null(strstr(strstr(out, " alone\n") + 1, " alone\n"), "d alone: %s", out);
        csv = file_of("lab9-fake.csv");
        cr_assert_not_null(strstr(csv, "\nd,lab9-fake,0,2,0,\n"), "d's t1 fails with --only: %s",
                           csv);
        cr_assert_not_null(strstr(csv, "\na,lab9-fake,2,2,2,\n"), "%s", csv);
        free(out), free(csv);
    }
    only_for[0] = only_for[1] = NULL;
}

Test(batch, no_speed_never_parks, .timeout = 60)
{
    char *out, *csv;

    snprintf(events, sizeof(events), "%s/events", dir);
    batch_of(4, false, false, &out);
    cr_assert_null(strstr(out, "speed of"), "%s", out);
    csv = file_of("lab9-fake.csv");
    cr_assert_not_null(strstr(csv, "\nic,lab9-fake,2,2,2,\n"), "%s", csv);
    free(out), free(csv);
}

Test(batch, jobs_default_to_the_usable_cores)
{
    struct cores c;

    cores_detect(&c);
    cr_assert_eq(batch_jobs(3), 3);
    cr_assert_eq(batch_jobs(0), c.usable >= 2 ? (int)c.usable : 1);
}

/* What fn printed on stdout, read back from a file in the test's folder (malloc'd). */
static char *stdout_of(void (*fn)(void *), void *arg)
{
    char path[128];
    int saved = dup(1), fd;

    snprintf(path, sizeof(path), "%s/stdout", dir);
    cr_assert((fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644)) >= 0);
    fflush(stdout);
    dup2(fd, 1);
    fn(arg);
    fflush(stdout);
    dup2(saved, 1);
    close(fd), close(saved);
    return sys_slurp(path, 1 << 20, NULL);
}

static void headers(void *arg)
{
    struct job *j = arg;

    batch_header(j, 1, 3);
    j->skip = true;
    batch_header(j, 2, 3);
    j->have_old = true;
    batch_header(j, 0, 3);
}

/* batch_int.h: a grading's header, then what it printed, in order. */
Test(batch, header_names_the_submission_and_why_it_is_skipped)
{
    struct job j = {.name = "alice"};
    char *out = stdout_of(headers, &j);

    cr_assert_str_eq(out, "\n=== alice (2 of 3)\n"
                          "\n=== alice (3 of 3): no saved results\n"
                          "\n=== alice (1 of 3): nothing to re-time\n");
    free(out);
}

struct show {
    struct opts o;
    struct gradebook book;
    struct job j;
    char again[64];
};

static void show(void *arg)
{
    struct show *s = arg;

    batch_show(&s->o, &s->book, &s->j, true, s->again, sizeof(s->again));
}

Test(batch, show_replays_the_log_and_a_grading_that_could_not_grade_is_an_error_row)
{
    struct show s = {.o = {.lab = "lab1-baselines"}, .j = {.name = "bob", .rc = 2}};
    char *out;

    snprintf(s.again, sizeof(s.again), "alice");
    snprintf(s.j.log, sizeof(s.j.log), "%s/bob.log", dir);
    snprintf(s.j.err, sizeof(s.j.err), "%s/bob.err", dir);
    snprintf(s.j.state, sizeof(s.j.state), "%s/bob.state", dir); /* none: not graded */
    at("bob.err", false);
    FILE *log = fopen(s.j.log, "w");
    cr_assert(log);
    fputs("bob's grading printed this\n", log);
    fclose(log);
    out = stdout_of(show, &s);
    cr_assert_str_eq(out, "bob's grading printed this\n");
    cr_assert_str_eq(s.again, "alice bob");
    cr_assert_eq(s.book.n, 1);
    cr_assert_str_eq(s.book.rows[0].submission, "bob");
    cr_assert_str_eq(s.book.rows[0].error, "not graded (see the log)");
    cr_assert_eq(access(s.j.err, F_OK), -1, "its stderr log is removed once shown");
    free(out);
    gradebook_free(&s.book);
}

/* A batch's results are the instructor's: nothing in build/batch is readable by others
 * (a run of student code without namespaces, as the jail user). */
Test(batch, results_are_not_world_readable, .timeout = 60)
{
    static const char *const paths[] = {"",
                                        "/lab9-fake.csv",
                                        "/lab9-fake-summary.md",
                                        "=",
                                        "=submissions",
                                        "=submissions/a",
                                        "=submissions/a/lab9-fake.json",
                                        "=submissions/a/lab9-fake.state",
                                        "=submissions/a/lab9-fake.log",
                                        "=lab9-fake.csv",
                                        "=lab9-fake-summary.md"};
    char path[600], *out;
    struct stat st;

    snprintf(events, sizeof(events), "%s/events", dir);
    batch_of(2, false, true, &out);
    free(out);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (paths[i][0] == '=') /* the batch folder's own results folder */
            ours(path, sizeof(path), paths[i] + 1);
        else
            snprintf(path, sizeof(path), "%s/r/build/batch%s", dir, paths[i]);
        cr_assert_eq(lstat(path, &st), 0, "%s", path);
        cr_assert_eq(st.st_mode & 07, 0, "%s is mode %o", path, st.st_mode & 0777);
    }
}

/* Two batches of one folder at once (red team 10: the second re-timed the first's
 * submissions and wrote over its results and gradebook, both exiting 0): while one holds
 * the folder's lock, another is refused (exit 2) and writes no result; after, it grades. */
Test(batch, a_second_batch_of_a_folder_is_refused_while_one_runs, .timeout = 60)
{
    char out_dir[600], lock[700], path[700], *out;
    struct opts o = {.lab = "lab9-fake"};
    struct stat st;
    int fd;

    snprintf(events, sizeof(events), "%s/events", dir);
    ours(out_dir, sizeof(out_dir), "");
    cr_assert_eq(sys_mkdirs(out_dir, 0755), 0);
    o.batch = out_dir;
    fd = batch_lock(&o, out_dir); /* the first batch, under way */
    cr_assert_geq(fd, 0);
    snprintf(lock, sizeof(lock), "%s/.lock", out_dir);
    cr_assert_eq(batch_lock(&o, out_dir), -1, "the lock is held: a second is refused");
    cr_assert_eq(batch_of(1, false, false, &out), 2, "%s", out);
    free(out);
    ours(path, sizeof(path), "submissions/a/lab9-fake.json");
    cr_assert_neq(stat(path, &st), 0, "the refused batch wrote %s", path);
    close(fd);
    cr_assert_eq(batch_of(1, false, false, &out), 3, "graded (z, as ever: regrade it): %s", out);
    free(out);
    cr_assert_eq(stat(path, &st), 0, "graded once the first ended");
    cr_assert_eq(lstat(lock, &st), 0);
    cr_assert(S_ISREG(st.st_mode));
}
