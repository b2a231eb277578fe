/* fault.h: failures the lab tests inject into the code under test (not for student code).
 *
 * The real world interrupts and refuses: a signal cuts a poll() short (EINTR), fork()
 * meets the process limit, pipe() runs out of descriptors, pthread_create() out of
 * memory. Code that never sees those in testing never has its error paths run. The test
 * runner is linked with -Wl,--wrap=<name> for every call below (build_cc.c, FAULT_WRAP), so
 * each call from any object of the runner goes through a wrapper here first. Until a test
 * arms a fault, the wrapper calls the real function and nothing else; an armed call fails
 * the way the real one would (returns -1 or the error number, sets errno) without doing
 * anything, so the code under test sees a real failure and has nothing to undo.
 *
 * Arm a fault right before the call under test and disarm it right after: a test's own
 * calls in between go through the same wrappers.
 */
#ifndef FAULT_H
#define FAULT_H

#include <pthread.h>
#include <stddef.h>

/* The link flag that routes the calls through the wrappers: the test runner's (build_cc.c)
 * and test_fault's (the Makefile reads it from this line). */
// clang-format off
#define FAULT_WRAP "-Wl,--wrap=fork,--wrap=vfork,--wrap=pipe,--wrap=pipe2,--wrap=waitpid,--wrap=wait,--wrap=waitid,--wrap=pthread_create,--wrap=pthread_join,--wrap=pthread_tryjoin_np,--wrap=pthread_timedjoin_np,--wrap=pthread_mutex_lock,--wrap=pthread_mutex_unlock,--wrap=pthread_cond_wait,--wrap=pthread_cond_timedwait,--wrap=pthread_cond_clockwait,--wrap=pthread_cond_signal,--wrap=pthread_cond_broadcast,--wrap=pthread_mutex_trylock,--wrap=pthread_mutex_timedlock,--wrap=pthread_mutex_init,--wrap=pthread_mutex_destroy,--wrap=pthread_cond_init,--wrap=pthread_cond_destroy,--wrap=pthread_mutexattr_init,--wrap=pthread_mutexattr_destroy,--wrap=pthread_condattr_init,--wrap=pthread_condattr_destroy,--wrap=pthread_condattr_setclock,--wrap=pthread_mutexattr_settype,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=socket,--wrap=connect,--wrap=read,--wrap=recv,--wrap=recvfrom,--wrap=recvmsg,--wrap=write,--wrap=send,--wrap=sendto,--wrap=sendmsg,--wrap=poll,--wrap=ppoll,--wrap=select,--wrap=epoll_wait,--wrap=epoll_pwait,--wrap=close,--wrap=clock_gettime,--wrap=gettimeofday,--wrap=time,--wrap=getrusage,--wrap=mmap,--wrap=loop_new,--wrap=loop_free,--wrap=opendir"
// clang-format on

