/* sysload.h: the machine while a trial ran, and whether others disturbed it. */
#ifndef SYSLOAD_H
#define SYSLOAD_H

#include <stdbool.h>
#include <stddef.h>

/* The machine while one trial ran, from /proc/stat and /proc/pressure/cpu. */
struct sysload {
    double busy_s; /* non-idle CPU seconds, all cores (steal included) */
    double steal_s;
    double psi_s; /* seconds during which some task waited for a CPU */
};

int sysload_read(struct sysload *s);
/* Was a trial that used `own_cpu_s` of CPU in `wall_s` disturbed, on a machine with
 * `online` cores, of which the trial could use `need`, running `threads` threads of
 * work? Writes the reason into why. */
bool sysload_disturbed(const struct sysload *before, const struct sysload *after, double wall_s,
                       double own_cpu_s, int online, double need, int threads, char *why,
                       size_t len);

#endif
