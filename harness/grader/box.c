/* box.c: the build's box: a fresh folder outside the kit, reachable by the jail user, with
 * read-only copies of ours and of the student's files, and folders the jail user owns. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "box.h"
#include "jail.h"
#include "rmtree.h"
#include "sys.h"

/* Copy the regular file open at `in` (closed here) to `to`, at most `max` bytes (0: no
 * limit): a bigger one is -EFBIG, refused before a byte is written, or, when it grows
 * while copied, removed. 0 or -errno. */
static int copy_fd(int in, const char *to, mode_t mode, off_t max)
{
    char buf[65536];
    ssize_t n = 0;
    struct stat st;
    int out, rc = 0;

    if (in < 0)
        return -errno;
    if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(in);
        return -EINVAL;
    }
    if (max && st.st_size > max) {
        close(in);
        return -EFBIG;
    }
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (out < 0) {
        rc = -errno;
        goto out_in;
    }
    for (off_t total = 0; rc == 0 && (n = read(in, buf, sizeof(buf))) > 0;)
        if (max && (total += n) > max)
            rc = -EFBIG;
        else if (write(out, buf, n) != n)
            rc = -EIO;
    if (n < 0)
        rc = -errno;
    close(out);
    if (rc == -EFBIG)
        unlink(to);
out_in:
    close(in);
    return rc;
}

int box_copy_file(const char *from, const char *to, mode_t mode, bool nofollow)
{
    return copy_fd(open(from, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW | O_NONBLOCK : 0)), to,
                   mode, 0);
}

int box_open_below(const char *base, const char *rel)
{
    int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char part[256];

    while (fd >= 0) {
        size_t n = strcspn(rel, "/");
        int next;

        if (n == 0 || n >= sizeof(part) || (n == 1 && rel[0] == '.') ||
            (n == 2 && !strncmp(rel, "..", 2))) {
            close(fd);
            errno = EINVAL;
            return -1;
        }
        memcpy(part, rel, n);
        part[n] = '\0';
        rel += n;
        /* every folder on the way, and the file, opened without following a link */
        next =
            openat(fd, part, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (*rel ? O_DIRECTORY : O_NONBLOCK));
        close(fd);
        if (!*rel || next < 0)
            return next;
        fd = next;
        rel++;
    }
    return -1;
}

int box_copy_below(const char *base, const char *rel, const char *to, mode_t mode)
{
    return copy_fd(box_open_below(base, rel), to, mode, BOX_SRC_MAX);
}

/* Copy the regular files of a folder (not its sub-folders) into another. */
static int copy_flat(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;
    int rc = 0;

    if (!d)
        return -errno;
    while (rc == 0 && (e = readdir(d))) {
        char a[1100], b[1100];
        struct stat st;
        snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
        snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
        if (e->d_name[0] != '.' && stat(a, &st) == 0 && S_ISREG(st.st_mode))
            rc = box_copy_file(a, b, 0644, false);
    }
    closedir(d);
    return rc;
}

int box_remove(const char *dir)
{
    return dir[0] ? rmtree(dir) : 0;
}

static int mkdirs(const char *box, mode_t mode, int uid, const char *const *names)
{
    for (; *names; names++) {
        char path[1100];
        snprintf(path, sizeof(path), "%s/%s", box, *names);
        if (mkdir(path, mode) < 0 || chmod(path, mode) < 0)
            return -errno;
        if (uid >= 0 && chown(path, (uid_t)uid, (gid_t)uid) < 0)
            return -errno;
    }
    return 0;
}

int box_run_folder(const char *box, char *dir, size_t len)
{
    int uid = jail_uid();

    if (snprintf(dir, len, "%s/run-XXXXXX", box) >= (int)len)
        return -ENAMETOOLONG;
    if (!mkdtemp(dir))
        return -errno;
    if (chmod(dir, 0700) < 0 || (uid >= 0 && chown(dir, (uid_t)uid, (gid_t)uid) < 0)) {
        int rc = -errno;
        rmdir(dir);
        return rc;
    }
    return 0;
}

/* A fresh box in the first temporary folder that lets its programs run. */
static int new_box(struct build_out *o)
{
    const char *tmp = getenv("TMPDIR");
    const char *bases[] = {tmp && tmp[0] == '/' ? tmp : "/tmp", "/tmp", "/var/tmp", "/dev/shm"};

    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        struct statvfs vfs;
        if (statvfs(bases[i], &vfs) < 0 || (vfs.f_flag & ST_NOEXEC))
            continue;
        snprintf(o->box, sizeof(o->box), "%s/restaurant-lab-XXXXXX", bases[i]);
        if (mkdtemp(o->box) && chmod(o->box, 0711) == 0)
            return 0;
    }
    o->box[0] = '\0';
    return -ENOSPC;
}

