/* speedlock.h: one lock per machine that speed cells hold while they time, so that no two
 * graders (a batch's, a `make check`'s, another kit's copy) ever time at once. */
#ifndef SPEEDLOCK_H
#define SPEEDLOCK_H

/* Where the lock lies: env GRADE_SPEED_LOCK, else /run/lock/restaurant-lab-speed.lock
 * (Debian's /run/lock is the machine's, writable by all), else the same name in /tmp. */
const char *speedlock_path(void);

/*
 * Take the lock at `path` (flock, exclusive), waiting for whoever holds it; a line on
 * stderr says so when it must wait. The file is made when missing (mode 0444: anyone
 * may open it to lock it) and never followed through a link. Returns the fd that holds
 * the lock (close-on-exec: no run inherits it), or -errno when the lock cannot be had
 * (then the caller times without it: the grader's cores check still guards the cell).
 */
int speedlock_take(const char *path);

/* Release it (fd < 0: nothing to release). The lock also ends with the process. */
void speedlock_release(int fd);

#endif
