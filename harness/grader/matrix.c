/* matrix.c: the note's table from the student's own speed cells of labs 1-6 (grade --matrix):
 * each cell's verdict against its claim, staleness, what to run (the table file itself:
 * matrix_table.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "matrix.h"
#include "report.h"
#include "spec.h"
#include "sys.h"

enum mx_state matrix_verdict(const struct mx_claim *c, const struct mx_fig *f)
{
    bool all = true, parallel = false;

    if (!strcmp(f->verdict, "inconclusive"))
        return MX_INCONCLUSIVE; /* the machine was too busy: measured or not, rerun */
    if (!f->set)
        return MX_NOT_MEASURED;
    if (f->clean < 3)
        return MX_INCONCLUSIVE;
    for (int i = 0; i < c->nconds; i++) {
        const struct mx_cond *k = &c->conds[i];
        double v = k->eff ? (f->ideal > 0 ? f->med / f->ideal : 0) : f->med;
        all &= k->ge ? v >= k->value : v <= k->value;
        parallel |= k->eff && k->ge;
    }
    if (parallel && f->ideal < 1.2)
        return MX_UNTESTABLE; /* "faster" where the ideal is 1x: one usable core */
    return all ? MX_HOLDS : MX_FAILS;
}

const char *matrix_state_name(enum mx_state s)
{
    static const char *names[] = {
        [MX_NO_CELL] = "no cell",
        [MX_NO_RESULTS] = "not run",
        [MX_NOT_MEASURED] = "not measured",
        [MX_STALE] = "stale",
        [MX_INCONCLUSIVE] = "inconclusive",
        [MX_UNTESTABLE] = "cannot show on 1 core",
        [MX_HOLDS] = "holds",
        [MX_FAILS] = "does not hold",
    };
    return s <= MX_FAILS ? names[s] : "?";
}

/* The last two parts of a path ("solutions/lab1-baselines"), to compare folders named
 * from different places. */
static const char *tail2(const char *path)
{
    const char *end = path + strlen(path), *p = end;
    int slashes = 0;

    while (p > path && (p[-1] != '/' || ++slashes < 2))
        p--;
    return p;
}

bool matrix_stale(const struct mx_fig *f, time_t newest, const char *want, char *why, size_t len)
{
    char at[32];

    if (want && f->source[0] && strcmp(tail2(f->source), tail2(want))) {
        snprintf(why, len, "measured on %s, not %s", f->source, want);
        return true;
    }
    if (f->when && newest > f->when) {
        strftime(at, sizeof(at), "%Y-%m-%d %H:%M", gmtime(&newest));
        snprintf(why, len, "measured before your sources last changed (%s UTC)", at);
        return true;
    }
    return false;
}

/* The newest change to the lab's student files (borrowed ones too) under ROOT/tree. */
static time_t newest_source(const char *root, const char *tree, const char *lab,
                            const struct spec *s)
{
    time_t newest = 0;

    for (int i = 0; i < s->nfiles; i++) {
        char path[1400];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s/%s/%s", root, tree,
                 s->file_lab[i][0] ? s->file_lab[i] : lab, s->files[i]);
        if (!stat(path, &st) && st.st_mtime > newest)
            newest = st.st_mtime;
    }
    return newest;
}

/* The lab's matrix= keys into m's cells; -EINVAL for a key the table does not have. */
static int place(struct matrix *m, const char *lab, const struct spec *s, char *err, size_t errlen)
{
    for (int i = 0; i < s->nspeeds; i++) {
        const struct spec_speed *c = &s->speeds[i];
        int row, col;
        if (!c->matrix[0])
            continue;
        const struct mx_claim *cl = matrix_claim(&m->t, c->matrix, &row, &col);
        struct mx_cell *cell = row >= 0 && col >= 0 ? &m->cell[row][col] : NULL;
        if (!cl || cell->lab[0]) {
            snprintf(err, errlen, "%s spec: speed %s: matrix=%s %s", lab, c->name, c->matrix,
                     !cell ? "names no row/column of the matrix table"
                     : !cl ? "has no claim in the matrix table"
                           : "is filled by another cell already");
            if (cell && cell->lab[0])
                snprintf(err + strlen(err), errlen - strlen(err), " (%s %s)", cell->lab,
                         cell->item);
            return -EINVAL;
        }
        snprintf(cell->lab, sizeof(cell->lab), "%.31s", lab);
        snprintf(cell->item, sizeof(cell->item), "%s", c->name);
        cell->state = MX_NO_RESULTS;
    }
    return 0;
}

