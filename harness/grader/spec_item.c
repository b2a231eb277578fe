/* spec_item.c: a spec's items (test, speed, race): their keys, values and closed sets. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "spec_line.h"

/* One key=value setting of an item: the field it fills, at `off` in the item, and how
 * its text is read. */
struct key {
    const char *name;
    int (*parse)(struct spec_line *l, const struct key *k, char *item, const char *val);
    size_t off, len;          /* the field; len: a text field's size */
    size_t count;             /* requires=: where the list's length is kept */
    const struct word *words; /* the words an int (or enum) field takes */
    double lo, hi;            /* and the numbers it takes; WORDS_ONLY: none */
    bool required;
};

#define WORDS_ONLY .lo = 1, .hi = 0

static int set_text(struct spec_line *l, const struct key *k, char *item, const char *val)
{
    return spec_copy(l, item + k->off, k->len, val, k->name);
}

/* A word of k->words or a number from k->lo to k->hi, into an int (or enum) field. */
static int set_int(struct spec_line *l, const struct key *k, char *item, const char *val)
{
    const struct word *w = k->words ? word_find(k->words, val) : NULL;
    char list[128];
    double v;

    if (w) {
        *(int *)(item + k->off) = w->value;
        return 0;
    }
    if (k->lo > k->hi)
        return spec_fail(l, "%s must be %s, not '%s'", k->name,
                         word_list(k->words, list, sizeof(list)), val);
    if (spec_number(l, val, k->lo, k->hi, &v))
        return k->words ? spec_fail(l, "%s must be %s or a number from %g to %g, not '%s'", k->name,
                                    word_list(k->words, list, sizeof(list)), k->lo, k->hi, val)
                        : -EINVAL;
    *(int *)(item + k->off) = (int)v;
    return 0;
}

static int set_ideal(struct spec_line *l, const struct key *k, char *item, const char *val)
{
    /* checked on a typical machine: 4 workers, 2 cores, 16 jobs, 50 ms, 0.3 s */
    if (spec_ideal(val, 4, 2, 16, 0.05, 0.3) < 0)
        return spec_fail(l, "ideal '%s' is not a positive expression over W, P, N, L, T", val);
    return set_text(l, k, item, val);
}

/* check="speedup>=0.67 speedup<=1.5": conditions on a speed cell's medians. */
static int set_conds(struct spec_line *l, const struct key *k, char *item, const char *val)
{
    struct spec_speed *c = (struct spec_speed *)item; /* check= is a speed cell's alone */
    char buf[SPEC_MAX_WORD], *save = NULL, list[64];

    (void)k;
    snprintf(buf, sizeof(buf), "%s", val);
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *op = strpbrk(w, "<>");
        if (c->nconds == SPEC_MAX_CONDS)
            return spec_fail(l, "at most %d conditions (SPEC_MAX_CONDS)", SPEC_MAX_CONDS);
        if (!op || op[1] != '=')
            return spec_fail(l, "condition '%s' needs >= or <=", w);
        struct cond *cd = &c->conds[c->nconds];
        cd->op = *op == '>' ? CMP_GE : CMP_LE;
        *op = '\0';
        const struct word *m = word_find(words_metric, w);
        if (!m)
            return spec_fail(l, "unknown metric '%s' (%s)", w,
                             word_list(words_metric, list, sizeof(list)));
        cd->metric = (enum metric)m->value;
        if (spec_number(l, op + 2, 0, 1e6, &cd->value))
            return -EINVAL;
        c->nconds++;
    }
    return c->nconds ? 0 : spec_fail(l, "check= names no condition");
}

/* requires=a::b,c::d: test names, into char[SPEC_MAX_REQ][96], the count at k->count. */
static int set_requires(struct spec_line *l, const struct key *k, char *item, const char *val)
{
    char(*req)[96] = (char(*)[96])(item + k->off);
    int *n = (int *)(item + k->count);
    char buf[SPEC_MAX_WORD], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", val);
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (*n == SPEC_MAX_REQ)
            return spec_fail(l, "at most %d requires (SPEC_MAX_REQ)", SPEC_MAX_REQ);
        if (spec_copy(l, req[(*n)++], sizeof(req[0]), w, "test name"))
            return -EINVAL;
    }
    return 0;
}

/* matrix=row/column: two words of a-z, 0-9 and _ (which rows and columns exist is the
 * matrix table's business, harness/labs/lab6-choosing/matrix, checked by matrix.c). */
