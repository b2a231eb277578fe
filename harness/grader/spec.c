/* spec.c: parse a lab's grading spec (format in spec.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

#define MAX_TOKENS 32
#define MAX_TOKEN 512

struct line {
    const char *name; /* the spec's name, for messages */
    int no;
    char tok[MAX_TOKENS][MAX_TOKEN];
    int ntok;
    char *err;
    size_t errlen;
};

static int fail(struct line *l, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(l->err, l->errlen, "%s:%d: ", l->name, l->no);

    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < l->errlen)
        vsnprintf(l->err + n, l->errlen - n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* Split one line into words; "quoted words" keep their spaces, \" and \\ escape. */
static int tokenize(struct line *l, const char *s)
{
    l->ntok = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#' || *s == '\n')
            return 0;
        if (l->ntok == MAX_TOKENS)
            return fail(l, "too many words");
        char *t = l->tok[l->ntok++];
        size_t n = 0;
        int quoted = 0;
        while (*s && *s != '\n' && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '"') {
                quoted = !quoted;
                s++;
                continue;
            }
            if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            if (n + 1 >= MAX_TOKEN)
                return fail(l, "a word is longer than %d characters", MAX_TOKEN - 1);
            t[n++] = *s++;
        }
        t[n] = '\0';
        if (quoted)
            return fail(l, "unterminated quote");
    }
}

static int copy(struct line *l, char *dst, size_t len, const char *src, const char *what)
{
    if (strlen(src) >= len)
        return fail(l, "%s '%s' is too long (at most %zu characters)", what, src, len - 1);
    strcpy(dst, src);
    return 0;
}

static int number(struct line *l, const char *s, double lo, double hi, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    if (errno || end == s || *end || *out < lo || *out > hi)
        return fail(l, "'%s' is not a number from %g to %g", s, lo, hi);
    return 0;
}

static int parse_conds(struct line *l, struct spec_speed *c, const char *text)
{
    char buf[MAX_TOKEN], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", text);
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        struct cond *k = &c->conds[c->nconds];
        char *op = strpbrk(w, "<>");
        if (c->nconds == SPEC_MAX_CONDS)
            return fail(l, "at most %d conditions", SPEC_MAX_CONDS);
        if (!op || op[1] != '=')
            return fail(l, "condition '%s' needs >= or <=", w);
        k->op = *op == '>' ? CMP_GE : CMP_LE;
        *op = '\0';
        if (!strcmp(w, "speedup"))
            k->metric = M_SPEEDUP;
        else if (!strcmp(w, "eff"))
            k->metric = M_EFF;
        else if (!strcmp(w, "cpuwall"))
            k->metric = M_CPUWALL;
        else if (!strcmp(w, "x"))
            k->metric = M_X;
        else
            return fail(l, "unknown metric '%s' (speedup, eff, cpuwall or x)", w);
        if (number(l, op + 2, 0, 1e6, &k->value))
            return -EINVAL;
        c->nconds++;
    }
    return c->nconds ? 0 : fail(l, "check= names no condition");
}

static int parse_requires(struct line *l, char (*req)[96], int *n, const char *text)
{
    char buf[MAX_TOKEN], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", text);
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (*n == SPEC_MAX_REQ)
            return fail(l, "at most %d requires", SPEC_MAX_REQ);
        if (copy(l, req[(*n)++], sizeof(req[0]), w, "test name"))
            return -EINVAL;
    }
    return 0;
}

