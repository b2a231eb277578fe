/* libc_fn.c (hostile, shared): pasted into the attacks that say @SHARED libc_fn@
 * (tests/mutant_patch.py expand; not a file of its own when graded). It needs <elf.h>,
 * <stdint.h>, <stdio.h> and <string.h>.
 *
 * A C library symbol by name and type (STT_FUNC, STT_OBJECT), found in memory: from
 * stdout's page back to libc's ELF header, then its dynamic symbols; libc_fn() for a
 * function. No symbol of the attack refers to it, so an audit of the object's symbols
 * cannot see the call. */
static void *libc_sym(const char *want, int type)
{
    const unsigned char *p = (const unsigned char *)((uintptr_t)stdout & ~(uintptr_t)4095);
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;
    const Elf64_Dyn *d = NULL;
    const Elf64_Sym *sym = NULL;
    const char *str = NULL;

    while (memcmp(p, ELFMAG, SELFMAG)) /* libc's segments are mapped back to back */
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
        if (s->st_value && ELF64_ST_TYPE(s->st_info) == type && !strcmp(str + s->st_name, want))
            return (void *)(p + s->st_value);
    return NULL;
}

static void *libc_fn(const char *want)
{
    return libc_sym(want, STT_FUNC);
}
