/* batch_state.c: one submission's report saved whole, in this build's own layout. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_state.h"

/* The layout is this build's: a grader built with another struct item refuses it. */
static const char magic[8] = "RLSTATE1";

struct head {
    char magic[8];
    uint32_t item_size, n;
    char lab[64], title[128], source[512], machine[256];
    uint64_t seed;
    double elapsed_s;
};

static int put_text(FILE *f, const char *s)
{
    uint32_t len = s ? (uint32_t)strlen(s) + 1 : 0; /* 0: NULL */

    return fwrite(&len, sizeof(len), 1, f) == 1 && (!len || fwrite(s, len, 1, f) == 1) ? 0 : -EIO;
}

static int get_text(FILE *f, char **s)
{
    uint32_t len;

    *s = NULL;
    if (fread(&len, sizeof(len), 1, f) != 1 || len > (64u << 20))
        return -EINVAL;
    if (!len)
        return 0;
    if (!(*s = malloc(len)))
        return -ENOMEM;
    if (fread(*s, len, 1, f) != 1 || (*s)[len - 1]) {
        free(*s);
        *s = NULL;
        return -EINVAL;
    }
    return 0;
}

static int write_all(const struct report *r, FILE *f)
{
    struct head h = {.item_size = sizeof(struct item),
                     .n = (uint32_t)r->n,
                     .seed = r->seed,
                     .elapsed_s = r->elapsed_s};
    int rc = 0;

    memcpy(h.magic, magic, sizeof(magic));
    memcpy(h.lab, r->lab, sizeof(h.lab));
    memcpy(h.title, r->title, sizeof(h.title));
    memcpy(h.source, r->source, sizeof(h.source));
    memcpy(h.machine, r->machine, sizeof(h.machine));
    if (fwrite(&h, sizeof(h), 1, f) != 1 || put_text(f, r->output))
        return -EIO;
    for (size_t i = 0; i < r->n && !rc; i++) {
        struct item it = r->items[i];

        it.output = NULL; /* the pointer means nothing in a file: the text follows */
        rc = fwrite(&it, sizeof(it), 1, f) == 1 ? put_text(f, r->items[i].output) : -EIO;
    }
    return rc;
}

int batch_state_save(const struct report *r, const char *path)
{
    char tmp[4200];
    FILE *f;
    int rc;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "wbe")))
        return -errno;
    rc = write_all(r, f);
    if (fclose(f) && !rc)
        rc = -EIO;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

static int read_items(struct report *r, FILE *f, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct item it;
        char *out;
        int rc;

        if (fread(&it, sizeof(it), 1, f) != 1)
            return -EINVAL;
        if ((rc = get_text(f, &out)))
            return rc;
        it.name[sizeof(it.name) - 1] = it.measured[sizeof(it.measured) - 1] = '\0';
        it.expected[sizeof(it.expected) - 1] = it.hint[sizeof(it.hint) - 1] = '\0';
        it.output = out;
        if (!report_add(r, &it)) {
            free(out);
            return -ENOMEM;
        }
    }
    return 0;
}

int batch_state_load(struct report *r, const char *path)
{
    FILE *f = fopen(path, "rbe");
    struct head h;
    int rc = -EINVAL;

    if (!f)
        return -errno;
    if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, magic, sizeof(magic)) ||
        h.item_size != sizeof(struct item))
        goto out_close;
    h.lab[sizeof(h.lab) - 1] = h.title[sizeof(h.title) - 1] = '\0';
    h.source[sizeof(h.source) - 1] = h.machine[sizeof(h.machine) - 1] = '\0';
    report_init(r, h.lab, h.title);
    memcpy(r->source, h.source, sizeof(r->source));
    memcpy(r->machine, h.machine, sizeof(r->machine));
    r->seed = h.seed;
    r->elapsed_s = h.elapsed_s;
    if ((rc = get_text(f, &r->output)) == 0)
        rc = read_items(r, f, h.n);
    if (rc)
        report_free(r);
out_close:
    fclose(f);
    return rc;
}
