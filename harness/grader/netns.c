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
    else {
        snprintf(last_why, sizeof(last_why),
                 "a network of its own: loopback only, the kitchen and nothing else");
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