enum fault_call {
    FAULT_FORK,        /* fork(), vfork() */
    FAULT_PIPE,        /* pipe(), pipe2() */
    FAULT_THREAD,      /* pthread_create() (returns the error; errno set to 0) */
    FAULT_SOCKET,      /* socket() */
    FAULT_CONNECT,     /* connect() (fails at once, as a refusal on loopback can) */
    FAULT_READ,        /* read(), recv(), recvfrom(), recvmsg() */
    FAULT_WRITE,       /* write(), send(), sendto(), sendmsg() */
    FAULT_POLL,        /* poll(), ppoll(), select(), epoll_wait(), epoll_pwait() */
    FAULT_WAIT,        /* waitpid(), wait(), waitid() */
    FAULT_ALLOC,       /* malloc(), calloc(), realloc() (return NULL, errno ENOMEM) */
    FAULT_JOIN,        /* pthread_join(), pthread_tryjoin_np(), pthread_timedjoin_np() (returns
                          the error, as FAULT_THREAD); armed with err = 0, counts the joins */
    FAULT_CLOSE,       /* close() (armed with err = 0, counts the closes; see FAULT_REOPEN,
                          FAULT_CLOSED_EINTR) */
    FAULT_MMAP,        /* mmap() (returns MAP_FAILED, errno err) */
    FAULT_BUSY,        /* pthread_mutex_trylock(), pthread_mutex_timedlock() (return err, EBUSY or
                          ETIMEDOUT, without locking: as when another thread holds the mutex) */
    FAULT_LOOP_NEW,    /* lab 5's loop_new(), as async.c and lab 6 call it (returns -err, makes
                          no loop): a loop refused whatever its backend needs (memory, an epoll
                          descriptor); in a runner without a loop_new(), every call -ENOSYS */
    FAULT_MUTEX_INIT,  /* pthread_mutex_init() (returns the error, errno set to 0, makes no
                          mutex); see fault_live() */
    FAULT_COND_INIT,   /* pthread_cond_init() (the same, for a condition variable) */
    FAULT_ATTR_INIT,   /* pthread_mutexattr_init(), pthread_condattr_init() (the same, for an
                          attributes object) */
    FAULT_DESTROY,     /* pthread_mutex_destroy(), pthread_cond_destroy() (return the error, EBUSY
                          say, errno set to 0, and destroy nothing: it stays live) */
    FAULT_GETRUSAGE,   /* getrusage() (returns -1, errno err, writes nothing): any who */
    FAULT_CLOCK,       /* clock_gettime(), any clock, and gettimeofday() (return -1, errno err,
                          write nothing); time() (returns (time_t)-1, errno err) */
    FAULT_ATTR_SET,    /* pthread_condattr_setclock(), pthread_mutexattr_settype() (return the
                          error, errno set to 0, and set nothing) */
    FAULT_LOCK,        /* pthread_mutex_lock() (returns the error, EAGAIN say, errno set to 0,
                          without locking); counted only once this kind has been armed, and
                          best armed for one thread (fault_arm_this_thread()) */
    FAULT_COND_WAIT,   /* pthread_cond_wait(), _timedwait(), _clockwait() (return the error, EINVAL
                          say, at once, errno set to 0, the mutex still held as on any return);
                          counted only once armed, best for one thread, as FAULT_LOCK */
    FAULT_COND_SIGNAL, /* pthread_cond_signal(), pthread_cond_broadcast() (return the error,
                          EINVAL say, waking nobody, errno set to 0); counted only once armed,
                          best for one thread, as FAULT_LOCK */
    FAULT_OPENDIR,     /* opendir() (returns NULL, errno err, opens nothing): a system without
                          /proc (ENOENT), or a folder the caller may not read (EACCES) */
    FAULT_NCALLS
};

/*
 * From now on, the k-th call of that kind (k = 1: the very next one) fails with error
 * `err`, and so does every call after it up to `times` calls in all (times = 0: every
 * call from the k-th on). Counting starts at zero again. err = 0 only counts calls.
 * err = FAULT_SHORT (FAULT_READ, FAULT_WRITE): those calls succeed but move at most one
 * byte, as a stream socket or a pipe may at any time (a partial read or write).
 */
#define FAULT_SHORT (-1)
/*
 * err = FAULT_CUT (FAULT_READ, FAULT_WRITE): the first armed call moves at most one byte,
 * every armed call after it fails with EIO: a stream that breaks in the middle of a
 * message. A forked child inherits the count it had so far, and counts on its own.
 */
#define FAULT_CUT (-2)
/*
 * err = FAULT_CORE (FAULT_WAIT): the waits are made, and a child killed by a signal reads
 * as one that dumped core (WCOREDUMP(status) set, waitid()'s si_code CLD_DUMPED), as the
 * kernel reports it where the core limit and core_pattern let a core be written; the
 * test runner's own limit (RLIMIT_CORE 0, which only root may raise) never does.
 */
#define FAULT_CORE (-3)
/*
 * err = FAULT_REOPEN (FAULT_CLOSE): the armed close() is made, and if it succeeds a file
 * (/dev/null) is opened at once on the descriptor number it freed, as another thread's
 * open() may do between that close() and the caller's next call. Code that closes the same
 * descriptor again closes that file under its owner; fault_reopened() says which
 * descriptor it is, and the test sees whether it is still open (and closes it itself).
 */
#define FAULT_REOPEN (-4)
/*
 * err = FAULT_HUP (FAULT_POLL, poll() only): the armed call is made, but first waits (up
 * to 5 s) until one of its descriptors has hung up (POLLHUP: a pipe whose write ends are
 * all closed, as when the child writing it has ended), so that a child that wrote and
 * exited shows POLLIN | POLLHUP together, as a poll() made late on a busy machine finds
 * it. Only in the process that armed it: a forked child's poll() is never held.
 */
