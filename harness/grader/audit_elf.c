/* audit_elf.c: a student's object file (ELF, relocatable): no code that runs outside a
 * call (constructors, destructors, init/fini arrays by name or type, IFUNC resolvers), no code in
 * sections of its own, no data among the code, calls only on the allowlist. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_int.h"

/* The static Criterion's code section (harness/criterion/build.sh, cr_modules.c): what
 * lies between its bounds is taken for Criterion's code by the test library's guards. */
#define CR_KIT_SECTION "criterion_text"

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
        if ((runs_outside_a_call(name) || s->sh_type == SHT_INIT_ARRAY ||
             s->sh_type == SHT_FINI_ARRAY || s->sh_type == SHT_PREINIT_ARRAY) &&
            !bad++)
            audit_add_why(why, len,
                          "%s runs code outside the calls the harness makes (a constructor or "
                          "destructor: section %s): the grader refuses it, since such code could "
                          "tamper with the test runner\n",
                          shown, name);
        if (!strncmp(name, CR_KIT_SECTION, strlen(CR_KIT_SECTION)) && !bad++)
            audit_add_why(why, len,
                          "%s puts something in the test runner's Criterion section (%s): "
                          "the grader refuses it\n",
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

/* An IFUNC's resolver runs while the dynamic loader relocates the program, before main()
 * and the seal: code outside any call, like a constructor. */
static int check_relocs(const struct elf *e, const char *shown, char *why, size_t len)
{
    for (size_t i = 1; i < e->eh->e_shnum; i++) {
        const Elf64_Shdr *s = section(e, i);
        size_t ent, n;
        const unsigned char *p;

        if (!s)
            return -EINVAL;
        if (s->sh_type != SHT_RELA && s->sh_type != SHT_REL)
            continue;
        ent = s->sh_type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
        n = s->sh_entsize == ent ? s->sh_size / ent : 0;
        if (!(p = at(e, s->sh_offset, n * ent)))
            return -EINVAL;
        for (size_t k = 0; k < n; k++) {
            Elf64_Xword info;

            memcpy(&info, p + k * ent + sizeof(Elf64_Addr), sizeof(info));
            if (ELF64_R_TYPE(info) == R_X86_64_IRELATIVE) {
                audit_add_why(why, len,
                              "%s runs code outside the calls the harness makes (an IFUNC "
                              "resolver: relocation R_X86_64_IRELATIVE): the grader refuses "
                              "it, since it would run before the test runner starts\n",
                              shown);
                return 1;
            }
        }
    }
    return 0;
}

/* __start_X or __stop_X: the linker's bounds of a section X (a symbol of that name defined
 * by the student's file would be taken for them) */
static bool bounds_name(const char *name)
{
    return !strncmp(name, "__start_", 8) || !strncmp(name, "__stop_", 7);
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

/* The C library's variables a file may name (an undefined symbol says nothing of its type):
 * "uses stdin", not "calls stdin()". */
static const char *const libc_data[] = {"stdin",
                                        "stdout",
                                        "stderr",
                                        "environ",
                                        "__environ",
                                        "optarg",
                                        "optind",
                                        "opterr",
                                        "optopt",
                                        "tzname",
                                        "timezone",
                                        "daylight",
                                        "program_invocation_name",
                                        "program_invocation_short_name",
                                        NULL};

static int check_symbols(const struct elf *e, const char *shown, const struct audit_rules *r,
                         char *why, size_t len)
{
    int bad = 0, calls = 0;

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
            if (ELF64_ST_TYPE(syms[k].st_info) == STT_GNU_IFUNC && bad++ < 8)
                audit_add_why(why, len,
                              "%s runs code outside the calls the harness makes (%s is an "
                              "IFUNC, `__attribute__((ifunc))` or `target_clones`: its "
                              "resolver runs before main()): the grader refuses it, since such "
                              "code could tamper with the test runner\n",
                              shown, name[0] ? name : "?");
            if (bounds_name(name) && bad++ < 8)
                audit_add_why(why, len,
                              "%s names %s, a section's bound that only the linker gives: the "
                              "grader refuses it\n",
                              shown, name);
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
            calls++;
            if (bad++ < 8)
                audit_add_why(why, len,
                              audit_in_list(libc_data, name)
                                  ? "%s uses %s, which this lab does not allow\n"
                                  : "%s calls %s(), which this lab does not allow\n",
                              shown, name);
        }
    }
    if (calls)
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
    unsigned char *p;
    struct elf e;
    int rc = -EINVAL, s1, s2, s3;

    if (audit_too_big(obj, AUDIT_OBJ_MAX, shown, "object file", why, len))
        return 1;
    p = (unsigned char *)audit_read_untrusted(obj, -1, AUDIT_OBJ_MAX, &n);
    e = (struct elf){p, n, (const Elf64_Ehdr *)p};
    if (!p)
        return -errno;
    if (n < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) || p[EI_CLASS] != ELFCLASS64 ||
        e.eh->e_type != ET_REL || !section(&e, e.eh->e_shstrndx))
        goto out;
    why[0] = '\0';
    s1 = check_sections(&e, shown, why, len);
    s2 = s1 < 0 ? 0 : check_symbols(&e, shown, r, why, len);
    s3 = s1 < 0 || s2 < 0 ? 0 : check_relocs(&e, shown, why, len);
    rc = s1 < 0 || s2 < 0 || s3 < 0 ? -EINVAL : s1 || s2 || s3;
out:
    free(p);
    return rc;
}
