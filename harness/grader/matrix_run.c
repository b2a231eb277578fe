/* matrix_run.c: grade --matrix: CPython's column, measuring what is missing, the files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "matrix.h"
#include "options.h"
#include "sys.h"

#define PYTHON_LIMIT_S 60 /* the script takes about 10 s; a stuck one is stopped */

void matrix_python_parse(struct matrix *m, const char *text)
{
    char *copy = strdup(text ? text : ""), *save = NULL;

    m->py.ran = false;
    for (char *line = strtok_r(copy, "\n", &save); copy && line;
         line = strtok_r(NULL, "\n", &save)) {
        char key[64];
        double med, lo, hi;
        int row, col;
        if (!strncmp(line, "python ", 7)) {
            snprintf(m->py.says, sizeof(m->py.says), "%s, measured now, on this machine", line + 7);
            m->py.ran = true;
        } else if (sscanf(line, "cell %63s %lf %lf %lf", key, &med, &lo, &hi) == 4 &&
                   (matrix_claim(&m->t, key, &row, &col), row >= 0 && col >= 0)) {
            m->py.cell[row][col].med = med;
            m->py.cell[row][col].lo = lo;
            m->py.cell[row][col].hi = hi;
            m->py.cell[row][col].set = true;
        }
    }
    if (!m->py.ran)
        snprintf(m->py.says, sizeof(m->py.says), "the script said nothing we could read");
    free(copy);
}

/* Everything the child writes on its stdout, for at most PYTHON_LIMIT_S; its status. */
static char *collect(pid_t pid, int fd, int *status)
{
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    double end = sys_now() + PYTHON_LIMIT_S;

    while (out) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)((end - sys_now()) * 1000);
        ssize_t n;
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            kill(pid, SIGKILL); /* our own child, stuck */
            break;
        }
        if ((n = read(fd, out + len, cap - len - 1)) <= 0)
            break;
        len += (size_t)n;
        if (len + 1 == cap) {
            char *more = realloc(out, cap *= 2);
            if (!more)
                break;
            out = more;
        }
    }
    close(fd);
    waitpid(pid, status, 0);
    if (out)
        out[len] = '\0';
    return out;
}

void matrix_python(struct matrix *m, const char *root, const char *python)
{
    char script[1100], *out;
    int fds[2], status = 0;
    pid_t pid;

    memset(&m->py, 0, sizeof(m->py));
    if (python && !strcmp(python, "none")) {
        snprintf(m->py.says, sizeof(m->py.says), "not measured (--python none)");
        return;
    }
    snprintf(script, sizeof(script), "%s/harness/drivers/cpython_table.py", root);
    if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
        snprintf(m->py.says, sizeof(m->py.says), "could not be run: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        execlp(python ? python : "python3", python ? python : "python3", script, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    out = collect(pid, fds[0], &status);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        snprintf(m->py.says, sizeof(m->py.says), "no %s on this machine: no CPython column",
                 python ? python : "python3");
    else
        matrix_python_parse(m, out);
    free(out);
}

static bool needs_measuring(const struct mx_cell *c)
{
    return c->state >= MX_NO_RESULTS && c->state <= MX_INCONCLUSIVE;
}

/* Grade one lab's cells named in `only` (--only), into its results.json. */
static void measure_lab(const struct opts *o, const char *tree, const char *lab, const char *only)
{
    char grade[1100], src[2400], out[1100];
    pid_t pid;

    snprintf(grade, sizeof(grade), "%s/grade", o->bindir);
    snprintf(src, sizeof(src), "%s/%s/%s", o->root, tree, lab);
    snprintf(out, sizeof(out), "%.1000s/%.*s.json", o->results, (int)strcspn(lab, "-"), lab);
    printf("measuring %s: %s\n", lab, only);
    fflush(stdout);
    if ((pid = fork()) == 0) {
        execl(grade, grade, "--root", o->root, "--lab", lab, "--src", src, "--only", only, "--out",
              out, "--color", o->color ? "always" : "never", (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

/* Grade the speed cells (--only) of each lab whose figures are missing, stale or
 * inconclusive: one partial run per lab, into its results.json (as make check ONLY=). */
static void measure_missing(const struct matrix *m, const struct opts *o)
{
    char labs[MX_MAX_CLAIMS][32], only[MX_MAX_CLAIMS][512];
    int n = 0;

    for (int r = 0; r < m->t.nrows; r++)
        for (int c = 0; c < m->t.ncols; c++) {
            const struct mx_cell *cell = &m->cell[r][c];
            int i = 0;
            if (!needs_measuring(cell))
                continue;
            while (i < n && strcmp(labs[i], cell->lab))
                i++;
            if (i == n) {
                snprintf(labs[n], sizeof(labs[n]), "%s", cell->lab);
                only[n++][0] = '\0';
            }
            snprintf(only[i] + strlen(only[i]), sizeof(only[i]) - strlen(only[i]), "%s%s",
                     only[i][0] ? "," : "", cell->item);
        }
    for (int i = 0; i < n; i++)
        measure_lab(o, m->tree, labs[i], only[i]);
}

/* Write through a temporary file beside path, then rename it over path. */
static int write_atomic(const char *path, void (*draw)(const struct matrix *, FILE *),
                        const struct matrix *m)
{
    char tmp[1200];
    FILE *f;
    int rc;

    snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
    if (!(f = fopen(tmp, "w")))
        return -errno;
    draw(m, f);
    rc = ferror(f) ? -EIO : 0;
    if (fclose(f) && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

/* A path below root as relative to it ("build/results/matrix.md"). */
static const char *shown(const char *path, const char *root)
{
    size_t len = strlen(root);

    if (strncmp(path, root, len) || path[len] != '/')
        return path;
    for (path += len + 1; !strncmp(path, "./", 2);)
        path += 2;
    return path;
}

int matrix_run(const struct opts *o)
{
    struct matrix *m = malloc(sizeof(*m));
    char err[1400], md[1100], svg[1100], tree[160];
    const char *t = o->src ? o->src : "labs";
    int rc = 2;

    snprintf(tree, sizeof(tree), "%s", strrchr(t, '/') ? strrchr(t, '/') + 1 : t);
    if (!m)
        return 2;
    if (matrix_build(m, o->root, tree, o->results, err, sizeof(err)) < 0) {
        fprintf(stderr, "grade --matrix: %s\n", err);
        goto out;
    }
    if (o->measure && (m->todo[0] || m->rerun[0])) {
        measure_missing(m, o);
        if (matrix_build(m, o->root, tree, o->results, err, sizeof(err)) < 0)
            goto out;
    }
    matrix_python(m, o->root, o->python);
    matrix_print(m, stdout, o->color);
    snprintf(md, sizeof(md), "%s/matrix.md", o->results);
    snprintf(svg, sizeof(svg), "%s/matrix.svg", o->results);
    if (write_atomic(md, matrix_markdown, m) < 0 || write_atomic(svg, matrix_svg, m) < 0)
        fprintf(stderr, "grade --matrix: could not write %s or %s\n", md, svg);
    printf("matrix: %s, %s\n", shown(md, o->root), shown(svg, o->root));
    rc = m->todo[0] ? 1 : 0;
out:
    free(m);
    return rc;
}
