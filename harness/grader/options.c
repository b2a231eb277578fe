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
               "  -j, --parallel N  batch: tests of N submissions at once (default: the usable\n"
               "                  cores); speed cells are still timed one at a time, alone\n"
               "  --regrade       batch: re-time only the cells the last batch of DIR left\n"
               "                  inconclusive; update its results and gradebook in place\n"
               "  --build DIR     build folder (default ROOT/build/check/NAME)\n"
               "  --out FILE      results.json (default ROOT/build/results/NAME.json)\n"
               "  --junit FILE    also write JUnit XML\n"
               "  --svg FILE      also draw the speed cells as an SVG chart\n"
               "  --timelines DIR also draw who ran on which core when, DIR/<cell>.svg\n"
               "  --html FILE     also an HTML report (index.html beside it lists every page,\n"
               "                  so FILE is never named index.html)\n"
               "  --html-index DIR  only (re)write DIR/index.html from the pages there\n"
               "  --seed N        replay a run's inputs (default: random, printed)\n"
               "  --no-speed      correctness only\n"
               "  --speed A,B     time only these speed cells\n"
               "  --only A,B      grade only these items or suites (and the tests they need);\n"
               "                  with --batch, every submission on them alone\n"
               "  --only-for NAME=A,B  batch: submission NAME on these items alone, the rest\n"
               "                  as --only says (repeatable; the kit's hostile tests use it)\n"
               "  --repeat N      run the tests N times (seeds seed..seed+N-1), one build\n"
               "  --color WHEN    always, never or auto (default)\n"
               "  --run VERSION   time one version of --src on the spot instead of grading\n"
               "                  (\"list\": the lab's versions); with it:\n"
               "    --workload cpu|io|mixed  --jobs N (8)  --workers N (the usable cores)\n"
               "    --baseline NAME (ref)  --runs N (3)  --skew even|skewed\n"
               "  --debug S::T    build --src, start the kitchen, run test S::T under gdb\n"
               "  --coverage      build --src with gcov, run its tests (--only), show what\n"
               "                  ran with gcovr into --build (unsealed, as you: not graded)\n"
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
    case 'X':
        o->junit = arg;
        break;
    case 'j':
        o->jobs = atoi(arg) > 0 ? atoi(arg) : -1;
        break;
    case 'G':
        o->regrade = 1;
        break;
    case 'g':
        o->svg = arg;
        break;
    case 'T':
        o->timelines = arg;
        break;
    case 'H':
        o->html = arg;
        break;
    case 'I':
        o->html_index = arg;
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
    case 'F':
        if (o->n_only_for == OPTS_ONLY_FOR || arg[0] == '=' || !strchr(arg, '='))
            return OPTS_BAD;
        o->only_for[o->n_only_for++] = arg;
        break;
    case 'R':
        o->repeat = atoi(arg);
        break;
    case 'c':
        o->color = !strcmp(arg, "always") ? 1 : !strcmp(arg, "never") ? 0 : -1;
        break;
    case 'u':
        o->run_version = arg;
        break;
    case 'a':
        o->run_baseline = arg;
        break;
    case 'w':
        o->run_workload = arg;
        break;
    case 'k':
        o->run_skew = arg;
        break;
    case 'J':
        o->run_jobs = atoi(arg);
        break;
    case 'W':
        o->run_workers = atoi(arg);
        break;
    case 'N':
        o->run_runs = atoi(arg);
        break;
    case 'D':
        o->debug_test = arg;
        break;
    case 'C':
        o->coverage = 1;
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
        {"root", 1, 0, 'r'},
        {"lab", 1, 0, 'l'},
        {"src", 1, 0, 's'},
        {"batch", 1, 0, 'B'},
        {"build", 1, 0, 'b'},
        {"out", 1, 0, 'o'},
        {"junit", 1, 0, 'X'},
        {"seed", 1, 0, 'S'},
        {"no-speed", 0, 0, 'n'},
        {"speed", 1, 0, 'p'},
        {"color", 1, 0, 'c'},
        {"only", 1, 0, 'O'},
        {"repeat", 1, 0, 'R'},
        {"svg", 1, 0, 'g'},
        {"help", 0, 0, 'h'},
        {"run", 1, 0, 'u'},
        {"baseline", 1, 0, 'a'},
        {"workload", 1, 0, 'w'},
        {"skew", 1, 0, 'k'},
        {"jobs", 1, 0, 'J'},
        {"workers", 1, 0, 'W'},
        {"runs", 1, 0, 'N'},
        {"debug", 1, 0, 'D'},
        {"timelines", 1, 0, 'T'},
        {"parallel", 1, 0, 'j'},
        {"regrade", 0, 0, 'G'},
        {"html", 1, 0, 'H'},
        {"html-index", 1, 0, 'I'},
        {"coverage", 0, 0, 'C'},
        {"matrix", 0, 0, 'M'},
        {"measure", 0, 0, 'e'},
        {"results", 1, 0, 'd'},
        {"python", 1, 0, 'y'},
        {"only-for", 1, 0, 'F'},
        {0, 0, 0, 0},
    };
    int ch, rc = OPTS_GRADE;

    optind = 0; /* glibc: start afresh, as a second call (a test's) needs */
    while (rc == OPTS_GRADE && (ch = getopt_long(argc, argv, "j:", longs, NULL)) != -1)
        rc = take(o, ch, optarg);
    if (rc == OPTS_GRADE && o->matrix)
        return o->root && !o->lab && !o->batch ? OPTS_GRADE : OPTS_BAD;
    if (rc == OPTS_GRADE && (o->measure || o->results || o->python))
        rc = OPTS_BAD; /* --matrix's alone */
    /* the index written beside the page would overwrite a page named so (red team 11) */
    const char *page = o->html ? strrchr(o->html, '/') : NULL;
    if (rc == OPTS_GRADE && o->html && !strcmp(page ? page + 1 : o->html, "index.html"))
        rc = OPTS_BAD;
    if (rc == OPTS_GRADE && !o->html_index &&
        (!o->root || !o->lab || (!o->src == !o->batch) ||
         (o->batch && (o->repeat || o->run_version || o->debug_test || o->html || o->coverage)) ||
         ((o->regrade || !o->batch) && o->n_only_for) || (o->regrade && o->only) || o->jobs < 0 ||
         ((o->jobs || o->regrade) && !o->batch)))
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
    o->timelines = absolute(o->timelines);
    o->html = absolute(o->html);
}

int opts_parse(int argc, char **argv, struct opts *o)
{
    int rc;

    *o = (struct opts){.color = -1};
    if ((rc = read_line(argc, argv, o)) != OPTS_GRADE) {
        opts_usage(rc == OPTS_HELP ? stdout : stderr);
        return rc;
    }
    if (o->html_index) { /* no grading: nothing else on the line matters */
        o->html_index = absolute(o->html_index);
        return OPTS_GRADE;
    }
    settle(o);
    if (!realpath("/proc/self/exe", o->bindir)) {
        perror("grade: /proc/self/exe");
        return OPTS_BAD;
    }
    *strrchr(o->bindir, '/') = '\0';
    snprintf(o->kitchen_bin, sizeof(o->kitchen_bin), "%s/kitchen", o->bindir);
    const char *cache = getenv("GRADE_OBJ_CACHE"); /* 0: off; a folder: that one */
    if (cache && cache[0] == '/')
        snprintf(o->objcache, sizeof(o->objcache), "%s", cache);
    else if (!cache || strcmp(cache, "0") != 0)
        snprintf(o->objcache, sizeof(o->objcache), "%s/../cache/objs", o->bindir);
    return OPTS_GRADE;
}
