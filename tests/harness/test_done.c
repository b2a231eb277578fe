/* test_done.c: the done line, and the seal that keeps code under test from forging it. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <netinet/in.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>

#include "audit.h"
#include "done.h"
#include "siphash.h"
#include "values.h"

static char tmp[] = "/tmp/test_done.XXXXXX";
static char done[128];
static const char key_hex[] = "00112233445566778899aabbccddeeff";
static const uint64_t key[2] = {UINT64_C(0x0011223344556677), UINT64_C(0x8899aabbccddeeff)};
static char forged_why[120];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(done, sizeof(done), "%s/x.done", tmp);
    setenv("CHECK_DONE", done, 1);
    setenv("CHECK_DONE_KEY", key_hex, 1);
}

/* What the grader makes of the done file: 1 "done <what>" seen, 0 not, -1 forged. */
static int seen(const char *what)
{
    return audit_done_seen(done, (int)getuid(), key, what, forged_why, sizeof(forged_why), NULL);
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
    cr_assert_eq(seen("a::b"), 1);
    cr_assert_eq(seen("a::c"), 1);
    cr_assert_eq(seen("a::d"), 0);
    cr_assert_eq(seen("a"), 0, "a name's prefix is not the name");
}

/* A value line carries the run's tag like a done line, its label one word (values.h). */
Test(done, value_lines_are_tagged_and_read_back_in_order)
{
    check_value_line("cook(0x1, 5)", 0x2a);
    check_finished("a::b");
    check_value_line("out[0].status\tx\n", (uint64_t)-110);
    cr_assert_eq(seen("a::b"), 1, "value lines are the run's own: no forgery (%s)", forged_why);
    char *text = audit_done_read(done, (int)getuid(), key, forged_why, sizeof(forged_why));
    cr_assert_not_null(text, "%s", forged_why);
    char *v = values_parse(text);
    cr_assert_str_eq(v, "cook(0x1,_5) 000000000000002a\nout[0].status_x_ ffffffffffffff92\n");
    free(v);
    free(text);
}

/* The sealed part runs in a child (the seal cannot be lifted, and the teardown must still
 * remove files); it exits with a bit set per forgery that went through. */
static int sealed_child(void)
{
    char other[160];
    int bad = 0, fd;

    if (check_seal() < 0)
        return 100;
    snprintf(other, sizeof(other), "%s/other", tmp);
    bad |= (open(other, O_WRONLY | O_CREAT, 0600) >= 0 || errno != EPERM) << 0;
    bad |= (open(done, O_WRONLY | O_APPEND) >= 0) << 1;
    bad |= (dup2(1000, 7) >= 0) << 3;
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
                 "reopen, -, dup2, -, unlink, read): %#x",
                 WEXITSTATUS(st));
    cr_assert_eq(seen("a::real"), 1, "%s", forged_why);
}

/* A write of data through the sealed fd by any route but write() ends the process
 * (SIGSYS); what write() puts there is judged by its tag: a line without the run's tag, or
 * with a tag under a guessed key, fails the run, from the process or from a forked child,
 * and nothing in the run learns whether a guess was right (red team, seal_fork_oracle:
 * each wrong guess of the former secret killed only a forked child, so guessing was free). */
static void forge(int how)
{
    static const char line[] = "done a::forged 1 0123456789abcdef\n";
    struct iovec v = {.iov_base = (void *)line, .iov_len = sizeof(line) - 1};

    switch (how) {
    case 0:
        (void)!pwrite(1000, line, sizeof(line) - 1, 0);
        break;
    case 1:
        (void)!writev(1000, &v, 1);
        break;
    case 2:
        (void)!send(1000, line, sizeof(line) - 1, 0);
        break;
    }
}

Test(done, a_write_through_the_sealed_fd_ends_the_process)
{
    static const char *const what[] = {"pwrite", "writev", "send"};

    for (int how = 0; how < 3; how++) {
        pid_t pid = fork();
        int st;

        cr_assert_geq(pid, 0);
        if (pid == 0) {
            if (check_seal() < 0)
                _exit(100);
            forge(how);
            _exit(0);
        }
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
            cr_skip_test("no seccomp here: the done line is written the plain way");
        cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
                  "%s through the sealed fd: the process went on (status %#x)", what[how], st);
    }
    cr_assert_eq(seen("a::forged"), 0);
}

/* One line a sealed process (or its forked child) writes with write(), then the run's own
 * line. True when the seal ended the writer (SIGSYS): where the filter pins our write
 * (x86-64), a write() to the done file from anywhere but ours; else the line is there. */
