/* fake_kitchen.h: a kitchen of a driver's own that answers each order with a line of a script
 * (the reply bytes a test wants to see handled: too long, cut short, sent in two pieces),
 * keeping the order lines it read. Used by the sanitizer drivers (race_*.c). */
#ifndef FAKE_KITCHEN_H
#define FAKE_KITCHEN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum { FAKE_KITCHEN_MAX = 16, FAKE_KITCHEN_GOT = 64 };

struct fake_line {
    const char *reply; /* what the kitchen sends, then it hangs up */
    size_t split;      /* > 0: the first `split` bytes, a pause of 5 ms, then the rest */
};

struct fake_kitchen {
    uint16_t port; /* on 127.0.0.1 */
    /* what each connection sent before its reply (up to its '\n'), NUL-terminated */
    char got[FAKE_KITCHEN_MAX][FAKE_KITCHEN_GOT];
    size_t got_len[FAKE_KITCHEN_MAX];
    /* private */
    struct fake_line lines[FAKE_KITCHEN_MAX];
    int n, lfd;
    pthread_t tid;
};

/* Start a thread that accepts n connections in turn (n <= FAKE_KITCHEN_MAX), reads each
 * one's order line (2 s at most) and answers it with lines[i]. 0, or -1 when it could not
 * start (a harness error). */
int fake_kitchen_start(struct fake_kitchen *k, const struct fake_line *lines, int n);

/* Stop it (an accept() still waiting is woken) and wait for its thread. */
void fake_kitchen_stop(struct fake_kitchen *k);

#endif
