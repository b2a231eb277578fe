/* escape.c: leaves a sleeper in its own session (setsid, double fork), then exits. */
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t a = fork();

    if (a == 0) {
        setsid();
        if (fork() == 0) {
            sleep(100);
            _exit(0);
        }
        _exit(0);
    }
    if (a > 0)
        waitpid(a, NULL, 0);
    return 0;
}
