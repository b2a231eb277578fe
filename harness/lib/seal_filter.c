/* seal_filter.c: the seccomp filter of the seal (seal_filter.h): what a sealed test, race
 * driver or bench driver may no longer do, and the one write to the done file it may. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "seal_filter.h"

#ifdef SEAL_ARCH

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARG(i, hi)                                                                              \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * (i) + 4 * (hi))
#define DENY  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
#define KILL  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
/* if nr == n, go on to the next instruction, else skip `skip` */
#define IF_NR(n, skip) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, (skip))

/* Calls no sealed process makes: they change the file system by name or keep data past
 * the run (keyrings, System V IPC, message queues, extended attributes, times, modes: a
 * cache a later trial could read), copy an fd where the checks below cannot follow it
 * (pidfd_getfd; a seccomp listener's ADDFD), write by a route those checks cannot see
 * (Linux AIO, io_uring: the fd sits in a structure), or reach another process's memory. */
static const int denied[] = {
    SYS_creat,
    SYS_openat2,
    SYS_unlink,
    SYS_unlinkat,
    SYS_rename,
    SYS_renameat,
    SYS_renameat2,
    SYS_link,
    SYS_linkat,
    SYS_symlink,
    SYS_symlinkat,
    SYS_mkdir,
    SYS_mkdirat,
    SYS_rmdir,
    SYS_chmod,
    SYS_fchmod,
    SYS_fchmodat,
    SYS_chown,
    SYS_fchown,
    SYS_lchown,
    SYS_fchownat,
    SYS_truncate,
    SYS_mknod,
    SYS_mknodat,
    SYS_utime,
    SYS_utimes,
    SYS_futimesat,
    SYS_utimensat,
    SYS_setxattr,
    SYS_lsetxattr,
    SYS_fsetxattr,
    SYS_removexattr,
    SYS_lremovexattr,
    SYS_fremovexattr,
    SYS_add_key,
    SYS_request_key,
    SYS_keyctl,
    SYS_shmget,
    SYS_msgget,
    SYS_semget,
    SYS_mq_open,
    SYS_pidfd_getfd,
    SYS_seccomp,
    SYS_io_setup,
    SYS_io_submit,
    SYS_io_uring_setup,
    SYS_io_uring_enter,
    SYS_io_uring_register,
    SYS_process_vm_writev,
    SYS_ptrace,
    SYS_open_by_handle_at,
};

/* Calls that write through, or copy, an fd: given the sealed one (argument index), refused.
 * write() is the harness's own route and stays open: what it writes is judged by the
 * grader, which takes no line without the run's tag (done.h). Those that write data through
 * it another way end the process (`kill`): no honest code writes to a descriptor it never
 * opened; the others (fcntl, ioctl, dup, ...) only say EPERM, as code that walks every
 * descriptor number may call them on it. */
static const struct {
    int nr, arg;
    bool kill;
} by_fd[] = {
    {SYS_pwrite64, 0, true},        {SYS_writev, 0, true},     {SYS_pwritev, 0, true},
    {SYS_pwritev2, 0, true},        {SYS_sendto, 0, true},     {SYS_sendmsg, 0, true},
    {SYS_sendfile, 0, true},        {SYS_splice, 2, true},     {SYS_tee, 1, true},
    {SYS_copy_file_range, 2, true}, {SYS_ftruncate, 0, false}, {SYS_fallocate, 0, false},
    {SYS_fcntl, 0, false},          {SYS_dup, 0, false},       {SYS_dup2, 0, false},
    {SYS_dup3, 0, false},           {SYS_mmap, 4, false},      {SYS_ioctl, 0, false},
    {SYS_close_range, 0, false},
};

/* Calls that can carry an fd to another number (SCM_RIGHTS): only on the Unix sockets the
 * process had when sealed (Criterion's to its runner), whose numbers then stay theirs. */
static const int carry[] = {SYS_sendmsg, SYS_sendmmsg, SYS_recvmsg, SYS_recvmmsg};

enum { KEEP_MAX = 8 };

/* The first call number the labs never need (x86_64 and aarch64 share the numbers from
 * 424 on): 440, process_madvise, and every later one. */
enum { FIRST_NEW_CALL = 440 };