static bool write_then(const char *line, bool in_child)
{
    pid_t pid = fork();
    int st;

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (check_seal() < 0)
            _exit(100);
        if (in_child) {
            pid_t c = fork();
            if (c == 0)
                _exit(write(1000, line, strlen(line)) < 0);
            waitpid(c, &st, 0);
            if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
                _exit(99);
        } else if (write(1000, line, strlen(line)) < 0) {
            _exit(1);
        }
        check_finished("a::real");
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
        cr_skip_test("no seccomp here");
    if ((WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) || (WIFEXITED(st) && WEXITSTATUS(st) == 99))
        return true;
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
    return false;
}

#ifdef __x86_64__
static const bool pinned = true; /* seal_filter.h: the filter checks our write's address */
#else
static const bool pinned = false;
#endif

Test(done, an_untagged_or_guessed_line_is_a_forgery)
{
    char line[128];
    uint64_t guess[2] = {key[0], key[1] ^ 1}; /* one bit off */
    int n = snprintf(line, sizeof(line), "done a::forged %d", (int)getpid());

    snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
             (unsigned long long)siphash24(guess, line, (size_t)n));
    static const char *const lines[] = {"done a::forged 1\n", "garbage", NULL};
    for (int i = 0; i < 3; i++) {
        const char *l = lines[i] ? lines[i] : line;
        for (int child = 0; child < 2; child++) {
            remove(done);
            bool ended = write_then(l, child);
            cr_assert_eq(ended, pinned, "%s%s: the writer %s", child ? "a child's " : "", l,
                         ended ? "ended" : "went on");
            if (ended) { /* nothing of it in the file; the run's own line, if it went on */
                cr_assert_neq(seen("a::real"), -1, "%s", forged_why);
                cr_assert_eq(seen("a::forged"), 0);
                continue;
            }
            cr_assert_eq(seen("a::real"), -1, "%s%s: not a forgery", child ? "a child's " : "", l);
            cr_assert_str_neq(forged_why, "");
        }
    }
    remove(done);
    check_finished("a::real");
    cr_assert_eq(seen("a::real"), 1, "%s", forged_why);
    /* a line tagged under the run's key (the red team read the key from memory, round 9):
     * where our write is pinned, write() of it from anywhere else ends the process and
     * nothing reaches the file; elsewhere the tag alone judges it (the harness's) */
    n = snprintf(line, sizeof(line), "done a::other 7");
    snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
             (unsigned long long)siphash24(key, line, (size_t)n));
    for (int child = 0; child < 2; child++) {
        remove(done);
        cr_assert_eq(write_then(line, child), pinned, "%swrite() of a line with the true tag",
                     child ? "a child's " : "");
        cr_assert_eq(seen("a::other"), pinned ? 0 : 1, "%s", forged_why);
    }
}

/* The bench driver's result pipe (check_seal_nodone's result_fd): once sealed, our pinned
 * write reaches it, write() from anywhere else ends the process (red team, round 9:
 * bench_tagged_harness_error wrote the driver's own tagged line there). */
Test(done, only_our_write_reaches_the_result_pipe)
{
    for (int way = 0; way < 2; way++) {
        int p[2], st;
        char got[64] = "";
        pid_t pid;

        cr_assert_eq(pipe(p), 0);
        cr_assert_geq(pid = fork(), 0);
        if (pid == 0) {
            close(p[0]);
            if (check_seal_nodone(p[1]) < 0)
                _exit(100);
            if (way == 0)
                _exit(check_write_pinned(p[1], "ok ours\n", 8) == 8 ? 0 : 1);
            _exit(write(p[1], "ok theirs\n", 10) == 10 ? 0 : 1);
        }
        close(p[1]);
        cr_assert_geq(read(p[0], got, sizeof(got) - 1), 0);
        close(p[0]);
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 100)
            cr_skip_test("no seccomp here");
        if (way == 0) {
            cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
            cr_assert_str_eq(got, "ok ours\n");
        } else if (pinned) {
            cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "status %#x", st);
            cr_assert_str_eq(got, "", "the code's line reached the pipe: %s", got);
        }
    }
}

/* ---- routes around the seal: each tried in a sealed child, which names through a pipe
 * every one that went through ------------------------------------------------------------ */

static int report_fd = -1; /* the sealed child's pipe to the test */

static void went_through(const char *what)
{
    if (write(report_fd, what, strlen(what)) < 0 || write(report_fd, " ", 1) < 0)
        _exit(101);
}

