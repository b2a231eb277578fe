/* expr.c: a recursive-descent evaluator for the spec's ideal= expressions (expr.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

struct parser {
    const char *p;
    const struct expr_vars *v;
    int bad;
};

static double sum(struct parser *s);

static double fail(struct parser *s)
{
    s->bad = 1;
    return NAN;
}

/* min(a,b,...) or max(a,b,...), after its name */
static double extreme(struct parser *s, int want_max)
{
    double best;

    if (*s->p++ != '(')
        return fail(s);
    best = sum(s);
    while (*s->p == ',') {
        s->p++;
        double x = sum(s);
        best = want_max ? fmax(best, x) : fmin(best, x);
    }
    if (*s->p++ != ')')
        return fail(s);
    return best;
}

static double variable(struct parser *s, char c)
{
    switch (c) {
    case 'W':
        return s->v->W;
    case 'P':
        return s->v->P;
    case 'N':
        return s->v->N;
    case 'L':
        return s->v->L;
    case 'T':
        return s->v->T;
    }
    return fail(s);
}

static double atom(struct parser *s)
{
    char *end;

    if (!strncmp(s->p, "min", 3) || !strncmp(s->p, "max", 3)) {
        int want_max = s->p[1] == 'a';
        s->p += 3;
        return extreme(s, want_max);
    }
    if (*s->p == '(') {
        s->p++;
        double x = sum(s);
        return *s->p++ == ')' ? x : fail(s);
    }
    if (*s->p >= 'A' && *s->p <= 'Z')
        return variable(s, *s->p++);
    double x = strtod(s->p, &end);
    if (end == s->p || *s->p == '-' || *s->p == '+')
        return fail(s);
    s->p = end;
    return x;
}

static double prod(struct parser *s)
{
    double x = atom(s);

    while (*s->p == '*' || *s->p == '/') {
        char op = *s->p++;
        double y = atom(s);

        if (op == '/' && y == 0)
            return fail(s);
        x = op == '*' ? x * y : x / y;
    }
    return x;
}

static double sum(struct parser *s)
{
    double x = prod(s);

    while (*s->p == '+' || *s->p == '-') {
        char op = *s->p++;
        double y = prod(s);

        x = op == '+' ? x + y : x - y;
    }
    return x;
}

double expr_eval(const char *text, const struct expr_vars *v)
{
    struct parser s = {text, v, 0};
    double x;

    if (!text || !v)
        return NAN;
    x = sum(&s);
    return s.bad || *s.p ? NAN : x;
}
