/* done.c: a test or driver says it reached its end, into the file env CHECK_DONE names. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "done.h"

#if defined(__x86_64__)
#define SEAL_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SEAL_ARCH AUDIT_ARCH_AARCH64
#endif

enum { SEAL_FD = 1000 }; /* where the done file sits once sealed (below RLIMIT_NOFILE) */

static int sealed_fd = -1; /* the done file, opened before the code under test ran */
static uint32_t secret[2]; /* what our own write of the done line carries in its spare args */

/* Append "done <what> <pid>" through the sealed fd, or by opening the file (unsealed). */
void check_finished(const char *what)
{
    const char *path = getenv("CHECK_DONE");
    char line[256];
    int fd, n = snprintf(line, sizeof(line), "done %s %d\n", what, (int)getpid());

    if (n <= 0 || n >= (int)sizeof(line))
        return;
    if (sealed_fd >= 0) {
        /* pwrite64 ignores its fifth and sixth arguments; the filter lets this fd be
         * written only with the secret there (O_APPEND: the offset does not matter) */
        if (syscall(SYS_pwrite64, sealed_fd, line, (size_t)n, (off_t)0, (long)secret[0],
                    (long)secret[1]) < 0)
            n = -1;
        return;
    }
    if (!path)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) < 0)
        n = -1;
    close(fd);
}

#ifdef SEAL_ARCH

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARG(i, hi)                                                                              \
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * (i) + 4 * (hi))
#define DENY  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
/* if nr == n, go on to the next instruction, else skip `skip` */
#define IF_NR(n, skip) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (n), 0, (skip))

/* Calls that change the file system by name: none in a test. */
static const int by_name[] = {
    SYS_creat,          SYS_openat2,
    SYS_unlink,         SYS_unlinkat,
    SYS_rename,         SYS_renameat,
    SYS_renameat2,      SYS_link,
    SYS_linkat,         SYS_symlink,
    SYS_symlinkat,      SYS_mkdir,
    SYS_mkdirat,        SYS_rmdir,
    SYS_chmod,          SYS_fchmodat,
    SYS_chown,          SYS_lchown,
    SYS_fchownat,       SYS_truncate,
    SYS_mknod,          SYS_mknodat,
    SYS_io_uring_setup, SYS_process_vm_writev,
    SYS_ptrace,         SYS_open_by_handle_at,
    SYS_utimensat,
};

/* Calls that write through, or copy, an fd: given the sealed one (argument index), EPERM. */
static const struct {
    int nr, arg;
} by_fd[] = {
    {SYS_write, 0},     {SYS_writev, 0},
    {SYS_pwritev, 0},   {SYS_pwritev2, 0},
    {SYS_sendto, 0},    {SYS_sendmsg, 0},
    {SYS_sendfile, 0},  {SYS_splice, 2},
    {SYS_tee, 1},       {SYS_copy_file_range, 2},
    {SYS_ftruncate, 0}, {SYS_fallocate, 0},
    {SYS_fcntl, 0},     {SYS_dup, 0},
    {SYS_dup2, 0},      {SYS_dup3, 0},
    {SYS_mmap, 4},      {SYS_fchmod, 0},
    {SYS_fchown, 0},    {SYS_close_range, 0},
};

/* 6 + 2 per by_name + 19 for open, openat and pwrite64 + 5 per by_fd + 1 */
#define NFILTER                                                                                    \
    (26 + 2 * sizeof(by_name) / sizeof(by_name[0]) + 5 * sizeof(by_fd) / sizeof(by_fd[0]))

static int install(void)
{
    struct sock_filter f[NFILTER];
    int n = 0;

    f[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SEAL_ARCH, 1, 0);
    f[n++] = (struct sock_filter)DENY;
    f[n++] = (struct sock_filter)LD_NR;
#ifdef __x86_64__
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1); /* x32 */
    f[n++] = (struct sock_filter)DENY;
#endif
    for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++) {
        f[n++] = (struct sock_filter)IF_NR((unsigned)by_name[i], 1);
        f[n++] = (struct sock_filter)DENY;
    }
    /* open and openat: not for writing, creating, truncating or appending */
    f[n++] = (struct sock_filter)IF_NR(SYS_open, 3);
    f[n++] = (struct sock_filter)LD_ARG(1, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
                                          O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 9, 0);
    f[n++] = (struct sock_filter)LD_NR;
    f[n++] = (struct sock_filter)IF_NR(SYS_openat, 3);
    f[n++] = (struct sock_filter)LD_ARG(2, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
                                          O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 5, 0);
    f[n++] = (struct sock_filter)LD_NR;
    /* pwrite64 on the sealed fd: only with the secret in arguments 4 and 5 */
    f[n++] = (struct sock_filter)IF_NR(SYS_pwrite64, 10);
    f[n++] = (struct sock_filter)LD_ARG(0, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SEAL_FD, 2, 0);
    f[n++] = (struct sock_filter)ALLOW;
    f[n++] = (struct sock_filter)DENY; /* reached by the two JSETs above */
    f[n++] = (struct sock_filter)LD_ARG(4, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, secret[0], 0, 3);
    f[n++] = (struct sock_filter)LD_ARG(5, 0);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, secret[1], 0, 1);
    f[n++] = (struct sock_filter)ALLOW;
    f[n++] = (struct sock_filter)DENY;
    /* the other writes: not through the sealed fd */
    for (size_t i = 0; i < sizeof(by_fd) / sizeof(by_fd[0]); i++) {
        f[n++] = (struct sock_filter)IF_NR((unsigned)by_fd[i].nr, 3);
        f[n++] = (struct sock_filter)LD_ARG(by_fd[i].arg, 0);
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SEAL_FD, 0, 1);
        f[n++] = (struct sock_filter)DENY;
        f[n++] = (struct sock_filter)LD_NR;
    }
    f[n++] = (struct sock_filter)ALLOW;
    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
        return -errno;
    return 0;
}

int check_seal(void)
{
    const char *path = getenv("CHECK_DONE");
    int fd, rc;

    if (!path || sealed_fd >= 0)
        return 0;
    if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
        return -errno;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    if (dup3(fd, SEAL_FD, O_CLOEXEC) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    close(fd);
    if ((rc = install()) < 0) {
        close(SEAL_FD); /* no filter here: the done line is written the plain way */
        return rc;
    }
    sealed_fd = SEAL_FD;
    return 0;
}

#else

int check_seal(void)
{
    return -ENOSYS;
}

#endif