/* Judge the cells of one lab from its results.json. */
static void judge_lab(struct matrix *m, const char *root, const char *results, const char *lab,
                      const struct spec *s)
{
    struct mx_fig figs[MX_MAX_FIGS];
    char path[1100], err[256], want[400];
    const char *shown;
    char *text;
    int n = -1;
    time_t newest = newest_source(root, m->tree, lab, s);

    snprintf(path, sizeof(path), "%s/%.*s.json", results, (int)strcspn(lab, "-"), lab);
    shown = !strncmp(path, root, strlen(root)) && path[strlen(root)] == '/'
                ? path + strlen(root) + 1
                : path;
    while (!strncmp(shown, "./", 2))
        shown += 2;
    snprintf(want, sizeof(want), "%s/%s", m->tree, lab);
    if ((text = sys_slurp(path, 16 << 20, NULL)))
        n = matrix_read_results(text, figs, MX_MAX_FIGS, err, sizeof(err));
    free(text);
    for (int r = 0; r < m->t.nrows; r++)
        for (int c = 0; c < m->t.ncols; c++) {
            struct mx_cell *cell = &m->cell[r][c];
            if (strcmp(cell->lab, lab))
                continue;
            snprintf(cell->why, sizeof(cell->why), "%.160s: %s", shown,
                     n < 0 ? "missing or unreadable" : "the cell is not in it");
            for (int i = 0; i < n; i++)
                if (!strcmp(figs[i].name, cell->item)) {
                    cell->fig = figs[i];
                    cell->why[0] = '\0';
                    cell->state = matrix_verdict(cell->claim, &figs[i]);
                    if (matrix_stale(&figs[i], newest, want, cell->why, sizeof(cell->why)))
                        cell->state = MX_STALE;
                }
        }
}

/* "make check LAB=2; make check LAB=4" for the labs whose cells are missing or stale,
 * in the labs' order. */
static void advise(struct matrix *m)
{
    bool lab[100] = {false};
    size_t used = 0;

    m->todo[0] = '\0';
    for (int r = 0; r < m->t.nrows; r++)
        for (int c = 0; c < m->t.ncols; c++) {
            const struct mx_cell *cell = &m->cell[r][c];
            int n = atoi(cell->lab + 3); /* "lab6-choosing" */
            if (cell->state >= MX_NO_RESULTS && cell->state <= MX_STALE && n > 0 && n < 100)
                lab[n] = true;
        }
    for (int n = 1; n < 100 && used < sizeof(m->todo); n++)
        if (lab[n])
            used +=
                snprintf(m->todo + used, sizeof(m->todo) - used, "%smake check LAB=%d%s",
                         used ? "; " : "", n, !strcmp(m->tree, "solutions") ? " SOLUTION=1" : "");
    used = 0;
    m->rerun[0] = '\0';
    for (int r = 0; r < m->t.nrows; r++)
        for (int c = 0; c < m->t.ncols && used < sizeof(m->rerun); c++)
            if (m->cell[r][c].state == MX_INCONCLUSIVE)
                used += snprintf(m->rerun + used, sizeof(m->rerun) - used, "%s%s", used ? ", " : "",
                                 m->cell[r][c].item);
}

int matrix_build(struct matrix *m, const char *root, const char *tree, const char *results,
                 char *err, size_t errlen)
{
    struct dirent **labs;
    struct spec *s = malloc(sizeof(*s));
    char path[1100];
    int n, rc = 0;

    memset(m, 0, sizeof(*m));
    snprintf(m->tree, sizeof(m->tree), "%s", tree);
    snprintf(path, sizeof(path), "%s/harness/labs", root);
    if (!s || (rc = matrix_table_load(root, &m->t, err, errlen)) < 0)
        goto out;
    for (int i = 0; i < m->t.nclaims; i++)
        m->cell[m->t.claims[i].row][m->t.claims[i].col].claim = &m->t.claims[i];
    if ((n = scandir(path, &labs, matrix_lab_dir, alphasort)) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -ENOENT;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/harness/labs/%s/spec", root, labs[i]->d_name);
        if (!rc && !(rc = spec_load(path, s, err, errlen)) &&
            !(rc = place(m, labs[i]->d_name, s, err, errlen)))
            judge_lab(m, root, results, labs[i]->d_name, s);
        free(labs[i]);
    }
    free(labs);
    advise(m);
out:
    free(s);
    return rc < 0 ? rc : 0;
}
