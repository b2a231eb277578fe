/* objcache.c: the kit's own objects compiled once per kit, flags and compiler, reused. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "box.h"
#include "objcache.h"
#include "objcache_int.h"
#include "sys.h"

#define MAGIC        "restaurant-lab objcache 1"
#define MANIFEST_MAX (64 * 1024)

/* Two 64-bit hashes of one stream (FNV-1a, and a multiply-xorshift of its own): 128
 * bits, for files of ours and the compiler's words, nothing a student writes. */
struct hash {
    uint64_t a, b;
};

static void hash_init(struct hash *h)
{
    h->a = 0xcbf29ce484222325ULL;
    h->b = 0x9e3779b97f4a7c15ULL;
}

static void hash_add(struct hash *h, const void *data, size_t n)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ p[i]) * 0x100000001b3ULL;
        h->b = (h->b ^ p[i]) * 0xbf58476d1ce4e5b9ULL;
        h->b ^= h->b >> 31;
    }
}

static void hash_hex(const struct hash *h, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->a, (unsigned long long)h->b);
}

/* Every regular file under dir, in name order, with its path below top: into h. */
static int hash_tree(struct hash *h, const char *dir, size_t top)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), rc = 0;

    if (n < 0)
        return -errno;
    for (int i = 0; i < n; i++) {
        char path[2048];
        struct stat st;
        const char *name = names[i]->d_name;

        if (rc == 0 && strcmp(name, ".") && strcmp(name, "..")) {
            snprintf(path, sizeof(path), "%s/%s", dir, name);
            if (lstat(path, &st) < 0) {
                rc = -errno;
            } else if (S_ISDIR(st.st_mode)) {
                rc = hash_tree(h, path, top);
            } else if (S_ISREG(st.st_mode)) {
                size_t len;
                char *text = sys_slurp(path, SIZE_MAX, &len);
                if (!text) {
                    rc = -EIO;
                } else {
                    hash_add(h, path + top, strlen(path + top) + 1);
                    hash_add(h, &len, sizeof(len));
                    hash_add(h, text, len);
                    free(text);
                }
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int dep_line(const char *path, char *out, size_t len);

int objcache_open(struct objcache *oc, const char *dir, const char *kit, const char *cc)
{
    struct stat st;
    struct hash h;
    char real[1024], id[1200];
    int rc;

    oc->dir[0] = '\0';
    if (!dir || !dir[0] || strlen(dir) >= sizeof(oc->dir))
        return -EINVAL;
    if (lstat(dir, &st) < 0 &&
        (sys_mkdirs(dir, 0700) < 0 || chmod(dir, 0700) < 0 || lstat(dir, &st) < 0))
        return -ENOENT;
    /* ours (or root's) and nobody else's to write: a grader trusts what it finds there */
    if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
        (st.st_mode & (S_IWGRP | S_IWOTH)))
        return -EPERM;
    /* and nobody else's to read: it holds other submissions' objects, and the reference's
     * (values.c), which a run without namespaces could otherwise read (the grader copies
     * from it, never the jail user) */
    if ((st.st_mode & 077) && st.st_uid == geteuid() && chmod(dir, 0700) < 0)
        return -EPERM;
    hash_init(&h);
    if ((rc = hash_tree(&h, kit, strlen(kit))) < 0)
        return rc;
    /* the compiler itself: an upgrade of gcc leaves the headers and the words alone */
    if (!realpath(cc, real) || dep_line(real, id, sizeof(id)) < 0)
        return -ENOENT;
    hash_add(&h, id, strlen(id) + 1);
    hash_hex(&h, oc->kit);
    snprintf(oc->dir, sizeof(oc->dir), "%s", dir);
    objcache_prune(dir);
    return 0;
}

int objcache_key(char *const argv[], const char *box, char *key, size_t len)
{
    size_t used = 0, blen = strlen(box);

    key[0] = '\0';
    for (int i = 0; argv[i]; i++) {
        for (const char *p = argv[i]; *p;) {
            if (used + 8 >= len)
                return -ENAMETOOLONG;
            if (blen && !strncmp(p, box, blen)) {
                used += (size_t)snprintf(key + used, len - used, "@BOX@");
                p += blen;
            } else {
                key[used++] = *p++;
            }
        }
        key[used++] = argv[i + 1] ? ' ' : '\0';
    }
    if (!used)
        key[0] = '\0';
    return 0;
}

/* dir/<hash of the kit's digest and the key>.<ext> */
void objcache_entry(const struct objcache *oc, const char *key, const char *ext, char *out,
                    size_t len)
{
    struct hash h;
    char hex[33];

    hash_init(&h);
    hash_add(&h, oc->kit, strlen(oc->kit) + 1);
    hash_add(&h, key, strlen(key) + 1);
    hash_hex(&h, hex);
    snprintf(out, len, "%s/%s.%s", oc->dir, hex, ext);
}

/* "<size> <mtime s> <mtime ns> <path>" of a header outside the kit, as it is now. */
static int dep_line(const char *path, char *out, size_t len)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return -errno;
    snprintf(out, len, "%lld %lld %ld %s", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
             st.st_mtim.tv_nsec, path);
    return 0;
}

char *objcache_manifest_holds(const struct objcache *oc, const char *key, char *text, char *end);

int objcache_get(const struct objcache *oc, const char *key, const char *obj)
{
    char m[1200], o[1200];
    char *text;
    size_t len;
    int rc;

    if (!oc->dir[0])
        return -ENOENT;
    objcache_entry(oc, key, "m", m, sizeof(m));
    objcache_entry(oc, key, "o", o, sizeof(o));
    if (!(text = sys_slurp(m, MANIFEST_MAX, &len)))
        return -ENOENT;
    rc = objcache_manifest_holds(oc, key, text, text + len) ? 0 : -ENOENT;
    free(text);
    if (rc == 0 && (rc = box_copy_file(o, obj, 0644, true)) < 0)
        rc = -ENOENT;
    if (rc == 0)
        utimensat(AT_FDCWD, m, NULL, 0); /* used: kept by objcache_prune() */
    return rc;
}

int objcache_lock(const struct objcache *oc, const char *key, double wait_s)
{
    char path[1200];
    struct timespec nap = {0, 20 * 1000 * 1000};
    int fd;

    if (!oc->dir[0])
        return -1;
    objcache_entry(oc, key, "lock", path, sizeof(path));
    if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
        return -1;
    for (double waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 0.02) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= wait_s) {
            close(fd);
            return -1;
        }
        nanosleep(&nap, NULL);
    }
    return fd;
}