#define FAULT_HUP (-5)
/*
 * err = FAULT_DIE_AFTER (FAULT_WRITE, write() only): in any process but the one that armed
 * it (a forked child), the writes go through, and once they have moved a whole struct
 * result (16 bytes) since the child began, it kills itself (SIGKILL) right after that
 * write: a child killed from outside just after sending its result (an OOM kill, a
 * shutdown). err = FAULT_DIE_MIDWAY: the child's first write moves one byte, then the child
 * kills itself: killed in the middle of its result. The arming process writes as always.
 */
#define FAULT_DIE_AFTER  (-6)
#define FAULT_DIE_MIDWAY (-7)
/* How many bytes FAULT_DIE_MIDWAY's write moves before the child dies (0, the default, and
 * after fault_disarm_all(): 1). Set it before the fork: 8 sends a struct result's value
 * and not its status, a result cut where its first field ends. */
void fault_midway_bytes(size_t n);
/*
 * err = FAULT_EINTR_LATE (FAULT_POLL): an armed wait that asks for more than
 * FAULT_LATE_MS ms (or for no limit) is made for FAULT_LATE_MS ms, and if nothing is ready
 * by then it fails with EINTR: a signal that came while it waited, as a timer signal
 * (SIGALRM) or a child's SIGCHLD does. Code that waits again for the timeout it computed
 * before the wait waits that whole time again, and while such signals keep coming, never
 * gets to its timer. A shorter wait is made as asked.
 */
#define FAULT_EINTR_LATE (-8)
#define FAULT_LATE_MS    30
/*
 * err = FAULT_CLOSED_EINTR (FAULT_CLOSE): the armed close() is made, and if it succeeds it
 * returns -1 with errno EINTR all the same: a signal that came while a close() waited (a
 * file flushed to an NFS server, a tty draining), which Linux reports with the descriptor
 * already freed (POSIX leaves its state unspecified). Code that closes it again after EINTR
 * closes a number that is not open (fault_bad_closes()), or whatever file took it meanwhile.
 */
#define FAULT_CLOSED_EINTR (-9)
/*
 * err = FAULT_LINGER (FAULT_WRITE, write() only): in any process but the one that armed it
 * (a forked child), each write() goes through, then the child sleeps FAULT_LINGER_MS ms
 * before it returns: a child that has sent its result and is not yet gone, as one the
 * scheduler leaves waiting on a busy machine. A parent that reaps it only if it has already
 * ended (WNOHANG) finds it still running. The arming process writes as always.
 */
#define FAULT_LINGER    (-10)
#define FAULT_LINGER_MS 40
/*
 * err = FAULT_SHORT_EINTR (FAULT_READ): the armed calls take turns: the first moves at most one
 * byte, the second fails with EINTR (nothing moved, a signal that came), the third moves one
 * byte, and so on: a message read in pieces, interrupted between them. Code that makes a read
 * again after EINTR only for a message's first piece loses the rest.
 */
#define FAULT_SHORT_EINTR (-11)
/*
 * err = FAULT_SPLIT (FAULT_WRITE, write() only): in any process but the one that armed it (a
 * forked child), an armed write() of more than one byte goes whole, as far as its caller can
 * tell (it returns the whole count), but in two pieces: its first byte, then, FAULT_LINGER_MS
 * ms later, the rest: a message that arrives in pieces with a pause between them, as over a
 * socket, or from a writer preempted in the middle. A reader that takes "nothing there yet"
 * (EAGAIN from a descriptor it made non-blocking) for the end of the message has lost it; one
 * that waits for the rest (a blocking read(), or poll() again) gets it whole.
 */
#define FAULT_SPLIT (-12)
/* How long FAULT_LINGER and FAULT_SPLIT pause a child, in ms (0, the default, and after
 * fault_disarm_all(): FAULT_LINGER_MS): set it before the call whose children pause (they
 * take it with them at their fork). A pause longer than any timeout a reader might keep for
 * "the rest is surely coming" (300 ms, say). */
