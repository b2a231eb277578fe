/* matrix_table.c: the note's table file, harness/labs/<lab>/matrix: its rows, columns and
 * the note's claim per cell, read and checked (matrix.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"
#include "sys.h"

#define TABLE_WORDS 8

/* One line of the table file into words: spaces split, "double quotes" group (also in
 * the middle of a word: holds="a b"). How many, or -1 when a quote is left open. */
static int words(char *line, char *w[TABLE_WORDS])
{
    int n = 0;
    char *p = line, *o;

    while (*p && n < TABLE_WORDS) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            break;
        w[n++] = o = p;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p != '"') {
                *o++ = *p++;
                continue;
            }
            for (p++; *p && *p != '"';)
                *o++ = *p++;
            if (!*p)
                return -1;
            p++;
        }
        if (*p)
            p++;
        *o = '\0';
    }
    return n;
}

/* holds="speedup>=0.8 eff<=1.2" */
static int parse_conds(char *text, struct mx_claim *c)
{
    char *save = NULL;

    for (char *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *op = strpbrk(w, "<>"), *end;
        struct mx_cond *k = &c->conds[c->nconds];
        if (c->nconds == MX_MAX_CONDS || !op || op[1] != '=')
            return -1;
        k->ge = *op == '>';
        *op = '\0';
        if (strcmp(w, "speedup") && strcmp(w, "eff"))
            return -1;
        k->eff = !strcmp(w, "eff");
        k->value = strtod(op + 2, &end);
        if (end == op + 2 || *end || k->value <= 0)
            return -1;
        c->nconds++;
    }
    return c->nconds ? 0 : -1;
}

static int find(const char (*names)[24], int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && !strncmp(names[i], name, len))
            return i;
    return -1;
}

const struct mx_claim *matrix_claim(const struct mx_table *t, const char *key, int *row, int *col)
{
    const char *slash = strchr(key, '/');
    char cols[MX_MAX_COLS][24];
    int r, c;

    for (int i = 0; i < t->ncols; i++)
        snprintf(cols[i], sizeof(cols[i]), "%s", t->col[i]);
    r = slash ? find(t->row, t->nrows, key, (size_t)(slash - key)) : -1;
    c = slash ? find((const char(*)[24])cols, t->ncols, slash + 1, strlen(slash + 1)) : -1;
    if (row)
        *row = r;
    if (col)
        *col = c;
    for (int i = 0; r >= 0 && c >= 0 && i < t->nclaims; i++)
        if (t->claims[i].row == r && t->claims[i].col == c)
            return &t->claims[i];
    return NULL;
}

/* One declaration: column, row or claim. 0, or what is wrong with it. */
static const char *declaration(struct mx_table *t, char **w, int n)
{
    if (!strcmp(w[0], "column") || !strcmp(w[0], "row")) {
        bool row = w[0][0] == 'r';
        int *count = row ? &t->nrows : &t->ncols;
        if (n != 3)
            return "needs a name and a title";
        if (*count == (row ? MX_MAX_ROWS : MX_MAX_COLS))
            return "too many (MX_MAX_ROWS, MX_MAX_COLS in matrix.h)";
        snprintf(row ? t->row[*count] : t->col[*count], row ? 24 : 16, "%s", w[1]);
        snprintf(row ? t->row_title[*count] : t->col_title[*count], 48, "%s", w[2]);
        (*count)++;
        return NULL;
    }
    if (strcmp(w[0], "claim"))
        return "not column, row or claim";
    if (n != 4 || strncmp(w[3], "holds=", 6))
        return "claim needs row/column, the note's words and holds=\"...\"";
    struct mx_claim *c = &t->claims[t->nclaims];
    memset(c, 0, sizeof(*c));
    if (matrix_claim(t, w[1], &c->row, &c->col))
        return "a second claim for one cell";
    if (c->row < 0 || c->col < 0)
        return "names no row/column declared above it";
    snprintf(c->words, sizeof(c->words), "%s", w[2]);
    if (parse_conds(w[3] + 6, c))
        return "holds= must be conditions such as \"speedup<=1.2 eff>=0.6\"";
    t->nclaims++;
    return NULL;
}

int matrix_table_parse(const char *text, const char *name, struct mx_table *t, char *err,
                       size_t errlen)
{
    char *copy = strdup(text), *line = copy, *w[TABLE_WORDS];
    int no = 0, rc = 0;

    memset(t, 0, sizeof(*t));
    if (!copy)
        return -ENOMEM;
    while (line && !rc) {
        char *nl = strchr(line, '\n');
        const char *bad = NULL;
        int n;
        if (nl)
            *nl = '\0';
        no++;
        n = words(line, w);
        if (n < 0)
            bad = "a quote left open";
        else if (n > 0)
            bad = declaration(t, w, n);
        if (bad) {
            snprintf(err, errlen, "%s:%d: %s", name, no, bad);
            rc = -EINVAL;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
    if (!rc && (!t->nrows || !t->ncols)) {
        snprintf(err, errlen, "%s: no rows or no columns", name);
        rc = -EINVAL;
    }
    return rc;
}

int matrix_lab_dir(const struct dirent *d)
{
    return !strncmp(d->d_name, "lab", 3) && strchr(d->d_name, '-');
}

/* The table is the file `matrix` of a lab's folder (the course's last lab: the one furthest
 * in the order of names that has one), so no lab's name is written here. */
int matrix_table_load(const char *root, struct mx_table *t, char *err, size_t errlen)
{
    char dir[1100], path[sizeof(dir) + 300];
    char *text = NULL;
    struct dirent **labs;
    int rc, n;

    snprintf(dir, sizeof(dir), "%s/harness/labs", root);
    if ((n = scandir(dir, &labs, matrix_lab_dir, alphasort)) < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -ENOENT;
    }
    for (int i = n - 1; i >= 0 && !text; i--) {
        snprintf(path, sizeof(path), "%s/%s/matrix", dir, labs[i]->d_name);
        text = sys_slurp(path, 1 << 20, NULL);
    }
    while (n > 0)
        free(labs[--n]);
    free(labs);
    if (!text) {
        snprintf(err, errlen, "%s/<lab>/matrix: no lab folder holds the table", dir);
        return -ENOENT;
    }
    rc = matrix_table_parse(text, path, t, err, errlen);
    free(text);
    return rc;
}
