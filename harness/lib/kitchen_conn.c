/* kitchen_conn.c: one connection of the kitchen server: read the order, schedule the
 * reply after the latency, send it; the modes (split, close-early, cut, trail, garble, hold)
 * act here. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kitchen_server.h"

enum {
    SPLIT_GAP_NS = 1000000, /* split mode: the gap between two bytes of a reply */
    RETRY_NS = 1000000,     /* a reply that met a full socket buffer is retried after this */
};

void kitchen_conn_close(struct server *s, struct conn *c)
{
    close(c->fd); /* also takes it out of epoll, if it was in */
    s->conns[c->fd] = NULL;
    free(c);
}

/* Parse an order: decimal digits only (a '\r' before the '\n' is forgiven). */
static int parse_item(char *line, size_t len, uint64_t *item)
{
    char *end;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0 || len >= KITCHEN_LINE_MAX)
        return -EINVAL;
    line[len] = '\0';
    if (strspn(line, "0123456789") != len)
        return -EINVAL;
    errno = 0;
    *item = strtoull(line, &end, 10);
    return errno ? -errno : 0;
}

/* The order is in (or hopeless): stop reading and schedule the answer. */
static void conn_schedule(struct server *s, struct conn *c, int good, uint64_t item)
{
    uint64_t now = kitchen_now_ns();

    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (!good) {
        /* A bad line is answered at once: there is nothing to cook. */
        c->outlen = (size_t)snprintf(c->out, sizeof(c->out), "ERR\n");
        c->deadline = now;
    } else {
        /* garbled: what strtoull() alone would take for a number */
        c->outlen = (size_t)snprintf(c->out, sizeof(c->out), "%.*s%llu\n", s->conf->garble ? 1 : 0,
                                     &"- +"[item % 3], (unsigned long long)kitchen_reply(item));
        /* The latency counts from the moment the whole line arrived. */
        c->deadline = now + (uint64_t)s->conf->latency_ms * NS_PER_MS;
    }
    if (s->conf->close_early)
        c->outlen = 0;
    else if (s->conf->cut && c->outlen > 0)
        c->outlen--; /* the newline */
    else if (s->conf->trail && c->outlen + 2 < sizeof(c->out))
        c->outlen += (size_t)snprintf(c->out + c->outlen, sizeof(c->out) - c->outlen, "7\n");
    kitchen_heap_push(s, c);
}

void kitchen_conn_read(struct server *s, struct conn *c)
{
    ssize_t n = read(c->fd, c->in + c->len, sizeof(c->in) - c->len);
    char *nl;
    uint64_t item = 0;
    int good;

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0 || (n == 0 && c->len == 0)) {
        kitchen_conn_close(s, c); /* an error, or a client that left without ordering */
        return;
    }
    nl = memchr(c->in + c->len, '\n', (size_t)n);
    c->len += (size_t)n;
    if (nl) {
        good = parse_item(c->in, (size_t)(nl - c->in), &item) == 0;
        conn_schedule(s, c, good, item);
    } else if (n == 0 || c->len == sizeof(c->in)) {
        conn_schedule(s, c, 0, 0); /* EOF mid-line, or a line too long */
    }
}

/* A deadline came: send the reply (or its next byte in split mode), or close. */
void kitchen_conn_step(struct server *s, struct conn *c, uint64_t now)
{
    size_t want = s->conf->split ? 1 : c->outlen - c->sent;
    ssize_t n = 0;

    if (c->sent < c->outlen)
        n = send(c->fd, c->out + c->sent, want, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        kitchen_conn_close(s, c); /* the client is gone */
        return;
    }
    if (n > 0)
        c->sent += (size_t)n;
    if (c->sent == c->outlen && (c->held || s->conf->hold_ms <= 0)) {
        kitchen_conn_close(s, c);
        return;
    }
    if (c->sent == c->outlen) { /* hold mode: hang up later (the client may first) */
        c->held = 1;
        c->deadline = now + (uint64_t)s->conf->hold_ms * NS_PER_MS;
        kitchen_heap_push(s, c);
        return;
    }
    c->deadline = now + (n > 0 && s->conf->split ? SPLIT_GAP_NS : RETRY_NS);
    kitchen_heap_push(s, c);
}

void kitchen_conn_new(struct server *s, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    struct conn *c;
    int one = 1;

    if (fd >= s->nfd || !(c = calloc(1, sizeof(*c)))) {
        close(fd);
        return;
    }
    c->fd = fd;
    /* Split mode: without NODELAY, Nagle would glue the single bytes back together. */
    if (s->conf->split)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(c);
        close(fd);
        return;
    }
    s->conns[fd] = c;
}