void fault_linger_ms(int ms);
/*
 * err = FAULT_WAIT_LATE (FAULT_COND_WAIT): the armed waits are made, but first the calling
 * thread sleeps FAULT_WAIT_LATE_MS ms holding the mutex: a waiter preempted between its look
 * at the condition and its wait. A thread that changes the condition without that mutex
 * (a flag set, a broadcast) does it meanwhile, and the waiter sleeps through it.
 */
#define FAULT_WAIT_LATE    (-13)
#define FAULT_WAIT_LATE_MS 50
/*
 * err = FAULT_LATE_EINVAL (FAULT_COND_WAIT): the armed wait is not made: the calling thread
 * sleeps FAULT_WAIT_LATE_MS ms holding the mutex, then the call fails with EINVAL, the mutex
 * held as it was: a wait that takes its time to fail. Another thread that locks the mutex
 * meanwhile is held up until the waiter has dealt with its failure (withdrawn what it set,
 * say) and let the mutex go: what it read before its lock is stale by then.
 */
#define FAULT_LATE_EINVAL (-14)
/*
 * err = FAULT_CREATE_NAP (FAULT_THREAD): the armed pthread_create() calls succeed, and then
 * the creating thread sleeps FAULT_WAIT_LATE_MS ms before it returns: a caller the scheduler
 * leaves waiting right after it started a thread, which meanwhile runs up to its first wait
 * (a start gate not opened yet, say). The same for FAULT_FORK: the armed fork() calls succeed,
 * and the parent sleeps FAULT_WAIT_LATE_MS ms before fork() returns in it (the child at once):
 * a caller slow between its forks, while another thread of it forks too.
 */
#define FAULT_CREATE_NAP (-15)
/* How long FAULT_CREATE_NAP keeps the creator, in ms (0, the default, and after
 * fault_disarm_all(): FAULT_WAIT_LATE_MS). Shorter than FAULT_WAIT_LATE_MS, with every
 * condition wait late too, the caller acts while the thread it just started is still between
 * its look and its wait. */
void fault_create_nap_ms(int ms);
/*
 * err = FAULT_SPURIOUS (FAULT_COND_WAIT): the armed waits return 0 at once, the mutex held as
 * it was, with no signal nor broadcast: a spurious wakeup, which POSIX allows of any condition
 * wait. A waiter that looks at its condition again (a while loop around the wait) waits
 * again; one that takes the wakeup for the condition (an if) goes on as if it held.
 */
#define FAULT_SPURIOUS (-16)
/*
 * err = FAULT_NOCLDWAIT (FAULT_WAIT): the armed waits fail as they do for a caller that ignores
 * SIGCHLD (the kernel reaps its children itself): the wait is made as asked, so a blocking one
 * returns only once a child it names has ended, that child is reaped, and the call fails with
 * ECHILD, no status written; a WNOHANG wait of a child still running returns 0, as it would.
 * Code that takes a child's end for the moment its result is complete finds it so.
 */
#define FAULT_NOCLDWAIT (-18)
/* On: every armed FAULT_WAIT error (EINVAL, say) is given as FAULT_NOCLDWAIT gives ECHILD:
 * the wait made first (a blocking one returns once its child has ended, reaped), then the
 * error: a failed wait that still says the child is gone. Off (the default, and after
 * fault_disarm_all()): the error at once, nothing waited for. */
void fault_wait_made(int on);
/*
 * err = FAULT_AT_ONCE (FAULT_CONNECT): the armed connect() is made and completes before it
 * returns, even on a non-blocking socket (the wrapper makes it blocking for the call, then
 * puts its flags back): as a connection to a local server may (a Unix socket, another
 * system's loopback). On success it returns 0 and leaves errno as an earlier call left it,
 * here FAULT_STALE_ERRNO: code that judges the call by errno rather than by what it returned
 * takes a connection made for a failure.
 */
#define FAULT_AT_ONCE     (-17)
#define FAULT_STALE_ERRNO EAGAIN
void fault_arm(enum fault_call c, unsigned k, unsigned times, int err);
/*
 * After fault_arm(c, ...): each call that fails after the first failing one fails with `err`
 * instead (0: with fault_arm()'s error, the default; fault_arm() sets it back to 0): two
 * errors in one run, so that code which keeps the first can be told from code which keeps
 * the last, or merges them (EBUSY | EINVAL is EINVAL).
 */
