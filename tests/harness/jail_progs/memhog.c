/* memhog.c: argv[1] processes (this one and its children) each touch argv[2] MiB and
 * hold it a second: under a memory limit for the whole run of less than their sum, one
 * is killed; each alone stays under any per-process limit. Exits 0 when all held. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int procs = argc > 1 ? atoi(argv[1]) : 4, ok = 1, st;
    size_t bytes = (size_t)(argc > 2 ? atoi(argv[2]) : 32) << 20;
    char *p;

    if (procs < 1 || procs > 16 || bytes == 0 || bytes > (256u << 20))
        return 2; /* a safety net: never more than 4 GiB in all */
    for (int i = 1; i < procs; i++)
        if (fork() == 0)
            break;
    if (!(p = malloc(bytes)))
        return 3;
    memset(p, 1, bytes); /* touched: real memory, not a reservation */
    sleep(1);
    while (wait(&st) > 0) /* in the children: none */
        ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return ok && p[bytes - 1] == 1 ? 0 : 4;
}
