/* check.c: helpers for the labs' Criterion tests. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>

#include "check.h"

uint64_t check_seed(void)
{
    const char *s = getenv("SEED");

    return s ? strtoull(s, NULL, 0) : 1;
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
