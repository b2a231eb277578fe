/* hostile: a wrong cook() (dish ^ 1) that widens what the test library takes for Criterion's
 *          code. With the kit's static Criterion, check_end()'s guard takes a return address
 *          between __start_criterion_text and __stop_criterion_text for Criterion's own
 *          (cr_modules.c): this file defines both bounds itself (aliases: cook() itself,
 *          whose calls return into it, and a variable after all the code) and puts a byte in
 *          the section criterion_text, so that a call of check_end() from cook() (found as
 *          cook_fini_forge.c finds it) would pass the guard's first half. Contain: the audit
 *          refuses a file that names a section's bounds or puts anything in that section
 *          (audit_elf.c); check_end() still writes nothing below check_begin()'s depth
 * replaces: cook.c
 * expect: build cook.c build error
 * denies: cook::matches_reference
 * denies: cook::zero_rounds
 * denies: seq_map::results_in_order
 */
#include <errno.h>
#include <stdint.h>

#include "lab1.h"

static char after_the_code[1];
extern char __stop_criterion_text[1] __attribute__((alias("after_the_code")));
int __start_criterion_text(uint64_t seed, uint64_t rounds, uint64_t *dish)
    __attribute__((alias("cook")));
__attribute__((section("criterion_text"), used)) static const unsigned char mark[] = {0xc3};

int cook(uint64_t seed, uint64_t rounds, uint64_t *dish)
{
    if (!dish)
        return -EINVAL;
    (void)rounds;
    *dish = seed ^ 1; /* wrong */
    return 0;
}
