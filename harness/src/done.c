/* done.c: a test or driver says it reached its end, into the file env CHECK_DONE names. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "done.h"

void check_finished(const char *what)
{
    const char *path = getenv("CHECK_DONE");
    char line[256];
    int fd, n;

    if (!path)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    n = snprintf(line, sizeof(line), "done %s %d\n", what, (int)getpid());
    if (n > 0 && write(fd, line, (size_t)n) < 0)
        n = -1;
    close(fd);
}
