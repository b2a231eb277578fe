/* spec_select.c: narrow a lab's spec to the items --only names (spec.h). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"

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

/* Does `word` name an item of s, or a suite of its items? */
static bool names_one(const struct spec *s, const char *word)
{
    for (int i = 0; i < s->ntests; i++)
        if (spec_selected(word, s->tests[i].name))
            return true;
    for (int i = 0; i < s->nraces; i++)
        if (spec_selected(word, s->races[i].name))
            return true;
    for (int i = 0; i < s->nspeeds; i++)
        if (spec_selected(word, s->speeds[i].name))
            return true;
    return false;
}

const char *spec_unknown(const struct spec *s, const char *only, char *word, size_t len)
{
    for (const char *p = only; p && *p;) {
        size_t n = strcspn(p, ",");

        snprintf(word, len, "%.*s", (int)n, p);
        if (!names_one(s, word))
            return word;
        p += n + (p[n] == ',');
    }
    return NULL;
}

int spec_select(struct spec *s, const char *only)
{
    int nt = 0, nr = 0, ns = 0;
    char word[128];

    if (!only)
        return s->ntests + s->nraces + s->nspeeds;
    if (spec_unknown(s, only, word, sizeof(word)))
        return 0;
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
