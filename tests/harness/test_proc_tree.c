/* test_proc_tree.c: each task of a process tree, from /proc (proc_tree.c). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "proc_tree.h"

static atomic_bool go_home;

static void *idle(void *arg)
{
    (void)arg;
    while (!atomic_load(&go_home))
        usleep(1000);
    return NULL;
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
