/* objcache_src.c: a student's file in the object cache (objcache.h): kept with its source
 * bytes and what the compiler said, found again only from the very same bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "objcache.h"
#include "objcache_int.h"
#include "sys.h"

/* A student's entry is one file, written at once (objcache_put_file): the manifest, an empty line,
 * "<source bytes> <said bytes> <object bytes>", a newline, then the three. */
int objcache_put_src(const struct objcache *oc, const char *key, const char *obj, const char *dfile,
                     const char *box, const char *src, const char *said)
{
    size_t used = 0, slen, olen, wlen = said ? strlen(said) : 0;
    char *text = NULL, *code = NULL, *bin = NULL, *all = NULL, s[1200];
    int rc;

    if (!oc->dir[0])
        return -ENOENT;
    if ((rc = objcache_manifest(oc, key, dfile, box, src, &text, &used)) < 0)
        return rc;
    code = sys_slurp(src, OBJ_MAX, &slen);
    bin = sys_slurp(obj, OBJ_MAX, &olen);
    size_t cap = used + 80 + slen + wlen + olen;
    if (!code || !bin || slen >= OBJ_MAX - 1 || olen >= OBJ_MAX - 1 || !(all = malloc(cap))) {
        rc = -EIO;
    } else {
        size_t n = used;
        memcpy(all, text, used);
        n += (size_t)snprintf(all + n, cap - n, "\n%zu %zu %zu\n", slen, wlen, olen);
        memcpy(all + n, code, slen), n += slen;
        memcpy(all + n, said ? said : "", wlen), n += wlen;
        memcpy(all + n, bin, olen), n += olen;
        objcache_entry(oc, key, "s", s, sizeof(s));
        rc = objcache_put_file(oc, s, all, n, NULL);
    }
    free(text), free(code), free(bin), free(all);
    return rc;
}

int objcache_get_src(const struct objcache *oc, const char *key, const char *obj, const char *src,
                     char **said)
{
    char s[1200], *all = NULL, *code = NULL, *rest, *end, *nl;
    size_t len, clen, slen, wlen, olen;
    int rc = -ENOENT, used = 0;

    if (!oc->dir[0])
        return -ENOENT;
    objcache_entry(oc, key, "s", s, sizeof(s));
    if (!(all = sys_slurp(s, 3 * OBJ_MAX, &len)))
        return -ENOENT;
    end = all + len;
    if (!(rest = objcache_manifest_holds(oc, key, all, end)) || rest >= end ||
        !(nl = memchr(rest, '\n', (size_t)(end - rest))))
        goto out;
    *nl = '\0'; /* the lengths' line alone: a source may begin with blanks */
    if (sscanf(rest, "%zu %zu %zu%n", &slen, &wlen, &olen, &used) != 3 || rest + used != nl ||
        (size_t)(end - nl - 1) != slen + wlen + olen)
        goto out;
    rest = nl + 1;
    /* the source byte for byte: a digest that matched by chance (or by design) is a miss */
    if (!(code = sys_slurp(src, OBJ_MAX, &clen)) || clen != slen || memcmp(code, rest, slen))
        goto out;
    FILE *f = fopen(obj, "w");
    if (!f)
        goto out;
    rc = fwrite(rest + slen + wlen, 1, olen, f) == olen ? 0 : -EIO;
    if (fclose(f) != 0)
        rc = -EIO;
    if (rc == 0 && said) {
        free(*said);
        *said = wlen ? strndup(rest + slen, wlen) : NULL;
    }
    if (rc == 0)
        utimensat(AT_FDCWD, s, NULL, 0); /* used: kept by prune() */
    else
        rc = -ENOENT;
out:
    free(all);
    free(code);
    return rc;
}
