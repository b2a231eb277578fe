/* options.c: the grade program's command line, read into one struct. */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"

void opts_usage(FILE *f)
{
    fprintf(f, "usage: grade --root DIR --lab NAME (--src DIR | --batch DIR) [options]\n"
               "  --root DIR      the kit's top folder\n"
               "  --lab NAME      e.g. lab1-baselines\n"
               "  --src DIR       the folder with the student's files\n"
               "  --batch DIR     grade every submission folder in DIR (CSV gradebook too)\n"
               "  --build DIR     build folder (default ROOT/build/check/NAME)\n"
               "  --out FILE      results.json (default ROOT/build/results/NAME.json)\n"
               "  --junit FILE    also write JUnit XML\n"
               "  --svg FILE      also draw the speed cells as an SVG chart\n"
               "  --seed N        replay a run's inputs (default: random, printed)\n"
               "  --no-speed      correctness only\n"
               "  --speed A,B     time only these speed cells\n"
               "  --only A,B      grade only these items or suites (and the tests they need)\n"
               "  --repeat N      run the tests N times (seeds seed..seed+N-1), one build\n"
               "  --color WHEN    always, never or auto (default)\n"
               "       grade --root DIR --matrix [--src TREE] [--results DIR] [--measure]\n"
               "  --matrix        the note's table from labs 1-6's results.json (no --lab)\n"
               "  --src TREE      with --matrix: labs (default) or solutions, for staleness\n"
               "  --results DIR   where the labs' results are (default ROOT/build/results)\n"
               "  --measure       with --matrix: first grade missing, stale, inconclusive cells\n"
               "  --python CMD    with --matrix: CPython's column by CMD (default python3;\n"
               "                  none: no column)\n");
}

/* Runs chdir into their scratch folder: every path we hand out must be absolute. */
static const char *absolute(const char *path)
{
    static char cwd[1024];
    char *abs;

    if (!path || path[0] == '/')
        return path;
    if (!cwd[0] && !getcwd(cwd, sizeof(cwd)))
        return path;
    if (asprintf(&abs, "%s/%s", cwd, path) < 0)
        return path;
    return abs; /* lives as long as the program */
}

/* One option into o: OPTS_GRADE, or OPTS_HELP / OPTS_BAD (one we do not know). */
static int take(struct opts *o, int ch, const char *arg)
{
    switch (ch) {
    case 'r':
        o->root = arg;
        break;
    case 'l':
        o->lab = arg;
        break;
    case 's':
        o->src = arg;
        break;
    case 'B':
        o->batch = arg;
        break;
    case 'b':
        o->build = arg;
        break;
    case 'o':
        o->out = arg;
        break;
    case 'j':
        o->junit = arg;
        break;
    case 'g':
        o->svg = arg;
        break;
    case 'S':
        o->seed = strtoull(arg, NULL, 0);
        break;
    case 'n':
        o->no_speed = 1;
        break;
    case 'p':
        o->only_speed = arg;
        break;
    case 'O':
        o->only = arg;
        break;
    case 'R':
        o->repeat = atoi(arg);
        break;
    case 'c':
        o->color = !strcmp(arg, "always") ? 1 : !strcmp(arg, "never") ? 0 : -1;
        break;
    case 'M':
        o->matrix = 1;
        break;
    case 'e':
        o->measure = 1;
        break;
    case 'd':
        o->results = arg;
        break;
    case 'y':
        o->python = arg;
        break;
    case 'h':
        return OPTS_HELP;
    default:
        return OPTS_BAD;
    }
    return OPTS_GRADE;
}

static int read_line(int argc, char **argv, struct opts *o)
{
    static const struct option longs[] = {
        {"root", 1, 0, 'r'},   {"lab", 1, 0, 'l'},     {"src", 1, 0, 's'},
        {"batch", 1, 0, 'B'},  {"build", 1, 0, 'b'},   {"out", 1, 0, 'o'},
        {"junit", 1, 0, 'j'},  {"seed", 1, 0, 'S'},    {"no-speed", 0, 0, 'n'},
        {"speed", 1, 0, 'p'},  {"color", 1, 0, 'c'},   {"only", 1, 0, 'O'},
        {"repeat", 1, 0, 'R'}, {"svg", 1, 0, 'g'},     {"help", 0, 0, 'h'},
        {"matrix", 0, 0, 'M'}, {"measure", 0, 0, 'e'}, {"results", 1, 0, 'd'},
        {"python", 1, 0, 'y'}, {0, 0, 0, 0},
    };
    int ch, rc = OPTS_GRADE;

    optind = 0; /* glibc: start afresh, as a second call (a test's) needs */
    while (rc == OPTS_GRADE && (ch = getopt_long(argc, argv, "", longs, NULL)) != -1)
        rc = take(o, ch, optarg);
    if (rc == OPTS_GRADE && o->matrix)
        return o->root && !o->lab && !o->batch ? OPTS_GRADE : OPTS_BAD;
    if (rc == OPTS_GRADE && (o->measure || o->results || o->python))
        rc = OPTS_BAD; /* --matrix's alone */
    if (rc == OPTS_GRADE &&
        (!o->root || !o->lab || (!o->src == !o->batch) || (o->batch && (o->only || o->repeat))))
        rc = OPTS_BAD;
    return rc;
}

/* What the line leaves open: colour, seed, default paths; all paths absolute. */
static void settle(struct opts *o)
{
    if (o->color < 0)
        o->color = isatty(1) && !getenv("NO_COLOR");
    if (!o->seed) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        o->seed = ((uint64_t)t.tv_nsec ^ (uint64_t)getpid() << 20) % 1000000000 + 1;
    }
    snprintf(o->dflt_build, sizeof(o->dflt_build), "%s/build/check/%s", o->root, o->lab);
    snprintf(o->dflt_out, sizeof(o->dflt_out), "%s/build/results/%s.json", o->root,
             o->lab ? o->lab : "matrix");
    snprintf(o->dflt_results, sizeof(o->dflt_results), "%s/build/results", o->root);
    o->results = absolute(o->results ? o->results : o->dflt_results);
    o->build = absolute(o->build ? o->build : o->dflt_build);
    o->out = absolute(o->out ? o->out : o->dflt_out);
    o->root = absolute(o->root);
    o->src = absolute(o->src);
    o->batch = absolute(o->batch);
    o->junit = absolute(o->junit);
    o->svg = absolute(o->svg);
}

int opts_parse(int argc, char **argv, struct opts *o)
{
    int rc;

    *o = (struct opts){.color = -1};
    if ((rc = read_line(argc, argv, o)) != OPTS_GRADE) {
        opts_usage(rc == OPTS_HELP ? stdout : stderr);
        return rc;
    }
    settle(o);
    if (!realpath("/proc/self/exe", o->bindir)) {
        perror("grade: /proc/self/exe");
        return OPTS_BAD;
    }
    *strrchr(o->bindir, '/') = '\0';
    snprintf(o->kitchen_bin, sizeof(o->kitchen_bin), "%s/kitchen", o->bindir);
    return OPTS_GRADE;
}
