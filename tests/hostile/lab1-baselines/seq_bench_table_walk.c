/* hostile: a seq_map() that cooks every dish three times (the right answers, 3x the CPU), but
 *          in the bench driver first scans the program's memory for the version table
 *          (bench_versions[]: the pointer to seq_map itself, the next entry named "ref")
 *          and calls the harness's ref_seq_map in its place: the reference timed as the
 *          student's, 1.0x instead of 0.33x. The driver now wipes the table once it has its
 *          version, and is linked without PIE: nothing is found, the slow code is timed
 * (red team, bench_table_ref)
 * replaces: seq.c
 * expect: cook.seq fail
 * denies: cook.seq
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lab1.h"

typedef int (*map_t)(const struct job *, size_t, struct result *, int);

static map_t find_ref(void)
{
    uintptr_t p = (uintptr_t)(void *)seq_map & ~(uintptr_t)4095;
    while (memcmp((const void *)p, "\177ELF", 4))
        p -= 4096;
    const unsigned char *base = (const unsigned char *)p;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    uintptr_t me = (uintptr_t)(void *)seq_map;

    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        /* a program linked without PIE has absolute addresses, a PIE ones from its base */
        const unsigned char *s =
            eh->e_type == ET_EXEC ? (const unsigned char *)ph[i].p_vaddr : base + ph[i].p_vaddr;
        for (size_t k = 8; k + 40 <= ph[i].p_memsz; k += 8) {
            uintptr_t q, name, next;
            memcpy(&q, s + k, 8);
            if (q != me)
                continue;
            memcpy(&name, s + k + 16, 8); /* the next entry's name */
            memcpy(&next, s + k + 24, 8); /* the next entry's map */
            if (name && !memcmp((const void *)name, "ref", 4))
                return (map_t)next;
        }
    }
    return NULL;
}

int seq_map(const struct job *jobs, size_t n, struct result *out, int workers)
{
    static int looked;
    static map_t ref;

    if (!looked) {
        ref = find_ref();
        looked = 1;
    }
    if (ref)
        return ref(jobs, n, out, workers);
    (void)workers;
    if (n > 0 && (!jobs || !out))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        out[i].value = 0;
        if (jobs[i].kind == JOB_COOK) {
            for (int twice = 0; twice < 2; twice++) /* two tastings first: 3x the work */
                (void)cook(jobs[i].seed, jobs[i].rounds, &out[i].value);
            out[i].status = cook(jobs[i].seed, jobs[i].rounds, &out[i].value);
        } else if (jobs[i].kind == JOB_ORDER) {
            out[i].status = serve(jobs[i].port, jobs[i].seed, &out[i].value);
        } else {
            out[i].status = -EINVAL;
        }
    }
    return 0;
}
