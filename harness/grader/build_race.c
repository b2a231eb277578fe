/* build_race.c: a race driver built with its sanitizer (ThreadSanitizer,
 * AddressSanitizer or UndefinedBehaviorSanitizer): the student's files, ours and the driver, all
 * instrumented; its .symtab keeps the student's names and loses ours (build.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "build_cc.h"
#include "build_int.h"

/* What a race driver needs of ours besides the lab's files. */
static const char *const race_lib[] = {"workload",       "jobs",         "kitchen",
                                       "kitchen_server", "kitchen_conn", "siphash",
                                       "done",           "seal_filter",  "fake_kitchen"};

/* A race driver with its sanitizer (ThreadSanitizer, AddressSanitizer or UBSan): the student's
 * files (or the stand-ins that compiled), ours, and the driver, all instrumented.
 * Returns 0 or -errno. */
int build_race(const struct build_conf *c, const struct spec *s, struct build_out *o, int r)
{
    enum flavour fl = s->races[r].sanitizer == SAN_ADDRESS     ? ASAN
                      : s->races[r].sanitizer == SAN_UNDEFINED ? UBSAN
                                                               : TSAN;
    const char *tag = cc_san_tag(fl);
    char dir[16];
    char src[1100], obj[1100], dep[1110], log[1200], wrap[256];
    struct objs l = {0};
    int rc = 0;

    snprintf(dir, sizeof(dir), "obj-%s", tag);
    for (int i = 0; i < s->nfiles; i++) {
        snprintf(src, sizeof(src), "%s/%s/%s", o->box, o->file_ok[i] ? "src" : "kit/skel",
                 s->files[i]);
        snprintf(obj, sizeof(obj), "%s/out/%s/%s.o", o->box, dir, s->files[i]);
        snprintf(dep, sizeof(dep), "%s.d", obj);
        snprintf(log, sizeof(log), "%s/%s-%s.log", o->logs, tag, s->files[i]);
        if (access(obj, F_OK) == 0 || cc_student_get(c, o, src, obj, dep, NULL, fl) == 0)
            continue;
        if ((rc = cc_compile(c, o, src, obj, dep, log, &o->race_log[r], fl)) > 0)
            return 0; /* compiled plainly, but not with the sanitizer: the race item says so */
        if (rc < 0 || (rc = cc_localize(o, s, obj)) < 0)
            return rc;
        cc_student_put(c, o, src, obj, dep, o->race_log[r], fl);
    }
    snprintf(src, sizeof(src), "%s/kit/harness/labs/%s/%s", o->box, c->lab, s->races[r].driver);
    objs_add(&l, "%s/out/%s/race-%s.o", o->box, dir, s->races[r].name);
    if ((rc = cc_ours(c, o, src, l.v[0], fl)) < 0)
        goto out;
    if ((rc = add_lab_objs(c, s, o, &l, fl)) < 0)
        goto out;
    for (size_t i = 0; i < sizeof(race_lib) / sizeof(race_lib[0]); i++) {
        snprintf(src, sizeof(src), "%s/kit/harness/lib/%s.c", o->box, race_lib[i]);
        snprintf(obj, sizeof(obj), "%s/out/%s/lib-%s.o", o->box, dir, race_lib[i]);
        if (access(obj, F_OK) != 0 && (rc = cc_ours(c, o, src, obj, fl)) < 0)
            goto out;
        objs_add(&l, "%s", obj);
    }
    snprintf(o->race[r], sizeof(o->race[r]), "%s/out/race-%s", o->box, s->races[r].name);
    /* wrap=: the driver's own __wrap_NAME stands between every caller and NAME */
    spec_race_wrap(&s->races[r], wrap, sizeof(wrap));
    o->race_ok[r] = !cc_link(c, o, o->race[r], l.v, l.n, wrap, fl, &o->race_log[r]);
    if (o->race_ok[r] && !c->keep_symbols) {
        /* its .symtab keeps the student's names, not ours (check_finished(): a true
         * "done" line; hostile race_symtab_forge.c) */
        char *ours[BUILD_MAX_ARGS];
        int nours = 0;
        for (int i = 0; i < l.n; i++) {
            bool student = false;
            for (int k = 0; k < s->nfiles && !student; k++) {
                snprintf(obj, sizeof(obj), "%s/out/%s/%s.o", o->box, dir, s->files[k]);
                student = !strcmp(l.v[i], obj);
            }
            if (!student && nours < BUILD_MAX_ARGS)
                ours[nours++] = l.v[i];
        }
        if ((rc = cc_strip_ours(o, o->race[r], ours, nours)) < 0)
            goto out;
    }
out:
    objs_free(&l);
    return rc;
}
