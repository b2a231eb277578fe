/* hostile: nothing implemented: every metrics call hangs with three more threads spinning
 *          beside it. Four runnable threads on 2 cores keep the kernel's CPU pressure (PSI)
 *          high while the run's own CPU stays within the cores it may use: correct.c takes
 *          that pressure for a busy machine, runs the timeout 3 times and reports it
 *          INCONCLUSIVE ("not a fail", to regrade) instead of TIME; classroom_report.py's
 *          `credit` policy then gave every such test full points. Now: the pressure is not
 *          asked for tests, and a timeout that had half a core all along stands at once
 * strict: the timeouts stand however busy the machine (red team, attack 7)
 * replaces: metrics.c
 * expect: amdahl::worked_example timeout
 * expect: amdahl::limits timeout
 * denies: amdahl::worked_example
 * denies: amdahl::limits
 */
#include <pthread.h>

#include "lab1.h"

static void *spin(void *arg)
{
    volatile unsigned long *n = arg;

    for (;;)
        (*n)++;
    return NULL;
}

static void attack(void)
{
    static volatile unsigned long n[4];
    pthread_t t;

    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, spin, (void *)&n[i]);
    spin((void *)&n[3]);
}

/* @SHARED metrics_all@: all five metrics, each calling attack() (tests/hostile/shared/metrics_all.c) */