void objcache_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* the lock goes with it; the file stays, for objcache_prune() to take in time */
}

/* Write `len` bytes to a temporary file in the cache, then rename it to `to`: a reader
 * sees the whole file or none (two graders may put the same entry at once). */
int objcache_put_file(const struct objcache *oc, const char *to, const char *data, size_t len,
                      const char *copy_of)
{
    char tmp[1200];
    int fd, rc = 0;

    snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", oc->dir);
    if ((fd = mkstemp(tmp)) < 0)
        return -errno;
    fchmod(fd, 0644);
    close(fd);
    if (copy_of) {
        unlink(tmp);
        rc = box_copy_file(copy_of, tmp, 0644, true);
    } else {
        FILE *f = fopen(tmp, "w");
        if (!f || fwrite(data, 1, len, f) != len)
            rc = -EIO;
        if (f && fclose(f) != 0)
            rc = -EIO;
    }
    if (rc == 0 && rename(tmp, to) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    return rc;
}

/* The manifest's text: the head (magic, kit digest, key), then one line per header outside
 * the box that `dfile` (gcc's -MD list) names. A file of the box is refused (-EPERM),
 * except the kit's and `allow` (a student's source, kept byte for byte beside it). A
 * malloc'd text in *out, its length in *used; 0 or -errno. */
int objcache_manifest(const struct objcache *oc, const char *key, const char *dfile,
                      const char *box, const char *allow, char **out, size_t *used)
{
    char line[2200], kit[1100];
    char *deps, *save = NULL, *w, *text;
    size_t cap = 4096, blen = strlen(box);
    int rc = 0;

    if (!(deps = sys_slurp(dfile, MANIFEST_MAX, NULL)) || !strchr(deps, ':')) {
        free(deps);
        return -EINVAL;
    }
    if (!(text = malloc(cap))) {
        free(deps);
        return -ENOMEM;
    }
    *used = (size_t)snprintf(text, cap, "%s\n%s\n%s\n", MAGIC, oc->kit, key);
    snprintf(kit, sizeof(kit), "%s/kit/harness/", box);
    for (w = strtok_r(strchr(deps, ':') + 1, " \t\n", &save); rc == 0 && w;
         w = strtok_r(NULL, " \t\n", &save)) {
        if (!strcmp(w, "\\"))
            continue; /* a line continued */
        if (strchr(w, '\\') || w[0] != '/')
            rc = -EINVAL; /* a quoted or relative name: not worth the risk */
        else if (allow && !strcmp(w, allow))
            continue; /* the student's source: compared byte for byte */
        else if (!strncmp(w, box, blen) && strncmp(w, kit, strlen(kit)) != 0)
            rc = -EPERM; /* in the box, but not the kit's: never cache such an object */
        else if (strncmp(w, box, blen) != 0 && (rc = dep_line(w, line, sizeof(line))) == 0) {
            size_t need = strlen(line) + 2;
            char *more = *used + need > cap ? realloc(text, cap = 2 * cap + need) : text;
            if (!more)
                rc = -ENOMEM;
            else
                text = more, *used += (size_t)snprintf(text + *used, cap - *used, "%s\n", line);
        }
    }
    free(deps);
    if (rc < 0)
        free(text);
    else
        *out = text;
    return rc;
}

/* Is the manifest `text` (from its start) this kit's and key's, with every header it
 * names as it was? Returns where the header lines end (the rest of text), or NULL. */
char *objcache_manifest_holds(const struct objcache *oc, const char *key, char *text, char *end)
{
    char head[4096], now[2200];
    size_t hlen;

    snprintf(head, sizeof(head), "%s\n%s\n%s\n", MAGIC, oc->kit, key);
    hlen = strlen(head);
    if ((size_t)(end - text) < hlen || strncmp(text, head, hlen) != 0)
        return NULL; /* another kit or key under the same name: a miss, not a mistake */
    for (char *line = text + hlen; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl || nl == line)
            return nl ? nl + 1 : NULL; /* an empty line ends the headers */
        *nl = '\0';
        const char *path = strchr(line, '/');
        if (!path || dep_line(path, now, sizeof(now)) < 0 || strcmp(now, line) != 0)
            return NULL; /* a header changed (a package upgrade): compile again */
        *nl = '\n';
        line = nl + 1;
    }
    return end;
}

int objcache_put(const struct objcache *oc, const char *key, const char *obj, const char *dfile,
                 const char *box)
{
    char m[1200], o[1200];
    char *text = NULL;
    size_t used = 0;
    int rc;

    if (!oc->dir[0])
        return -ENOENT;
    if ((rc = objcache_manifest(oc, key, dfile, box, NULL, &text, &used)) < 0)
        return rc;
    objcache_entry(oc, key, "m", m, sizeof(m));
    objcache_entry(oc, key, "o", o, sizeof(o));
    /* the object first: whoever finds the manifest finds its object */
    if ((rc = objcache_put_file(oc, o, NULL, 0, obj)) == 0)
        rc = objcache_put_file(oc, m, text, used, NULL);
    free(text);
    return rc;
}

int objcache_digest(const char *path, char out[33])
{
    size_t len;
    char *text = sys_slurp(path, OBJ_MAX, &len);
    struct hash h;

    if (!text || len >= OBJ_MAX - 1) {
        free(text);
        return -EFBIG; /* read to its end, or not kept */
    }
    hash_init(&h);
    hash_add(&h, text, len);
    hash_hex(&h, out);
    free(text);
    return 0;
}
