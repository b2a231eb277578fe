/* race.c: run a lab's race driver under ThreadSanitizer and judge what it reports. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jail.h"
#include "kitchen.h"
#include "race.h"
#include "sandbox.h"
#include "sys.h"

#define TSAN_EXIT 66
#define OUT_MAX   (256 * 1024)

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

enum verdict race_judge(const char *out, const struct jail_result *r, struct item *it)
{
    const char *w = out ? strstr(out, "WARNING: ThreadSanitizer: ") : NULL;
    char why[160];

    if (w) {
        quote_report(w, it);
        return V_FAIL;
    }
    switch (r->end) {
    case JAIL_EXITED:
        if (r->code == 0)
            return V_PASS;
        if (r->code == TSAN_EXIT)
            item_printf(it, "ThreadSanitizer stopped the run, but its report was lost\n");
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

enum verdict race_run(const struct race_conf *c, struct item *it)
{
    char out[1100], seed[64], port[64], done[1100], donev[1200];
    char *argv[] = {(char *)c->bin, NULL};
    /* halt at the first report, with an exit code of its own; no memory limit: TSan
     * reserves terabytes of address space for its shadow */
    char *env[] = {"TSAN_OPTIONS=halt_on_error=1 exitcode=66 second_deadlock_stack=1",
                   seed,
                   port,
                   donev,
                   (char *)kitchen_key_env(),
                   NULL};
    struct jail_limits lim = {
        .wall_s = c->timeout_s, .cpu_s = 4 * c->timeout_s, .nproc = 256, .out_bytes = 1 << 20};
    struct sandbox sb;
    struct jail_result r;
    enum verdict v;

    snprintf(out, sizeof(out), "%s/race.out", c->logs);
    snprintf(done, sizeof(done), "%s/race.done", c->run);
    snprintf(donev, sizeof(donev), "CHECK_DONE=%s", done);
    remove(done);
    snprintf(seed, sizeof(seed), "SEED=%llu", (unsigned long long)c->seed);
    snprintf(port, sizeof(port), "KITCHEN_PORT=%u", c->port);
    if (jail_run(argv, sandbox_opts(&sb, c->box, c->run, lim, out, env), &r) < 0) {
        item_printf(it, "harness error, not your code: could not run the race driver\n");
        return V_ERROR;
    }
    char *text = sys_slurp(out, OUT_MAX, NULL);
    v = race_judge(text, &r, it);
    free(text);
    if (v == V_PASS && !audit_done_seen(done, jail_uid(), "race driver")) {
        item_printf(it, "the race driver's process ended before the driver did: does the code "
                        "call exit(), _exit() or pthread_exit() in the caller's process?\n");
        v = V_FAIL;
    }
    return v;
}
