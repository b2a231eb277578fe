/* grading_items.c: what a grading makes of its results: the build's items, the note on
 * stubs, harness errors, the folding in of --repeat's other seeds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "grading_items.h"
#include "requires.h"

void grading_build_items(struct report *r, const struct spec *s, const struct build_out *b)
{
    for (int i = 0; i < s->nfiles; i++) {
        struct item it = {.kind = ITEM_BUILD, .verdict = b->file_ok[i] ? V_PASS : V_BUILD_ERROR};
        snprintf(it.name, sizeof(it.name), "build %s", s->files[i]);
        snprintf(it.hint, sizeof(it.hint),
                 "fix the first error the compiler names (file:line); the skeleton's %s stands "
                 "in meanwhile, so the other parts are still graded",
                 s->files[i]);
        if (b->file_log[i] && b->file_log[i][0])
            item_printf(&it, "%s", b->file_log[i]);
        report_add(r, &it);
    }
    if (!b->tests_ok || (!b->bench_ok && !b->bench_skipped)) {
        struct item it = {.kind = ITEM_BUILD, .verdict = V_BUILD_ERROR};
        snprintf(it.name, sizeof(it.name), "build link");
        snprintf(it.hint, sizeof(it.hint),
                 "your files must not define main() or names the harness defines");
        item_printf(&it, "%s", b->link_log ? b->link_log : "the link failed\n");
        report_add(r, &it);
    }
}

/* The stub a "not implemented" item names: what the test said ("not implemented: X() (see
 * the TODO(student) in f.c)", CHECK_IMPL), which may be another function than the spec's
 * fn= (timer_start() for a timer_stop() test); else the spec's fn= and file. */
static void stub_named(const struct item *it, const struct spec_test *t, char *one, size_t len)
{
    const char *said = it->output ? strstr(it->output, "not implemented: ") : NULL;
    const char *in = said ? strstr(said, "TODO(student) in ") : NULL;
    int fn = said ? (int)strcspn(said + 17, " \n") : 0;
    int file = in ? (int)strcspn(in + 17, ")\n") : 0;

    if (fn > 0 && fn < 64 && file > 0 && file < 64)
        snprintf(one, len, "%.*s (%.*s)", fn, said + 17, file, in + 17);
    else
        snprintf(one, len, "%s (%s)", t->fn[0] ? t->fn : t->name, t->file);
}

void grading_note_todo(struct report *r, const struct spec *s)
{
    char list[1024] = "";
    size_t used = 0;

    for (int i = 0; i < s->ntests; i++) {
        const struct spec_test *t = &s->tests[i];
        const struct item *it = requires_find(r, t->name);
        char one[200];
        if (!it || it->verdict != V_NOT_IMPLEMENTED)
            continue;
        /* the stub the test found first, then the function it tests (the same, mostly) */
        for (int k = 0; k < 2; k++) {
            if (k == 0)
                stub_named(it, t, one, sizeof(one));
            else
                snprintf(one, sizeof(one), "%s (%s)", t->fn[0] ? t->fn : t->name, t->file);
            if (strstr(list, one) || used + strlen(one) + 3 >= sizeof(list))
                continue;
            used += snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", one);
        }
    }
    if (used)
        report_note(r, "not implemented yet: %s\n", list);
}

void grading_harness_error(struct report *r, const char *step, const char *what)
{
    struct item it = {.kind = ITEM_BUILD, .verdict = V_ERROR};

    snprintf(it.name, sizeof(it.name), "harness %s", step);
    snprintf(it.hint, sizeof(it.hint),
             "regrade once the grader is fixed; your code was not "
             "judged");
    item_printf(&it, "harness error, not your code: %s\n", what);
    report_add(r, &it);
}

void grading_void_failures(struct report *r, const char *step, const char *what)
{
    for (size_t i = 0; i < r->n; i++) {
        struct item *it = &r->items[i];

        if (it->kind == ITEM_BUILD || it->verdict == V_PASS || it->verdict == V_NOT_IMPLEMENTED)
            continue;
        it->verdict = V_ERROR;
        it->score = 0;
        item_printf(it, "not judged: %s\n", what);
    }
    grading_harness_error(r, step, what);
}

int grading_fold_repeat(struct report *r, const struct report *once, uint64_t seed, int run, int of)
{
    int bad = 0;

    for (size_t i = 0; i < once->n; i++) {
        struct item *it = requires_find(r, once->items[i].name);
        enum verdict v = once->items[i].verdict;

        if (!it || v == V_PASS || it->verdict == V_BUILD_ERROR ||
            (v == V_SKIPPED && it->verdict == V_SKIPPED))
            continue; /* a build error is the same under every seed: said once */
        bad++;
        if (it->verdict == V_PASS) {
            it->verdict = v == V_SKIPPED ? V_INCONCLUSIVE : v;
            it->score = 0;
        }
        item_printf(it, "seed %llu (run %d of %d): %s\n%.600s", (unsigned long long)seed, run, of,
                    verdict_name(v), once->items[i].output ? once->items[i].output : "");
    }
    return bad;
}
