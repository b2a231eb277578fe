/* requires.c: items that wait for others (a spec's requires=): found by name, gated. */
#include <string.h>

#include "requires.h"

struct item *requires_find(const struct report *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->items[i].name, name))
            return &r->items[i];
    return NULL;
}

bool requires_met(const struct report *r, const char (*req)[96], int n, struct item *it)
{
    for (int i = 0; i < n; i++) {
        const struct item *t = requires_find(r, req[i]);
        if (!t || t->verdict != V_PASS) {
            it->verdict = t && t->verdict == V_NOT_IMPLEMENTED ? V_NOT_IMPLEMENTED : V_SKIPPED;
            item_printf(it, "not run until %s passes (now: %s)%s\n", req[i],
                        t ? verdict_name(t->verdict) : "not run",
                        it->kind == ITEM_SPEED ? "; a fast wrong answer earns nothing" : "");
            return false;
        }
    }
    return true;
}