/* Run fn in a child sealed by seal(); the names of the routes that went through ("" if
 * none), or NULL where seccomp is not to be had. */
static int seal_nodone(void)
{
    return check_seal_nodone(-1);
}

static char *sealed_run(int (*seal)(void), void (*fn)(void))
{
    static char got[1024];
    int p[2], st;
    ssize_t n, len = 0;
    pid_t pid;

    cr_assert_eq(pipe(p), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        report_fd = p[1];
        if (seal() < 0)
            _exit(100);
        fn();
        _exit(0);
    }
    close(p[1]);
    while ((n = read(p[0], got + len, sizeof(got) - 1 - (size_t)len)) > 0)
        len += n;
    got[len] = '\0';
    close(p[0]);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the sealed child died (signal %d)", WTERMSIG(st));
    if (WEXITSTATUS(st) == 100)
        return NULL;
    cr_assert_eq(WEXITSTATUS(st), 0, "the sealed child exited %d", WEXITSTATUS(st));
    return got;
}

static const char forged[] = "done a::forged 1\n";

/* Pass fd over a socket pair with SCM_RIGHTS; the copy, or -1. */
static int scm_copy(int fd)
{
    int sv[2], got = -1;
    char byte = 'x', cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return -1; /* allowed (lab 5's tests make pairs): this is no pass */
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(sv[0], &m, 0) == 1)
        went_through("sendmsg(SCM_RIGHTS)");
    memset(cbuf, 0, sizeof(cbuf));
    m.msg_controllen = sizeof(cbuf);
    if (recvmsg(sv[1], &m, MSG_DONTWAIT) >= 0) {
        went_through("recvmsg");
        if ((c = CMSG_FIRSTHDR(&m)) && c->cmsg_type == SCM_RIGHTS)
            memcpy(&got, CMSG_DATA(c), sizeof(int));
    }
    close(sv[0]);
    close(sv[1]);
    return got;
}

static void try_copy(const char *what, long fd)
{
    if (fd >= 0 && write((int)fd, forged, strlen(forged)) > 0)
        went_through(what);
}

static void fd_routes(void)
{
    long pidfd = syscall(SYS_pidfd_open, (long)getpid(), 0L);
    aio_context_t ctx = 0;
    struct io_uring_params up = {0};
    struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {.len = 1, .filter = &allow};
    int n = 0;

    if (pidfd >= 0 && syscall(SYS_pidfd_getfd, pidfd, 1000L, 0L) >= 0)
        went_through("pidfd_getfd");
    try_copy("pidfd_getfd+write", pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, 1000L, 0L));
    try_copy("SCM_RIGHTS+write", scm_copy(1000));
    if (syscall(SYS_io_setup, 8L, &ctx) == 0) {
        struct iocb cb = {.aio_lio_opcode = IOCB_CMD_PWRITE,
                          .aio_fildes = 1000,
                          .aio_buf = (uint64_t)(uintptr_t)forged,
                          .aio_nbytes = strlen(forged)};
        struct iocb *cbs[] = {&cb};
        went_through("io_setup");
        if (syscall(SYS_io_submit, ctx, 1L, cbs) == 1)
            went_through("io_submit");
    }
    if (syscall(SYS_io_uring_setup, 4L, &up) >= 0)
        went_through("io_uring_setup");
    if (syscall(SYS_io_uring_enter, 0L, 0L, 0L, 0L, NULL, 0L) >= 0 || errno != EPERM)
        went_through("io_uring_enter");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog) >= 0)
        went_through("seccomp(NEW_LISTENER)");
    if (open("/proc/self/fd/1000", O_WRONLY | O_APPEND) >= 0)
        went_through("reopen /proc/self/fd/1000");
    if (ioctl(1000, FIONREAD, &n) == 0 || errno != EPERM)
        went_through("ioctl(1000)");
    if (fcntl(1000, F_DUPFD, 2000) >= 0)
        went_through("fcntl(F_DUPFD)");
    if (syscall(SYS_process_vm_writev, (long)getpid(), NULL, 0L, NULL, 0L, 0L) == 0)
        went_through("process_vm_writev");
    check_finished("a::real");
}

Test(done, no_route_copies_or_writes_the_sealed_fd)
{
    char *got = sealed_run(check_seal, fd_routes);

    if (!got)
        cr_skip_test("no seccomp here: the done line is written the plain way");
    cr_assert_str_empty(got, "routes around the seal that went through: %s", got);
    cr_assert_eq(seen("a::real"), 1, "%s", forged_why);
}