static int speed_key(struct line *l, struct spec_speed *c, const char *key, const char *val)
{
    double v;

    if (!strcmp(key, "workload")) {
        if (strcmp(val, "cpu") && strcmp(val, "io"))
            return fail(l, "workload must be cpu or io");
        return copy(l, c->workload, sizeof(c->workload), val, "workload");
    }
    if (!strcmp(key, "version"))
        return copy(l, c->version, sizeof(c->version), val, "version");
    if (!strcmp(key, "baseline"))
        return copy(l, c->baseline, sizeof(c->baseline), val, "baseline");
    if (!strcmp(key, "ideal")) {
        if (spec_ideal(val, 1, 1, 1) < 0)
            return fail(l, "ideal '%s' is not an expression over W, P, N", val);
        return copy(l, c->ideal, sizeof(c->ideal), val, "ideal");
    }
    if (!strcmp(key, "skew")) {
        if (strcmp(val, "even") && strcmp(val, "skewed"))
            return fail(l, "skew must be even or skewed");
        return copy(l, c->skew, sizeof(c->skew), val, "skew");
    }
    if (!strcmp(key, "check"))
        return parse_conds(l, c, val);
    if (!strcmp(key, "requires"))
        return parse_requires(l, c->requires, &c->nrequires, val);
    if (!strcmp(key, "hint"))
        return copy(l, c->hint, sizeof(c->hint), val, "hint");
    if (!strcmp(key, "xname"))
        return copy(l, c->xname, sizeof(c->xname), val, "xname");
    if (!strcmp(key, "cores")) {
        if (strcmp(val, "all"))
            return fail(l, "cores takes only 'all'");
        c->all_cores = 1;
        return 0;
    }
    if (!strcmp(key, "workers") && !strcmp(val, "P")) {
        c->workers = 0;
        return 0;
    }
    if (!strcmp(key, "jobs") || !strcmp(key, "workers") || !strcmp(key, "latency") ||
        !strcmp(key, "baseline_jobs")) {
        if (number(l, val, !strcmp(key, "latency") ? 0 : 1, 100000, &v))
            return -EINVAL;
        if (!strcmp(key, "jobs"))
            c->jobs = (int)v;
        else if (!strcmp(key, "baseline_jobs"))
            c->baseline_jobs = (int)v;
        else if (!strcmp(key, "workers"))
            c->workers = (int)v;
        else
            c->latency_ms = (int)v;
        return 0;
    }
    return fail(l, "unknown key '%s'", key);
}

