/* netns.h: the grader's own network: a namespace with nothing in it but loopback. */
#ifndef NETNS_H
#define NETNS_H

#include <stdbool.h>

/*
 * Move this process, and so everything it starts from now on (the kitchen, the
 * compiler, every run of lab code), into a network namespace of its own with only a
 * loopback interface, up. Runs then reach the grading's kitchen and nothing else: not
 * the internet, not a service listening on the host's 127.0.0.1, not the kitchen or
 * the runs of another grader. Needs root (CAP_SYS_ADMIN); elsewhere, or where the
 * container forbids it, the process stays on the host's network. A TCP socket's buffers
 * there are capped (NETNS_TCP_BUF_MAX). Either way `why`
 * gets a sentence for the scoreboard. Call it once, before starting anything.
 * Returns true when the namespace is ours.
 */
bool netns_private(char *why, int len);

/* The most a TCP socket's receive or send buffer may grow to in that namespace (bytes):
 * the machine's TCP memory is one pool for every namespace (tcp_mem). */
#define NETNS_TCP_BUF_MAX "262144"

/* The sentence of the last netns_private() ("" before any). */
const char *netns_why(void);

#endif
