/* cr_socket.c: Criterion's socket kept in the run's own folder.
 *
 * libcriterion (2.4.1) talks to its workers through nanomsg at
 * ipc:///tmp/criterion_<runner pid>.sock: a fixed folder, every run's where namespaces cannot
 * be had. A run that bound those names ahead of time (red team 11, criterion_socket_squat:
 * 3,000 future pids) made the runs of a submission graded beside it fail ("Address already in
 * use") and left its files in /tmp. libnanomsg imports bind(), connect() and unlink(), so in a
 * program that links this file its calls bind here: a path under /tmp/criterion_ is taken as
 * criterion_<pid>.sock in the working folder, the run's own (correct.c runs each test in a
 * fresh one, removed after it). Any other call (the code under test's too) goes to the C
 * library's unchanged. A test runner links it through check.o (check_begin calls
 * cr_socket_here()); the kit's unit tests, run from the kit's folder, do not. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cr_modules.h"

void cr_socket_here(void)
{
}

static const char cr_sock[] = "/tmp/criterion_";

/* a in the run's folder when it names Criterion's socket under /tmp, else a itself */
static const struct sockaddr *cr_sock_moved(const struct sockaddr *a, socklen_t *len,
                                            struct sockaddr_un *here)
{
    const struct sockaddr_un *u = (const struct sockaddr_un *)(const void *)a;
    size_t at = offsetof(struct sockaddr_un, sun_path), n;

    if (!a || *len <= (socklen_t)at || a->sa_family != AF_UNIX)
        return a;
    n = strnlen(u->sun_path, *len - at);
    if (n < sizeof(cr_sock) - 1 || strncmp(u->sun_path, cr_sock, sizeof(cr_sock) - 1))
        return a;
    memset(here, 0, sizeof(*here));
    here->sun_family = AF_UNIX;
    snprintf(here->sun_path, sizeof(here->sun_path), "%.*s", (int)(n - strlen("/tmp/")),
             u->sun_path + strlen("/tmp/"));
    *len = (socklen_t)(at + strlen(here->sun_path) + 1);
    return (const struct sockaddr *)here;
}

/* The C library's `name`, looked up once (threads of a test connect at once: atomically). */
static void *libc_fn(void **cache, const char *name)
{
    void *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

    if (!f && (f = dlsym(RTLD_NEXT, name)))
        __atomic_store_n(cache, f, __ATOMIC_RELEASE);
    return f;
}

/* bind() or connect() (same arguments): the C library's, Criterion's socket moved. */
static int moved_call(void **cache, const char *name, int fd, const struct sockaddr *a,
                      socklen_t len)
{
    int (*f)(int, const struct sockaddr *, socklen_t) =
        (int (*)(int, const struct sockaddr *, socklen_t))libc_fn(cache, name);
    struct sockaddr_un here;

    a = cr_sock_moved(a, &len, &here);
    return f ? f(fd, a, len) : (errno = ENOSYS, -1);
}

int bind(int fd, const struct sockaddr *a, socklen_t len)
{
    static void *real;

    return moved_call(&real, "bind", fd, a, len);
}

int connect(int fd, const struct sockaddr *a, socklen_t len)
{
    static void *real;

    return moved_call(&real, "connect", fd, a, len);
}

int unlink(const char *path)
{
    static void *real;
    int (*f)(const char *) = (int (*)(const char *))libc_fn(&real, "unlink");

    if (!strncmp(path, cr_sock, sizeof(cr_sock) - 1))
        path += strlen("/tmp/");
    return f ? f(path) : (errno = ENOSYS, -1);
}