void fault_arm_later(enum fault_call c, int err);
/*
 * After fault_arm(c, ...): only the calls the calling thread makes count and fail; other
 * threads' calls of that kind are made as if nothing were armed. How a test makes one call of
 * a thread of its own fail (its second pthread_mutex_lock(), say) while other threads lock the
 * same mutex in an order nobody can tell. The count starts again here, so that other threads'
 * calls between fault_arm() and this one count for nothing. fault_arm() sets it back to any
 * thread.
 */
void fault_arm_this_thread(enum fault_call c);
/* Calls of that kind since it was last armed, and how many of them failed. */
unsigned fault_calls(enum fault_call c);
unsigned fault_failed(enum fault_call c);
/* Calls of kind c made after an armed call (of any kind) failed, since the last
 * fault_disarm_all(): a function that must return at once when a call fails makes none (read
 * it before disarming). */
unsigned fault_calls_after_failure(enum fault_call c);
/* The longest timeout, in ms rounded up, that a wait (poll(), ppoll(), select(),
 * epoll_wait(), epoll_pwait()) asked for since FAULT_POLL was last armed: INT_MAX if one
 * had none (waits for ever), -1 if there was no wait. */
int fault_longest_wait(void);
/* The largest block, in bytes, that one malloc(), calloc() (n * size) or realloc() of this
 * process asked for since FAULT_ALLOC was last armed (0: none). */
size_t fault_largest_alloc(void);
/* The latest moment such a wait could sleep until, since FAULT_POLL was last armed: the
 * waiting thread's last reading of CLOCK_MONOTONIC before it (clock_gettime(), as the code saw
 * it: the moment a timeout is counted from), or the clock itself if it read none, plus the
 * timeout, in ns; LLONG_MAX if one had none, -1 if there was no wait. */
long long fault_latest_wake(void);
/* The descriptor the last FAULT_REOPEN close() reopened since fault_arm(), or -1. */
int fault_reopened(void);
/*
 * How many close() calls of this process, armed or not, were refused with EBADF on a
 * descriptor number >= 0 (a number not open: closed already, or never opened), since the
 * program began. Take it before and after a call: a call that closes a number twice (or a
 * stale copy of one) closes, in a real program, whatever file another thread opened on it
 * in between. close(-1) is not counted.
 */
unsigned fault_bad_closes(void);
/*
 * How many joins (pthread_join(), _tryjoin_np(), _timedjoin_np()), armed or not, since the
 * program began, named the handle of a pthread_create() that an armed FAULT_THREAD failed.
 * A failed create starts no thread, and POSIX leaves the handle it was given undefined (glibc
 * may leave there a thread descriptor it has already freed); the wrapper writes into it a
 * handle no thread has, and a join of that returns ESRCH and counts here. Take it before and
 * after a call: code that joins the slot of the create that failed, as if it had started,
 * shows every time, not only when the stale handle happens to crash it.
 */
unsigned fault_joins_of_failed(void);
/*
 * How many children this process has reaped (waitpid(), wait(), waitid() without WNOWAIT)
 * that signal `sig` ended, armed or not, since the program began. Take it before and after
 * a call: a child of the call's that SIGPIPE ended wrote to a pipe whose every read end
 * was closed (its result thrown away while it was still at work); one SIGKILL ended was
 * killed.
 */
unsigned fault_reaped_killed(int sig);
/*
 * How many waits for one pid (waitpid(pid > 0), waitid(P_PID)) named a child this process
 * had already reaped, and had not got again from fork() since, armed or not, since the program
 * began. Take it before and after a call: such a wait is for a pid that is no longer the
 * call's; once the kernel hands that pid to a new child (the caller's own, another thread's),
 * it reaps that one.
 */
unsigned fault_stale_waits(void);
/*
 * Which child a wait for *any* child (waitpid(-1, ...), waitpid(0, ...), wait()) reaps.
 * The kernel promises no order; on an idle machine it is usually the one that ended
 * first, and code that assumes the child it reaped is the one it was thinking of
 * passes by luck. With which = 1 such a wait, once a child has ended, waits 20 ms more
 * and reaps the newest child (highest pid) that has ended by then; with -1 the oldest;
 * 0 is the kernel's choice. A wait for one pid is never changed.
 */
