/* sys6.c (hostile, shared): pasted into the attacks that say @SHARED sys6@ (tests/mutant_patch.py
 * expand), after @SHARED libc_fn@. It needs <errno.h>.
 *
 * syscall() itself, found in libc's dynamic symbols: no asm, no forbidden name. Returns the
 * call's result, or -errno. */
static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    static long (*sc)(long, ...);

    if (!sc)
        sc = (long (*)(long, ...))libc_fn("syscall");
    if (!sc)
        return -38;
    long r = sc(nr, a, b, c, d, e, f);
    return r < 0 ? -(long)errno : r;
}
