/* objcache_prune.c: the object cache kept to its size: entries unused for a week go once
 * the folder is full of them, the least used whatever their age once it holds too many bytes. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "objcache_int.h"

#define KEEP_ENTRIES  2000            /* above this many files, old entries go */
#define KEEP_AGE_S    (7 * 24 * 3600) /* those not used for a week */
#define KEEP_BYTES    (512LL << 20)   /* above this many bytes, the least used entries go */
#define PRUNED        ".pruned"       /* when they were last looked for */
#define PRUNE_EVERY_S 600

/* One file of the folder, for objcache_prune_bytes: an entry's files share a stem (the
 * name before its last '.'), and the entry's last use is the latest of their times (a
 * manifest's is set at each use, its object's only when kept). */
struct kept {
    char name[64];
    time_t used;
    long long bytes;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct kept *)a)->name, ((const struct kept *)b)->name);
}

static size_t stem_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

/* The files of dir's entries (not its dot files: the stamp, a put under way), into a
 * malloc'd array; their count in *n, their bytes in *total. NULL when it cannot look. */
static struct kept *list_kept(const char *dir, size_t *n, long long *total)
{
    struct kept *all = NULL;
    size_t cap = 0;
    DIR *d = opendir(dir);
    struct dirent *e;

    *n = 0;
    *total = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d))) {
        char path[1400];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(all->name) || lstat(path, &st) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (*n == cap) {
            struct kept *more = realloc(all, (cap = 2 * cap + 256) * sizeof(*all));
            if (!more) {
                free(all);
                closedir(d);
                return NULL;
            }
            all = more;
        }
        snprintf(all[*n].name, sizeof(all->name), "%s", e->d_name);
        all[*n].used = st.st_mtime;
        all[*n].bytes = (long long)st.st_size;
        *total += all[(*n)++].bytes;
    }
    closedir(d);
    return all;
}

/* An entry: its files all[first .. first + files - 1] (in name order), their bytes and the
 * latest of their times. */
struct entry {
    size_t first, files;
    time_t used;
    long long bytes;
};

static int by_use(const void *a, const void *b)
{
    time_t x = ((const struct entry *)a)->used, y = ((const struct entry *)b)->used;
    return (x > y) - (x < y);
}

int objcache_prune_bytes(const char *dir, long long max_bytes)
{
    size_t n, stems = 0;
    long long total;
    struct kept *all = list_kept(dir, &n, &total);
    struct entry *e = all && total > max_bytes ? calloc(n, sizeof(*e)) : NULL;
    int gone = 0;

    if (!e) {
        free(all);
        return 0;
    }
    qsort(all, n, sizeof(*all), by_name);
    for (size_t i = 0; i < n; i++) {
        struct entry *s = stems ? &e[stems - 1] : NULL;
        size_t len = stem_len(all[i].name);
        if (!s || stem_len(all[s->first].name) != len ||
            strncmp(all[s->first].name, all[i].name, len) != 0)
            (s = &e[stems++])->first = i;
        s->files++;
        s->bytes += all[i].bytes;
        s->used = s->used > all[i].used ? s->used : all[i].used;
    }
    /* the least used first, until a quarter below the cap: not one entry each grading */
    qsort(e, stems, sizeof(*e), by_use);
    for (size_t i = 0; i < stems && total > max_bytes / 4 * 3; i++, gone++) {
        for (size_t f = e[i].first; f < e[i].first + e[i].files; f++) {
            char path[1400];
            snprintf(path, sizeof(path), "%s/%s", dir, all[f].name);
            unlink(path);
        }
        total -= e[i].bytes;
    }
    free(e);
    free(all);
    return gone;
}

/* Entries not used for a week go, once the folder holds more than KEEP_ENTRIES files
 * (each kit change leaves a set behind), and the least used go, whatever their age, once
 * it holds more than KEEP_BYTES (a class's files, or a student's big ones). At most once
 * in PRUNE_EVERY_S (the stamp PRUNED's time): a look at every entry of a full folder cost
 * each grading 60 ms of a mutant's 400. */
void objcache_prune(const char *dir)
{
    char stamp[1100];
    struct stat st;
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(stamp, sizeof(stamp), "%s/" PRUNED, dir);
    if (lstat(stamp, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime > time(NULL) - PRUNE_EVERY_S &&
        st.st_mtime <= time(NULL))
        return;
    int fd = open(stamp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    futimens(fd, NULL);
    close(fd);
    if (!(d = opendir(dir)))
        return;
    while ((e = readdir(d)))
        n++;
    rewinddir(d);
    while (n > KEEP_ENTRIES && (e = readdir(d))) {
        char path[1400];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            st.st_mtime < time(NULL) - KEEP_AGE_S)
            unlink(path);
    }
    closedir(d);
    objcache_prune_bytes(dir, KEEP_BYTES);
}
