/* race_serve.c: serve() under AddressSanitizer: the reply line and its buffer. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "done.h"
#include "fake_kitchen.h"
#include "kitchen.h"
#include "lab1.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with AddressSanitizer, a
 * write or read one byte past a buffer ends the run with its report (exit 66, which the
 * harness quotes); a wrong result exits 1. Env: SEED (the items), KITCHEN_PORT.
 *
 * The longest reply is 20 digits and its newline; a line of KITCHEN_LINE_MAX bytes with no
 * newline is too long. A buffer one byte short of the line and its '\0', or a '\0' written
 * at buf[len] after len == sizeof(buf) bytes, mostly works without a sanitizer (the byte
 * past the array belongs to a neighbour on the stack); AddressSanitizer says so at once.
 *
 * First orders to the harness's kitchen (replies of every length, 20 digits among them,
 * which the kitchen checks), then orders to a kitchen of this driver's own, a thread that
 * answers each connection in turn with a line of the script below.
 */
enum { REAL = 6 };

struct line {
    struct fake_line say; /* what the kitchen sends (in two pieces?), then it closes */
    int status;           /* what serve() must return */
    uint64_t value;       /* and, when 0, the value */
};

static const struct line script[] = {
    {{"18446744073709551615\n", 0}, 0, UINT64_MAX},
    {{"10000000000000000000\n", 0}, 0, UINT64_C(10000000000000000000)},
    {{"18446744073709551614\n", 10}, 0, UINT64_MAX - 1},
    {{"7\n", 0}, 0, 7},
    {{"12345678901234567890123456789012", 0}, -EPROTO, 0}, /* KITCHEN_LINE_MAX bytes, no '\n' */
    {{"12345678901234567890123456789012", 16}, -EPROTO, 0},
    /* longer than any buffer for a reply, in two pieces: each recv() after the first asks
     * only for the room left after the bytes already there (the whole buffer's size again
     * from buf + len writes past its end) */
    {{"12345678901234567890123456789012345678901234567890\n", 20}, -EPROTO, 0},
    {{"1234567890123456789012345678901234567890123456789012345678901234", 8}, -EPROTO, 0},
    {{"18446744073709551615", 0}, -EPROTO, 0}, /* cut short: the kitchen hung up */
    {{"1844674407", 0}, -EPROTO, 0},
    {{"0\n", 0}, 0, 0},
};
enum { NSCRIPT = sizeof(script) / sizeof(script[0]) };

/* Orders to the harness's kitchen: `REAL` items, at least two of them with 20-digit replies
 * (found by ordering a few first, ref_order_many()). 0, 1 for a wrong result, or the
 * harness error's exit. */
static int real_orders(uint16_t port, uint64_t *seed)
{
    uint64_t items[REAL], replies[REAL];
    unsigned char ok[REAL];
    int n = 0, rc;

    for (int tries = 0; n < 2; tries++) {
        uint64_t cand[16], got[16];

        if (tries == 20)
            return check_harness_error("race_serve: the kitchen gave no 20-digit replies");
        for (int i = 0; i < 16; i++)
            cand[i] = workload_rand(seed);
        if ((rc = ref_order_many(port, 16, cand, got)) < 0)
            return check_harness_error("race_serve: could not order from the kitchen");
        for (int i = 0; i < 16 && n < 2; i++)
            if (got[i] >= UINT64_C(10000000000000000000))
                items[n++] = cand[i];
    }
    items[n++] = 0;
    items[n++] = UINT64_MAX;
    while (n < REAL)
        items[n++] = workload_rand(seed) % 1000;
    for (int i = 0; i < REAL; i++) {
        rc = serve(port, items[i], &replies[i]);
        if (rc != 0) {
            printf("serve(item=%llu) to the kitchen returned %d (%s), expected 0\n",
                   (unsigned long long)items[i], rc, strerror(rc < 0 ? -rc : rc));
            return 1;
        }
    }
    if (kitchen_check(port, REAL, items, replies, ok) < 0)
        return check_harness_error("race_serve: could not ask the kitchen to check the replies");
    for (int i = 0; i < REAL; i++)
        if (!ok[i]) {
            printf("serve(item=%llu) = %llu: not the kitchen's reply to that item (the kitchen "
                   "checked it)\n",
                   (unsigned long long)items[i], (unsigned long long)replies[i]);
            return 1;
        }
    return 0;
}

/* A reply for a message: its bytes, the newline written \n. */
static const char *shown(const char *reply, char *buf, size_t cap)
{
    size_t n = strcspn(reply, "\n");

    snprintf(buf, cap, "%.*s%s", (int)n, reply, reply[n] ? "\\n" : " (no newline, then closed)");
    return buf;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    uint16_t port = check_env_port();
    struct fake_line say[NSCRIPT];
    struct fake_kitchen f;
    uint64_t items[NSCRIPT];
    char buf[80], want[32];
    int rc, bad = 0;

    check_seal(); /* before any student code: see done.h */
    if (!port)
        return check_harness_error("race_serve: no kitchen");
    if ((rc = real_orders(port, &seed)) != 0)
        return rc;

    for (int i = 0; i < NSCRIPT; i++) {
        items[i] = workload_rand(&seed);
        say[i] = script[i].say;
    }
    if (fake_kitchen_start(&f, say, NSCRIPT) < 0)
        return check_harness_error("race_serve: could not start a kitchen of its own");
    for (int i = 0; i < NSCRIPT && !bad; i++) {
        const struct line *l = &script[i];
        uint64_t value = 0;

        rc = serve(f.port, items[i], &value);
        if (rc != l->status || (rc == 0 && value != l->value)) {
            printf("serve(item=%llu) with the kitchen answering \"%s\" returned %d, value %llu; "
                   "expected %d",
                   (unsigned long long)items[i], shown(l->say.reply, buf, sizeof(buf)), rc,
                   (unsigned long long)value, l->status);
            if (l->status == 0)
                printf(", value %llu", (unsigned long long)l->value);
            printf("\n");
            bad = 1;
        }
    }
    fake_kitchen_stop(&f);
    for (int i = 0; i < NSCRIPT && !bad; i++) {
        snprintf(want, sizeof(want), "%llu\n", (unsigned long long)items[i]);
        if (strcmp(f.got[i], want) != 0) {
            printf("serve(item=%llu) did not send the kitchen \"%llu\\n\"\n",
                   (unsigned long long)items[i], (unsigned long long)items[i]);
            bad = 1;
        }
    }
    if (bad)
        return 1;
    printf("serve: %d orders to the kitchen (20-digit replies among them) and %d to a kitchen "
           "of the driver's own (20-digit replies, a %d-byte line with no newline, replies "
           "cut short): nothing seen by the sanitizer\n",
           REAL, NSCRIPT, KITCHEN_LINE_MAX);
    check_finished("race driver");
    return 0;
}
