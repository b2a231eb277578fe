/* kitchen_server.h: what the kitchen server's files share (kitchen_server.c: the loop and
 * its heap of deadlines; kitchen_conn.c: one connection, where the modes act). Not for lab
 * code: kitchen.h is its interface. */
#ifndef KITCHEN_SERVER_H
#define KITCHEN_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "kitchen.h"
#include "workload.h"

#define NS_PER_MS 1000000ULL

/*
 * One connection. It is either reading its order (its fd in epoll) or has a
 * deadline for its next step (it sits in the heap): never both, so neither
 * needs removing from the other.
 */
struct conn {
    int fd;
    size_t len;        /* bytes of the order line read so far */
    size_t sent;       /* bytes of out already sent */
    size_t outlen;     /* bytes in out; 0 with close_early */
    uint64_t deadline; /* CLOCK_MONOTONIC ns when the next step is due */
    int held;          /* hold mode: the reply is out, the hang-up is waiting */
    char in[KITCHEN_LINE_MAX];
    char out[24]; /* a u64 has at most 20 digits, then '\n' */
    char *chk;    /* a check connection (its first byte was '?'): lines read so far */
};

struct server {
    const struct kitchen_conf *conf;
    uint64_t key[2]; /* drawn at start, in this process's memory only (kitchen_answer) */
    int epfd, lfd, sfd;
    int nfd;             /* size of conns[] and heap[] */
    struct conn **conns; /* by fd */
    struct conn **heap;  /* min-heap on deadline */
    int nheap;
};

/* kitchen_server.c */
uint64_t kitchen_now_ns(void); /* CLOCK_MONOTONIC */
void kitchen_heap_push(struct server *s, struct conn *c);

/* kitchen_conn.c */
/* What this kitchen answers to an order for `item`: SipHash-2-4 of the item under its key. */
uint64_t kitchen_answer(const struct server *s, uint64_t item);
/* SipHash-2-4 of the 8 bytes of m (little-endian) under a 128-bit key. */
uint64_t kitchen_siphash(const uint64_t key[2], uint64_t m);
void kitchen_conn_new(struct server *s, int fd);
void kitchen_conn_close(struct server *s, struct conn *c);
/* Its fd is readable: read what came of the order; schedule the reply once it is in. */
void kitchen_conn_read(struct server *s, struct conn *c);
/* A deadline came: send the reply (or its next byte in split mode), or close. */
void kitchen_conn_step(struct server *s, struct conn *c, uint64_t now);

#endif
