/* build_names.c: which names a built object or driver shows (objcopy, and an ELF .symtab
 * read by us), for build.c and build_race.c. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_cc.h"
#include "sys.h"

/* Add to `list` (one a line) each name obj's .symtab defines (no section or file
 * symbol); duplicates are harmless to objcopy. 0 or -errno. */
static int defined_names(const char *obj, FILE *list)
{
    size_t len;
    char *b = sys_slurp(obj, 64 << 20, &len);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b;
    int rc = -ENOEXEC;

    if (!b)
        return -errno;
    if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shoff > len || (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > len - eh->e_shoff)
        goto out;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(b + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *st = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset || st->sh_offset > len ||
            st->sh_size > len - st->sh_offset || st->sh_size == 0 ||
            b[st->sh_offset + st->sh_size - 1] != '\0')
            goto out;
        const Elf64_Sym *sym = (const Elf64_Sym *)(b + sh[i].sh_offset);
        const char *str = b + st->sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++) {
            const char *name = str + (sym[k].st_name < st->sh_size ? sym[k].st_name : 0);
            int type = ELF64_ST_TYPE(sym[k].st_info);
            if (!*name || sym[k].st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
                strlen(name) > 256 || strchr(name, '\n'))
                continue;
            fprintf(list, "%s\n", name);
        }
    }
    rc = 0;
out:
    free(b);
    return rc;
}

int cc_strip_ours(const struct build_out *o, const char *exe, char *const ours[], int nours)
{
    char path[1100], arg[1200], log[1100], *argv[4];
    FILE *f;
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s.strip", exe);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        return rc;
    }
    for (int i = 0; i < nours && rc == 0; i++)
        rc = defined_names(ours[i], f);
    if (fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc < 0)
        return rc;
    snprintf(arg, sizeof(arg), "--strip-symbols=%s", path);
    snprintf(log, sizeof(log), "%s/objcopy.log", o->logs);
    argv[0] = "/usr/bin/objcopy";
    argv[1] = arg;
    argv[2] = (char *)exe;
    argv[3] = NULL;
    return cc_run(o, argv, log, NULL) == 0 ? 0 : -ENOEXEC;
}

/* Only the lab's own names stay visible outside a student's object: a student file
 * cannot stand in for a C library or harness function (say, its own fclose()). */
int cc_localize(const struct build_out *o, const struct spec *s, const char *obj)
{
    char *argv[BUILD_MAX_ARGS + SPEC_MAX_NAMES], log[1100], keep[SPEC_MAX_NAMES][64];
    int n = 0;

    argv[n++] = "/usr/bin/objcopy";
    for (int i = 0; i < s->napi; i++) {
        snprintf(keep[i], sizeof(keep[i]), "-G%s", s->api[i]);
        argv[n++] = keep[i];
    }
    argv[n++] = (char *)obj;
    argv[n] = NULL;
    snprintf(log, sizeof(log), "%s/objcopy.log", o->logs);
    return cc_run(o, argv, log, NULL) == 0 ? 0 : -ENOEXEC;
}
