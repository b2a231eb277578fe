/* hex.c (hostile, shared): pasted into the attacks that say @SHARED hex@ (tests/mutant_patch.py
 * expand). Reads lowercase hex digits from *p, moving *p past them: the address ranges of
 * /proc/self/maps are written that way. */
static unsigned long hex(const char **p)
{
    unsigned long v = 0;
    for (;; (*p)++) {
        char c = **p;
        if (c >= '0' && c <= '9')
            v = v * 16 + (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v * 16 + (unsigned long)(c - 'a' + 10);
        else
            return v;
    }
}
