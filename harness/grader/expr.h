/* expr.h: the arithmetic of a speed cell's ideal (spec key ideal=). */
#ifndef EXPR_H
#define EXPR_H

/* What an ideal may name: W workers, P usable cores, N jobs, L the kitchen's latency
 * in seconds, T the cooking of the whole workload done sequentially, in seconds. */
struct expr_vars {
    double W, P, N, L, T;
};

/*
 * expr   := sum
 * sum    := prod (('+' | '-') prod)*
 * prod   := atom (('*' | '/') atom)*
 * atom   := number | W | P | N | L | T | '(' sum ')' | ("min" | "max") '(' sum (',' sum)* ')'
 * No spaces. The value, or NaN when the text is not such an expression (or divides by 0).
 */
double expr_eval(const char *text, const struct expr_vars *v);

#endif
