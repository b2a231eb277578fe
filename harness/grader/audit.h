/* audit.h: what a student's compiled file may contain, call and include. */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdbool.h>
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
 * outside a call (.init_array, .ctors, ...) and undefined symbols off the allowlist. One
 * over AUDIT_OBJ_MAX is not read: refused as the student's (1, `why` says so), never a
 * harness error. 1 refused (why says why), 0 clean, -errno when it cannot be read. */
#define AUDIT_OBJ_MAX (64u << 20)
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
/* Is the regular file at `path` (no link followed) over `max` bytes, too big for the audit
 * to read? Then 1, and `why` gets a line for the student: `shown`'s `what` is N MiB, over
 * the grader's limit, and what to do; else 0 (a missing file too: the read says so). */
int audit_too_big(const char *path, size_t max, const char *shown, const char *what, char *why,
                  size_t len);

/* The CHECK_DONE file (done.h) of a run (its first MiB), read as untrusted (the jail user's, uid):
 * its text when every line ends with its true tag under the run's key, for audit_done_has(); NULL
 * with forged[0] == '\0' when there is no file (or one too big, or not the run's), NULL with why in
 * forged when a line is one the harness did not write (a forgery, or a guess at the key: the run
 * fails, whatever else it wrote). malloc'd. */
char *audit_done_read(const char *path, int uid, const uint64_t key[2], char *forged, size_t len);
/* Does text (audit_done_read's) hold a line "done <what> <pid> <tag>"? */
bool audit_done_has(const char *text, const char *what);
/* Both at once: 1 seen, 0 not seen, -1 a forgery (why in forged); the text read (NULL:
 * none, or a forgery) in *text_out, the caller's to free, unless text_out is NULL. */
int audit_done_seen(const char *path, int uid, const uint64_t key[2], const char *what,
                    char *forged, size_t len, char **text_out);
/* Is hex, up to its end or a newline, the 16 hex digits of SipHash-2-4 of text[0..len)
 * under key? (done.h's tags, the bench driver's harness-error line) */
bool audit_tag_ok(const uint64_t key[2], const char *text, size_t len, const char *hex);
/* A key for one run (16 random bytes) and its environment entry, "CHECK_DONE_KEY=<32 hex
 * digits>" in env[len]: 0, or -EIO. */
int audit_done_key(uint64_t key[2], char *env, size_t len);

#endif
