/* rmtree.c: a tree removed whatever its depth (rmtree.h), for the build's boxes and runs'
 * folders (box.c) and what a run without namespaces left in /tmp (jail_sweep.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rmtree.h"

/* One folder on the way down from the top: its name in its parent, what it is (to know
 * its parent again on the way back up), and the entries it holds that could not go. */
struct level {
    char name[256];
    dev_t dev;
    ino_t ino;
    char **stuck;
    size_t nstuck;
};

static bool is_stuck(const struct level *l, const char *name)
{
    for (size_t i = 0; i < l->nstuck; i++)
        if (!strcmp(l->stuck[i], name))
            return true;
    return false;
}

static void add_stuck(struct level *l, const char *name)
{
    char **v = realloc(l->stuck, (l->nstuck + 1) * sizeof(*v));

    if (v && (v[l->nstuck] = strdup(name)))
        l->nstuck++;
    if (v)
        l->stuck = v;
}

/* The first entry of the folder fd that is neither removable as a file nor stuck: its
 * name in `sub` (1), none left (0), or -errno. Files (and links) go on the way. */
static int next_sub(int fd, struct level *l, char *sub, size_t len)
{
    int d = dup(fd), found = 0;
    DIR *dir = d >= 0 ? fdopendir(d) : NULL;
    struct dirent *e;

    if (!dir) {
        if (d >= 0)
            close(d);
        return -errno;
    }
    while (!found && (e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_stuck(l, e->d_name))
            continue;
        if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
            if (unlinkat(fd, e->d_name, 0) == 0)
                continue;
            if (errno != EISDIR && errno != EPERM) {
                add_stuck(l, e->d_name);
                continue;
            }
        }
        snprintf(sub, len, "%s", e->d_name);
        found = 1;
    }
    closedir(dir);
    return found;
}

/* rmtree.h: one folder open at a time, by descriptor; back up through "..", checked against
 * the folder we came from. */
int rmtree(const char *dir)
{
    struct level *lv = NULL;
    size_t depth = 0, cap = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
    struct stat st;

    if (fd < 0)
        return errno == ENOENT ? 0 : errno == ENOTDIR || errno == ELOOP ? remove(dir) : -errno;
    if (fstat(fd, &st) < 0 || !(lv = calloc(cap = 64, sizeof(*lv)))) {
        close(fd);
        return -ENOMEM;
    }
    lv[0].dev = st.st_dev;
    lv[0].ino = st.st_ino;
    for (;;) {
        char sub[256];
        int got = next_sub(fd, &lv[depth], sub, sizeof(sub)), child;

        if (got < 0) {
            rc = got;
            break;
        }
        if (got == 1) {
            child = openat(fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0 || fstat(child, &st) < 0 || st.st_dev != lv[0].dev) {
                if (child >= 0)
                    close(child);
                else if (unlinkat(fd, sub, 0) == 0) /* a file after all */
                    continue;
                add_stuck(&lv[depth], sub);
                continue;
            }
            if (depth + 1 == cap) {
                struct level *more = realloc(lv, 2 * cap * sizeof(*lv));
                if (!more) {
                    close(child);
                    rc = -ENOMEM;
                    break;
                }
                memset(more + cap, 0, cap * sizeof(*lv));
                lv = more;
                cap *= 2;
            }
            close(fd);
            fd = child;
            depth++;
            snprintf(lv[depth].name, sizeof(lv[depth].name), "%s", sub);
            lv[depth].dev = st.st_dev;
            lv[depth].ino = st.st_ino;
            continue;
        }
        if (depth == 0)
            break;
        int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (up < 0 || fstat(up, &st) < 0 || st.st_dev != lv[depth - 1].dev ||
            st.st_ino != lv[depth - 1].ino) {
            rc = up < 0 ? -errno : -ESTALE; /* moved under us: stop */
            if (up >= 0)
                close(up);
            break;
        }
        close(fd);
        fd = up;
        if (unlinkat(fd, lv[depth].name, AT_REMOVEDIR) < 0)
            add_stuck(&lv[depth - 1], lv[depth].name);
        for (size_t i = 0; i < lv[depth].nstuck; i++)
            free(lv[depth].stuck[i]);
        free(lv[depth].stuck);
        memset(&lv[depth], 0, sizeof(lv[depth]));
        depth--;
    }
    close(fd);
    for (size_t d = 0; d <= depth; d++) {
        for (size_t i = 0; i < lv[d].nstuck; i++)
            free(lv[d].stuck[i]);
        free(lv[d].stuck);
    }
    free(lv);
    if (rc == 0 && rmdir(dir) < 0)
        rc = -errno;
    return rc;
}
