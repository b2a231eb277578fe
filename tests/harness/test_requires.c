/* test_requires.c: items gated on the tests they require. */
#include <string.h>

#include <criterion/criterion.h>

#include "requires.h"

static struct report r;

static void init(void)
{
    static const struct {
        const char *name;
        enum verdict v;
    } items[] = {{"a::ok", V_PASS}, {"a::bad", V_FAIL}, {"a::todo", V_NOT_IMPLEMENTED}};

    report_init(&r, "lab", "t");
    for (size_t i = 0; i < 3; i++) {
        struct item it = {.kind = ITEM_TEST, .verdict = items[i].v};
        strcpy(it.name, items[i].name);
        report_add(&r, &it);
    }
}

static void fini(void)
{
    report_free(&r);
}

TestSuite(requires, .init = init, .fini = fini);

Test(requires, find_by_name)
{
    cr_assert_eq(requires_find(&r, "a::bad"), &r.items[1]);
    cr_assert_null(requires_find(&r, "a::b"));
}

Test(requires, met_when_all_pass)
{
    const char req[2][96] = {"a::ok", "a::ok"};
    struct item it = {.kind = ITEM_RACE, .verdict = V_PASS};

    cr_assert(requires_met(&r, req, 2, &it));
    cr_assert(requires_met(&r, req, 0, &it));
    cr_assert_eq(it.verdict, V_PASS);
    cr_assert_null(it.output);
}

Test(requires, a_failing_test_skips_it)
{
    const char req[2][96] = {"a::ok", "a::bad"};
    struct item it = {.kind = ITEM_RACE};

    cr_assert_not(requires_met(&r, req, 2, &it));
    cr_assert_eq(it.verdict, V_SKIPPED);
    cr_assert_str_eq(it.output, "not run until a::bad passes (now: fail)\n");
    free(it.output);
}

Test(requires, a_stub_makes_it_not_implemented)
{
    const char req[1][96] = {"a::todo"};
    struct item it = {.kind = ITEM_SPEED};

    cr_assert_not(requires_met(&r, req, 1, &it));
    cr_assert_eq(it.verdict, V_NOT_IMPLEMENTED);
    cr_assert(strstr(it.output, "a fast wrong answer earns nothing"), "%s", it.output);
    free(it.output);
}

Test(requires, a_test_not_run_skips_it)
{
    const char req[1][96] = {"a::gone"};
    struct item it = {.kind = ITEM_RACE};

    cr_assert_not(requires_met(&r, req, 1, &it));
    cr_assert_eq(it.verdict, V_SKIPPED);
    cr_assert(strstr(it.output, "(now: not run)"), "%s", it.output);
    free(it.output);
}
