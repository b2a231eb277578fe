/* race_procs.c: proc_map() under AddressSanitizer: its tables, full, as children end. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "done.h"
#include "lab3.h"
#include "race_jobs.h"

/*
 * A plain main(): Criterion cannot run under a sanitizer. Built with AddressSanitizer, any
 * access outside the memory the code was given ends the run with its report (exit 66, which
 * the harness quotes); a wrong result exits 1. Env: SEED (the jobs).
 *
 * proc_map() keeps its children in a table sized min(workers, n) (and often a pollfd array
 * beside it), full as long as jobs are left. A child that ends frees a slot in any position:
 * the first, one in the middle, the last. Code that closes the gap moves entries about, and
 * one entry too many (a memmove of alive - i entries from i + 1, or a loop to <= alive)
 * reads or writes one past the table: without a sanitizer that is a few bytes of the heap
 * nobody looks at, and every result still comes out right.
 *
 * The jobs: in each group of `workers`, one short cook (its child ends first, in slot 0, 1,
 * 2, ... in turn), the others long; among them children that die at once (SIGABRT: under
 * AddressSanitizer a SIGSEGV would be caught and reported as the driver's own error) and
 * jobs that fail in their child (a kind ref_job_run() does not know: -EINVAL). Every call
 * is made with full tables: more jobs than workers, and workers = n.
 */
enum { N = 18 };

/*
 * Then many children at once: WIDE orders with workers = WIDE, to a kitchen of the driver's
 * own that holds every order until all WIDE are in (5 s at most), then answers them all: WIDE
 * children alive together, so every table the call keeps (children, pipes, pollfds) holds
 * WIDE entries. A table that starts small and grows as more children run (workers may be
 * INT_MAX while few run) must grow every array it has: one left at its first size (128, say)
 * is filled past its end from the 129th child (an examiner's, round 72). The replies are the
 * driver's own ("7"): only the call's return and the sanitizer are judged.
 */
enum { WIDE = 150 };

struct holder {
    int lfd, fds[WIDE], n;
    uint16_t port;
    atomic_int stop;
    pthread_t tid;
};

static double mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Answers an order: reads its line (1 s at most), says "7". */
static void answer(int fd)
{
    char line[64];
    size_t len = 0;

    for (double end = mono() + 1; len < sizeof(line) && mono() < end;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t r;

        if (poll(&p, 1, 100) <= 0)
            continue;
        r = read(fd, line + len, sizeof(line) - len);
        if (r <= 0 || memchr(line + len, '\n', (size_t)r))
            break;
        len += (size_t)r;
    }
    (void)!write(fd, "7\n", 2);
    close(fd);
}

static void *hold_run(void *arg)
{
    struct holder *h = arg;
    double give_up = mono() + 5;

    while (!atomic_load(&h->stop)) {
        struct pollfd p = {.fd = h->lfd, .events = POLLIN};
        bool all = h->n == WIDE || mono() > give_up;

        if (all) { /* answer the held ones, then each newcomer at once */
            for (int i = 0; i < h->n; i++)
                answer(h->fds[i]);
            h->n = 0;
            give_up = 0;
        }
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(h->lfd, NULL, NULL);

        if (fd < 0)
            continue;
        if (give_up == 0)
            answer(fd);
        else
            h->fds[h->n++] = fd;
    }
    for (int i = 0; i < h->n; i++)
        close(h->fds[i]);
    return NULL;
}

static int hold_start(struct holder *h)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);

    h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->lfd < 0 || bind(h->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(h->lfd, 4 * WIDE) != 0 || getsockname(h->lfd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    h->port = ntohs(a.sin_port);
    return pthread_create(&h->tid, NULL, hold_run, h) == 0 ? 0 : -1;
}

static int many_at_once(uint64_t *seed)
{
    static struct holder h;
    static struct job jobs[WIDE];
    static struct result out[WIDE];

    if (hold_start(&h) != 0)
        return check_harness_error("race_procs: the driver's kitchen could not start");
    for (int i = 0; i < WIDE; i++)
        jobs[i] = (struct job){.kind = JOB_ORDER, .seed = workload_rand(seed), .port = h.port};
    int rc = proc_map(jobs, WIDE, out, WIDE);

    atomic_store(&h.stop, 1);
    pthread_join(h.tid, NULL);
    close(h.lfd);
    /* -EAGAIN: the run's process limit (256 tasks) met by a design with a thread of its own
     * beside each child, as an examiner's correct one (round 72): no fault of the code */
    if (rc != 0 && rc != -EAGAIN) {
        printf("proc_map(%d orders, workers=%d), all %d held by the kitchen until they were in: "
               "returned %d (%s), expected 0 (or -EAGAIN, the process limit)\n",
               WIDE, WIDE, WIDE, rc, strerror(rc < 0 ? -rc : rc));
        return 1;
    }
    return 0;
}

int main(void)
{
    uint64_t seed = check_env_seed();
    static const int workers[] = {2, 3, 4, 6, N};
    struct job jobs[N];
    struct result out[N];
    struct sigaction sa;

    check_seal(); /* before any student code: see done.h */
    if (sigaction(SIGABRT, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL ||
        sigaction(SIGCHLD, NULL, &sa) != 0 || sa.sa_handler == SIG_IGN)
        return check_harness_error("race_procs: SIGABRT not at its default, or SIGCHLD ignored");

    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        /* group g of `workers` jobs: its short cook in slot g % workers */
        for (int i = 0; i < N; i++) {
            int g = i / workers[w], slot = i % workers[w];
            uint64_t rounds = slot == g % workers[w] ? 1 + workload_rand(&seed) % 200
                                                     : 20000 + workload_rand(&seed) % 20000;

            jobs[i] = race_job(&seed, rounds);
        }
        if (race_map_checked(jobs, N, out, workers[w], ""))
            return 1;
    }
    if (many_at_once(&seed))
        return 1;
    printf("proc_map: %d jobs (cooks, crashes, failures) right with 2, 3, 4, 6 and %d workers, "
           "and %d orders held until all were in on %d workers, nothing seen by the "
           "sanitizer\n",
           N, N, WIDE, WIDE);
    check_finished("race driver");
    return 0;
}
