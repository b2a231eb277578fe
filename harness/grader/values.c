/* values.c: a test's observed values against the reference's (values.h). The runs
 * themselves are correct.c's: it runs the reference's test when a student's passed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "box.h"

#include "values.h"

bool values_wanted(const struct spec *s)
{
    for (int i = 0; i < s->ntests; i++)
        if (s->tests[i].values)
            return true;
    return false;
}

/* Whether two paths name the same folder (the same device and inode). */
static bool same_folder(const char *a, const char *b)
{
    struct stat sa, sb;

    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

void values_prepare(struct values *v, const struct build_conf *bc, const struct spec *s)
{
    struct stat st;

    memset(v, 0, sizeof(*v));
    const char *off = getenv("GRADE_VALUES");
    if (off && !strcmp(off, "off")) { /* the kit's own checks of its mutants: values.h */
        snprintf(v->why, sizeof(v->why),
                 "not compared with the reference's (GRADE_VALUES=off): the tests marked "
                 "values=reference were judged by their own assertions alone");
        return;
    }
    snprintf(v->src, sizeof(v->src), "%s/solutions/%s", bc->root, bc->lab);
    if (stat(v->src, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(v->why, sizeof(v->why),
                 "no reference solution here (solutions/%s): the tests marked values=reference "
                 "were judged by their own assertions alone, inside the process that ran your "
                 "code; an instructor's grading compares their values with the reference's",
                 bc->lab);
        return;
    }
    if (same_folder(bc->src, v->src)) { /* make check SOLUTION=1, the kit's own checks */
        snprintf(v->why, sizeof(v->why),
                 "the graded folder is the reference itself (solutions/%s): the tests marked "
                 "values=reference were judged by their own assertions alone, a second run "
                 "of the same code compared with itself would show nothing",
                 bc->lab);
        return;
    }
    v->bc = *bc;
    snprintf(v->dir, sizeof(v->dir), "%s/reference", bc->dir);
    snprintf(v->skeleton, sizeof(v->skeleton), "%s", bc->skeleton ? bc->skeleton : "");
    snprintf(v->libharness, sizeof(v->libharness), "%s", bc->libharness ? bc->libharness : "");
    v->bc.src = v->src;
    v->bc.top = NULL; /* the kit's layout: a borrowed file beside it (solutions/lab4-gil/gil.c) */
    v->bc.dir = v->dir;
    v->bc.skeleton = v->skeleton;
    v->bc.libharness = v->libharness;
    v->bc.no_bench = true;
    v->bc.no_races = true;
    v->spec = s;
    v->have_ref = true;
}

/* The reference is the instructor's: no run may read it, even where namespaces cannot be
 * had (a run then sees /tmp, and the jail user may read the box). Its sources and the
 * objects made of them go once it is linked; its runner (which Criterion must read to run)
 * goes with the box after the reference's runs (values_unbuild), before any student code
 * runs again. */
static int keep_from_runs(const struct build_out *b)
{
    char path[1100];
    int rc;

    snprintf(path, sizeof(path), "%s/src", b->box);
    if ((rc = box_remove(path)) < 0)
        return rc;
    snprintf(path, sizeof(path), "%s/out/obj", b->box);
    return box_remove(path);
}

/* The reference could not be had: no values compared, each marked test ERR! saying why, and
 * what was made of it removed at once (its box may hold the solution's sources). */
static void ref_failed(struct values *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ref_failed(struct values *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(v->why, sizeof(v->why), fmt, ap);
    va_end(ap);
    v->have_ref = false;
    v->ref_error = true;
    values_unbuild(v);
}

int values_build(struct values *v)
{
    char why[600];
    bool ok;

    if (v->built || !v->have_ref)
        return 0;
    v->built = true;
    build_free(&v->ref); /* an earlier seed's logs */
    int rc = build_lab(&v->bc, v->spec, &v->ref, why, sizeof(why));
    if (rc < 0) {
        ref_failed(v, "the reference solution could not be built: %s", why);
        return rc;
    }
    ok = v->ref.tests_ok;
    for (int i = 0; i < v->spec->nfiles; i++)
        ok = ok && v->ref.file_ok[i];
    if (!ok) {
        ref_failed(v,
                   "the reference solution (solutions/%s) did not build, so this test's values "
                   "could not be compared with its (see %s)",
                   v->bc.lab, v->ref.logs);
        return 0;
    }
    if ((rc = keep_from_runs(&v->ref)) < 0) {
        ref_failed(v, "the reference's build could not be kept from the runs (%s)", strerror(-rc));
        return rc;
    }
    return 0;
}

int values_slot(struct values *v, const char *name)
{
    for (int k = 0; k < v->nslots; k++)
        if (!strcmp(v->ref_name[k], name))
            return k;
    if (v->nslots >= SPEC_MAX_TESTS)
        return -1;
    snprintf(v->ref_name[v->nslots], sizeof(v->ref_name[0]), "%s", name);
    return v->nslots++;
}

char *values_parse(const char *text)
{
    size_t cap = 1, n = 0;
    char *out;

    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        cap += strcspn(l, "\n") + 1;
    if (!(out = malloc(cap)))
        return NULL;
    out[0] = '\0';
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t len = strcspn(l, "\n"), words = 0, w[5] = {0}, e[5] = {0};

        if (strncmp(l, "obs ", 4))
            continue;
        /* "obs <label> <value> <pid> <tag>": keep the label and the value */
        for (size_t k = 0; k < len && words < 5;) {
            while (k < len && l[k] == ' ')
                k++;
            w[words] = k;
            while (k < len && l[k] != ' ')
                k++;
            e[words++] = k;
        }
        if (words != 5)
            continue;
        n += (size_t)snprintf(out + n, cap - n, "%.*s %.*s\n", (int)(e[1] - w[1]), l + w[1],
                              (int)(e[2] - w[2]), l + w[2]);
    }
    return out;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;

    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* A "label value" line as "label = 0xvalue"; none: the test stopped before it. */
static const char *shown(const char *line, char *buf, size_t len)
{
    size_t n = strcspn(line, "\n"), sp;

    if (!n)
        return "(none: the test stopped before it)";
    for (sp = n; sp > 0 && line[sp - 1] != ' '; sp--)
        ;
    if (!sp)
        snprintf(buf, len, "%.*s", (int)n, line);
    else
        snprintf(buf, len, "%.*s = 0x%.*s", (int)(sp - 1), line, (int)(n - sp), line + sp);
    return buf;
}

enum verdict values_compare(const char *got, const char *want, struct item *it)
{
    size_t ngot = count_lines(got), nwant = count_lines(want), k = 0;
    const char *g = got ? got : "", *w = want ? want : "";

    if (!strcmp(g, w))
        return V_PASS;
    if (ngot == 0) {
        item_printf(it,
                    "the test reported none of the %zu values it observes: its values are "
                    "judged outside the process that runs your code, against the reference "
                    "solution's on the same seed, and a run that passes without them fails "
                    "(did the code end the test early?)\n",
                    nwant);
        return V_FAIL;
    }
    while (*g && *w) { /* the first line that differs */
        size_t lg = strcspn(g, "\n"), lw = strcspn(w, "\n");

        if (lg != lw || memcmp(g, w, lg))
            break;
        g += lg + (g[lg] == '\n');
        w += lw + (w[lw] == '\n');
        k++;
    }
    char yours[200], theirs[200];
    item_printf(it,
                "value %zu of the %zu the test observes differs from the reference solution's "
                "(the same test, the same seed, judged outside your code's process):\n"
                "  yours:          %s\n  the reference: %s\n",
                k + 1, nwant, shown(g, yours, sizeof(yours)), shown(w, theirs, sizeof(theirs)));
    if (ngot != nwant)
        item_printf(it, "(the test reported %zu values, the reference's %zu)\n", ngot, nwant);
    return V_FAIL;
}

void values_unbuild(struct values *v)
{
    box_remove(v->ref.box);
    v->ref.box[0] = '\0';
    v->built = false;
}

void values_free(struct values *v)
{
    free(v->last);
    for (int i = 0; i < SPEC_MAX_TESTS; i++)
        free(v->ref_values[i]);
    build_free(&v->ref);
    memset(v, 0, sizeof(*v));
}
