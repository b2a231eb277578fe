/* audit.h: what a student's compiled file may contain, call and include. */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A student's file is linked into processes whose results decide its grade, so the
 * grader limits what it can do there to what the lab needs: code runs only when the
 * harness calls it (no constructors or destructors), it calls only functions on an
 * allowlist (no files, no exec, no signals, no raw system calls, no dynamic loading),
 * it has no inline assembly, and it includes only system headers and the kit's
 * public headers. Each check returns 0 when the file keeps the rule, else 1 with the
 * reason in `why` (one or more lines a student can act on); -errno when the check
 * itself could not be made (the grader's fault).
 */

struct audit_rules {
    const char *const *allow; /* extra functions this lab allows (spec `allow`), NULL-ended */
    const char *const *api;   /* the lab's own functions (spec `api`): defined by its files */
    const char *lab;          /* for messages: "lab1-baselines" */
};

/* The object file at `obj` (ELF, relocatable, as gcc wrote it): sections that run code
 * outside a call (.init_array, .ctors, ...) and undefined symbols off the allowlist. */
int audit_object(const char *obj, const char *shown, const struct audit_rules *r, char *why,
                 size_t len);

/* The system's header folders a student file may include from (besides the kit's). */
#define AUDIT_SYSTEM_HEADER_DIRS "/usr/include/", "/usr/lib/gcc/"

/* The dependency file gcc -MD wrote: every header outside `allowed` (NULL-ended
 * folder prefixes, each ending in '/') is refused. */
int audit_deps(const char *dfile, const char *shown, const char *const *allowed, char *why,
               size_t len);

/* The raw source, before it is compiled: an #include of an absolute path outside
 * /usr/include and gcc's own folder is refused (1, why said), so that no compiler reads
 * /dev/zero until its time limit. The rest is audit_deps's, once it has compiled. */
int audit_includes(const char *raw_text, const char *shown, char *why, size_t len);

/* The preprocessed text (gcc -E, with line markers) of `src`: inline assembly on any
 * line that comes from `src` itself; and the raw source's own #line directives, which
 * could make such lines look as if they came from a system header. */
int audit_source(const char *preprocessed, const char *src, const char *raw_text, const char *shown,
                 char *why, size_t len);

/* Is `name` a function every lab allows (the C library's memory, strings, printing to
 * stdout and stderr, maths, time, threads and their locks)? */
int audit_base_allowed(const char *name);

/* Read a file written by the jail user: never through a link, a regular file owned by
 * `uid` (-1: any), at most `max` bytes. malloc'd and NUL-ended, or NULL (errno set). */
char *audit_read_untrusted(const char *path, int uid, size_t max, size_t *len);
/* The same for a file already opened (fd < 0: NULL, errno as the open left it); the
 * descriptor is closed. */
char *audit_read_fd(int fd, int uid, size_t max, size_t *len);

/* Did the run's own harness code reach its end? A line "done <what> <pid> <tag>" in the
 * CHECK_DONE file (done.h), read as untrusted (the jail user's, uid), every line of which
 * must end with the true tag under the run's key: 1 seen, 0 not seen, -1 a line the
 * harness did not write (a forgery, or a guess at the key: why in forged, for the item's
 * output; the run fails, whatever else it wrote). */
int audit_done_seen(const char *path, int uid, const uint64_t key[2], const char *what,
                    char *forged, size_t len);
/* A key for one run: 16 random bytes, and their 32 hex digits for env CHECK_DONE_KEY. */
int audit_done_key(uint64_t key[2], char hex[33]);

#endif
