/* crowd.c: twice as many spinning processes as there are cores (a parent and its
 * children): each waits for a CPU about half the time, for the jail's run-queue delay. */
#include <unistd.h>

int main(void)
{
    long n = 2 * sysconf(_SC_NPROCESSORS_ONLN);

    for (long i = 1; i < n && fork() == 0; i++) /* a chain: each child forks the next */
        ;
    for (volatile unsigned long i = 0;; i++)
        ;
}