void fault_wait_any_pick(int which);
/*
 * What an armed FAULT_JOIN does to the thread. Off (the default): nothing, the thread is
 * left running and joinable, as after a real failed join. On: the wrapper first waits for
 * the thread to end and reaps it, then returns the armed error, so code under test that
 * fails a join still ends with no thread of its own running on memory it then frees (its
 * stack frame, its shared state); a later join of that thread returns ESRCH (it is gone).
 */
void fault_join_reap(int on);
/*
 * On: every realloc() of a block (not of NULL, not to size 0) moves it, as the allocator may
 * whenever the block cannot grow where it is: a new block, the contents copied, the old
 * block zeroed and kept (the first 256 of them; freed when it is turned off, as
 * fault_disarm_all() does; later ones freed at once). Code that keeps a pointer into the old
 * block across a call that may grow it then reads zeros where its data was; off (the
 * default), a block that can grow in place usually does, and such code passes by luck.
 */
void fault_realloc_moves(int on);
/*
 * On (counting from 0): every pthread_mutex_lock(), _trylock() and _timedlock() of a mutex
 * that lies in the program's static storage (its data or bss: a global, a file-static or a
 * function's static, never one on a stack or in the heap) is counted, from any thread, for
 * fault_static_locks(). A lock the code under test keeps in a file-static shows even when no
 * two calls ever wait for it (lab2.h: no file-static index, lock or table). Off: not counted.
 */
void fault_count_static_locks(int on);
unsigned fault_static_locks(void);
/* While fault_count_static_locks() counts (from 0 when turned on): every pthread_mutex_init(),
 * pthread_cond_init(), pthread_mutexattr_init() and pthread_condattr_init() of an object in the
 * program's static storage, from any thread. An attributes object (or a lock) a call makes in a
 * file-static is one for every call: two calls at once set it up over each other. */
unsigned fault_static_inits(void);
/*
 * On (counting from 0): every send(), sendto(), sendmsg() without MSG_NOSIGNAL, and every
 * write() to a socket, made while SIGPIPE would kill the process (its action the default one,
 * not blocked in the calling thread), is counted, for fault_sigpipe_risks(). On a connection
 * the peer has reset, such a call raises SIGPIPE, and the whole process dies of it, whichever
 * call that is: a test sees the risk without making the reset land between two sends. Off
 * (the default, and fault_disarm_all()): not counted.
 */
void fault_count_sigpipe(int on);
unsigned fault_sigpipe_risks(void);
/*
 * How many mutexes (c = FAULT_MUTEX_INIT), condition variables (c = FAULT_COND_INIT) or
 * attributes objects, of mutexes and condition variables together (c = FAULT_ATTR_INIT),
 * this process has made and not destroyed: pthread_*_init() calls that returned 0 less
 * pthread_*_destroy() calls that returned 0, armed or not, from any thread, since the program
 * began (one made with a static initializer is not counted; destroying it counts -1); or lab
 * 5's loops (c = FAULT_LOOP_NEW): loop_new() calls that returned 0 less loop_free() calls. Take it
 * before and after a call: code that destroys less than it made (after a failed init too)
 * leaves it higher. Any other c: 0.
 */
long fault_live(enum fault_call c);
/*
 * From now on, each pthread_mutex_unlock() of mutex `m` that succeeds, from any thread, is
 * followed at once, in that thread, by fn(arg): the mutex just let go, the caller not yet back
 * in the code that unlocked it. fn may lock and unlock m itself (it is not called again for
 * those). How a test stands in for what happens the moment a critical section ends (another
 * thread comes, asks, takes the mutex) while the thread that left it is preempted. NULL fn,
 * or fault_disarm_all(): no hook.
 */
void fault_after_unlock(pthread_mutex_t *m, void (*fn)(void *), void *arg);
/*
 * From now on, every pthread_mutex_unlock() that succeeds, of any mutex, from any thread, is
 * followed at once by a nap of `ms` ms in that thread: a thread preempted the moment it
 * leaves a critical section, so that what another thread does meanwhile (a put, a close, a
 * broadcast) lands before it goes on. Code that looks at a condition in one critical section
 * and waits for it in another misses what lands between them. 0, or fault_disarm_all(): no
 * nap.
 */
