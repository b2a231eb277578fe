/* matrix_read.h: a small JSON reader, and the speed figures of a lab's results.json. */
#ifndef MATRIX_READ_H
#define MATRIX_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A JSON value, as read: objects keep their members in order (keys[i] names kids[i]). */
enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
struct jval {
    enum jtype type;
    double num;        /* J_NUM; J_BOOL: 0 or 1 */
    char *str;         /* J_STR, NUL-ended (a \u0000 in it ends it early) */
    struct jval *kids; /* J_ARR, J_OBJ */
    char **keys;       /* J_OBJ */
    size_t n;
};

#define JSON_MAX_DEPTH 32

/* Parse all of `text` (one value, whitespace around it): 0 and *out (free with
 * json_free), or -EINVAL with "offset N: what" in err. Strict JSON, nesting at most
 * JSON_MAX_DEPTH; \uXXXX escapes become UTF-8 (pairs of surrogates joined). */
int json_parse(const char *text, struct jval **out, char *err, size_t errlen);
void json_free(struct jval *v);
/* obj's member `key`, or NULL (also when obj is NULL or not an object). */
const struct jval *json_get(const struct jval *obj, const char *key);
/* A member's number / string / boolean, or dflt when missing or of another type. */
double json_num(const struct jval *obj, const char *key, double dflt);
const char *json_str(const struct jval *obj, const char *key, const char *dflt);
bool json_bool(const struct jval *obj, const char *key, bool dflt);

/* One speed item of a results.json, as `grade` wrote it (results_json.c put_figure). */
struct mx_fig {
    char name[64], verdict[24];
    char matrix[32], workload[8], version[32], baseline[32], ideal_expr[32];
    char source[160], at[32];
    bool set; /* measured: med, lo, hi, cpuwall, want_* and clean mean something */
    double med, lo, hi, cpuwall, want_ge, want_le, ideal, P;
    int workers, jobs, clean;
    unsigned long long seed;
    time_t when; /* `at` read back (UTC); 0 when never measured */
};

#define MX_MAX_FIGS 16

/* The speed items of one results.json text into figs (at most max): how many, or -EINVAL
 * (err says why) when the text is not JSON or has no "tests" array. Items from before
 * figures were kept (no "figure" member) read as not measured. */
int matrix_read_results(const char *text, struct mx_fig *figs, int max, char *err, size_t errlen);

/* "2026-12-01T19:47:43Z" -> seconds since the epoch; 0 when it is not that shape. */
time_t matrix_read_time(const char *iso);

#endif
