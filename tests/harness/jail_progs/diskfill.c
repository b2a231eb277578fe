/* diskfill.c: fills its working folder, for the jail's disk watch. Arguments: how many
 * files (0: without end), the bytes of each, and "deep" to put them in nested folders. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static char buf[64 * 1024];
    long n = argc > 1 ? atol(argv[1]) : 0, size = argc > 2 ? atol(argv[2]) : 65536;
    int deep = argc > 3 && !strcmp(argv[3], "deep");
    char dir[4096] = ".";

    memset(buf, 'x', sizeof(buf));
    for (long i = 0; n == 0 || i < n; i++) {
        char path[4200];
        if (deep && i % 10 == 0 && strlen(dir) < 3000) {
            strcat(dir, "/d");
            mkdir(dir, 0700);
        }
        snprintf(path, sizeof(path), "%s/f%ld", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            return 1;
        for (long left = size; left > 0; left -= (long)sizeof(buf))
            if (write(fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf)) < 0)
                return 1;
        close(fd);
    }
    return 0;
}
