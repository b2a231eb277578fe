/* build_int.h: what build.c and build_race.c share. */
#ifndef BUILD_INT_H
#define BUILD_INT_H

#include "build.h"
#include "build_cc.h"

/* A list of object paths, built up for one link. */
struct objs {
    char *v[BUILD_MAX_ARGS];
    int n;
};

/* Append a path (printf-style) to l; objs_free frees them all. */
void objs_add(struct objs *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void objs_free(struct objs *l);
/* The lab's support files (ours, e.g. an interpreter; compiled with flavour fl when not yet)
 * and the student's objects, appended to l. 0 or -errno. */
int add_lab_objs(const struct build_conf *c, const struct spec *s, struct build_out *o,
                 struct objs *l, enum flavour fl);
/* Race driver r of s, into o->race[r] (o->race_ok[r] when it linked). 0 or -errno. */
int build_race(const struct build_conf *c, const struct spec *s, struct build_out *o, int r);

#endif
