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

/* Where the harness's own writes to a pinned fd come from (done.c, check_write_pinned):
 * the address the kernel reports for its system call (the instruction after it) and the
 * buffer it writes from. {0, 0}: nothing pinned (not x86-64). */
struct seal_pin {
    uintptr_t ip, buf;
};

/* Installs, in every thread of the process (TSYNC), the filter that keeps the file system
 * and other processes out of reach, and fd seal_fd from being copied, truncated or written
 * other than by write() (any other write to it ends the process), the Unix sockets open
 * now keeping their numbers; calls newer than the labs need say ENOSYS. With a pin, a
 * write() to seal_fd or to result_fd (>= 0: the bench's result pipe) that does not come
 * from pin.ip with pin.buf ends the process too. 0, or -errno (no filter installed). Only
 * where SEAL_ARCH is defined. DESIGN.md, "The seal". */
int seal_install(int seal_fd, int result_fd, struct seal_pin pin);

#endif
