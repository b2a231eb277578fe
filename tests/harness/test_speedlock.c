/* test_speedlock.c: the machine's timing lock: one holder at a time, across processes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "speedlock.h"

static char dir[64], path[128];

static void init(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_speedlock.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/lock", dir);
}

static void fini(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(speedlock, .init = init, .fini = fini);

/* Can another process take the lock right now? */
static bool free_elsewhere(void)
{
    int ws;
    pid_t pid = fork();

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int fd = open(path, O_RDONLY);
        _exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
    }
    waitpid(pid, &ws, 0);
    return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

Test(speedlock, held_until_released, .timeout = 10)
{
    int fd = speedlock_take(path);
    struct stat st;

    cr_assert_geq(fd, 0);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0444, "any grader may open it");
    cr_assert_not(free_elsewhere(), "held: no other grader times");
    cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "no run inherits it");
    speedlock_release(fd);
    cr_assert(free_elsewhere());
}

Test(speedlock, a_second_taker_waits_for_the_first, .timeout = 10)
{
    int fd = speedlock_take(path), p[2], ws;
    char c;
    pid_t pid;

    cr_assert_geq(fd, 0);
    cr_assert_eq(pipe(p), 0);
    pid = fork();
    if (pid == 0) {
        int mine;

        close(fd);                   /* our copy of the parent's lock would keep it held for us */
        mine = speedlock_take(path); /* blocks until the parent releases */
        _exit(mine >= 0 && write(p[1], "x", 1) == 1 ? 0 : 1);
    }
    usleep(200000);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    cr_assert_eq(read(p[0], &c, 1), -1, "the second got the lock while the first held it");
    speedlock_release(fd);
    waitpid(pid, &ws, 0);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    cr_assert_eq(read(p[0], &c, 1), 1);
}

Test(speedlock, a_link_is_not_followed)
{
    cr_assert_eq(symlink("/etc/passwd", path), 0);
    cr_assert_lt(speedlock_take(path), 0);
}

Test(speedlock, path_from_the_environment)
{
    setenv("GRADE_SPEED_LOCK", path, 1);
    cr_assert_str_eq(speedlock_path(), path);
    unsetenv("GRADE_SPEED_LOCK");
    cr_assert_not(strcmp(speedlock_path(), path) == 0);
}
