/* hostile: the include audit runs after the compiler: the headers the target includes are
 *          included first (their guards skip them later), then the words every line of C
 *          uses are poisoned (#pragma GCC poison), then the reference solution is included
 *          by its absolute path: each line would be an error the compiler quotes, and the
 *          build item would show them (the full text in results.json). @KIT@ is the kit's
 *          folder (tests/run.py writes it in)
 * replaces: cook.c
 * expect: build cook.c build error
 * expect: serve::one_order pass
 * leaks: strtoull would accept
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "lab1.h"
#pragma GCC poison if for while return int static const char size_t uint64_t void struct ssize_t do else goto unsigned
#include "@KIT@/solutions/lab1-baselines/serve.c"
