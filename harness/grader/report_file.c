/* report_file.c: what results.json and JUnit share: an item's text, an atomic write. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_file.h"

#define REPORT_OUTPUT_CAP (64 * 1024) /* bytes of an output kept in the files */
#define REPORT_REASON_CAP 240         /* bytes of an inconclusive item's reason */

double report_finite(double x)
{
    return isfinite(x) ? x : 0;
}

/* At most REPORT_OUTPUT_CAP bytes of s, cut at a character boundary, with a note. */
static void put_capped(FILE *f, const char *s)
{
    size_t len = strlen(s), keep = len;

    if (len <= REPORT_OUTPUT_CAP) {
        fputs(s, f);
        return;
    }
    keep = REPORT_OUTPUT_CAP;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--;
    fwrite(s, 1, keep, f);
    fprintf(f, "\n[... %zu more bytes cut]", len - keep);
}

/* The first line of an inconclusive item's output is its reason. */
static void put_inconclusive(FILE *f, const struct item *it)
{
    const char *out = it->output ? it->output : "";
    const char *nl = strchr(out, '\n');
    size_t len = nl ? (size_t)(nl - out) : strlen(out);

    fputs("INCONCLUSIVE: ", f);
    if (len)
        fwrite(out, 1, len > REPORT_REASON_CAP ? REPORT_REASON_CAP : len, f);
    else
        fputs("the speed could not be measured cleanly", f);
    fputs("\nThis cell scores 0 this run; rerun on a quiet machine. It is not a fail.\n", f);
}

/* The details below the first lines: an inconclusive item's reason is already shown. */
static const char *details(const struct item *it)
{
    const char *out = it->output ? it->output : "";
    const char *nl = strchr(out, '\n');

    if (it->verdict != V_INCONCLUSIVE)
        return out;
    return nl ? nl + 1 : "";
}

/* An item's text in the files: verdict, measured/expected, hint, then the output. */
char *report_item_text(const struct item *it)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    if (!f)
        return NULL;
    if (it->verdict == V_INCONCLUSIVE)
        put_inconclusive(f, it);
    else
        fprintf(f, "%s\n", verdict_name(it->verdict));
    if (it->measured[0])
        fprintf(f, "measured: %s\n", it->measured);
    if (it->expected[0])
        fprintf(f, "expected: %s\n", it->expected);
    if (it->hint[0] && it->verdict != V_PASS)
        fprintf(f, "hint: %s\n", it->hint);
    if (details(it)[0]) {
        fputc('\n', f);
        put_capped(f, details(it));
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

char *report_run_text(const struct report *r)
{
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);
    size_t inconclusive = 0;

    if (!f)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        inconclusive += r->items[i].verdict == V_INCONCLUSIVE;
    fprintf(f, "%s: %s\nsource: %s\nmachine: %s\nseed: %llu (SEED=%llu to replay)\n", r->lab,
            r->title, r->source, r->machine, (unsigned long long)r->seed,
            (unsigned long long)r->seed);
    if (inconclusive)
        fprintf(f,
                "%zu inconclusive cell%s 0 this run: rerun on a quiet machine "
                "(they are never a plain fail)\n",
                inconclusive, inconclusive == 1 ? " scores" : "s score");
    if (r->output && r->output[0]) {
        fputc('\n', f);
        put_capped(f, r->output);
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

/* mkdir -p of path's folder. */
static int make_parents(const char *path)
{
    char dir[4096];

    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(dir, 0755) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

/* Write through emit into a temporary file beside path, then rename it over path. */
int report_write_file(const char *path, int (*emit)(const struct report *, FILE *),
                      const struct report *r)
{
    char tmp[4096];
    FILE *f;
    int fd, rc;

    rc = make_parents(path);
    if (rc)
        return rc;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    fd = mkstemp(tmp);
    if (fd < 0)
        return -errno;
    fchmod(fd, 0644);
    f = fdopen(fd, "w");
    if (!f) {
        rc = -errno;
        close(fd);
        goto out_unlink;
    }
    rc = emit(r, f);
    if (fflush(f) || ferror(f) || fsync(fileno(f)))
        rc = rc ? rc : -EIO;
    if (fclose(f))
        rc = rc ? rc : -EIO;
    if (!rc && rename(tmp, path))
        rc = -errno;
out_unlink:
    if (rc)
        unlink(tmp);
    return rc;
}
