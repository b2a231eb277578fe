/* jail_disk.c: what a run's writable folders hold, looked at while it runs. RLIMIT_FSIZE
 * caps each file a run writes, not how many: a loop writing 1 MiB files into its own folder
 * (on the host's disk, not the private /tmp's bounded tmpfs) filled the disk that the
 * grader and every other grading share. The parent looks every JAIL_DISK_MS and ends a
 * run whose folders grew by more than it may write (jail_wait_end). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail_int.h"

enum { DISK_DEPTH_MAX = 16 };

/* The blocks of everything below the open folder fd (closed here) into *u; stops early
 * once u is past stop (bytes or entries): then the figure only says "more". */
static void walk(int fd, int depth, struct disk_use *u, const struct disk_use *stop)
{
    DIR *d = fdopendir(fd);
    struct dirent *e;

    if (!d) {
        close(fd);
        return;
    }
    while ((e = readdir(d)) && u->bytes <= stop->bytes && u->entries <= stop->entries) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone meanwhile */
        u->entries++;
        u->bytes += (long long)st.st_blocks * 512; /* a sparse file holds only its blocks */
        if (S_ISDIR(st.st_mode) && depth < DISK_DEPTH_MAX) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                walk(sub, depth + 1, u, stop);
        } else if (S_ISDIR(st.st_mode)) {
            u->entries = stop->entries + 1; /* deeper than any run of ours: over */
        }
    }
    closedir(d);
}

void jail_disk_use(const char *const *dirs, const struct disk_use *stop, struct disk_use *u)
{
    *u = (struct disk_use){0};
    for (const char *const *p = dirs; p && *p; p++) {
        int fd = open(*p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            walk(fd, 0, u, stop);
    }
}

bool jail_disk_over(struct run *rn)
{
    struct disk_use now, stop = {rn->disk_base.bytes + (long long)rn->o->lim.disk_bytes,
                                 rn->disk_base.entries + rn->o->lim.disk_files};

    if (!rn->disk_watch)
        return false;
    jail_disk_use(rn->o->rw, &stop, &now);
    return now.bytes > stop.bytes || now.entries > stop.entries;
}
