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

/* Send all of buf: a send may take only part of it. MSG_NOSIGNAL: a kitchen that
 * hung up gives EPIPE, not a SIGPIPE that kills the waiter. */
static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Read up to and including '\n' into buf, then end the string there. TCP is a
 * byte stream: one reply may arrive in several pieces. */
static int recv_line(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    char *nl;

    while (len < cap - 1) {
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EPROTO; /* the kitchen hung up before a whole line */
        len += (size_t)r;
        nl = memchr(buf, '\n', len);
        if (nl) {
            /* a line is text: a NUL inside would end the string early and hide the bytes
             * after it from parse_reply() ("12\0x" would read as 12) */
            if (memchr(buf, '\0', (size_t)(nl - buf)))
                return -EPROTO;
            *nl = '\0';
            return 0;
        }
    }
    return -EPROTO; /* longer than any reply can be */
}

/* The reply as a number; "ERR" or anything else is a protocol error. */
static int parse_reply(const char *line, uint64_t *value)
{
    char *end;

    if (line[0] < '0' || line[0] > '9')
        return -EPROTO; /* strtoull would accept " 7" and "-7" */
    errno = 0;
    *value = strtoull(line, &end, 10);
    if (errno || *end != '\0')
        return -EPROTO;
    return 0;
}

int serve(uint16_t port, uint64_t item, uint64_t *reply)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    char line[KITCHEN_LINE_MAX];
    int fd, len, rc;

    if (!reply)
        return -EINVAL;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        rc = -errno;
        goto out_close;
    }
    len = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)item);
    rc = send_all(fd, line, (size_t)len);
    if (rc < 0)
        goto out_close;
    rc = recv_line(fd, line, sizeof(line));
    if (rc < 0)
        goto out_close;
    rc = parse_reply(line, reply);
out_close:
    close(fd); /* every path, or each order leaks a descriptor */
    return rc;
}
