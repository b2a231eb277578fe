/* objcache.h: the kit's own objects (tests.c, the drivers, the library built with a
 * sanitizer) compiled once per kit, flags and compiler, and reused by the gradings after:
 * never a student's object. */
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
/* The words of argv joined by spaces, each occurrence of `box` written @BOX@: the key
 * of a compile, the same in every box. -ENAMETOOLONG when it does not fit. */
int objcache_key(char *const argv[], const char *box, char *key, size_t len);

#endif
