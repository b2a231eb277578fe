/* box.h: the build's box, a fresh folder outside the kit (build.h says what it holds);
 * for build.c and build_cc.c (and trial.c, which removes its trials' folders). */
#ifndef BOX_H
#define BOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "build.h"

/* Make o->box with copies of what the compiler may read and the jail user's own
 * folders; sets o->box, o->kitchen, o->run and o->cflags. 0 or -errno. */
int box_make(const struct build_conf *c, struct build_out *o);
/* Remove a box (or any tree) whatever its depth, without following links nor crossing
 * into another file system; "" is nothing. 0 when nothing is left, or -errno. */
int box_remove(const char *dir);
/* A fresh folder for one run, dir = BOX/run-XXXXXX, the jail user's own (mode 0700): the
 * only one the run may write; the caller removes it after (box_remove). 0 or -errno. */
int box_run_folder(const char *box, char *dir, size_t len);
/* Copy a regular file; with `nofollow`, `from` must not be a link (a student's file: a
 * link to /etc/shadow would have the compiler quote it back). 0 or -errno. */
int box_copy_file(const char *from, const char *to, mode_t mode, bool nofollow);
/* Open base/rel for reading where no part of rel (each folder on the way, the file) is a
 * link, nor "." or "..": a student's file below the folder the instructor named. base
 * itself may be a link. A descriptor, or -1 with errno (ELOOP or ENOTDIR: a link). */
int box_open_below(const char *base, const char *rel);
/* The most a student's source file may hold: the audit reads it whole (build.c), and the
 * grader copies it as root, outside any limit of the jail's (a sparse file of gigabytes
 * filled the disk under every other box: red team 12, sparse_huge_source). */
#define BOX_SRC_MAX (4u << 20)
/* Copy the regular file base/rel (box_open_below) to `to`: -EFBIG, and nothing kept, when
 * it holds more than BOX_SRC_MAX bytes (or grows past them while copied). 0 or -errno. */
int box_copy_below(const char *base, const char *rel, const char *to, mode_t mode);

#endif
