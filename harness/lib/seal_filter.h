/* seal_filter.h: the seccomp filter of the seal (done.c's check_seal), private to harness/lib. */
#ifndef SEAL_FILTER_H
#define SEAL_FILTER_H

#include <stdint.h>

#include <linux/audit.h>

#if defined(__x86_64__)
#define SEAL_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SEAL_ARCH AUDIT_ARCH_AARCH64
#endif

/* Installs, in every thread of the process (TSYNC), the filter that keeps the file system,
 * other processes and fd seal_fd out of reach: seal_fd written only by pwrite64 with secret
 * in its spare arguments (any other write to it ends the process), the Unix sockets open
 * now keeping their numbers. 0, or -errno (no filter installed). Only where SEAL_ARCH is
 * defined. DESIGN.md, "The seal". */
int seal_install(int seal_fd, const uint32_t secret[2]);

#endif
