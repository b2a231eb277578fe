/* fake_kitchen.c: a kitchen of a driver's own that answers each order with a scripted line. */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fake_kitchen.h"

static void *fake_run(void *arg)
{
    struct fake_kitchen *k = arg;

    for (int i = 0; i < k->n; i++) {
        const struct fake_line *l = &k->lines[i];
        struct timeval tmo = {.tv_sec = 2};
        size_t len = 0, n = strlen(l->reply), first = l->split ? l->split : n;
        char *got = k->got[i];
        int fd = accept(k->lfd, NULL, NULL), one = 1;

        if (fd < 0)
            return NULL; /* stopped: the order never came */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        while (len < FAKE_KITCHEN_GOT - 1 && !memchr(got, '\n', len)) {
            ssize_t r = recv(fd, got + len, FAKE_KITCHEN_GOT - 1 - len, 0);

            if (r <= 0)
                break;
            len += (size_t)r;
        }
        got[len] = '\0';
        k->got_len[i] = len;
        if (send(fd, l->reply, first, MSG_NOSIGNAL) == (ssize_t)first && first < n) {
            struct timespec gap = {.tv_nsec = 5000000};

            nanosleep(&gap, NULL);
            send(fd, l->reply + first, n - first, MSG_NOSIGNAL);
        }
        close(fd);
    }
    return NULL;
}

int fake_kitchen_start(struct fake_kitchen *k, const struct fake_line *lines, int n)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);

    memset(k, 0, sizeof(*k));
    if (n < 0 || n > FAKE_KITCHEN_MAX)
        return -1;
    memcpy(k->lines, lines, (size_t)n * sizeof(*lines));
    k->n = n;
    k->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (k->lfd < 0 || bind(k->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(k->lfd, 4) < 0 ||
        getsockname(k->lfd, (struct sockaddr *)&a, &len) < 0) {
        if (k->lfd >= 0)
            close(k->lfd);
        return -1;
    }
    k->port = ntohs(a.sin_port);
    if (pthread_create(&k->tid, NULL, fake_run, k) != 0) {
        close(k->lfd);
        return -1;
    }
    return 0;
}

void fake_kitchen_stop(struct fake_kitchen *k)
{
    shutdown(k->lfd, SHUT_RDWR); /* wakes an accept() still waiting */
    pthread_join(k->tid, NULL);
    close(k->lfd);
}
