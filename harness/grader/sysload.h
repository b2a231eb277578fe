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

/* The cores others used meanwhile: the machine's busy time less own_cpu_s, two ticks a
 * core of slack, over wall_s. */
double sysload_others(const struct sysload *before, const struct sysload *after, double wall_s,
                      double own_cpu_s, int online);

/* Was the run starved by others, though no more of its `threads` than cores ran: its tasks
 * waited for a CPU (runq_s, summed over them: jail_result.runq_s; < 0 unknown) more than
 * SYSLOAD_WAITED of wall_s while others used CPU (cores, sysload_others)? A neighbour whose
 * bursts stay under the machine-wide rule still takes a single-threaded run's core now and
 * then (a correct cook read cpu/wall 0.81 beside five busy graders); a run that makes its
 * own tasks wait (more threads than cores) or waits with nobody else running is not
 * excused. Writes the reason into why. */
#define SYSLOAD_WAITED 0.05

/* How long this process's threads (the grader's: the one that stamps the driver's lines,
 * the one that reaps the run) have waited for a CPU so far, in seconds (schedstat). A
 * trial's wall runs from the "start" line's arrival to the run's end as the grader saw
 * them: when others kept the grader itself waiting, its clocks read late, and a run of
 * its own stayed unharmed (sysload_starved) while its cpu/wall read low. */
double sysload_self_wait(void);
bool sysload_starved(double runq_s, double wall_s, double others, int threads, int online,
                     char *why, size_t len);

#endif
