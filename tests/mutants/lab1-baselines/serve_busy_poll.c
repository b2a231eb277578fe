/* mutant: a non-blocking socket and a spin on EAGAIN: right answers, a core burnt while waiting
 * replaces: serve.c
 * expect: serve::one_order pass
 * expect: serve::several_orders pass
 * expect: serve::no_fd_leak pass
 * expect: serve::partial_reply pass
 * expect: serve.io_bound fail
 */
/* serve.c: serving, the I/O-bound work: one order placed with the kitchen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lab1.h"

/* "Never block": keep asking until the socket is connected. */
static int spin_connect(int fd, const struct sockaddr_in *addr)
{
    for (;;) {
        if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 || errno == EISCONN)
            return 0;
        if (errno != EINPROGRESS && errno != EALREADY && errno != EINTR)
            return -errno;
    }
}

static int spin_send(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                continue;
            return -errno;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Ask for the reply again and again until it is there: the waiter stands at the pass. */
static int spin_line(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    char *nl;

    while (len < cap - 1) {
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);

        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EPROTO;
        len += (size_t)r;
        nl = memchr(buf, '\n', len);
        if (nl) {
            *nl = '\0';
            return 0;
        }
    }
    return -EPROTO;
}

int serve(uint16_t port, uint64_t item, uint64_t *reply)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    char line[KITCHEN_LINE_MAX], *end;
    int fd, len, rc;

    if (!reply)
        return -EINVAL;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    rc = spin_connect(fd, &addr);
    if (rc < 0)
        goto out_close;
    len = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)item);
    rc = spin_send(fd, line, (size_t)len);
    if (rc < 0)
        goto out_close;
    rc = spin_line(fd, line, sizeof(line));
    if (rc < 0)
        goto out_close;
    errno = 0;
    *reply = strtoull(line, &end, 10);
    if (line[0] < '0' || line[0] > '9' || errno || *end != '\0')
        rc = -EPROTO;
out_close:
    close(fd);
    return rc;
}