static int set_matrix(struct spec_line *l, const struct key *k, char *item, const char *val)
{
    static const char word[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
    size_t row = strspn(val, word), col = val[row] == '/' ? strspn(val + row + 1, word) : 0;

    if (!row || !col || val[row + 1 + col])
        return spec_fail(l, "matrix= must be row/column (a-z, 0-9, _), not '%s'", val);
    return set_text(l, k, item, val);
}

/* wrap=a,b: C names (a-z, A-Z, 0-9, _, not a digit first), for the link's --wrap=. */
static int set_wrap(struct spec_line *l, const struct key *k, char *item, const char *val)
{
    static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    static const char rest[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";

    for (const char *p = val;; p++) {
        size_t n = strspn(p, first) ? strspn(p, rest) : 0;
        if (!n || (p[n] != ',' && p[n] != '\0'))
            return spec_fail(l, "wrap= must be C names separated by commas, not '%s'", val);
        p += n;
        if (!*p)
            break;
    }
    return set_text(l, k, item, val);
}

const char *spec_race_wrap(const struct spec_race *r, char *buf, size_t len)
{
    char names[sizeof(r->wrap)], *save = NULL;
    size_t used = 0;

    buf[0] = '\0';
    snprintf(names, sizeof(names), "%s", r->wrap);
    for (char *w = strtok_r(names, ",", &save); w && used < len; w = strtok_r(NULL, ",", &save))
        used += snprintf(buf + used, len - used, "%s--wrap=%s", used ? "," : "-Wl,", w);
    return buf;
}

#define FIELD(T, f) .off = offsetof(T, f)
#define TEXT(T, f)  .name = #f, .parse = set_text, FIELD(T, f), .len = sizeof(((T *)0)->f)
#define INT(T, f)   .parse = set_int, FIELD(T, f)
#define REQUIRES(T)                                                                                \
    .name = "requires", .parse = set_requires, FIELD(T, requires), .count = offsetof(T, nrequires)
#define TEST  struct spec_test
#define SPEED struct spec_speed
#define RACE  struct spec_race

static const struct key test_keys[] = {
    {TEXT(TEST, fn)},
    {TEXT(TEST, file)},
    {TEXT(TEST, hint)},
    {.name = "timing", INT(TEST, timing), .words = words_timing, WORDS_ONLY},
    {.name = "values", INT(TEST, values), .words = words_values, WORDS_ONLY},
    {.name = "tasks", INT(TEST, tasks), .lo = 8, .hi = 512},
    {.name = "nofile", INT(TEST, nofile), .lo = 64, .hi = 1 << 20},
    {0}};

static const struct key race_keys[] = {
    {TEXT(RACE, driver), .required = true},
    {REQUIRES(RACE)},
    {TEXT(RACE, hint)},
    {.name = "sanitizer", INT(RACE, sanitizer), .words = words_sanitizer, WORDS_ONLY},
    {.name = "wrap", .parse = set_wrap, FIELD(RACE, wrap), .len = sizeof(((RACE *)0)->wrap)},
    {0}};

/* The required keys in the order the "needs" message names them. */
static const struct key speed_keys[] = {
    {.name = "workload",
     INT(SPEED, workload),
     .words = words_workload,
     WORDS_ONLY,
     .required = true},
    {TEXT(SPEED, version), .required = true},
    {TEXT(SPEED, baseline), .required = true},
    {.name = "check", .parse = set_conds, .required = true},
    {.name = "jobs", INT(SPEED, jobs), .lo = 1, .hi = 100000},
    {.name = "baseline_jobs", INT(SPEED, baseline_jobs), .lo = 1, .hi = 100000},
    {.name = "workers", INT(SPEED, workers), .words = words_workers, .lo = 1, .hi = 100000},
    {.name = "latency", INT(SPEED, latency_ms), .lo = 0, .hi = 100000},
    {.name = "ideal", .parse = set_ideal, FIELD(SPEED, ideal), .len = sizeof(((SPEED *)0)->ideal)},
    {.name = "skew", INT(SPEED, skew), .words = words_skew, WORDS_ONLY},
    {.name = "cores", INT(SPEED, all_cores), .words = words_cores, WORDS_ONLY},
    {REQUIRES(SPEED)},
    {TEXT(SPEED, hint)},
    {TEXT(SPEED, xname)},
    {.name = "x", INT(SPEED, x_threads), .words = words_x, WORDS_ONLY},
    {.name = "matrix",
     .parse = set_matrix,
     FIELD(SPEED, matrix),
     .len = sizeof(((SPEED *)0)->matrix)},
    {0}};

/* parse_keys keeps which keys were given in the bits of an unsigned long */
#define NKEYS(t) (sizeof(t) / sizeof((t)[0]) - 1)
_Static_assert(NKEYS(test_keys) <= 32 && NKEYS(race_keys) <= 32 && NKEYS(speed_keys) <= 32,
               "a kind has more keys than parse_keys can track");

static const struct spec_speed speed_defaults = {
    .jobs = 4, .workers = 1, .latency_ms = 50, .ideal = "1", .skew = SKEW_EVEN};

/* What a kind checks once its line is read. */
static int test_done(struct spec_line *l, const struct spec *s, char *item)
{
    const struct spec_test *t = (const struct spec_test *)item;

    if (!strstr(t->name, "::"))
        return spec_fail(l, "test name '%s' is not suite::name", t->name);
    for (int i = 0; i < s->ntests; i++)
        if (!strcmp(s->tests[i].name, t->name))
            return spec_fail(l, "test %s declared twice", t->name);
    return 0;
}

static int speed_done(struct spec_line *l, const struct spec *s, char *item)
{
    struct spec_speed *c = (struct spec_speed *)item;

    (void)l, (void)s;
    if (!c->baseline_jobs)
        c->baseline_jobs = c->jobs;
    return 0;
}

/* A kind of item: its keys; where its name and points go; where struct spec keeps its
 * list (up to `max` items of `size` bytes at `items`, how many at `count`). */
struct kind {
    const char *word, *usage;
    const struct key *keys;
    const void *defaults;                                               /* NULL: all zero */
    int (*done)(struct spec_line *l, const struct spec *s, char *item); /* NULL: none */
    size_t size, name, name_len, points, items, count;
    int max;
    const char *max_name; /* "SPEC_MAX_RACES": what to raise, in spec.h */
};

#define LAYOUT(T, list, n, most)                                                                   \
    .size = sizeof(T), .name = offsetof(T, name), .name_len = sizeof(((T *)0)->name),              \
    .points = offsetof(T, points), .items = offsetof(struct spec, list),                           \
    .count = offsetof(struct spec, n), .max = most, .max_name = #most

static const struct kind kinds[] = {
    {.word = "test",
     .usage = "a suite::name and points",
     .keys = test_keys,
     .done = test_done,
     LAYOUT(TEST, tests, ntests, SPEC_MAX_TESTS)},
    {.word = "speed",
     .usage = "a name, points and key=value settings",
     .keys = speed_keys,
     .defaults = &speed_defaults,
     .done = speed_done,
     LAYOUT(SPEED, speeds, nspeeds, SPEC_MAX_SPEEDS)},
    {.word = "race",
     .usage = "a name, points and driver=",
     .keys = race_keys,
     LAYOUT(RACE, races, nraces, SPEC_MAX_RACES)},
};

static const struct kind *find_kind(const char *word)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(kinds[i].word, word))
            return &kinds[i];
    return NULL;
}

