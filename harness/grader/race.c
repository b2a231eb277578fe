/* race.c: run a lab's race driver under ThreadSanitizer (or AddressSanitizer, or
 * UndefinedBehaviorSanitizer) and judge what it reports. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jail.h"
#include "kitchen.h"
#include "done.h"
#include "box.h"
#include "race.h"
#include "sandbox.h"
#include "sys.h"

#define SAN_EXIT 66 /* what each sanitizer exits with on a report */
#define OUT_MAX  (256 * 1024)

static const char *next_line(const char *p)
{
    const char *nl = strchr(p, '\n');

    return nl ? nl + 1 : p + strlen(p);
}

static int line_len(const char *p)
{
    return (int)strcspn(p, "\n");
}

/* "  Write of size 8 at 0x... by thread T2:" then "    #0 worker seq.c:12 (bin+0x..)":
 * quote as "Write of size 8 by thread T2, in worker at seq.c:12". */
static void quote_access(const char *p, struct item *it)
{
    const char *at = strstr(p, " at 0x"), *by = strstr(p, " by "), *end = p + line_len(p);
    const char *frame = next_line(p);
    char fn[128] = "?", where[256] = "?";

    if (!at || at > end)
        at = end;
    if (!strncmp(frame, "    #0 ", 7))
        sscanf(frame + 7, "%127s %255s", fn, where);
    item_printf(it, "  %.*s%.*s, in %s at %s\n", (int)(at - p - 2), p + 2,
                by && by < end ? (int)(end - by - (end[-1] == ':')) : 0, by ? by : "", fn, where);
}

static bool is_access(const char *p)
{
    static const char *const kinds[] = {"  Read of",        "  Write of",    "  Previous read",
                                        "  Previous write", "  Atomic read", "  Atomic write",
                                        "  Previous atomic"};

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strncmp(p, kinds[i], strlen(kinds[i])))
            return true;
    return false;
}

/* The first report: its WARNING line, its accesses and where the memory is. */
static void quote_report(const char *w, struct item *it)
{
    item_printf(it, "%.*s\n", line_len(w), w);
    for (const char *p = next_line(w); *p && strncmp(p, "SUMMARY:", 8) && strncmp(p, "====", 4);
         p = next_line(p)) {
        if (is_access(p))
            quote_access(p, it);
        else if (!strncmp(p, "  Location is ", 14) || !strncmp(p, "  Mutex ", 8))
            item_printf(it, "  %.*s\n", line_len(p) - 2, p + 2);
    }
}

/* "    #3 0x55d1 in pass_put hybrid.c:22" (or "... in malloc (libasan.so.8+0x..)"): the
 * function and where, of the first frame of the stack from p on that is none of the
 * sanitizer's own (its interceptors live in libasan). 0 when there is none. */
static int asan_frame(const char *p, char *fn, size_t fnlen, char *where, size_t wlen)
{
    for (; !strncmp(p, "    #", 5); p = next_line(p)) {
        const char *in = strstr(p, " in "), *end = p + line_len(p);
        char f[128] = "?", w[256] = "?";

        if (!in || in > end || sscanf(in + 4, "%127s %255s", f, w) < 1)
            continue;
        if (strstr(w, "libasan") || strstr(w, "libsanitizer"))
            continue;
        snprintf(fn, fnlen, "%s", f);
        snprintf(where, wlen, "%s", w);
        return 1;
    }
    return 0;
}

/* The ASan report: its ERROR line (less the pid), the access with the frame it was made
 * in, where the memory lies, and the frame that allocated (or freed) it. */
static void quote_asan(const char *e, struct item *it)
{
    char fn[128], where[256];

    const char *on = strstr(e, " on address "), *eol = e + line_len(e);

    item_printf(it, "%.*s\n", (int)((on && on < eol ? on : eol) - e), e);
    for (const char *p = next_line(e); *p && strncmp(p, "SUMMARY:", 8); p = next_line(p)) {
        bool access = !strncmp(p, "READ of", 7) || !strncmp(p, "WRITE of", 8);
        bool by = !strncmp(p, "allocated by", 12) || !strncmp(p, "freed by", 8);

        if (access || by) {
            const char *at = strstr(p, " at 0x"), *end = p + line_len(p);
            const char *th = strstr(p, " thread ");
            int len = (int)((access && at && at < end ? at : end) - p);

            if (by && p[len - 1] == ':')
                len--;
            item_printf(it, "  %.*s%s%.*s", len, p, access && th && th < end ? " by" : "",
                        access && th && th < end ? (int)(end - th) : 0, th ? th : "");
            if (asan_frame(next_line(p), fn, sizeof(fn), where, sizeof(where)))
                item_printf(it, ", in %s at %s", fn, where);
            item_printf(it, "\n");
        } else {
            const char *loc = strstr(p, " is located ");

            if (loc && loc < p + line_len(p))
                item_printf(it, "  the address%.*s\n", line_len(loc), loc);
        }
    }
}

/* UBSan's report: "threads.c:12:5: runtime error: signed integer overflow: ..." (the line
 * whole: where, then what), and the function it happened in (the first frame). */
static void quote_ubsan(const char *out, const char *e, struct item *it)
{
    const char *start = e;
    char fn[128], where[256];

    while (start > out && start[-1] != '\n')
        start--;
    /* its location is the path the file was compiled from: the box's, shown as the student
     * knows it (procs.c:12:5, harness/labs/...), as the other reports name them */
    for (const char *p = start, *cut; p < e; p = cut + 1) {
        if (!(cut = memchr(p, '/', (size_t)(e - p))))
            break;
        if (!strncmp(cut, "/src/", 5) || !strncmp(cut, "/kit/", 5)) {
            start = cut + 5;
            break;
        }
    }
    item_printf(it, "UndefinedBehaviorSanitizer: %.*s\n", line_len(start), start);
    if (asan_frame(next_line(start), fn, sizeof(fn), where, sizeof(where)))
        item_printf(it, "  in %s at %s\n", fn, where);
}

