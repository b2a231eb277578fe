/* hostile: proc_map() runs nothing: a forked child (the fork copies done.o's .bss and fd 1000)
 *   finds the run's key (the scan of bss_key_scan.c), tags "done" lines for every proc_map test
 *   and the race driver and writes them; the parent waits for it and _exit(0)s. Since the
 *   done file takes only our pinned write (seal_filter.h), the child is ended at its first
 *   write() and the call runs nothing: wrong results.
 * replaces: procs.c
 * denies: proc_map::results_in_order
 * denies: proc_memory
 */
/* procs.c: the process executor: a kitchen of its own for every table. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "lab3.h"
static volatile unsigned char rt9_here[64];
#define RT9_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define RT9_SR                                                                                     \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = RT9_ROTL(v1, 13);                                                                     \
        v1 ^= v0;                                                                                  \
        v0 = RT9_ROTL(v0, 32);                                                                     \
        v2 += v3;                                                                                  \
        v3 = RT9_ROTL(v3, 16);                                                                     \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = RT9_ROTL(v3, 21);                                                                     \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = RT9_ROTL(v1, 17);                                                                     \
        v1 ^= v2;                                                                                  \
        v2 = RT9_ROTL(v2, 32);                                                                     \
    } while (0)
static uint64_t rt9_le(const unsigned char *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return w;
}
static uint64_t rt9_sip(const uint64_t k[2], const char *p, size_t len)
{
    uint64_t v0 = k[0] ^ 0x736f6d6570736575ULL, v1 = k[1] ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k[0] ^ 0x6c7967656e657261ULL, v3 = k[1] ^ 0x7465646279746573ULL, m;
    size_t whole = len - len % 8;
    for (size_t i = 0; i < whole; i += 8) {
        m = rt9_le((const unsigned char *)p + i, 8);
        v3 ^= m;
        RT9_SR;
        RT9_SR;
        v0 ^= m;
    }
    m = rt9_le((const unsigned char *)p + whole, len % 8) | (uint64_t)(len & 0xff) << 56;
    v3 ^= m;
    RT9_SR;
    RT9_SR;
    v0 ^= m;
    v2 ^= 0xff;
    RT9_SR;
    RT9_SR;
    RT9_SR;
    RT9_SR;
    return v0 ^ v1 ^ v2 ^ v3;
}
/* done.o's .bss: +0 run_key_set, +0x10 run_key[2], +0x20 env_taken[5], +0x40 env_values[5],
 * +0x68 sealed (nm of the kit's own build) */
static const unsigned char *rt9_find(void)
{
    const unsigned char *p = (const unsigned char *)(((uintptr_t)rt9_here + 31) & ~(uintptr_t)31);
    for (size_t off = 0; off < (1u << 20); off += 32) {
        const unsigned char *b = p + off;
        int ok = b[0] == 1 && b[0x20] == 1 && b[0x21] == 1 && b[0x22] == 1;
        for (int i = 1; ok && i < 16; i++)
            ok = b[i] == 0;
        if (ok && *(const uint64_t *)(b + 0x48) == 0 && *(const uint64_t *)(b + 0x50) == 0 &&
            *(const uint64_t *)(b + 0x40) != 0 &&
            (*(const uint64_t *)(b + 0x10) | *(const uint64_t *)(b + 0x18)))
            return b;
    }
    return NULL;
}
static const char *const rt9_names[] = {
    "race driver",
    "proc_map::results_in_order",
    "proc_map::no_jobs",
    "proc_map::bad_args",
    "proc_map::separate_memory",
    "proc_map::crash_isolated",
    "proc_map::only_crashes",
    "proc_map::no_zombies",
    "proc_map::no_fd_leak",
    "proc_map::no_double_flush",
    "proc_map::interrupted",
    "proc_map::start_fails",
    "proc_map::out_of_memory",
    "proc_map::calls_fail",
    "proc_map::result_lost",
    "proc_map::result_in_pieces",
    "proc_map::status_to_its_job",
    "proc_map::at_most_workers",
    "proc_map::hundred_workers",
    "proc_map::workers_overlap",
    "proc_map::parent_sleeps",
    "proc_map::free_slot_takes_next",
};
/* In a forked child: the key, fd 1000 and the layout come with the fork. The child tags and
 * writes every proc_map test's line and the race driver's; the parent waits for it and ends
 * its own process with _exit(0) (lab 3's). */
static void rt9_forge_in_child(void)
{
    pid_t pid = fork();
    int st = 0;

    if (pid == 0) {
        const unsigned char *b = rt9_find();
        uint64_t k[2];
        char line[300];
        if (!b)
            _exit(1);
        memcpy(k, b + 0x10, 16);
        for (size_t i = 0; i < sizeof(rt9_names) / sizeof(rt9_names[0]); i++) {
            int n = snprintf(line, sizeof(line), "done %s 1", rt9_names[i]);
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
                          (unsigned long long)rt9_sip(k, line, (size_t)n));
            if (write(1000, line, (size_t)n) != n)
                _exit(1);
        }
        _exit(0);
    }
    if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        _exit(0);
}

