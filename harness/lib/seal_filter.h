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

/* Installs, in every thread of the process (TSYNC), the filter that keeps the file system
 * and other processes out of reach, and fd seal_fd from being copied, truncated or written
 * other than by write() (any other write to it ends the process), the Unix sockets open
 * now keeping their numbers; calls newer than the labs need say ENOSYS. 0, or -errno (no
 * filter installed). Only where SEAL_ARCH is defined. DESIGN.md, "The seal". */
int seal_install(int seal_fd);

#endif