enum verdict race_judge(const char *out, const struct jail_result *r, struct item *it)
{
    const char *w = out ? strstr(out, "WARNING: ThreadSanitizer: ") : NULL;
    const char *e = out ? strstr(out, "ERROR: AddressSanitizer: ") : NULL;
    const char *u = out ? strstr(out, ": runtime error: ") : NULL;
    char why[160];

    if (u && (!w || u < w) && (!e || u < e)) { /* undefined behaviour, first */
        quote_ubsan(out, u, it);
        return V_FAIL;
    }
    if (w) {
        quote_report(w, it);
        return V_FAIL;
    }
    if (e) {
        quote_asan(e, it);
        return V_FAIL;
    }
    switch (r->end) {
    case JAIL_EXITED:
        if (r->code == 0)
            return V_PASS;
        if (r->code == SAN_EXIT)
            item_printf(it, "the sanitizer stopped the run, but its report was lost\n");
        else
            item_printf(it, "the race driver found wrong results (exit %d):\n%s", r->code,
                        out && *out ? out : "(no output)\n");
        return V_FAIL;
    case JAIL_TIMEOUT:
    case JAIL_CPU_LIMIT:
        item_printf(it, "the race driver %s: a deadlock?\n", jail_describe(r, why, sizeof(why)));
        return V_TIMEOUT;
    case JAIL_SIGNALED:
        item_printf(it, "the race driver %s\n", jail_describe(r, why, sizeof(why)));
        return V_CRASH;
    case JAIL_START_FAILED:
        item_printf(it, "harness error, not your code: the race driver %s\n",
                    jail_describe(r, why, sizeof(why)));
        return V_ERROR;
    default:
        item_printf(it, "the race driver %s\n", jail_describe(r, why, sizeof(why)));
        return V_FAIL;
    }
}

enum verdict race_verdict(const char *out, const struct jail_result *r, bool harness_said,
                          struct item *it)
{
    if (harness_said && r->end == JAIL_EXITED && r->code == CHECK_HARNESS_EXIT) {
        item_printf(it,
                    "harness error, not your code: the race driver could not set itself "
                    "up:\n%s",
                    out && *out ? out : "(no output)\n");
        return V_ERROR;
    }
    return race_judge(out, r, it);
}

enum verdict race_run(const struct race_conf *c, struct item *it)
{
    char out[1100], seed[64], port[64], done[1200], donev[1300], keyv[64], forged[120];
    char dir[1100];
    int rc;
    uint64_t key[2];
    char *argv[] = {(char *)c->bin, NULL};
    /* halt at the first report, with an exit code of its own; no memory limit: either
     * sanitizer reserves terabytes of address space for its shadow. No leak check: the
     * item is about bad accesses. */
    char *env[] = {c->sanitizer == SAN_ADDRESS
                       ? "ASAN_OPTIONS=halt_on_error=1:exitcode=66:detect_leaks=0"
                   : c->sanitizer == SAN_UNDEFINED
                       ? "UBSAN_OPTIONS=halt_on_error=1:exitcode=66:print_stacktrace=1"
                       : "TSAN_OPTIONS=halt_on_error=1 exitcode=66 second_deadlock_stack=1",
                   seed,
                   port,
                   donev,
                   keyv,
                   NULL};
    struct jail_limits lim = {
        .wall_s = c->timeout_s, .cpu_s = 4 * c->timeout_s, .nproc = 256, .out_bytes = 1 << 20};
    struct sandbox sb;
    struct jail_result r;
    enum verdict v;

    snprintf(out, sizeof(out), "%s/race.out", c->logs);
    if (audit_done_key(key, keyv, sizeof(keyv)) < 0) {
        item_printf(it, "harness error, not your code: no random key for the run\n");
        return V_ERROR;
    }
    if (box_run_folder(c->box, dir, sizeof(dir)) < 0) {
        item_printf(it, "harness error, not your code: could not make the driver's folder\n");
        return V_ERROR;
    }
    snprintf(done, sizeof(done), "%s/race.done", dir);
    snprintf(donev, sizeof(donev), "CHECK_DONE=%s", done);
    snprintf(seed, sizeof(seed), "SEED=%llu", (unsigned long long)c->seed);
    snprintf(port, sizeof(port), "KITCHEN_PORT=%u", c->port);
    rc = jail_run(argv, sandbox_opts(&sb, c->box, dir, lim, out, env), &r);
    char *said = audit_done_read(done, jail_uid(), key, forged, sizeof(forged));
    bool said_error = audit_done_has(said, "harness error"),
         finished = audit_done_has(said, "race driver");
    free(said);
    box_remove(dir); /* a folder of its own, as a test's (correct.c) */
    if (rc < 0) {
        item_printf(it, "harness error, not your code: could not run the race driver\n");
        return V_ERROR;
    }
    if (forged[0]) { /* whatever else the run said */
        item_printf(it,
                    "the race driver's done file holds a line the harness did not write (%s): "
                    "something in the code under test wrote to it, a forgery or a guess at "
                    "the run's key\n",
                    forged);
        return V_FAIL;
    }
    char *text = sys_slurp(out, OUT_MAX, NULL);
    v = race_verdict(text, &r, r.end == JAIL_EXITED && r.code == CHECK_HARNESS_EXIT && said_error,
                     it);
    free(text);
    if (v == V_PASS && !finished) {
        item_printf(it, "the race driver's process ended before the driver did: does the code "
                        "call exit(), _exit() or pthread_exit() in the caller's process?\n");
        v = V_FAIL;
    }
    return v;
}
