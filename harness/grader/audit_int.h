/* audit_int.h: what the audit's own files share (audit*.c); the grader uses audit.h. */
#ifndef AUDIT_INT_H
#define AUDIT_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Is `name` in the NULL-ended list (NULL: an empty one)? */
bool audit_in_list(const char *const *list, const char *name);
/* Append a formatted line to the reasons in why (which holds len bytes). */
void __attribute__((format(printf, 3, 4)))
audit_add_why(char *why, size_t len, const char *fmt, ...);

#endif
