/* kitchen.h: start and stop the kitchen server, an I/O-bound peer on loopback; ask it
 * whether a reply is its own. */
#ifndef KITCHEN_H
#define KITCHEN_H

#include <stdint.h>
#include <sys/types.h>

struct kitchen_conf {
    int latency_ms;  /* each reply comes this long after its order arrived (default 50) */
    int split;       /* 1: send each reply in single bytes, ~1 ms apart (tests partial reads) */
    int close_early; /* 1: close every connection without replying, after the latency */
    int cut;         /* 1: send every reply without its newline, then close (cut short) */
    int hold_ms;     /* keep each connection open this long after the reply, then close */
    int trail;       /* 1: a second line ("7\n") after every reply: not one number line */
    int garble;      /* 1: a '-', ' ' or '+' before each reply's number: not a number line */
};

struct kitchen {
    pid_t pid;      /* the server's own process */
    uint16_t port;  /* on 127.0.0.1 */
    int latency_ms; /* what it was started with: every reply comes this long after its order */
};

/* Start the server binary at `path` (build/bin/kitchen) as a child process and wait
 * until it listens. Returns 0 or -errno. */
int kitchen_start(const char *path, const struct kitchen_conf *c, struct kitchen *k);
/* Stop it and reap it. Returns 0 or -errno. */
int kitchen_stop(struct kitchen *k);
/* CPU seconds the server has used so far (from /proc), or -1. */
double kitchen_cpu(const struct kitchen *k);

/*
 * Each kitchen draws a key of its own when it starts and keeps it in its memory only (it
 * is not dumpable: no other process of the user can read that memory); its reply to an
 * item is a keyed pseudorandom function of the item (SipHash-2-4 under that 128-bit key):
 * replies give away neither the key nor other replies. So only the kitchen can tell whether a
 * reply is its own: ask it. kitchen_check() asks the kitchen on 127.0.0.1:`port` about
 * every pair (items[i], replies[i]), i < n, on one connection, a few hundred lines at a
 * time ("? ITEM REPLY\n", each answered at once "1\n" or "0\n", "ERR\n" for a line of
 * another shape), and sets ok[i] to 1 when replies[i] is its reply to items[i], else 0.
 * A check costs no latency and says nothing a guess could use (guessing a 64-bit reply
 * takes 2^63 checks). Returns 0, or -errno (-EPROTO: an answer that is not 1 or 0).
 */
int kitchen_check(uint16_t port, size_t n, const uint64_t *items, const uint64_t *replies,
                  unsigned char *ok);

/* The server itself (kitchen_main.c calls it): listen on 127.0.0.1, an ephemeral port,
 * print "port N\n" on `ready_fd`, close it, serve until SIGTERM. Returns an exit code. */
int kitchen_serve(const struct kitchen_conf *c, int ready_fd);

#endif
