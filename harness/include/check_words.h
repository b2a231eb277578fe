/* check_words.h: words a test's failure message says to the grader (correct.c reads
 * them), kept in one place for both. */
#ifndef CHECK_WORDS_H
#define CHECK_WORDS_H

/* The end of a failure message that no busy machine can cause (a count, a value, a
 * descriptor left open) in a test the spec marks timing=sensitive: the grader reads such a
 * failure as a fail at once, not as a disturbed machine's maybe. */
#define CHECK_NOT_TIMING " (a count, not a timing: a busy machine does not change it)"
/* The same for a thread's own CPU time found too high (a waiter that spins): other processes
 * on the machine take CPU from it, never give it any, so they cannot raise it. */
#define CHECK_OWN_CPU " (its own CPU time: a busy machine lowers it, never raises it)"

#endif
