/* netns.c: the grader's own network: a namespace with nothing in it but loopback. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"

static char last_why[256];

/* A new namespace's loopback is down: nothing, not even 127.0.0.1, answers until it is up. */
static int loopback_up(void)
{
    struct ifreq ifr = {0};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int rc = 0;

    if (fd < 0)
        return -errno;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        rc = -errno;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (!rc && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

/* A TCP socket's buffers at most NETNS_TCP_BUF_MAX each way (the namespace's own tcp_rmem
 * and tcp_wmem; the host's allow 4-32 MiB): the memory TCP may use is counted for the whole
 * machine (tcp_mem), and a run's 900 loopback connections, each filled until it blocked,
 * took it past its limit ("TCP: out of memory", red team 13): every TCP socket of the host
 * then ran short. 256 KiB is far above what the kitchen's lines and replies need. */
static int tcp_buffers_capped(void)
{
    static const char *const files[] = {"/proc/sys/net/ipv4/tcp_rmem",
                                        "/proc/sys/net/ipv4/tcp_wmem"};
    static const char *const values[] = {"4096 65536 " NETNS_TCP_BUF_MAX "\n",
                                         "4096 16384 " NETNS_TCP_BUF_MAX "\n"};

    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(files[i], "w");
        if (!f)
            return -errno;
        int bad = fputs(values[i], f) < 0;
        if (fclose(f) != 0 || bad)
            return -EIO;
    }
    return 0;
}

bool netns_private(char *why, int len)
{
    int rc;
    bool ok = false;

    if (geteuid() != 0)
        snprintf(last_why, sizeof(last_why),
                 "the host's network (not root: runs can reach what this user can)");
    else if (unshare(CLONE_NEWNET) < 0)
        snprintf(last_why, sizeof(last_why),
                 "the host's network (no network namespace here: %s; runs can reach "
                 "services on this machine)",
                 strerror(errno));
    else if ((rc = loopback_up()) < 0)
        snprintf(last_why, sizeof(last_why), "a network of its own, but its loopback is down: %s",
                 strerror(-rc));
    else if ((rc = tcp_buffers_capped()) < 0)
        snprintf(last_why, sizeof(last_why),
                 "a network of its own, but its TCP buffers could not be capped: %s",
                 strerror(-rc));
    else {
        snprintf(last_why, sizeof(last_why),
                 "a network of its own: loopback only, the kitchen and nothing else; TCP "
                 "buffers at most 256 KiB a socket");
        ok = true;
    }
    if (why && len > 0)
        snprintf(why, (size_t)len, "%s", last_why);
    return ok;
}

const char *netns_why(void)
{
    return last_why;
}
