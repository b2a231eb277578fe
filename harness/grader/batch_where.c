/* batch_where.c: where a batch's submissions lie (which entries, each one's lab folder),
 * where their results go, and the lock that keeps one batch of a folder at a time. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch.h"
#include "batch_int.h"
#include "sys.h"

const char *batch_refused(const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return "not a folder: refused";
    return S_ISDIR(st.st_mode)   ? NULL
           : S_ISLNK(st.st_mode) ? "a link, not a folder: refused"
                                 : "not a folder: refused";
}

int batch_src(const char *dir, const char *lab, char *src, size_t len)
{
    struct stat st, labs;
    char parent[1200];
    int rc = lstat(dir, &st) < 0    ? -ENOTDIR
             : S_ISLNK(st.st_mode)  ? -ELOOP
             : !S_ISDIR(st.st_mode) ? -ENOTDIR
                                    : 0;

    if (rc) {
        if (len)
            src[0] = '\0';
        return rc;
    }
    snprintf(parent, sizeof(parent), "%s/labs", dir);
    snprintf(src, len, "%s/labs/%s", dir, lab);
    if (lstat(parent, &labs) == 0 && S_ISDIR(labs.st_mode) && lstat(src, &st) == 0 &&
        S_ISDIR(st.st_mode))
        return 0;
    snprintf(src, len, "%s/%s", dir, lab);
    if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    snprintf(src, len, "%s", dir);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder or a link (the type from readdir, else from fstatat without following). */
static bool listed(DIR *d, const struct dirent *e)
{
    struct stat st;

    if (e->d_type == DT_DIR || e->d_type == DT_LNK)
        return true;
    if (e->d_type != DT_UNKNOWN || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    return S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode);
}

int batch_list(const char *dir, char ***names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    *names = NULL;
    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !listed(d, e))
            continue;
        *names = realloc(*names, (n + 1) * sizeof(**names));
        (*names)[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(*names, n, sizeof(**names), cmp_str);
    return n;
}

/* The batch folder's name, as a file name can hold it: its last part, each byte outside
 * [A-Za-z0-9._-] as '_' ("batch" when none is left). */
void batch_folder_tag(const char *batch, char *out, size_t len)
{
    size_t end = strlen(batch), start, n = 0;

    while (end > 1 && batch[end - 1] == '/')
        end--;
    start = end;
    while (start > 0 && batch[start - 1] != '/')
        start--;
    for (size_t i = start; i < end && n + 1 < len; i++) {
        char c = batch[i];
        out[n++] = isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' ? c : '_';
    }
    out[n] = '\0';
    if (!n || !strcmp(out, ".") || !strcmp(out, ".."))
        snprintf(out, len, "batch");
}

void batch_out_dir(const char *root, const char *batch, char *out, size_t len)
{
    char tag[256], *real = realpath(batch, NULL);
    const char *p = real ? real : batch;
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */

    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    free(real);
    batch_folder_tag(batch, tag, sizeof(tag));
    snprintf(out, len, "%s/build/batch/%s-%08x", root, tag, (unsigned)(h ^ (h >> 32)));
}

int batch_lock(const struct opts *o, const char *out)
{
    char path[BATCH_PATH];
    int fd;

    snprintf(path, sizeof(path), "%s/.lock", out);
    if ((fd = sys_trylock(path)) == -EWOULDBLOCK)
        fprintf(stderr,
                "grade: another batch is grading %s now (its results: %s): wait for it "
                "to end, then grade again\n",
                o->batch, out);
    else if (fd < 0)
        fprintf(stderr, "grade: cannot lock %s: %s\n", path, strerror(-fd));
    return fd < 0 ? -1 : fd;
}
