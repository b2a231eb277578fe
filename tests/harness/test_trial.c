/* test_trial.c: a trial's result channel, judged; its limits of cores and its tail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "siphash.h"
#include "trial.h"

static struct trial judge(const char *text, bool overflow)
{
    struct chan c = {.overflow = overflow};
    struct jail_result r = {.end = JAIL_EXITED, .t_end = 12.5, .cpu_s = 1.0};
    struct trial t = {0};

    snprintf(c.text, sizeof(c.text), "%s", text);
    c.len = strlen(c.text);
    for (const char *p = c.text; (p = strchr(p, '\n')); p++)
        if (c.lines < CHAN_LINES) {
            c.at[c.lines] = 10.0 + c.lines; /* the start line at 10 s */
            c.lines++;
        }
    trial_judge(&c, &r, &t);
    return t;
}

Test(trial, ok_line_timed_from_start_to_the_end_of_the_run)
{
    struct trial t = judge("start cpu=0.25\nok par hash=00ab x=1.5\n", false);

    cr_assert_eq(t.fault, V_PASS, "%s", t.what);
    cr_assert_float_eq(t.wall, 2.5, 1e-9, "t_end less the start line's arrival");
    cr_assert_float_eq(t.cpu, 0.75, 1e-9, "the run's CPU less what it had at start");
    cr_assert_eq(t.hash, 0xab);
    cr_assert(t.has_x);
    cr_assert_float_eq(t.x, 1.5, 1e-9);
    t = judge("start cpu=0\nok par hash=1\n", false);
    cr_assert_eq(t.fault, V_PASS);
    cr_assert_not(t.has_x);
}

Test(trial, lines_the_driver_did_not_write)
{
    const char *why = "carried lines it did not write";

    cr_assert(strstr(judge("start cpu=0\nok hash=1\nok hash=2\n", false).what, why));
    cr_assert(strstr(judge("hello\nok hash=1\n", false).what, why));
    cr_assert(strstr(judge("start cpu=0\nok hash=1\n", true).what, why));
    cr_assert_eq(judge("hello\nok hash=1\n", false).fault, V_FAIL);
}

Test(trial, fault_lines)
{
    struct trial t = judge("start cpu=0\nnotimpl par_map()\n", false);

    cr_assert_eq(t.fault, V_NOT_IMPLEMENTED);
    cr_assert(!strncmp(t.what, "not implemented: par_map()", 26), "%s", t.what);
    t = judge("wrong: job 3 answered 7\n", false);
    cr_assert_eq(t.fault, V_FAIL);
    cr_assert_str_eq(t.what, "wrong: job 3 answered 7");
    /* a harness error: believed with the run's tag (here the zero key, as judge()'s
     * channel has), read as the code's own failure without it (bench_forged_harness_error) */
    static const char said[] = "error harness error, not your code: the kitchen could not "
                               "check the replies: Connection refused";
    const uint64_t zero[2] = {0, 0};
    char line[300];
    snprintf(line, sizeof(line), "start cpu=0\n%s tag=%016llx\n", said,
             (unsigned long long)siphash24(zero, said, strlen(said)));
    t = judge(line, false);
    cr_assert_eq(t.fault, V_ERROR, "the grader's fault, not the student's: %s", t.what);
    cr_assert_str_eq(t.what, said, "the tag is not shown");
    snprintf(line, sizeof(line), "start cpu=0\n%s\n", said);
    t = judge(line, false);
    cr_assert_eq(t.fault, V_FAIL, "no tag: the code under test wrote it");
    cr_assert(strstr(t.what, "without the run's tag"), "%s", t.what);
    snprintf(line, sizeof(line), "start cpu=0\n%s tag=%016llx\n", said,
             (unsigned long long)siphash24(zero, said, strlen(said)) ^ 1);
    cr_assert_eq(judge(line, false).fault, V_FAIL, "a guessed tag");
    t = judge("start cpu=0\nerror par returned -22 (Invalid argument)\n", false);
    cr_assert_eq(t.fault, V_FAIL, "the code's error");
    t = judge("start cpu=0\n", false);
    cr_assert_str_eq(t.what, "the bench driver printed nothing");
    t = judge("", false);
    cr_assert_str_eq(t.what, "the bench driver printed nothing");
}

Test(trial, cores_a_side_can_use)
{
    struct cores cores = {.usable = 2, .online = 4};
    struct bench_site site = {.cores = &cores};
    struct spec_speed s = {.workload = WORKLOAD_CPU};
    struct trial_ctx x = {.site = &site, .s = &s, .workers = 4};

    cr_assert_float_eq(trial_need(&x, 1), 2, 1e-9, "min(W, P)");
    cr_assert_float_eq(trial_need(&x, 0), 1, 1e-9, "the baseline: one");
    x.workers = 1;
    cr_assert_float_eq(trial_need(&x, 1), 1, 1e-9);
    s.workload = WORKLOAD_IO;
    x.workers = 8;
    cr_assert_float_eq(trial_need(&x, 1), 1, 1e-9, "waiting keeps one busy");
    s.all_cores = 1;
    cr_assert_float_eq(trial_need(&x, 0), 2, 1e-9, "cores=all");
}

Test(trial, tail_of_what_the_run_printed)
{
    char path[] = "/tmp/test_trial.XXXXXX", buf[768] = "crashed";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");

    for (int i = 0; i < 40; i++)
        fprintf(f, "line %02d of the run's output\n", i);
    fclose(f);
    trial_append_tail(buf, sizeof(buf), path);
    cr_assert(!strncmp(buf, "crashed\nits output ended with:\nline ", 36), "%s", buf);
    cr_assert(strstr(buf, "line 39 of the run's output\n"), "%s", buf);
    cr_assert_null(strstr(buf, "line 00"), "a few hundred bytes only");
    unlink(path);
    strcpy(buf, "crashed");
    trial_append_tail(buf, sizeof(buf), path);
    cr_assert_str_eq(buf, "crashed", "no file: nothing added");
}

Test(trial, reference_hash_follows_the_inputs, .timeout = 20)
{
    struct bench_site site = {.seed = 7};
    struct spec_speed s = {.workload = WORKLOAD_CPU, .jobs = 4, .skew = SKEW_EVEN};
    struct trial_ctx x = {.site = &site, .s = &s, .rounds = 2000};
    uint64_t h = trial_ref_hash(&x);

    cr_assert_neq(h, 0);
    cr_assert_eq(trial_ref_hash(&x), h);
    site.seed = 8;
    cr_assert_neq(trial_ref_hash(&x), h);
}

Test(trial, channel_lines_stamped_as_they_arrive, .timeout = 20)
{
    char *argv[] = {"/bin/sh", "-c",
                    "echo start cpu=0 >&3; sleep 0.3; echo ok hash=1 >&3; echo noise", NULL};
    struct jail_opts o = {.lim = {.wall_s = 10, .nproc = 16}};
    struct jail_result r;
    struct chan c;

    cr_assert_eq(trial_run_with_chan(argv, &o, &r, &c), 0);
    cr_assert_eq(r.end, JAIL_EXITED);
    cr_assert_str_eq(c.text, "start cpu=0\nok hash=1\n", "fd 3 alone, not stdout");
    cr_assert_eq(c.lines, 2);
    cr_assert_geq(c.at[1] - c.at[0], 0.25);
    cr_assert_geq(r.t_end, c.at[1], "one clock: the jail's end comes after the last line");
}
