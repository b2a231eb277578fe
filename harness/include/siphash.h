/* siphash.h: SipHash-2-4, a keyed pseudorandom function (Aumasson and Bernstein, 2012). */
#ifndef SIPHASH_H
#define SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes at data under the 128-bit key (key[0]: bytes 0-7, key[1]:
 * bytes 8-15, little-endian): what it says of some messages tells nothing of the key nor
 * of the hash of any other message. The kitchen's replies and the done lines' tags. */
uint64_t siphash24(const uint64_t key[2], const void *data, size_t len);

#endif
