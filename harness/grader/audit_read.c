/* audit_read.c: what the jail user wrote, read without trusting it: a regular file of
 * that owner, opened without following a link, up to a size; a compiled file too big to
 * audit; and the done file, whose every line must carry the run's tag (SipHash-2-4 under a
 * key the student's code never sees). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "siphash.h"

char *audit_read_untrusted(const char *path, int uid, size_t max, size_t *len)
{
    return audit_read_fd(open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), uid, max, len);
}

char *audit_read_fd(int fd, int uid, size_t max, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    ssize_t got;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uid >= 0 && st.st_uid != (uid_t)uid) ||
        (size_t)st.st_size > max) {
        errno = EPERM;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        goto out;
    while (n < (size_t)st.st_size && (got = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    if (len)
        *len = n;
out:
    close(fd);
    return buf;
}

int audit_too_big(const char *path, size_t max, const char *shown, const char *what, char *why,
                  size_t len)
{
    struct stat st;

    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size <= max)
        return 0;
    snprintf(why, len,
             "%s: its %s is %.0f MiB, over the grader's limit of %zu MiB, and is not read: "
             "the skeleton's copy stands in (a large initialised array? allocate it when the "
             "program runs)\n",
             shown, what, st.st_size / 1048576.0, max >> 20);
    return 1;
}

int audit_done_key(uint64_t key[2], char *env, size_t len)
{
    if (getrandom(key, 2 * sizeof(key[0]), 0) != (ssize_t)(2 * sizeof(key[0])))
        return -EIO;
    snprintf(env, len, "CHECK_DONE_KEY=%016llx%016llx", (unsigned long long)key[0],
             (unsigned long long)key[1]);
    return 0;
}

bool audit_tag_ok(const uint64_t key[2], const char *text, size_t len, const char *hex)
{
    unsigned long long tag;
    int used = 0;

    return strspn(hex, "0123456789abcdef") == 16 && (hex[16] == '\0' || hex[16] == '\n') &&
           sscanf(hex, "%16llx%n", &tag, &used) == 1 && used == 16 &&
           siphash24(key, text, len) == tag;
}

char *audit_done_read(const char *path, int uid, const uint64_t key[2], char *forged, size_t len)
{
    size_t n = 0;
    char *text = audit_read_untrusted(path, uid, 1 << 20, &n), *end;
    int k = 1;

    forged[0] = '\0';
    for (char *line = text; text && line < text + n; line = end + 1, k++) {
        if (!(end = memchr(line, '\n', (size_t)(text + n - line)))) {
            snprintf(forged, len, "line %d has no end (written by something else)", k);
        } else {
            *end = '\0';
            char *sp = strrchr(line, ' ');
            bool ok = sp && audit_tag_ok(key, line, (size_t)(sp - line), sp + 1);
            *end = '\n';
            if (!ok)
                snprintf(forged, len, "line %d does not carry the run's tag", k);
        }
        if (forged[0]) {
            free(text);
            return NULL;
        }
    }
    return text;
}

bool audit_done_has(const char *text, const char *what)
{
    size_t len = strlen(what);

    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, "done ", 5) && !strncmp(l + 5, what, len) && l[5 + len] == ' ' &&
            strchr(l + 6 + len, ' ') && strchr(l + 6 + len, ' ') < strchr(l, '\n'))
            return true;
    return false;
}

int audit_done_seen(const char *path, int uid, const uint64_t key[2], const char *what,
                    char *forged, size_t len, char **text_out)
{
    char *text = audit_done_read(path, uid, key, forged, len);
    int seen = text && audit_done_has(text, what);

    if (text_out)
        *text_out = text;
    else
        free(text);
    return forged[0] ? -1 : seen;
}
