/* hostile: serve() never places the order: it connects (so a refused order still fails),
 *          hangs up, sleeps 50 ms and answers kitchen_reply(item), which workload.h makes
 *          public: every test that only checks the reply, and both serve speed cells, pass
 * replaces: serve.c
 * expect: cook::matches_reference pass
 * expect: amdahl::worked_example pass
 * denies: serve::one_order
 * denies: serve::several_orders
 * denies: serve::partial_reply
 * denies: serve.seq
 * denies: serve.io_bound
 */
/* serve.c: serving, the I/O-bound work: one order placed with the kitchen. */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lab1.h"

int serve(uint16_t port, uint64_t item, uint64_t *reply)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    struct timespec latency = {.tv_nsec = 50 * 1000000L};
    int fd, rc = 0;

    if (!reply)
        return -EINVAL;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* connect for real, so a refused order still fails as it should; then hang up */
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        rc = -errno;
    close(fd);
    if (rc < 0)
        return rc;
    nanosleep(&latency, NULL); /* look like a waiter that waited */
    *reply = kitchen_reply(item); /* what the kitchen would have said, computed here */
    return 0;
}
