/* test_threads_seen.c: the grader's own count of a run's threads (threads_seen.c), and the
 * walk of a process tree it shares with jail_runq.c (proc_tree.c). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "proc_tree.h"
#include "threads_seen.h"

static atomic_bool go_home;

static void *idle(void *arg)
{
    (void)arg;
    while (!atomic_load(&go_home))
        usleep(1000);
    return NULL;
}

static pid_t child;
static pid_t the_child(void)
{
    return child;
}

/* A pipe the child waits on: closed by the test, it ends the child. */
static pid_t spawn(int threads, int *ready_rd, int *stop_wr)
{
    int ready[2], stop[2];
    pid_t pid;
    char c;

    cr_assert(pipe(ready) == 0 && pipe(stop) == 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        pthread_t th[64];
        close(ready[0]);
        close(stop[1]);
        for (int i = 0; i < threads; i++)
            pthread_create(&th[i], NULL, idle, NULL);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        if (read(stop[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    cr_assert(read(ready[0], &c, 1) == 1);
    *ready_rd = ready[0];
    *stop_wr = stop[1];
    return pid;
}

Test(threads_seen, counts_the_busiest_process_of_the_tree)
{
    pthread_t th[3];
    int rd, wr;
    pid_t pid;
    int base = threads_seen_now(getpid()); /* the test runner's own: 1, or a few */

    /* this process: 3 threads more; a child with base + 5 + 1: the busiest is the child */
    cr_assert(base >= 1);
    atomic_store(&go_home, false);
    for (int i = 0; i < 3; i++)
        cr_assert(pthread_create(&th[i], NULL, idle, NULL) == 0);
    cr_assert_eq(threads_seen_now(getpid()), base + 3);
    pid = spawn(base + 5, &rd, &wr);
    cr_assert_eq(threads_seen_now(getpid()), base + 6,
                 "the child's threads, found through /proc/<pid>/task/<tid>/children");
    cr_assert_eq(threads_seen_now(pid), base + 6);
    close(wr);
    waitpid(pid, NULL, 0);
    close(rd);
    atomic_store(&go_home, true);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(threads_seen_now(pid), 0, "a process gone has no threads");
}

Test(threads_seen, the_sampler_keeps_the_most_it_saw)
{
    struct threads_seen *ts;
    struct timespec ms20 = {.tv_nsec = 20000000};
    int rd, wr;

    atomic_store(&go_home, false);
    child = spawn(2, &rd, &wr);
    ts = threads_seen_start(the_child);
    cr_assert(ts);
    nanosleep(&ms20, NULL);
    close(wr); /* the child ends: the most stays 3 */
    waitpid(child, NULL, 0);
    nanosleep(&ms20, NULL);
    cr_assert_eq(threads_seen_stop(ts), 3);
    close(rd);
    cr_assert_eq(threads_seen_stop(NULL), 0);
}

struct seen {
    pid_t pid[64], tid[64];
    int n;
};

static void note(pid_t pid, pid_t tid, void *arg)
{
    struct seen *s = arg;

    if (s->n < 64) {
        s->pid[s->n] = pid;
        s->tid[s->n++] = tid;
    }
}

static int tasks_of(const struct seen *s, pid_t pid)
{
    int n = 0;

    for (int i = 0; i < s->n; i++)
        n += s->pid[i] == pid;
    return n;
}

/* A child with 2 more threads, and its own child (a grandchild) with 1 more; both wait
 * on a pipe the test closes. */
Test(proc_tree, every_task_of_the_tree_each_process_whole)
{
    int ready[2], stop[2];
    pthread_t th[2];
    char c;

    cr_assert(pipe(ready) == 0 && pipe(stop) == 0);
    pid_t kid = fork();
    cr_assert(kid >= 0);
    if (kid == 0) {
        close(ready[0]);
        close(stop[1]);
        int extra = 2;
        if (fork() == 0)
            extra = 1; /* the grandchild */
        for (int i = 0; i < extra; i++)
            pthread_create(&th[i], NULL, idle, NULL);
        if (write(ready[1], "r", 1) != 1 || read(stop[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    cr_assert(read(ready[0], &c, 1) == 1 && read(ready[0], &c, 1) == 1, "both ready");
    usleep(20000); /* the threads started before the write: listed by now */

    struct seen s = {0};
    proc_tree_tasks(getpid(), note, &s);
    cr_assert_eq(tasks_of(&s, kid), 3, "the child's 3 tasks, seen %d", tasks_of(&s, kid));
    cr_assert_eq(s.pid[0], getpid(), "the root first");
    pid_t grand = 0;
    for (int i = 0; i < s.n; i++)
        if (s.pid[i] != getpid() && s.pid[i] != kid)
            grand = s.pid[i];
    cr_assert(grand > 0, "the grandchild is visited through the child's children");
    cr_assert_eq(tasks_of(&s, grand), 2);
    for (int i = 1; i < s.n; i++) /* a process's tasks are not split by another's */
        for (int j = i + 1; j < s.n; j++)
            cr_assert(!(s.pid[j] == s.pid[i - 1] && s.pid[i] != s.pid[i - 1]),
                      "pid %d's tasks interleaved with %d's", (int)s.pid[i - 1], (int)s.pid[i]);

    struct seen none = {0};
    close(stop[1]);
    while (wait(NULL) > 0)
        ;
    proc_tree_tasks(kid, note, &none);
    cr_assert_eq(none.n, 0, "a process gone has no tasks");
}
