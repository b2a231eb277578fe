/* test_netns.c: the grader's own network: loopback works, the host's services are gone. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "netns.h"

/* A listener on 127.0.0.1 of the current namespace; its port in *port. */
static int listener(uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

static int try_connect(uint16_t port)
{
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ? -errno : 0;

    close(fd);
    return rc;
}

/* In a child (the namespace is for good): exit 0 when the host's listener cannot be
 * reached and a listener of the namespace can; a code per failed step otherwise. */
static int child(uint16_t host_port)
{
    uint16_t own;
    char why[256];

    if (!netns_private(why, sizeof(why)))
        return 10;
    if (!strstr(why, "loopback only") || strcmp(why, netns_why()))
        return 11;
    if (try_connect(host_port) != -ECONNREFUSED)
        return 12; /* the host's service answered from inside */
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_rmem", "r");
    long lo, def, max = 0;
    if (!f || fscanf(f, "%ld %ld %ld", &lo, &def, &max) != 3 || max != atol(NETNS_TCP_BUF_MAX))
        return 15; /* a socket's buffers may grow to the host's 4-32 MiB */
    fclose(f);
    if (listener(&own) < 0)
        return 13;
    return try_connect(own) == 0 ? 0 : 14; /* loopback is up */
}

Test(netns, host_services_out_of_reach, .timeout = 10)
{
    uint16_t port;
    int st, fd;

    if (geteuid() != 0)
        cr_skip_test("needs root (CAP_SYS_ADMIN) for a network namespace");
    fd = listener(&port);
    cr_assert_geq(fd, 0, "a listener on the host's loopback");
    cr_assert_eq(try_connect(port), 0, "the host's listener answers from the host");
    pid_t pid = fork();
    if (pid == 0)
        _exit(child(port));
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "the child died");
    cr_assert_eq(WEXITSTATUS(st), 0,
                 "step %d failed (10 no namespace, 11 its sentence, 12 the host's service "
                 "answered, 13/14 its own loopback did not work)",
                 WEXITSTATUS(st));
    cr_assert_eq(try_connect(port), 0, "this process stayed on the host's network");
    close(fd);
}

Test(netns, not_root_says_what_is_lost, .timeout = 10)
{
    char why[256];
    int st;
    pid_t pid;

    if (geteuid() != 0) {
        cr_assert_not(netns_private(why, sizeof(why)));
        cr_assert(strstr(why, "host's network"), "%s", why);
        return;
    }
    pid = fork();
    if (pid == 0) {
        /* as a plain user: nobody */
        if (setgid(65534) < 0 || setuid(65534) < 0)
            _exit(20);
        _exit(!netns_private(why, sizeof(why)) && strstr(why, "not root") ? 0 : 21);
    }
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
}
