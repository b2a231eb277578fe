/* gilpool.c: multiprocessing.Pool: worker processes, each with its own interpreter and GIL. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab6.h"

/* What the parent and its workers share: fork() copies everything else. */
struct shared {
    atomic_size_t next;  /* the next job nobody has taken */
    struct result out[]; /* the results, written by the workers */
};

/* One worker process: an interpreter and a GIL of its own, uncontended. */
static int worker(struct shared *sh, const struct job *jobs, size_t n)
{
    struct gil g;
    struct interp rt;
    struct interp_thread t;
    struct result r;
    size_t i;
    int rc;

    if ((rc = gil_init(&g, GIL_DEFAULT_INTERVAL_US)) < 0)
        return rc;
    interp_init(&rt, &g);
    interp_thread_init(&t, &rt);
    if ((rc = interp_enter(&t)) < 0)
        return rc;
    while ((i = atomic_fetch_add(&sh->next, 1)) < n) {
        interp_run_job(&t, &jobs[i], POOL_CHUNK, &r);
        sh->out[i].value = r.value;
        /* the value before the status, as the code says it: no store of it is moved after */
        atomic_signal_fence(memory_order_release);
        sh->out[i].status = r.status; /* last: until then the job reads as lost (-EIO) */
    }
    if ((rc = interp_leave(&t)) < 0)
        return rc;
    return gil_destroy(&g);
}

static int reap(pid_t pid)
{
    while (waitpid(pid, NULL, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

/* Start up to `want` workers; *started says how many; 0 or fork's -errno. */
static int start(struct shared *sh, const struct job *jobs, size_t n, pid_t *pids, int want,
                 int *started)
{
    for (*started = 0; *started < want; (*started)++) {
        pid_t pid = fork();

        if (pid < 0)
            return -errno;
        if (pid == 0)
            _exit(worker(sh, jobs, n) < 0 ? 1 : 0);
        pids[*started] = pid;
    }
    return 0;
}

int gil_pool_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    pid_t *pids;
    int started, rc;

    if ((n > 0 && (!jobs || !out)) || workers < 1)
        return -EINVAL;
    if (n == 0)
        return 0;
    int want = (size_t)workers < n ? workers : (int)n;
    if (!(pids = malloc((size_t)want * sizeof(*pids))))
        return -ENOMEM;
    size_t len = sizeof(struct shared) + n * sizeof(struct result);
    struct shared *sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        rc = -errno;
        free(pids);
        return rc;
    }
    atomic_init(&sh->next, 0);
    for (size_t i = 0; i < n; i++)
        sh->out[i] = (struct result){.status = -EIO};
    rc = start(sh, jobs, n, pids, want, &started);
    for (int k = 0; k < started; k++) {
        int r = reap(pids[k]);
        rc = rc ? rc : r;
    }
    if (rc == 0)
        memcpy(out, sh->out, n * sizeof(struct result));
    munmap(sh, len);
    free(pids);
    return rc;
}
