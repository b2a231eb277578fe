/* audit_elf.c: a student's object file (ELF, relocatable): no code that runs outside a
 * call, no code in sections of its own, no data among the code, calls only on the
 * allowlist. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_int.h"

#define OBJ_MAX (64u << 20)

struct elf {
    const unsigned char *p;
    size_t len;
    const Elf64_Ehdr *eh;
};

static const void *at(const struct elf *e, size_t off, size_t size)
{
    return off <= e->len && size <= e->len - off ? e->p + off : NULL;
}

static const Elf64_Shdr *section(const struct elf *e, size_t i)
{
    if (i >= e->eh->e_shnum || e->eh->e_shentsize != sizeof(Elf64_Shdr))
        return NULL;
    return at(e, e->eh->e_shoff + i * sizeof(Elf64_Shdr), sizeof(Elf64_Shdr));
}

/* A NUL-ended string at `off` of string table section `i`, or NULL. */
static const char *str_at(const struct elf *e, size_t i, size_t off)
{
    const Elf64_Shdr *s = section(e, i);
    const char *base;

    if (!s || off >= s->sh_size || !(base = at(e, s->sh_offset, s->sh_size)))
        return NULL;
    return memchr(base + off, '\0', s->sh_size - off) ? base + off : NULL;
}

static bool runs_outside_a_call(const char *name)
{
    static const char *const bad[] = {".init_array", ".fini_array", ".preinit_array", ".ctors",
                                      ".dtors",      ".init",       ".fini",          NULL};

    for (const char *const *b = bad; *b; b++) {
        size_t n = strlen(*b);
        if (!strncmp(name, *b, n) && (name[n] == '\0' || name[n] == '.'))
            return true;
    }
    return false;
}

static int check_sections(const struct elf *e, const char *shown, char *why, size_t len)
{
    int bad = 0;

    for (size_t i = 1; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *s = section(e, i);
        const char *name = s ? str_at(e, e->eh->e_shstrndx, s->sh_name) : NULL;

        if (!s || !name)
            return -EINVAL;
        if (runs_outside_a_call(name) && !bad++)
            audit_add_why(why, len,
                          "%s runs code outside the calls the harness makes (a constructor or "
                          "destructor: section %s): the grader refuses it, since such code could "
                          "tamper with the test runner\n",
                          shown, name);
        if ((s->sh_flags & SHF_EXECINSTR) &&
            ((s->sh_flags & SHF_WRITE) || strncmp(name, ".text", 5)) && !bad++)
            audit_add_why(why, len,
                          "%s puts code in a section of its own (%s): the grader accepts "
                          "only what the compiler makes of C functions\n",
                          shown, name);
    }
    return bad;
}

/* A variable in an executable section: machine code written as an array. */
static bool data_in_code(const struct elf *e, const Elf64_Sym *sym)
{
    int type = ELF64_ST_TYPE(sym->st_info);
    const Elf64_Shdr *s;

    if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE ||
        (type != STT_OBJECT && type != STT_TLS && type != STT_COMMON))
        return false;
    s = section(e, sym->st_shndx);
    return !s || (s->sh_flags & SHF_EXECINSTR);
}

static int check_symbols(const struct elf *e, const char *shown, const struct audit_rules *r,
                         char *why, size_t len)
{
    int bad = 0;

    for (size_t i = 1; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *s = section(e, i);
        const Elf64_Sym *syms;
        size_t n;

        if (!s)
            return -EINVAL;
        if (s->sh_type != SHT_SYMTAB)
            continue;
        n = s->sh_entsize == sizeof(Elf64_Sym) ? s->sh_size / sizeof(Elf64_Sym) : 0;
        syms = at(e, s->sh_offset, n * sizeof(Elf64_Sym));
        if (!syms)
            return -EINVAL;
        for (size_t k = 1; k < n; k++) {
            const char *name = str_at(e, s->sh_link, syms[k].st_name);
            int bind = ELF64_ST_BIND(syms[k].st_info);

            if (!name)
                return -EINVAL;
            if (data_in_code(e, &syms[k]) && bad++ < 8)
                audit_add_why(why, len,
                              "%s puts data (%s) among its code: machine code written "
                              "as data is refused\n",
                              shown, name[0] ? name : "?");
            if (syms[k].st_shndx != SHN_UNDEF || bind == STB_LOCAL || !name[0] ||
                !strcmp(name, "_GLOBAL_OFFSET_TABLE_"))
                continue;
            if (audit_base_allowed(name) || audit_in_list(r->allow, name) ||
                audit_in_list(r->api, name))
                continue;
            if (bad++ < 8)
                audit_add_why(why, len, "%s calls %s(), which this lab does not allow\n", shown,
                              name);
        }
    }
    if (bad)
        audit_add_why(why, len,
                      "  the grader allows the C library's memory, string, printing, maths, time "
                      "and thread functions, plus what the lab needs (%s's spec, `allow`): no "
                      "files, processes, signals or exit() where the lab has none\n",
                      r->lab ? r->lab : "the lab");
    return bad;
}

int audit_object(const char *obj, const char *shown, const struct audit_rules *r, char *why,
                 size_t len)
{
    size_t n = 0;
    unsigned char *p = (unsigned char *)audit_read_untrusted(obj, -1, OBJ_MAX, &n);
    struct elf e = {p, n, (const Elf64_Ehdr *)p};
    int rc = -EINVAL, s1, s2;

    if (!p)
        return -errno;
    if (n < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) || p[EI_CLASS] != ELFCLASS64 ||
        e.eh->e_type != ET_REL || !section(&e, e.eh->e_shstrndx))
        goto out;
    why[0] = '\0';
    s1 = check_sections(&e, shown, why, len);
    s2 = s1 < 0 ? 0 : check_symbols(&e, shown, r, why, len);
    rc = s1 < 0 || s2 < 0 ? -EINVAL : s1 || s2;
out:
    free(p);
    return rc;
}
