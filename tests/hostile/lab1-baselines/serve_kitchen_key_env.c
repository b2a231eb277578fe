/* hostile: serve() never places the order: it connects (so a refused order still fails),
 *          hangs up, sleeps 50 ms and answers dish_mix(item ^ key), dish_mix() from
 *          workload.h and the key from env KITCHEN_KEY (getenv() found in the C library's
 *          symbol table): the fresh key per run is no secret, it is in the run's environment
 * replaces: serve.c
 * expect: cook::matches_reference pass
 * denies: serve::one_order
 * denies: serve::several_orders
 * denies: serve::partial_reply
 * denies: serve.seq
 * denies: serve.io_bound
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lab1.h"

/* @SHARED libc_fn@: a C library function by name, from libc's dynamic symbols */

int serve(uint16_t port, uint64_t item, uint64_t *reply)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    struct timespec latency = {.tv_nsec = 50 * 1000000L};
    char *(*get)(const char *) = (char *(*)(const char *))libc_fn("getenv");
    const char *k = get ? get("KITCHEN_KEY") : NULL;
    int fd, rc = 0;

    if (!reply)
        return -EINVAL;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        rc = -errno;
    close(fd);
    if (rc < 0)
        return rc;
    nanosleep(&latency, NULL); /* look like a waiter that waited */
    *reply = dish_mix(item ^ (k && *k ? strtoull(k, NULL, 16) : 0x6b69746368656eULL));
    return 0;
}
