/* debug.c: grade --debug (make debug): one test under gdb, as the grader would run it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "debug.h"
#include "kitchen.h"
#include "run.h"
#include "spec.h"

void debug_filter(const char *test, char *buf, size_t len)
{
    const char *sep = strstr(test, "::");

    if (sep)
        snprintf(buf, len, "--filter=%.*s/%s", (int)(sep - test), test, sep + 2);
    else
        snprintf(buf, len, "--filter=%s", test);
}

/* A TCP port free on loopback now, for the test's gdbserver; 0 if none. */
static unsigned free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* The test runner, in a process group of its own (Ctrl-C is gdb's), with the test's
 * environment: Criterion runs the one test under gdbserver on `port` (no timeout then). */
static pid_t runner(const struct opts *o, const struct build_out *b, const struct kitchen *k,
                    unsigned port)
{
    char filter[200], transport[40], env[4][1200];
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    setpgid(0, 0);
    debug_filter(o->debug_test, filter, sizeof(filter));
    snprintf(transport, sizeof(transport), "--debug-transport=tcp:%u", port);
    snprintf(env[0], sizeof(env[0]), "SEED=%llu", (unsigned long long)o->seed);
    snprintf(env[1], sizeof(env[1]), "KITCHEN_PORT=%u", k->port);
    snprintf(env[2], sizeof(env[2]), "KITCHEN_BIN=%s", b->kitchen);
    snprintf(env[3], sizeof(env[3]), "CHECK_DONE=%s/debug.done", b->run);
    for (int i = 0; i < 4; i++)
        putenv(env[i]);
    if (chdir(b->run) < 0)
        perror(b->run);
    execl(b->tests, b->tests, "--jobs", "1", filter, "--debug=gdb", transport, (char *)NULL);
    perror(b->tests);
    _exit(127);
}

/* gdb, attached to the test's gdbserver; its exit status, or -1. */
static int debugger(const struct opts *o, const struct build_out *b, unsigned port)
{
    const char *gdb = getenv("GDB") ? getenv("GDB") : "gdb";
    char target[64], dirs[2200];
    int status;
    pid_t pid;

    snprintf(target, sizeof(target), "target remote localhost:%u", port);
    snprintf(dirs, sizeof(dirs), "directory %s:%s", o->src, o->root); /* your files, ours */
    if ((pid = fork()) == 0) {
        signal(SIGINT, SIG_DFL);
        execlp(gdb, gdb, "-q", "-ex", "set sysroot /", "-ex", dirs, "-ex", "set tcp auto-retry on",
               "-ex", "set tcp connect-timeout 20", "-ex", target, b->tests, (char *)NULL);
        fprintf(stderr, "grade --debug: could not start %s (apt-get install gdb)\n", gdb);
        _exit(127);
    }
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Is --src the kit's own labs/<lab> folder (the same folder, however named)? */
static bool own_lab_folder(const struct opts *o)
{
    char kit[PATH_MAX + 64], *a, *b;
    bool same;

    snprintf(kit, sizeof(kit), "%s/labs/%s", o->root, o->lab);
    a = realpath(kit, NULL), b = o->src ? realpath(o->src, NULL) : NULL;
    same = a && b && !strcmp(a, b);
    free(a), free(b);
    return same;
}

int debug_test(const struct opts *o)
{
    struct kitchen_conf kc = {.latency_ms = 50};
    struct kitchen k;
    struct spec sp;
    struct build_out b;
    int rc, status = 0;
    unsigned port;
    const char *fn = NULL;
    pid_t pid;

    /* gdb cannot follow a test into the jail: the test runs as the caller, unsealed and
     * unjailed. As root, only on the kit's own labs/<lab> (make debug: the student's own
     * code, in a container where they are root), never on a submission's folder, whose
     * code would have root's rights (red team 9, coverage_as_root). */
    if (geteuid() == 0 && !own_lab_folder(o)) {
        fprintf(stderr,
                "grade --debug: refused as root: the test runs under gdb outside the "
                "jail, with your rights, so a submission's code would run as root. "
                "Run it as an ordinary user, on a copy of the submission that user "
                "may read (as root, only the kit's own labs/%s, as make debug does)\n",
                o->lab);
        return 2;
    }
    if ((rc = run_prepare(o, &sp, &b)) != 0)
        goto out;
    for (int i = 0; i < sp.ntests; i++)
        if (!strcmp(sp.tests[i].name, o->debug_test))
            fn = sp.tests[i].fn[0] ? sp.tests[i].fn : "main";
    if (!fn) {
        fprintf(stderr, "grade --debug: %s has no test %s (its spec lists them)\n", o->lab,
                o->debug_test);
        rc = 2;
        goto out;
    }
    if (kitchen_start(o->kitchen_bin, &kc, &k) < 0) {
        printf("harness error: could not start the kitchen (%s)\n", o->kitchen_bin);
        rc = 3;
        goto out;
    }
    printf("%s under gdb: seed %llu, the kitchen on port %u. Type `break %.*s` to stop in "
           "your code, then `continue`.\n",
           o->debug_test, (unsigned long long)o->seed, k.port, (int)strcspn(fn, "("), fn);
    signal(SIGINT, SIG_IGN); /* Ctrl-C is gdb's */
    if (!(port = free_port()) || (pid = runner(o, &b, &k, port)) < 0) {
        printf("harness error: could not start the test runner\n");
        rc = 3;
    } else {
        rc = debugger(o, &b, port);
        rc = rc < 0 ? 3 : rc;
        kill(-pid, SIGKILL); /* the runner we started, and its test */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    kitchen_stop(&k);
out:
    build_free(&b);
    spec_free(&sp);
    return rc;
}