#define NDENIED (sizeof(denied) / sizeof(denied[0]))
#define NBY_FD  (sizeof(by_fd) / sizeof(by_fd[0]))
#define NCARRY  (sizeof(carry) / sizeof(carry[0]))
/* 6 + 3 for new calls + 2 per denied + 10 for open and openat + 8 for setsockopt + 5 per
 * by_fd + (KEEP_MAX + 4) per carry, close, dup2 and dup3 + 7 for close_range + 14 per
 * pinned fd (two) + 1 */
#define NFILTER (28 + 2 * NDENIED + 5 * NBY_FD + (KEEP_MAX + 4) * (NCARRY + 3) + 7 + 28 + 1)

/* The Unix sockets open now (Criterion's worker talks to its runner through one), at most
 * KEEP_MAX of them, into keep; how many. */
static int unix_sockets(int *keep, int seal_fd)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    for (int fd = 0; !d && fd < 1024 && n < KEEP_MAX; fd++) { /* no /proc: the usual range */
        int dom = 0;
        socklen_t len = sizeof(dom);
        if (fd != seal_fd && getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 &&
            dom == AF_UNIX)
            keep[n++] = fd;
    }
    while (d && (e = readdir(d)) && n < KEEP_MAX) {
        int fd = atoi(e->d_name), dom = 0;
        socklen_t len = sizeof(dom);
        if (e->d_name[0] != '.' && fd != dirfd(d) && fd != seal_fd &&
            getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 && dom == AF_UNIX)
            keep[n++] = fd;
    }
    if (d)
        closedir(d);
    /* Kept open across exec too: a program this process starts (the kitchen of lab 5's
     * tests) inherits the filter, whose close() of that number only pretends; holding the
     * socket there, it never gets that number for a socket of its own. */
    for (int i = 0; i < n; i++)
        fcntl(keep[i], F_SETFD, 0);
    return n;
}

/* Append "if nr == `nr` and argument `arg` is one of keep: return `hit`, else `miss`". */
static int emit_keep(struct sock_filter *f, int n, int nr, int arg, const int *keep, int nk,
                     struct sock_filter hit, struct sock_filter miss)
{
    f[n++] = (struct sock_filter)IF_NR((unsigned)nr, (unsigned)nk + 3);
    f[n++] = (struct sock_filter)LD_ARG(arg, 0);
    for (int i = 0; i < nk; i++)
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)keep[i],
                                              (unsigned char)(nk - i), 0);
    f[n++] = miss;
    f[n++] = hit;
    return n;
}

/* Append "a write() to fd that does not come from pin.ip with pin.buf ends the process".
 * The address is the one the kernel saw (the instruction after the system call): code that
 * calls write() from anywhere else, libc's write() included, cannot pass it. */
static int emit_pin(struct sock_filter *f, int n, int fd, struct seal_pin pin)
{
    const struct sock_filter kill = KILL, allow = ALLOW, ld_nr = LD_NR;
    const unsigned ip = offsetof(struct seccomp_data, instruction_pointer);

    f[n++] = (struct sock_filter)IF_NR(SYS_write, 12);
    f[n++] = (struct sock_filter)LD_ARG(0, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)fd, 0, 10);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)pin.ip, 0, 6);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip + 4);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                          (uint32_t)((uint64_t)pin.ip >> 32), 0, 4);
    f[n++] = (struct sock_filter)LD_ARG(1, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)pin.buf, 0, 2);
    f[n++] = (struct sock_filter)LD_ARG(1, 1);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                          (uint32_t)((uint64_t)pin.buf >> 32), 1, 0);
    f[n++] = kill;
    f[n++] = allow;
    f[n++] = ld_nr;
    return n;
}

int seal_install(int seal_fd, int result_fd, struct seal_pin pin)
{
    struct sock_filter f[NFILTER];
    const struct sock_filter deny = DENY, allow = ALLOW,
                             pretend = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0);
    int keep[KEEP_MAX], nk = unix_sockets(keep, seal_fd), lo = seal_fd, hi = 0, n = 0;

    f[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SEAL_ARCH, 1, 0);
    f[n++] = (struct sock_filter)DENY;
    f[n++] = (struct sock_filter)LD_NR;
#ifdef __x86_64__
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1); /* x32 */
    f[n++] = (struct sock_filter)DENY;