/* harness/cflags: the flags every C file is compiled with, one per line ('#': a comment),
 * joined by spaces into out. */
static int read_cflags(const char *root, char *out, size_t len)
{
    char path[1100];
    size_t used = 0;

    snprintf(path, sizeof(path), "%s/harness/cflags", root);
    char *text = sys_slurp(path, 4096, NULL);
    if (!text)
        return -ENOENT;
    out[0] = '\0';
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (l[0] != '#' && l[0] && used + strlen(l) + 2 < len)
            used += (size_t)snprintf(out + used, len - used, "%s ", l);
    free(text);
    return used ? 0 : -EINVAL;
}

/* The definitions of the labs this one builds on (lab 6: lab 4's interpreter, lab 5's
 * header), each in kit/harness/labs/<lab> as its own. */
static int copy_other_labs(const struct build_conf *c, const struct build_out *o)
{
    for (int i = 0; i < o->nother_labs; i++) {
        char a[1100], b[1100];
        int rc;

        snprintf(a, sizeof(a), "%s/harness/labs/%s", c->root, o->other_labs[i]);
        snprintf(b, sizeof(b), "%s/kit/harness/labs/%s", o->box, o->other_labs[i]);
        if (mkdir(b, 0755) < 0)
            return -errno;
        if ((rc = copy_flat(a, b)) < 0)
            return rc;
    }
    return 0;
}

/* The box: copies of what the compiler may read, and the jail user's own folders. */
int box_make(const struct build_conf *c, struct build_out *o)
{
    static const char *const ours[] = {"kit",
                                       "kit/harness",
                                       "kit/harness/include",
                                       "kit/harness/labs",
                                       "kit/harness/lib",
                                       "kit/harness/drivers",
                                       "kit/lib",
                                       "kit/bin",
                                       "kit/skel",
                                       "src",
                                       NULL};
    static const char *const theirs[] = {"out",           "out/tmp",      "out/obj", "out/obj-tsan",
                                         "out/obj-ubsan", "out/obj-asan", "run",     NULL};
    char a[1100], b[1100], lab[160];
    int rc;

    if ((rc = new_box(o)) < 0)
        return rc;
    snprintf(lab, sizeof(lab), "kit/harness/labs/%s", c->lab);
    const char *labdir[] = {lab, NULL};
    if ((rc = mkdirs(o->box, 0755, -1, ours)) < 0 || (rc = mkdirs(o->box, 0755, -1, labdir)) < 0 ||
        (rc = mkdirs(o->box, 0700, jail_uid(), theirs)) < 0)
        return rc;
    /* src/: this grading's jail user's alone (without namespaces others see /tmp) */
    snprintf(a, sizeof(a), "%s/src", o->box);
    if (jail_uid() >= 0 && (chown(a, 0, (gid_t)jail_uid()) < 0 || chmod(a, 0750) < 0))
        return -errno;
    static const char *const trees[] = {"harness/include", "harness/lib", "harness/drivers", NULL};
    for (const char *const *t = trees; *t; t++) {
        snprintf(a, sizeof(a), "%s/%s", c->root, *t);
        snprintf(b, sizeof(b), "%s/kit/%s", o->box, *t);
        if ((rc = copy_flat(a, b)) < 0)
            return rc;
    }
    snprintf(a, sizeof(a), "%s/harness/labs/%s", c->root, c->lab);
    snprintf(b, sizeof(b), "%s/%s", o->box, lab);
    if ((rc = copy_flat(a, b)) < 0 || (rc = copy_other_labs(c, o)) < 0)
        return rc;
    snprintf(b, sizeof(b), "%s/kit/skel", o->box);
    if ((rc = copy_flat(c->skeleton, b)) < 0)
        return rc;
    snprintf(b, sizeof(b), "%s/kit/lib/libharness.a", o->box);
    if ((rc = box_copy_file(c->libharness, b, 0644, false)) < 0)
        return rc;
    snprintf(b, sizeof(b), "%s/kit/lib/libcriterion-kit.a", o->box);
    if (c->cr_kit && (rc = box_copy_file(c->cr_kit, b, 0644, false)) < 0)
        return rc;
    snprintf(o->kitchen, sizeof(o->kitchen), "%s/kit/bin/kitchen", o->box);
    if (c->kitchen && (rc = box_copy_file(c->kitchen, o->kitchen, 0755, false)) < 0)
        return rc;
    snprintf(o->run, sizeof(o->run), "%s/run", o->box);
    return read_cflags(c->root, o->cflags, sizeof(o->cflags));
}
