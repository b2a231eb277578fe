/* timeline_svg.h: timelines drawn as SVG, a lane per core and a row per waiting worker. */
#ifndef TIMELINE_SVG_H
#define TIMELINE_SVG_H

#include "timeline.h"

/* Draw n timelines (e.g. a cell's baseline and its version) one under the other on one
 * time scale into path: a lane per core with the cooking boxes coloured by worker, a row
 * per worker for its waits. `title` and `note` head it. 0, or -errno. */
int timeline_write_svg(const struct timeline *const *tl, int n, const char *title, const char *note,
                       const char *path);

#endif
