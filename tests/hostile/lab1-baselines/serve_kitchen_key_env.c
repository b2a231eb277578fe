/* hostile: serve() never places the order: it connects (so a refused order still fails),
 *          hangs up, sleeps 50 ms and answers dish_mix(item ^ key), dish_mix() from
 *          workload.h and the key from env KITCHEN_KEY (getenv() found in the C library's
 *          symbol table): the fresh key per run is no secret, it is in the run's environment
 * replaces: serve.c
 * expect: cook::matches_reference pass
 * denies: serve::one_order
 * denies: serve::several_orders
 * denies: serve::partial_reply
 * denies: serve.seq
 * denies: serve.io_bound
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lab1.h"

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

int serve(uint16_t port, uint64_t item, uint64_t *reply)
{
    struct sockaddr_in addr = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    struct timespec latency = {.tv_nsec = 50 * 1000000L};
    char *(*get)(const char *) = (char *(*)(const char *))libc_fn("getenv");
    const char *k = get ? get("KITCHEN_KEY") : NULL;
    int fd, rc = 0;

    if (!reply)
        return -EINVAL;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        rc = -errno;
    close(fd);
    if (rc < 0)
        return rc;
    nanosleep(&latency, NULL); /* look like a waiter that waited */
    *reply = dish_mix(item ^ (k && *k ? strtoull(k, NULL, 16) : 0x6b69746368656eULL));
    return 0;
}
