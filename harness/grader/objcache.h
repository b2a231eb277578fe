/* objcache.h: objects compiled once per kit, flags and compiler, and reused by the
 * gradings after: the kit's own (tests.c, the drivers, the library built with a
 * sanitizer), and a student's file that compiled and passed the audit, found again only
 * from the same bytes (a mutant changes one file of a lab; a batch holds unchanged
 * files). */
#ifndef OBJCACHE_H
#define OBJCACHE_H

#include <stddef.h>

struct objcache {
    char dir[1024]; /* "": off */
    char kit[33];   /* the digest of every file under the box's kit/harness and the compiler */
};

/* Turn the cache in `dir` (made when missing) on for a build whose copy of the kit is
 * `kit` (the box's kit/harness folder) and whose compiler is `cc` (its file's size and
 * time join the digest). 0, or -errno and the cache is off: the build compiles
 * everything, as without one. */
int objcache_open(struct objcache *oc, const char *dir, const char *kit, const char *cc);
/* Copy the object kept for `key` (the compiler's words, the box's path taken out) to
 * obj: 0 on a hit; -ENOENT on a miss, when off, or when a header outside the kit that
 * it was compiled with has changed since. */
int objcache_get(const struct objcache *oc, const char *key, const char *obj);
/* Keep obj, just compiled for `key`, with the headers its dependency file `dfile` lists:
 * those under `box` are the kit's (in the digest), the others (the C library's,
 * Criterion's) are kept by size and time and checked by objcache_get. 0 or -errno; a
 * failure only means the next build compiles it again. */
int objcache_put(const struct objcache *oc, const char *key, const char *obj, const char *dfile,
                 const char *box);
/* The right to compile `key`'s object, taken before compiling what objcache_get missed:
 * graders that miss the same entry at once (a batch's graders side by side, checks run in
 * parallel) wait, asleep, for the first to keep it, and find it there, rather than each
 * compiling it. A descriptor for objcache_unlock, or -1 (the cache off, no lock to be had,
 * or none within `wait_s` seconds): compile anyway. */
int objcache_lock(const struct objcache *oc, const char *key, double wait_s);
void objcache_unlock(int fd);
/* The words of argv joined by spaces, each occurrence of `box` written @BOX@: the key
 * of a compile, the same in every box. -ENAMETOOLONG when it does not fit. */
int objcache_key(char *const argv[], const char *box, char *key, size_t len);

/* The digest of a file's bytes (32 hex digits): the part of a student file's key that
 * finds its entry. 0, or -EFBIG for a file of 16 MiB or more (never kept). */
int objcache_digest(const char *path, char out[33]);
/* Keep obj, compiled from the student's file `src` (in `box`) for `key` (which holds
 * src's digest), what the compiler said (`said`, may be NULL) and a copy of src's bytes,
 * all in one file written at once. dfile as objcache_put's, but a file of the box other
 * than the kit's and src itself is refused (-EPERM: a student's header). */
int objcache_put_src(const struct objcache *oc, const char *key, const char *obj, const char *dfile,
                     const char *box, const char *src, const char *said);
/* Copy the object kept for `key` to obj and what the compiler said then to *said (NULL:
 * it said nothing): 0, only when `src` has the very bytes it was compiled from (the
 * digest in the key finds, it does not prove) and the headers outside the kit are as
 * they were; else -ENOENT. */
int objcache_get_src(const struct objcache *oc, const char *key, const char *obj, const char *src,
                     char **said);

#endif