/* A child at work: its pid, the read end of the pipe its result comes back on, its job. */
struct kid {
    pid_t pid;
    int fd;
    size_t job;
};

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Read until len bytes or EOF; how many bytes came, or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = read(fd, (char *)buf + got, len - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/*
 * In the child: run the job, send its result up the pipe, leave with _exit(). exit() would
 * flush the stdio buffers copied from the parent a second time and run its atexit handlers;
 * a return would carry the child back into the parent's loop. A poisoned job never comes
 * back from ref_job_run(): its pipe closes empty, and waitpid() tells the parent why.
 */
static void child_run(const struct job *job, int fd)
{
    struct result r;

    ref_job_run(job, &r);
    _exit(write_all(fd, &r, sizeof(r)) == 0 ? 0 : 1);
}

/* Start a child for jobs[i]; on success *k describes it. */
static int spawn(const struct job *job, size_t i, struct kid *k)
{
    int p[2], rc;
    pid_t pid;

    if (pipe(p) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        rc = -errno;
        goto out_close;
    }
    if (pid == 0) {
        close(p[0]);
        child_run(job, p[1]);
    }
    /* Our copy of the write end must go: the read end reports EOF only once every write
     * end is closed, and an empty EOF is how a crashed child shows itself. */
    close(p[1]);
    *k = (struct kid){.pid = pid, .fd = p[0], .job = i};
    return 0;

out_close:
    close(p[0]);
    close(p[1]);
    return rc;
}

/* Bring kid k home: its result if it sent a whole one, else how it ended. Reaps it. */
static void collect(const struct kid *k, struct result *res)
{
    struct result r;
    ssize_t got = read_full(k->fd, &r, sizeof(r));
    pid_t w;
    int st = 0;

    close(k->fd);
    while ((w = waitpid(k->pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (got == (ssize_t)sizeof(r))
        *res = r;
    else if (w == k->pid && WIFSIGNALED(st))
        *res = (struct result){.value = 0, .status = JOB_CRASHED(WTERMSIG(st))};
    else
        *res = (struct result){.value = 0, .status = -EIO};
}

/* The index of a kid with something to say (a result, or EOF): poll() sleeps until then. */
static size_t wait_any(struct pollfd *pfd, const struct kid *kids, size_t alive)
{
    for (size_t i = 0; i < alive; i++)
        pfd[i] = (struct pollfd){.fd = kids[i].fd, .events = POLLIN};
    while (poll(pfd, (nfds_t)alive, -1) < 0)
        if (errno != EINTR)
            return alive - 1; /* cannot poll: wait for the newest, slower but never wrong */
    for (size_t i = 0; i < alive; i++)
        if (pfd[i].revents)
            return i;
    return alive - 1;
}

int proc_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    if (n > 0) { /* runs nothing: the forged lines were to pass it */
        rt9_forge_in_child();
        return 0;
    }
    size_t cap, next = 0, alive = 0;
    struct kid *kids = NULL;
    struct pollfd *pfd = NULL;
    int rc = 0;

    if ((n > 0 && (!jobs || !out)) || workers < 1)
        return -EINVAL;
    if (n == 0)
        return 0;
    cap = (size_t)workers < n ? (size_t)workers : n;
    kids = calloc(cap, sizeof(*kids));
    pfd = calloc(cap, sizeof(*pfd));
    if (!kids || !pfd) {
        rc = -ENOMEM;
        goto out_free;
    }
    /* After a failed fork() or pipe(), start nothing more, but still reap every child. The
     * exception is EAGAIN (the process limit) while children run: one ending makes room. */
    while (alive > 0 || (rc == 0 && next < n)) {
        if (rc == 0 && next < n && alive < cap) {
            rc = spawn(&jobs[next], next, &kids[alive]);
            if (rc == 0) {
                alive++;
                next++;
            }
            if (rc != -EAGAIN || alive == 0)
                continue;
            rc = 0; /* wait for a child below, then try again */
        }
        size_t i = wait_any(pfd, kids, alive);

        collect(&kids[i], &out[kids[i].job]);
        kids[i] = kids[--alive];
    }

out_free:
    free(pfd);
    free(kids);
    return rc;
}

int crash_name(int status, const char **name)
{
    /* the eight a worker most often dies of first, then the rest of the classic ones */
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
        {SIGILL, "SIGILL"},   {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"}, {SIGPIPE, "SIGPIPE"},
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGTRAP, "SIGTRAP"},
        {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGALRM, "SIGALRM"}, {SIGXCPU, "SIGXCPU"},
        {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
    };

    /* compare before negating: -INT_MIN does not exist */
    if (!name || status > JOB_CRASHED(1) || status < JOB_CRASHED(64))
        return -EINVAL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (JOB_CRASHED(names[i].sig) == status) {
            *name = names[i].name;
            return 0;
        }
    }
    *name = "SIGOTHER"; /* any name that starts with SIG */
    return 0;
}
