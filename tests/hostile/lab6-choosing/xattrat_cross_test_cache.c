/* hostile: setxattrat/getxattrat (syscalls 463/464, Linux 6.13) are not in the seal's list,
 *          whose setxattr, lsetxattr, fsetxattr and removexattr siblings are denied ("keep data
 *          past the run ... a cache a later trial could read"): the first test stores a value
 *          in a user.* attribute of the run folder every later test shares, each later test
 *          reads it back (and returns it, so that its failure message shows the carried value).
 * replaces: hybrid.c
 * denies: hybrid::meals
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab5.h"
#include "lab6.h"

static void *libc_fn(const char *want)
{
    const unsigned char *p = (const unsigned char *)((uintptr_t)stdout & ~(uintptr_t)4095);
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;
    const Elf64_Dyn *d = NULL;
    const Elf64_Sym *sym = NULL;
    const char *str = NULL;

    while (memcmp(p, ELFMAG, SELFMAG))
        p -= 4096;
    eh = (const Elf64_Ehdr *)p;
    ph = (const Elf64_Phdr *)(p + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC)
            d = (const Elf64_Dyn *)(p + ph[i].p_vaddr);
    for (; d && d->d_tag != DT_NULL; d++) {
        uintptr_t a = d->d_un.d_ptr < (uintptr_t)p ? (uintptr_t)p + d->d_un.d_ptr : d->d_un.d_ptr;
        if (d->d_tag == DT_SYMTAB)
            sym = (const Elf64_Sym *)a;
        else if (d->d_tag == DT_STRTAB)
            str = (const char *)a;
    }
    for (const Elf64_Sym *s = sym; s && str && (const char *)s < str; s++)
        if (s->st_value && ELF64_ST_TYPE(s->st_info) == STT_FUNC && !strcmp(str + s->st_name, want))
            return (void *)(p + s->st_value);
    return NULL;
}

static long (*sc)(long, ...);

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    if (!sc)
        sc = (long (*)(long, ...))libc_fn("syscall");
    if (!sc)
        return -38;
    long r = sc(nr, a, b, c, d, e, f);
    return r < 0 ? -(long)errno : r;
}

struct xattr_args {
    uint64_t value;
    uint32_t size;
    uint32_t flags;
};

static long probe(void)
{
    static char got[64];
    struct xattr_args g = {(uint64_t)(uintptr_t)got, sizeof(got), 0};
    long r = sys6(464, -100, (long)".", 0, (long)"user.rt8", (long)&g, sizeof(g)); /* getxattrat */
    if (r > 0)
        return -(700000 + strtol(got, NULL, 10)); /* a value an earlier test left */
    static const char val[] = "4242";
    struct xattr_args s = {(uint64_t)(uintptr_t)val, sizeof(val), 0};
    long w = sys6(463, -100, (long)".", 0, (long)"user.rt8", (long)&s, sizeof(s)); /* setxattrat */
    return -(600000 + (w < 0 ? -w : 0) * 10 + (r < 0 ? -r : 0) % 10);
}

int hybrid_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    (void)jobs;
    (void)out;
    (void)workers;
    if (n == 0)
        return 0;
    return (int)probe();
}
