/* mutant: gives up when a signal interrupts recv() (EINTR) instead of calling it again
 * replaces: serve.c
 * expect: serve::interrupted fail
 * expect: serve::one_order pass
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

static int send_all(int fd, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t k = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (size_t)k;
    }
    return 0;
}

static int parse_reply(const char *line, uint64_t *v)
{
    if (line[0] < '0' || line[0] > '9')
        return -EPROTO;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(line, &end, 10);
    if (errno || *end != '\n')
        return -EPROTO;
    *v = (uint64_t)x;
    return 0;
}

int serve(uint16_t port, uint64_t item, uint64_t *reply)
{
    if (!reply)
        return -EINVAL;
    int rc;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -errno;

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno == EINTR)
            continue;
        rc = -errno;
        goto out_close;
    }

    char buf[KITCHEN_LINE_MAX + 2];
    int len = snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)item);
    rc = send_all(fd, buf, (size_t)len);
    if (rc < 0)
        goto out_close;

    size_t got = 0;
    for (;;) {
        if (got >= sizeof buf - 1) {
            rc = -EPROTO;
            goto out_close;
        }
        ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (k < 0) {
            rc = -errno;
            goto out_close;
        }
        if (k == 0) {
            rc = -EPROTO;
            goto out_close;
        }
        got += (size_t)k;
        buf[got] = '\0';
        if (memchr(buf, '\n', got))
            break;
    }
    uint64_t v;
    rc = parse_reply(buf, &v);
    if (rc == 0)
        *reply = v;
out_close:
    close(fd);
    return rc;
}