/* "speed s needs workload=, version=, baseline= and check=", when one is missing. */
static int need_required(struct spec_line *l, const struct kind *k, const char *item,
                         unsigned long seen)
{
    char list[128] = "";
    size_t used = 0;
    bool missing = false;
    int last = -1;

    for (int i = 0; k->keys[i].name; i++)
        if (k->keys[i].required) {
            missing |= !(seen >> i & 1);
            last = i;
        }
    if (!missing)
        return 0;
    for (int i = 0; k->keys[i].name && used < sizeof(list); i++)
        if (k->keys[i].required)
            used += snprintf(list + used, sizeof(list) - used, "%s%s=",
                             !used       ? ""
                             : i == last ? " and "
                                         : ", ",
                             k->keys[i].name);
    return spec_fail(l, "%s %s needs %s", k->word, item + k->name, list);
}

/* The key=value words after an item's name and points, each key at most once. */
static int parse_keys(struct spec_line *l, const struct kind *k, char *item)
{
    unsigned long seen = 0; /* bit j: keys[j] given */

    for (int i = 3; i < l->ntok; i++) {
        char *eq = strchr(l->tok[i], '=');
        int j = 0, rc;
        if (!eq)
            return spec_fail(l, "'%s' is not key=value", l->tok[i]);
        *eq = '\0';
        while (k->keys[j].name && strcmp(k->keys[j].name, l->tok[i]))
            j++;
        if (!k->keys[j].name)
            return spec_fail(l, "unknown key '%s'", l->tok[i]);
        if (seen >> j & 1)
            return spec_fail(l, "%s= given twice", l->tok[i]);
        seen |= 1ul << j;
        if ((rc = k->keys[j].parse(l, &k->keys[j], item, eq + 1)))
            return rc;
    }
    return need_required(l, k, item, seen);
}

int spec_item(struct spec_line *l, struct spec *s)
{
    const struct kind *k = find_kind(l->tok[0]);
    union {
        struct spec_test t;
        struct spec_speed c;
        struct spec_race r;
    } u;
    char *item = (char *)&u;
    int *n, rc;
    double pts;

    if (!k)
        return spec_fail(l, "'%s' is not an item (test, speed or race)", l->tok[0]);
    n = (int *)((char *)s + k->count);
    if (l->ntok < 3)
        return spec_fail(l, "%s needs %s", k->word, k->usage);
    if (*n == k->max)
        return spec_fail(l, "at most %d %s declarations (%s in spec.h)", k->max, k->word,
                         k->max_name);
    memset(&u, 0, sizeof(u));
    if (k->defaults)
        memcpy(item, k->defaults, k->size);
    if (spec_copy(l, item + k->name, k->name_len, l->tok[1], "name") ||
        spec_number(l, l->tok[2], 0, 1000, &pts))
        return -EINVAL;
    memcpy(item + k->points, &pts, sizeof(pts));
    if ((rc = parse_keys(l, k, item)) || (k->done && (rc = k->done(l, s, item))))
        return rc;
    memcpy((char *)s + k->items + (size_t)*n * k->size, item, k->size);
    (*n)++;
    return 0;
}