/* What one run could leave for the next (a cache on disk, in the kernel): all refused. */
static void keep_routes(void)
{
    char path[160];
    int fd;

    snprintf(path, sizeof(path), "%s/cache", tmp);
    if ((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0 || errno != EPERM)
        went_through("open(O_CREAT)");
    if ((fd = open(tmp, O_RDONLY | O_DIRECTORY)) >= 0 && fchmod(fd, 0751) == 0)
        went_through("fchmod");
    if (fd >= 0 && fchown(fd, getuid(), getgid()) == 0)
        went_through("fchown");
    if (setxattr(tmp, "user.cache", "x", 1, 0) == 0 || errno != EPERM)
        went_through("setxattr");
    if (fd >= 0 && (fsetxattr(fd, "user.cache", "x", 1, 0) == 0 || errno != EPERM))
        went_through("fsetxattr");
    if (utimes(tmp, NULL) == 0 || errno != EPERM)
        went_through("utimes");
    if (syscall(SYS_add_key, "user", "cache", "x", 1L, -4L /* user keyring */) >= 0 ||
        errno != EPERM)
        went_through("add_key");
    if (syscall(SYS_keyctl, 0L /* KEYCTL_GET_KEYRING_ID */, -4L, 0L) >= 0 || errno != EPERM)
        went_through("keyctl");
    if (shmget(IPC_PRIVATE, 4096, 0600) >= 0 || errno != EPERM)
        went_through("shmget");
    if (syscall(SYS_mq_open, "cache", O_RDONLY, 0L, NULL) >= 0 || errno != EPERM)
        went_through("mq_open");
    /* calls newer than the filter's list (fchmodat2 452, setxattrat 463): ENOSYS */
    if (syscall(452, AT_FDCWD, tmp, 0751L, 0L) == 0 || errno != ENOSYS)
        went_through("fchmodat2");
    if (syscall(463, AT_FDCWD, tmp, 0L, "user.cache", NULL, 0L) == 0 || errno != ENOSYS)
        went_through("setxattrat");
    /* epoll_pwait2 is still there for lab 5 (EBADF: no such epoll fd) */
    if (syscall(SYS_epoll_pwait2, -1, NULL, 1, NULL, NULL, 0L) == 0 || errno == ENOSYS)
        went_through("epoll_pwait2 said ENOSYS");
    if (fd >= 0)
        close(fd);
}

Test(done, sealed_without_done_file_writes_no_file)
{
    char *got;
    struct stat st;

    unsetenv("CHECK_DONE");
    got = sealed_run(seal_nodone, keep_routes);
    if (!got)
        cr_skip_test("no seccomp here");
    cr_assert_str_empty(got, "what a sealed run could keep for the next, that went through: %s",
                        got);
    cr_assert_eq(stat(tmp, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0700, "the folder's mode changed: %o", st.st_mode & 07777);
}

/* A sealed run with no done file still has every descriptor number to use: the one the
 * filter keeps for a done file is held, never handed to the run's own sockets (lab 5's
 * c1k opens a thousand). */
static void many_pipes(void)
{
    struct rlimit r;
    int p[2];

    if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_max < 1100)
        return; /* cannot reach fd 1000: nothing to see */
    r.rlim_cur = 1100;
    if (setrlimit(RLIMIT_NOFILE, &r) < 0)
        return;
    while (pipe(p) == 0 && p[1] < 1050)
        if (write(p[1], "x", 1) != 1 || p[0] == 1000 || p[1] == 1000)
            went_through(p[0] == 1000 || p[1] == 1000 ? "fd-1000-handed-out" : "write-refused");
}

Test(done, sealed_without_done_file_keeps_every_fd_usable)
{
    char *got;

    unsetenv("CHECK_DONE");
    got = sealed_run(seal_nodone, many_pipes);
    if (!got)
        cr_skip_test("no seccomp here");
    cr_assert_str_empty(got, "%s", got);
}

/* A sealed run asking for big socket buffers is told yes and keeps the kernel's sizing:
 * the machine's TCP memory is one pool (red team 13, tcp_mem_pressure). Other options
 * still take. */
static void socket_buffers(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), big = 64 << 20, before = 0, after = 0, on = 1;
    socklen_t len = sizeof(int);

    if (s < 0)
        return;
    getsockopt(s, SOL_SOCKET, SO_SNDBUF, &before, &len);
    if (setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)) != 0)
        went_through("sndbuf-refused");
    if (setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) != 0)
        went_through("rcvbuf-refused");
    len = sizeof(int);
    getsockopt(s, SOL_SOCKET, SO_SNDBUF, &after, &len);
    if (after != before)
        went_through("sndbuf-grown");
    len = sizeof(int);
    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &after, &len);
    if (after >= big)
        went_through("rcvbuf-grown");
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0)
        went_through("reuseaddr-refused");
    close(s);
}