void fault_nap_after_unlock(int ms);
/* Every fault off, the kernel's wait order back, joins not reaped, realloc() as the allocator does
 * it, no unlock hook, the clocks (and getrusage()) true and running, static locks not counted
 * (counts kept until the next fault_arm() or fault_count_static_locks(1)). */
void fault_disarm_all(void);

/*
 * The wall clock as the code under test sees it: CLOCK_REALTIME (and gettimeofday(),
 * time()) read `seconds` off the true time, as if an administrator or NTP had just
 * set the clock. CLOCK_MONOTONIC never moves: that is what it is for.
 */
void fault_clock_shift(double seconds);
/*
 * CLOCK_MONOTONIC (and CLOCK_MONOTONIC_RAW, _COARSE, CLOCK_BOOTTIME) read `seconds` more
 * than the true value, as on a machine up that much longer. Set it while nothing
 * measures: it never moves during a measurement, as the clock itself never jumps.
 */
void fault_clock_uptime(double seconds);
/*
 * CLOCK_BOOTTIME alone reads `seconds` more than CLOCK_MONOTONIC (both as above otherwise), as
 * after the machine was suspended that long: CLOCK_MONOTONIC does not count a suspend,
 * CLOCK_BOOTTIME does. A deadline read from one and waited for on the other lies that far off.
 */
void fault_clock_suspend(double seconds);
/*
 * On: CLOCK_MONOTONIC (and its kin) stands still at the value it has now, as a coarse
 * clocksource reads the same over many calls (a VM's ticks every few ms): calls made one
 * after another then see the same moment. Off (the default): it runs again, as true.
 */
void fault_clock_hold(int on);
/*
 * On: each timed condition wait (pthread_cond_timedwait(), and pthread_cond_clockwait() on
 * CLOCK_MONOTONIC) made by a thread other than the caller of fault_wait_leads(1) notes how
 * far its deadline lies ahead of CLOCK_MONOTONIC as the code sees it, read as the wait begins;
 * fault_wait_lead_max() says the most noted since (ns; -1: none). A deadline read from the
 * clock and set one interval on lies at most one interval ahead when the wait begins,
 * however late the thread runs. A deadline an hour or more from that clock (one on another
 * clock) is not noted. Off (the default): nothing is.
 */
void fault_wait_leads(int on);
long long fault_wait_lead_max(void);
/*
 * The calling thread's next reading of a clock (clock_gettime(), gettimeofday(), time())
 * waits, parked, before it is made, until fault_clock_unpark() (fault_disarm_all() does it
 * too); fault_clock_parked() says whether a thread is parked there now. How a test holds a
 * thread at the moment it reads the clock (preempted there, on a loaded machine), to see what
 * it holds and what it has left undone: a lock it holds stays held, and what another thread
 * does meanwhile happens while it is away.
 */
void fault_clock_park_next(void);
int fault_clock_parked(void);
void fault_clock_unpark(void);
/*
 * On: getrusage() (RUSAGE_SELF, _CHILDREN, _THREAD) reads, in each of ru_utime and
 * ru_stime, the whole seconds it reads now and 999999 microseconds, and stands still
 * there: a long-running process at the moment each CPU clock is a microsecond short of
 * its next second, its own and its reaped children's alike. A sum of the four fields'
 * microseconds is then 3999996: three whole seconds to carry, not one. Off (the
 * default): getrusage() reads true.
 */
void fault_rusage_hold(int on);
/*
 * getrusage(RUSAGE_CHILDREN) reads `seconds` more user time than true (0, the default:
 * true), as for a process tree whose reaped children have used that much CPU: more than a
 * test can burn (past 2147 s, an int of microseconds wraps). Set it while nothing
 * measures, or between two readings to stand for a child reaped in between.
 */
void fault_rusage_children(long seconds);
/* The same in system time: getrusage(RUSAGE_CHILDREN) reads `seconds` more of ru_stime than
 * true (0, the default), its ru_utime as true: reaped children that spent their CPU in the
 * kernel (a process that only copies or waits on the kernel can read no user time at all). */
void fault_rusage_children_system(long seconds);

#endif
