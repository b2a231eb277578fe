/* check.c: helpers for the labs' Criterion tests. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "workload.h"

#include "check.h"

static pid_t test_pid; /* the process a test runs in; set by check_begin */

void check_begin(void)
{
    test_pid = getpid();
    check_seal();
}

void check_end(void)
{
    char what[256];

    if (getpid() != test_pid || !criterion_current_test || !criterion_current_suite)
        return;
    snprintf(what, sizeof(what), "%s::%s", criterion_current_suite->name,
             criterion_current_test->name);
    check_finished(what);
}

uint64_t check_seed(void)
{
    const char *s = getenv("SEED");

    return s ? strtoull(s, NULL, 0) : 1;
}

uint64_t check_rand(void)
{
    static uint64_t state;
    static int ready;

    if (!ready) { /* each Criterion test runs in a process of its own: one stream each */
        state = check_seed();
        ready = 1;
    }
    return workload_rand(&state);
}

double check_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

uint16_t check_free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0, "socket() failed in the test: %s", strerror(errno));
    cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                  getsockname(fd, (struct sockaddr *)&a, &len) == 0,
              "bind() failed in the test: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

uint16_t check_kitchen_port(void)
{
    const char *s = getenv("KITCHEN_PORT");
    long port = s ? strtol(s, NULL, 10) : 0;

    cr_assert(port > 0 && port < 65536,
              "no kitchen: KITCHEN_PORT is not set (run the tests with make check)");
    return (uint16_t)port;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int check_open_fds(void)
{
    int n = count_entries("/proc/self/fd");

    return n < 0 ? n : n - 1; /* less the one opendir() holds while counting */
}

int check_threads(void)
{
    return count_entries("/proc/self/task");
}
