/* predict.c: the student's predictions (predictions.txt) beside what the speed cells measured. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "box.h"
#include "predict.h"

/* A predictions file longer than this is none (a table a page long is 1 KiB). */
#define PREDICT_MAX_BYTES (64u << 10)

/* What a cell's name is made of (spec.c): nothing else of the student's line is printed. */
#define CELL_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

/* One line into ps: a prediction, a blank one, a comment, or a bad line. */
static void take(struct predictions *ps, char *line, int no)
{
    char *hash = strchr(line, '#'), *eq, *end, *name;
    size_t len;

    if (hash)
        *hash = '\0';
    name = line + strspn(line, " \t");
    if (!*name || *name == '\r')
        return;
    eq = strchr(name, '=');
    len = eq ? strspn(name, CELL_CHARS) : 0;
    if (!eq || !len || len >= sizeof(ps->p[0].name) || name + len + strspn(name + len, " \t") != eq)
        goto bad;
    char *v = eq + 1 + strspn(eq + 1, " \t");
    if (!*v || *v == '\r') {
        ps->blank++;
        return;
    }
    double value = strtod(v, &end);
    if (end == v || value < 0)
        goto bad;
    end += *end == 'x' || *end == 'X';
    if (end[strspn(end, " \t\r")] || ps->n == PREDICT_MAX)
        goto bad;
    struct prediction *p = &ps->p[ps->n++];
    snprintf(p->name, sizeof(p->name), "%.*s", (int)len, name);
    p->value = value;
    p->line = no;
    return;
bad:
    if (ps->nbad < (int)(sizeof(ps->bad_lines) / sizeof(ps->bad_lines[0])))
        ps->bad_lines[ps->nbad] = no;
    ps->nbad++;
}

void predict_parse(const char *text, struct predictions *ps)
{
    int no = 0;

    memset(ps, 0, sizeof(*ps));
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, "\n");
        char *line = strndup(p, len);
        if (line)
            take(ps, line, ++no);
        free(line);
        p += len + (p[len] == '\n');
    }
}

double predict_off(double predicted, double measured)
{
    double a = predicted > PREDICT_FLOOR ? predicted : PREDICT_FLOOR;
    double b = measured > PREDICT_FLOOR ? measured : PREDICT_FLOOR;

    return a > b ? a / b : b / a;
}

/* The speed item a prediction names, and whether it asks for CPU / wall. */
static const struct item *named(const struct report *r, const char *name, int *cpuwall)
{
    size_t len = strlen(name);

    *cpuwall = len > 8 && !strcmp(name + len - 8, ".cpuwall");
    for (size_t i = 0; i < r->n; i++) {
        const struct item *it = &r->items[i];
        if (it->kind == ITEM_SPEED && strlen(it->name) == len - (*cpuwall ? 8 : 0) &&
            !strncmp(it->name, name, len - (*cpuwall ? 8 : 0)))
            return it;
    }
    return NULL;
}

/* One prediction's row; 1 when it was off by more than PREDICT_FACTOR. */
static int row(const struct report *r, const struct prediction *p, FILE *f)
{
    int cpuwall;
    const struct item *it = named(r, p->name, &cpuwall);
    const char *unit = cpuwall ? "" : "x";
    double m;

    if (!it) {
        fprintf(f,
                "    %-24s %8.2f%-1s   not in this run (line %d: a partial run, or no such cell)\n",
                p->name, p->value, unit, p->line);
        return 0;
    }
    if (!it->fig.set) {
        fprintf(f, "    %-24s %8.2f%-1s   not measured (%s)\n", p->name, p->value, unit,
                verdict_name(it->verdict));
        return 0;
    }
    m = cpuwall ? it->fig.cpuwall : it->fig.med;
    double off = predict_off(p->value, m);
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "    %-24s %8.2f%-1s %8.2f%-1s", p->name, p->value, unit, m,
                     unit);
    if (off > PREDICT_FACTOR)
        snprintf(buf + n, sizeof(buf) - n, "   off by more than 2x (%.1fx %s)", off,
                 p->value > m ? "too high" : "too low");
    n = (int)strlen(buf);
    fprintf(f, "%.*s\n", n - (buf[n - 1] == ' '), buf); /* no blank unit at the end */
    return off > PREDICT_FACTOR;
}

int predict_print(const struct report *r, const char *dir, FILE *f)
{
    struct predictions *ps;
    char *text;
    int off = 0, cells = 0;

    for (size_t i = 0; i < r->n; i++)
        cells += r->items[i].kind == ITEM_SPEED;
    /* read as a student's file is: a regular file below dir reached through no link (a
     * link to a file of the kit would be quoted back; a FIFO would hold the grader) */
    if (!cells ||
        !(text = audit_read_fd(box_open_below(dir, PREDICT_FILE), -1, PREDICT_MAX_BYTES, NULL)))
        return -1;
    if (!(ps = malloc(sizeof(*ps)))) {
        free(text);
        return -1;
    }
    predict_parse(text, ps);
    free(text);
    fprintf(f, "\npredictions (%s, ungraded):\n", PREDICT_FILE);
    if (!ps->n)
        fprintf(f, "  none yet: fill in %s before you measure (%d lines wait for a number)\n",
                PREDICT_FILE, ps->blank);
    else
        fprintf(f, "    %-24s %9s %9s\n", "cell", "predicted", "measured");
    for (int i = 0; i < ps->n; i++)
        off += row(r, &ps->p[i], f);
    if (ps->nbad)
        fprintf(f, "  %d line%s of %s read as no `cell = number` (line %d first)\n", ps->nbad,
                ps->nbad > 1 ? "s" : "", PREDICT_FILE, ps->bad_lines[0]);
    if (off)
        fprintf(f, "  %d prediction%s off by more than 2x: write a sentence on why beside %s\n",
                off, off > 1 ? "s were" : " was", off > 1 ? "each" : "it");
    free(ps);
    return off;
}
