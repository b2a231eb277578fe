/* test_done.c: the done line, and the seal that keeps code under test from forging it. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "done.h"

static char tmp[] = "/tmp/test_done.XXXXXX";
static char done[128];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(done, sizeof(done), "%s/x.done", tmp);
    setenv("CHECK_DONE", done, 1);
}

static void teardown(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        cr_log_warn("could not remove %s", tmp);
}

TestSuite(done, .init = setup, .fini = teardown, .timeout = 10);

Test(done, unsealed_line_is_appended)
{
    check_finished("a::b");
    check_finished("a::c");
    cr_assert(audit_done_seen(done, (int)getuid(), "a::b"));
    cr_assert(audit_done_seen(done, (int)getuid(), "a::c"));
    cr_assert(!audit_done_seen(done, (int)getuid(), "a::d"));
}

/* The sealed part runs in a child (the seal cannot be lifted, and the teardown must still
 * remove files); it exits with a bit set per forgery that went through. */
static int sealed_child(void)
{
    char other[160], line[] = "done a::forged 1\n";
    int bad = 0, fd;

    if (check_seal() < 0)
        return 100;
    snprintf(other, sizeof(other), "%s/other", tmp);
    bad |= (open(other, O_WRONLY | O_CREAT, 0600) >= 0 || errno != EPERM) << 0;
    bad |= (open(done, O_WRONLY | O_APPEND) >= 0) << 1;
    bad |= (write(1000, line, strlen(line)) >= 0) << 2;
    bad |= (dup2(1000, 7) >= 0) << 3;
    bad |= (pwrite(1000, line, strlen(line), 0) >= 0) << 4;
    bad |= (unlink(done) == 0) << 5;
    fd = open(done, O_RDONLY); /* reading stays allowed */
    bad |= (fd < 0) << 6;
    close(fd);
    check_finished("a::real");
    return bad;
}

Test(done, sealed_process_cannot_forge_the_line_but_the_harness_writes_it)
{
    pid_t pid = fork();
    int st;

    cr_assert_geq(pid, 0);
    if (pid == 0)
        _exit(sealed_child());
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the sealed child died");
    if (WEXITSTATUS(st) == 100)
        cr_skip_test("no seccomp here: the done line is written the plain way");
    cr_assert_eq(WEXITSTATUS(st), 0,
                 "forgeries that went through (bits: open for writing, "
                 "reopen, write, dup2, pwrite without the secret, unlink, read): %#x",
                 WEXITSTATUS(st));
    cr_assert(audit_done_seen(done, (int)getuid(), "a::real"));
    cr_assert(!audit_done_seen(done, (int)getuid(), "a::forged"));
}
