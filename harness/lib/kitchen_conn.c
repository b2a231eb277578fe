/* kitchen_conn.c: one connection of the kitchen server: read the order, schedule the
 * reply after the latency, send it; the modes (split, close-early, cut, trail, garble, hold)
 * act here. Or a check connection: "? ITEM REPLY" lines, each answered at once. */
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
#include "siphash.h"

enum {
    SPLIT_GAP_NS = 1000000, /* split mode: the gap between two bytes of a reply */
    RETRY_NS = 1000000,     /* a reply that met a full socket buffer is retried after this */
    CHECK_BUF = 4096,       /* a check connection reads this much at a time */
};

/* SipHash-2-4 (siphash.h) of one 64-bit word (its 8 bytes, little-endian) under a 128-bit
 * key: a pseudorandom function, so replies to items tell nothing of the key nor of the
 * replies to other items. dish_mix(item ^ key) did not: dish_mix can be undone, and one
 * reply gave the key away, after which a version made every other reply itself, with no
 * latency and no kitchen (red team, kitchen_key_recovery: a serial thread_map() passed
 * serve.threads at 7.6x). */
uint64_t kitchen_siphash(const uint64_t key[2], uint64_t m)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(m >> (8 * i));
    return siphash24(key, b, sizeof(b));
}

uint64_t kitchen_answer(const struct server *s, uint64_t item)
{
    return kitchen_siphash(s->key, item);
}

void kitchen_conn_close(struct server *s, struct conn *c)
{
    close(c->fd); /* also takes it out of epoll, if it was in */
    s->conns[c->fd] = NULL;
    free(c->chk);
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

/* One check line, "? ITEM REPLY" (decimal, single spaces): 1 when REPLY is this kitchen's
 * answer to ITEM, 0 when it is not, -1 for a line of another shape. */
static int check_line(const struct server *s, char *line, size_t len)
{
    char *reply, *end;
    uint64_t item, want;

    if (len > 0 && line[len - 1] == '\r')
        len--;
    line[len] = '\0';
    if (len < 5 || line[0] != '?' || line[1] != ' ' || !(reply = strchr(line + 2, ' ')))
        return -1;
    *reply++ = '\0';
    if (parse_item(line + 2, strlen(line + 2), &item) < 0 ||
        strspn(reply, "0123456789") != strlen(reply) || !*reply)
        return -1;
    errno = 0;
    want = strtoull(reply, &end, 10);
    if (errno)
        return -1;
    return want == kitchen_answer(s, item);
}

/*
 * A check connection has read more: answer each whole line at once ("1\n", "0\n", or
 * "ERR\n"), keep the rest of a line for the next read. The client reads its answers as it
 * goes (kitchen_check() sends a few hundred lines, then reads theirs): one whose answers
 * no longer fit its socket buffer, or whose line outgrows CHECK_BUF, is closed.
 */
static void conn_check(struct server *s, struct conn *c)
{
    char out[CHECK_BUF * 4]; /* "ERR\n" for every byte, at worst */
    size_t at = 0, outlen = 0;
    char *nl;

    while ((nl = memchr(c->chk + at, '\n', c->len - at))) {
        int ok = check_line(s, c->chk + at, (size_t)(nl - (c->chk + at)));

        memcpy(out + outlen, ok < 0 ? "ERR\n" : ok ? "1\n" : "0\n", ok < 0 ? 4 : 2);
        outlen += ok < 0 ? 4 : 2;
        at = (size_t)(nl - c->chk) + 1;
    }
    memmove(c->chk, c->chk + at, c->len - at);
    c->len -= at;
    if ((outlen > 0 && send(c->fd, out, outlen, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)outlen) ||
        c->len == CHECK_BUF)
        kitchen_conn_close(s, c);
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
                                     &"- +"[item % 3], (unsigned long long)kitchen_answer(s, item));
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

/* A check connection's read: into its own larger buffer. */
static void check_read(struct server *s, struct conn *c)
{
    ssize_t n = read(c->fd, c->chk + c->len, CHECK_BUF - c->len);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        kitchen_conn_close(s, c); /* the checker is done (or gone) */
        return;
    }
    c->len += (size_t)n;
    conn_check(s, c);
}

void kitchen_conn_read(struct server *s, struct conn *c)
{
    ssize_t n;
    char *nl;
    uint64_t item = 0;
    int good;

    if (c->chk) {
        check_read(s, c);
        return;
    }
    n = read(c->fd, c->in + c->len, sizeof(c->in) - c->len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n < 0 || (n == 0 && c->len == 0)) {
        kitchen_conn_close(s, c); /* an error, or a client that left without ordering */
        return;
    }
    if (c->in[0] == '?') { /* not an order: a check connection from its first byte on */
        if (n == 0 || !(c->chk = malloc(CHECK_BUF))) {
            kitchen_conn_close(s, c);
            return;
        }
        /* answers go out as they are ready: Nagle would hold each one back for the
         * client's delayed ACK (40 ms a chunk) */
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
        memcpy(c->chk, c->in, c->len + (size_t)n);
        c->len += (size_t)n;
        conn_check(s, c);
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