static int parse_speed(struct line *l, struct spec *s)
{
    struct spec_speed c = {.jobs = 4, .workers = 1, .latency_ms = 50};
    double pts;

    if (l->ntok < 3)
        return fail(l, "speed needs a name, points and key=value settings");
    if (copy(l, c.name, sizeof(c.name), l->tok[1], "name") ||
        number(l, l->tok[2], 0, 1000, &pts))
        return -EINVAL;
    c.points = pts;
    strcpy(c.ideal, "1");
    strcpy(c.skew, "even");
    for (int i = 3; i < l->ntok; i++) {
        char *eq = strchr(l->tok[i], '=');
        if (!eq)
            return fail(l, "'%s' is not key=value", l->tok[i]);
        *eq = '\0';
        if (speed_key(l, &c, l->tok[i], eq + 1))
            return -EINVAL;
    }
    if (!c.workload[0] || !c.version[0] || !c.baseline[0] || !c.nconds)
        return fail(l, "speed %s needs workload=, version=, baseline= and check=", c.name);
    if (!c.baseline_jobs)
        c.baseline_jobs = c.jobs;
    struct spec_speed *grown = realloc(s->speeds, (s->nspeeds + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    s->speeds = grown;
    s->speeds[s->nspeeds++] = c;
    return 0;
}

static int parse_race(struct line *l, struct spec *s)
{
    struct spec_race c = {0};
    double pts;

    if (l->ntok < 3)
        return fail(l, "race needs a name, points and driver=");
    if (copy(l, c.name, sizeof(c.name), l->tok[1], "name") ||
        number(l, l->tok[2], 0, 1000, &pts))
        return -EINVAL;
    c.points = pts;
    for (int i = 3; i < l->ntok; i++) {
        char *eq = strchr(l->tok[i], '='), *key = l->tok[i];
        int rc;
        if (!eq)
            return fail(l, "'%s' is not key=value", key);
        *eq = '\0';
        if (!strcmp(key, "driver"))
            rc = copy(l, c.driver, sizeof(c.driver), eq + 1, "driver");
        else if (!strcmp(key, "requires"))
            rc = parse_requires(l, c.requires, &c.nrequires, eq + 1);
        else if (!strcmp(key, "hint"))
            rc = copy(l, c.hint, sizeof(c.hint), eq + 1, "hint");
        else
            rc = fail(l, "unknown key '%s'", key);
        if (rc)
            return rc;
    }
    if (!c.driver[0])
        return fail(l, "race %s needs driver=", c.name);
    struct spec_race *grown = realloc(s->races, (s->nraces + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    s->races = grown;
    s->races[s->nraces++] = c;
    return 0;
}

static int parse_test(struct line *l, struct spec *s)
{
    struct spec_test t = {0};
    double pts;

    if (l->ntok < 3)
        return fail(l, "test needs a suite::name and points");
    if (!strstr(l->tok[1], "::"))
        return fail(l, "test name '%s' is not suite::name", l->tok[1]);
    if (copy(l, t.name, sizeof(t.name), l->tok[1], "name") ||
        number(l, l->tok[2], 0, 1000, &pts))
        return -EINVAL;
    t.points = pts;
    for (int i = 3; i < l->ntok; i++) {
        char *eq = strchr(l->tok[i], '='), *key = l->tok[i];
        int rc;
        if (!eq)
            return fail(l, "'%s' is not key=value", key);
        *eq = '\0';
        if (!strcmp(key, "fn"))
            rc = copy(l, t.fn, sizeof(t.fn), eq + 1, "fn");
        else if (!strcmp(key, "file"))
            rc = copy(l, t.file, sizeof(t.file), eq + 1, "file");
        else if (!strcmp(key, "hint"))
            rc = copy(l, t.hint, sizeof(t.hint), eq + 1, "hint");
        else
            rc = fail(l, "unknown key '%s'", key);
        if (rc)
            return rc;
    }
    for (int i = 0; i < s->ntests; i++)
        if (!strcmp(s->tests[i].name, t.name))
            return fail(l, "test %s declared twice", t.name);
    struct spec_test *grown = realloc(s->tests, (s->ntests + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    s->tests = grown;
    s->tests[s->ntests++] = t;
    return 0;
}

/* api and allow: C identifiers, kept in s->names, listed NULL-ended in `list`. */
static int parse_names(struct line *l, struct spec *s, const char **list, int *n)
{
    for (int i = 1; i < l->ntok; i++) {
        const char *t = l->tok[i];
        if (*n == SPEC_MAX_NAMES || s->nnames == 2 * SPEC_MAX_NAMES)
            return fail(l, "at most %d names in %s", SPEC_MAX_NAMES, l->tok[0]);
        if (!t[0] || strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_") != strlen(t))
            return fail(l, "'%s' is not a C name", t);
        if (copy(l, s->names[s->nnames], sizeof(s->names[0]), t, "name"))
            return -EINVAL;
        list[(*n)++] = s->names[s->nnames++];
    }
    return 0;
}

static int parse_line(struct line *l, struct spec *s)
{
    const char *kw = l->tok[0];

    if (!strcmp(kw, "lab")) {
        if (l->ntok != 2)
            return fail(l, "lab takes one quoted title");
        return copy(l, s->title, sizeof(s->title), l->tok[1], "title");
    }
    if (!strcmp(kw, "student") || !strcmp(kw, "support")) {
        bool student = kw[1] == 't';
        char (*files)[64] = student ? s->files : s->support;
        int *n = student ? &s->nfiles : &s->nsupport;
        for (int i = 1; i < l->ntok; i++) {
            if (*n == SPEC_MAX_FILES)
                return fail(l, "at most %d %s files", SPEC_MAX_FILES, kw);
            if (strchr(l->tok[i], '/'))
                return fail(l, "%s file '%s' must be a plain name", kw, l->tok[i]);
            if (copy(l, files[(*n)++], sizeof(files[0]), l->tok[i], "file"))
                return -EINVAL;
        }
        return 0;
    }
    if (!strcmp(kw, "api") || !strcmp(kw, "allow"))
        return parse_names(l, s, kw[1] == 'p' ? s->api : s->allow,
                           kw[1] == 'p' ? &s->napi : &s->nallow);
    if (!strcmp(kw, "test"))
        return parse_test(l, s);
    if (!strcmp(kw, "speed"))
        return parse_speed(l, s);
    if (!strcmp(kw, "race"))
        return parse_race(l, s);
    return fail(l, "unknown declaration '%s' (lab, student, support, api, allow, test, speed, "
                   "race)", kw);
}

static int known_test(const struct spec *s, const char *name)
{
    for (int k = 0; k < s->ntests; k++)
        if (!strcmp(s->tests[k].name, name))
            return 1;
    return 0;
}

/* Every requires= must name a declared test. */
static int check_requires(struct line *l, const struct spec *s)
{
    for (int i = 0; i < s->nspeeds; i++)
        for (int j = 0; j < s->speeds[i].nrequires; j++)
            if (!known_test(s, s->speeds[i].requires[j]))
                return fail(l, "speed %s requires unknown test %s", s->speeds[i].name,
                            s->speeds[i].requires[j]);
    for (int i = 0; i < s->nraces; i++)
        for (int j = 0; j < s->races[i].nrequires; j++)
            if (!known_test(s, s->races[i].requires[j]))
                return fail(l, "race %s requires unknown test %s", s->races[i].name,
                            s->races[i].requires[j]);
    return 0;
}

int spec_parse(const char *text, const char *name, struct spec *s, char *err, size_t errlen)
{
    struct line *l = calloc(1, sizeof(*l));
    int rc = 0;

    if (!l)
        return -ENOMEM;
    memset(s, 0, sizeof(*s));
    *l = (struct line){.name = name, .err = err, .errlen = errlen};
    for (const char *p = text; *p && !rc;) {
        const char *nl = strchr(p, '\n');
        l->no++;
        rc = tokenize(l, p);
        if (!rc && l->ntok)
            rc = parse_line(l, s);
        p = nl ? nl + 1 : p + strlen(p);
    }
    if (!rc && !s->nfiles)
        rc = fail(l, "no student files declared");
    if (!rc)
        rc = check_requires(l, s);
    free(l);
    if (rc)
        spec_free(s);
    return rc;
}

int spec_load(const char *path, struct spec *s, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!f) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    if (!m)
        return -ENOMEM;
    fclose(m);
    rc = spec_parse(text, path, s, err, errlen);
    free(text);
    return rc;
}

void spec_free(struct spec *s)
{
    free(s->tests);
    free(s->speeds);
    free(s->races);
    s->tests = NULL;
    s->speeds = NULL;
    s->races = NULL;
    s->ntests = s->nspeeds = s->nraces = 0;
}

/* ideal := term | "min(" term ("," term)* ")"; term := W | P | N | number */
static double term(const char **p, double W, double P, double N)
{
    char *end;
    double v;

    switch (**p) {
    case 'W': (*p)++; return W;
    case 'P': (*p)++; return P;
    case 'N': (*p)++; return N;
    }
    v = strtod(*p, &end);
    if (end == *p || v <= 0)
        return -1;
    *p = end;
    return v;
}

double spec_ideal(const char *expr, double W, double P, double N)
{
    const char *p = expr;
    double best;

    if (strncmp(p, "min(", 4)) {
        best = term(&p, W, P, N);
        return *p ? -1 : best;
    }
    p += 4;
    best = term(&p, W, P, N);
    while (best > 0 && *p == ',') {
        p++;
        double v = term(&p, W, P, N);
        if (v < 0)
            return -1;
        if (v < best)
            best = v;
    }
    return best > 0 && p[0] == ')' && !p[1] ? best : -1;
}

const char *metric_name(enum metric m)
{
    static const char *names[] = {"speedup", "eff", "cpuwall", "x"};

    return names[m];
}

double spec_max_score(const struct spec *s)
{
    double sum = 0;

    for (int i = 0; i < s->ntests; i++)
        sum += s->tests[i].points;
    for (int i = 0; i < s->nspeeds; i++)
        sum += s->speeds[i].points;
    for (int i = 0; i < s->nraces; i++)
        sum += s->races[i].points;
    return sum;
}

bool spec_selected(const char *only, const char *name)
{
    size_t nlen = strlen(name);

    if (!only)
        return true;
    for (const char *p = only; *p;) {
        size_t len = strcspn(p, ",");

        if ((len == nlen && !strncmp(p, name, len)) ||
            (len < nlen && !strncmp(p, name, len) && !strncmp(name + len, "::", 2)))
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

/* Is `name` required by a selected race or speed item? */
static bool needed(const struct spec *s, const char *only, const char *name)
{
    for (int i = 0; i < s->nspeeds; i++)
        if (spec_selected(only, s->speeds[i].name))
            for (int r = 0; r < s->speeds[i].nrequires; r++)
                if (!strcmp(s->speeds[i].requires[r], name))
                    return true;
    for (int i = 0; i < s->nraces; i++)
        if (spec_selected(only, s->races[i].name))
            for (int r = 0; r < s->races[i].nrequires; r++)
                if (!strcmp(s->races[i].requires[r], name))
                    return true;
    return false;
}

int spec_select(struct spec *s, const char *only)
{
    int nt = 0, nr = 0, ns = 0;

    if (!only)
        return s->ntests + s->nraces + s->nspeeds;
    for (int i = 0; i < s->ntests; i++)
        if (spec_selected(only, s->tests[i].name) || needed(s, only, s->tests[i].name))
            s->tests[nt++] = s->tests[i];
    for (int i = 0; i < s->nraces; i++)
        if (spec_selected(only, s->races[i].name))
            s->races[nr++] = s->races[i];
    for (int i = 0; i < s->nspeeds; i++)
        if (spec_selected(only, s->speeds[i].name))
            s->speeds[ns++] = s->speeds[i];
    s->ntests = nt;
    s->nraces = nr;
    s->nspeeds = ns;
    return nt + nr + ns;
}
