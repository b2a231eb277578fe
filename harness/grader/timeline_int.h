/* timeline_int.h: what the timeline's own files share (timeline*.c): a panel's span.
 * The rest of the grader uses timeline.h only. */
#ifndef TIMELINE_INT_H
#define TIMELINE_INT_H

#include "timeline.h"

static inline double span_start(const struct timeline *tl)
{
    return tl->start > 0 ? tl->start : tl->nticks ? tl->at[0] : 0;
}

static inline double span_end(const struct timeline *tl)
{
    double last = tl->nticks ? tl->at[tl->nticks - 1] : 0;

    return tl->end > 0 ? tl->end : last + TIMELINE_INTERVAL_MS / 1000.0;
}

#endif
