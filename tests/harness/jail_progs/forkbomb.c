/* forkbomb.c: forks in an endless loop, children too, for the jail's process limit. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

/* A safety net should the jail fail: at most 500 forks in all, counted in shared memory. */
enum { FORKBOMB_CAP = 500 };

int main(void)
{
    atomic_int *made =
        mmap(NULL, sizeof(*made), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (made == MAP_FAILED)
        return 1;
    for (;;) {
        if (atomic_load(made) >= FORKBOMB_CAP)
            sleep(1);
        else if (fork() > 0)
            atomic_fetch_add(made, 1);
        else
            sched_yield();
    }
}
