/* cr_modules.c: Criterion's start-up module walk kept to the modules that hold its sections.
 *
 * At start-up, libcriterion (2.4.1) looks for each of its ELF sections (tests, hooks, ...) in
 * every loaded module: dl_iterate_phdr(), then per module an open() and mmap()s of its
 * headers, a dozen times over, in the runner and again in each test's worker. Debian's
 * libcriterion loads some 20 libraries (libgit2, OpenSSL, Kerberos, ...): 1,000 mmaps and
 * about 90 ms of CPU a test run, more than most tests take. Its sections live only in the
 * program (the tests) and in libcriterion, so when libcriterion asks (its return address),
 * it is shown those two; any other caller (the C library's unwinder, a sanitizer, the code
 * under test) gets the C library's answer untouched. A program that links this file and
 * libcriterion exports this dl_iterate_phdr() (libcriterion imports the name), so
 * libcriterion's call binds to it. (Criterion's socket, the same way: cr_socket.c.) With the
 * kit's static Criterion, its sections are in the program, which is always shown. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "cr_modules.h"

static bool criterion_path(const char *path)
{
    const char *base = path ? strrchr(path, '/') : NULL;

    base = base ? base + 1 : path;
    return base && strncmp(base, "libcriterion.", strlen("libcriterion.")) == 0;
}

/* The kit's static Criterion (harness/criterion/build.sh) keeps its code in a section of its
 * own, whose bounds the linker gives; the student's objects may neither put anything in it
 * nor name these bounds (audit_elf.c). Linked with libcriterion.so, they are NULL. */
extern const char __start_criterion_text[] __attribute__((weak));
extern const char __stop_criterion_text[] __attribute__((weak));

bool cr_in_criterion(const void *addr)
{
    Dl_info di;
    const char *a = addr;

    if (a && __start_criterion_text && a >= __start_criterion_text && a < __stop_criterion_text)
        return true;
    return addr && dladdr(addr, &di) && criterion_path(di.dli_fname);
}

typedef int (*phdr_fn)(struct dl_phdr_info *, size_t, void *);

struct phdr_filter {
    phdr_fn fn;
    void *data;
};

static int criterion_modules(struct dl_phdr_info *info, size_t size, void *data)
{
    const struct phdr_filter *f = data;

    /* the program itself has no name here; libraries are named by path */
    if (info->dlpi_name && info->dlpi_name[0] && !criterion_path(info->dlpi_name))
        return 0;
    return f->fn(info, size, f->data);
}

int dl_iterate_phdr(phdr_fn fn, void *data)
{
    static int (*libc_walk)(phdr_fn, void *);

    if (!libc_walk)
        libc_walk = (int (*)(phdr_fn, void *))dlsym(RTLD_NEXT, "dl_iterate_phdr");
    if (!libc_walk)
        return 0;
    if (cr_in_criterion(__builtin_return_address(0))) {
        struct phdr_filter f = {fn, data};
        return libc_walk(criterion_modules, &f);
    }
    return libc_walk(fn, data);
}
