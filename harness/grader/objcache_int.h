/* objcache_int.h: what objcache.c, objcache_src.c (a student's entries) and objcache_prune.c
 * (the cache kept to its size) share. */
#ifndef OBJCACHE_INT_H
#define OBJCACHE_INT_H

#include <stddef.h>

#include "objcache.h"

#define OBJ_MAX (16u << 20) /* a student's source, or object, kept whole */

/* dir/<hash of the kit's digest and the key>.<ext> into out */
void objcache_entry(const struct objcache *oc, const char *key, const char *ext, char *out,
                    size_t len);
/* data (len bytes), or a copy of the file copy_of, to the cache file `to`, through a
 * temporary file renamed: a reader sees the whole file or none. 0 or -errno. */
int objcache_put_file(const struct objcache *oc, const char *to, const char *data, size_t len,
                      const char *copy_of);
/* A manifest's text: the head (magic, kit digest, key), then a line per header outside the
 * box that `dfile` names; a file of the box other than the kit's and `allow` is -EPERM.
 * Malloc'd into *out, its length in *used; 0 or -errno. */
int objcache_manifest(const struct objcache *oc, const char *key, const char *dfile,
                      const char *box, const char *allow, char **out, size_t *used);
/* Is the manifest at text this kit's and key's, every header it names as it was? Where
 * its header lines end, or NULL. */
char *objcache_manifest_holds(const struct objcache *oc, const char *key, char *text, char *end);

/* The least used entries of the cache folder dir (an entry: the files of one stem, used
 * when the latest of them was) removed, whole, until it holds a quarter less than
 * max_bytes, when it holds more than max_bytes (dot files, a put under way and the
 * stamp, are not entries). How many entries went (0: under the cap, or it could not look). */
int objcache_prune_bytes(const char *dir, long long max_bytes);
/* The cache folder dir kept to its size (objcache_prune.c): at most once in a while (a stamp
 * file's time), old entries and, past the cap on bytes, the least used ones removed. */
void objcache_prune(const char *dir);

#endif
