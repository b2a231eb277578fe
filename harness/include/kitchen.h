/* kitchen.h: start and stop the kitchen server, an I/O-bound peer on loopback. */
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
/* Draw a fresh kitchen key for this process and whatever it starts (env KITCHEN_KEY, see
 * kitchen_reply() in workload.h); 0 or -errno. */
int kitchen_new_key(void);
/* "KITCHEN_KEY=..." for a run's environment: the key of this process (a static string). */
const char *kitchen_key_env(void);
/* Stop it and reap it. Returns 0 or -errno. */
int kitchen_stop(struct kitchen *k);
/* CPU seconds the server has used so far (from /proc), or -1. */
double kitchen_cpu(const struct kitchen *k);

/* The server itself (kitchen_main.c calls it): listen on 127.0.0.1, an ephemeral port,
 * print "port N\n" on `ready_fd`, close it, serve until SIGTERM. Returns an exit code. */
int kitchen_serve(const struct kitchen_conf *c, int ready_fd);

#endif