Test(done, sealed_socket_buffers_keep_their_size)
{
    char *got;

    unsetenv("CHECK_DONE");
    got = sealed_run(seal_nodone, socket_buffers);
    if (!got)
        cr_skip_test("no seccomp here");
    cr_assert_str_empty(got, "%s", got);
}

Test(done, sealed_process_keeps_its_channel_to_the_runner)
{
    int sv[2], st;
    pid_t pid;
    char buf[8];

    /* The pair's far end lives in this (unsealed) process, as Criterion's runner would. */
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct iovec iov = {.iov_base = "a", .iov_len = 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
        int bad = 0, other[2];

        close(sv[1]);
        if (check_seal() < 0)
            _exit(100);
        bad |= (sendmsg(sv[0], &m, 0) != 1) << 0; /* the channel works */
        bad |= (close(sv[0]) != 0) << 1;          /* "closed" (pretended) */
        bad |= (sendmsg(sv[0], &m, 0) != 1) << 2; /* and still the same socket */
        bad |= (socketpair(AF_UNIX, SOCK_STREAM, 0, other) != 0) << 3; /* pairs are allowed */
        bad |= (dup2(other[0], sv[0]) >= 0 || errno != EPERM) << 4;    /* not onto the kept */
        bad |= (dup3(other[0], sv[0], 0) >= 0 || errno != EPERM) << 5;
        bad |= (syscall(SYS_close_range, 0L, ~0L, 0L) == 0) << 6;
        bad |= (sendmsg(other[0], &m, 0) >= 0 || errno != EPERM) << 7; /* nor a new one */
        _exit(bad);
    }
    close(sv[0]);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the sealed child died");
    if (WEXITSTATUS(st) == 100)
        cr_skip_test("no seccomp here");
    cr_assert_eq(WEXITSTATUS(st), 0,
                 "bits: kept send, pretended close, send after it, socketpair, dup2 onto the "
                 "kept, dup3 onto it, close_range over it, sendmsg on a new pair: %#x",
                 WEXITSTATUS(st));
    cr_assert_eq(read(sv[1], buf, sizeof(buf)), 2, "both messages reached the far end");
    close(sv[1]);
}

/* The key's hex string is gone from a process that runs code under test: the constructor
 * keeps the key as 16 bytes (a string of 32 hex digits is found by its look, no guess
 * needed). Run in a worker of this very binary, started with the key in its environment. */
static const char scan_hex[] = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

Test(done, key_string_not_in_a_workers_memory, .timeout = 20)
{
    if (getenv("TEST_DONE_SCAN")) { /* the worker of the runner started below */
        char line[512];
        FILE *maps = fopen("/proc/self/maps", "r");
        int mem = open("/proc/self/mem", O_RDONLY);
        size_t found = 0;

        cr_assert(maps && mem >= 0);
        while (fgets(line, sizeof(line), maps)) {
            unsigned long lo, hi;
            char perms[8];
            if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
                strstr(line, "[vvar") || hi - lo > (64UL << 20))
                continue;
            char *buf = malloc(hi - lo);
            ssize_t n = buf ? pread(mem, buf, hi - lo, (off_t)lo) : -1;
            for (ssize_t i = 0; n > 0 && i + 32 <= n; i++)
                if (buf[i] == scan_hex[0] && !memcmp(buf + i, scan_hex, 32) &&
                    lo + (unsigned long)i != (unsigned long)scan_hex) {
                    found++;
                    cr_log_warn("at %#lx in %s", lo + (unsigned long)i, line);
                }
            free(buf);
        }
        fclose(maps);
        close(mem);
        cr_assert_eq(found, 0, "the key's hex string is in the worker's memory %zu times", found);
        cr_assert(check_tag("x", 1) != 0, "the key was taken");
        return;
    }
    pid_t pid = fork();
    int st;
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        char *argv[] = {"test_done", "--filter=done/key_string_not_in_a_workers_memory", NULL};
        char key[64];
        snprintf(key, sizeof(key), "CHECK_DONE_KEY=%s", scan_hex);
        char *env[] = {key, "TEST_DONE_SCAN=1", NULL};
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "the worker found the key's string in its memory, or failed (status %#x)", st);
}
