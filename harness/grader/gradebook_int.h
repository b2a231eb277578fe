/* gradebook_int.h: what the gradebook's own files share (gradebook*.c): its columns.
 * The rest of the grader uses gradebook.h only. */
#ifndef GRADEBOOK_INT_H
#define GRADEBOOK_INT_H

#include <stddef.h>

#include "gradebook.h"

/* The union of item names over all rows, first seen first (borrowed from the rows). */
struct columns {
    const char **names;
    size_t n, cap;
};

/* Every row's item names into c, first seen first, each once (start c zeroed; the
 * caller frees c->names, on failure too); 0 or -ENOMEM. */
int gradebook_columns(const struct gradebook *g, struct columns *c);

/* The first cell of the row named name, and how many there are. */
const struct gradebook_cell *gradebook_find_cell(const struct gradebook_row *row, const char *name,
                                                 size_t *count);

#endif
