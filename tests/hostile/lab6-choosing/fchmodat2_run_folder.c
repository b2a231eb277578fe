/* hostile: fchmodat2 (syscall 452, Linux 6.6) is not in the seal's list of denied calls (chmod,
 *          fchmod and fchmodat are): hybrid_map() takes every permission off its working folder,
 *          the run folder every later test of the grading shares (it owns it), then fails.
 *          Every later test's runner (the jail user) can then no longer enter the folder nor
 *          write its TAP: the grader must see the student's fault (or undo the mode), never
 *          report the later tests as its own failure (harness error), and the seal must refuse
 *          fchmodat2 like its siblings.
 * replaces: hybrid.c
 * expect: hybrid::meals fail
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

static long probe(void)
{
    long r = sys6(452, -100, (long)".", 0, 0, 0, 0); /* fchmodat2(AT_FDCWD, ".", 0, 0) */
    return -(5000 + (r < 0 ? -r : 0));
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