#endif
    /* Calls newer than the labs need (FIRST_NEW_CALL on: fchmodat2, the *xattrat calls, and
     * whatever a later kernel adds) say ENOSYS, as to a program on an older kernel: a deny
     * list cannot name calls that did not exist when it was written (red team,
     * fchmodat2_run_folder). epoll_pwait2 is lab 5's to use. */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FIRST_NEW_CALL, 0, 2);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_epoll_pwait2, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    for (size_t i = 0; i < NDENIED; i++) {
        f[n++] = (struct sock_filter)IF_NR((unsigned)denied[i], 1);
        f[n++] = (struct sock_filter)DENY;
    }
    /* open and openat: not for writing, creating, truncating or appending */
    f[n++] = (struct sock_filter)IF_NR(SYS_open, 3);
    f[n++] = (struct sock_filter)LD_ARG(1, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
                                          O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 6, 0);
    f[n++] = (struct sock_filter)LD_NR;
    f[n++] = (struct sock_filter)IF_NR(SYS_openat, 3);
    f[n++] = (struct sock_filter)LD_ARG(2, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
                                          O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 2, 0);
    f[n++] = (struct sock_filter)LD_NR;
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0);
    f[n++] = (struct sock_filter)DENY; /* reached by the two JSETs above */
    /* a socket's buffer sizes, SO_SNDBUF and SO_RCVBUF: the call pretends to succeed and
     * the kernel's own sizing (the grading network's tcp_wmem and tcp_rmem, 256 KiB at
     * most) stands. The memory TCP may hold is one pool for the whole machine (tcp_mem):
     * 900 loopback connections asking for 64 MiB send buffers each, filled, took it past
     * its limit, short for every TCP socket of the host (red team 13, tcp_mem_pressure). */
    f[n++] = (struct sock_filter)IF_NR(SYS_setsockopt, 7);
    f[n++] = (struct sock_filter)LD_ARG(1, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOL_SOCKET, 0, 4);
    f[n++] = (struct sock_filter)LD_ARG(2, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SO_SNDBUF, 1, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SO_RCVBUF, 0, 1);
    f[n++] = pretend;
    f[n++] = (struct sock_filter)LD_NR;
    /* the other writes: not through the sealed fd */
    for (size_t i = 0; i < NBY_FD; i++) {
        f[n++] = (struct sock_filter)IF_NR((unsigned)by_fd[i].nr, 3);
        f[n++] = (struct sock_filter)LD_ARG(by_fd[i].arg, 0);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)seal_fd, 0, 1);
        f[n++] = by_fd[i].kill ? (struct sock_filter)KILL : (struct sock_filter)DENY;
        f[n++] = (struct sock_filter)LD_NR;
    }
    /* write(): to a pinned fd, only ours (done.c, check_write_pinned) */
    if (pin.ip) {
        n = emit_pin(f, n, seal_fd, pin);
        if (result_fd >= 0 && result_fd != seal_fd)
            n = emit_pin(f, n, result_fd, pin);
    }
    /* fds carried in messages: only through the sockets kept; those keep their numbers (a
     * close of one pretends to succeed, nothing may be dup'ed onto one or close_range it) */
    for (size_t i = 0; i < NCARRY; i++)
        n = emit_keep(f, n, carry[i], 0, keep, nk, allow, deny);
    n = emit_keep(f, n, SYS_close, 0, keep, nk, pretend, allow);
    n = emit_keep(f, n, SYS_dup2, 1, keep, nk, deny, allow);
    n = emit_keep(f, n, SYS_dup3, 1, keep, nk, deny, allow);
    for (int i = 0; i < nk; i++) {
        lo = keep[i] < lo ? keep[i] : lo;
        hi = keep[i] > hi ? keep[i] : hi;
    }
    if (nk > 0) { /* close_range(first, last) with first <= hi and last >= lo */
        f[n++] = (struct sock_filter)IF_NR(SYS_close_range, 6);
        f[n++] = (struct sock_filter)LD_ARG(0, 0);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (unsigned)hi, 2, 0);
        f[n++] = (struct sock_filter)LD_ARG(1, 0);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (unsigned)lo, 1, 0);
        f[n++] = (struct sock_filter)ALLOW;
        f[n++] = (struct sock_filter)DENY;
    }
    f[n++] = (struct sock_filter)ALLOW;
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    int rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0
                 ? -errno
                 : 0;
    explicit_bzero(f, sizeof(f)); /* nothing of it left on the stack (seal_stack_residue) */
    return rc;
}

#endif
