/* check.h: helpers for the labs' Criterion tests (not for student code). */
#ifndef CHECK_H
#define CHECK_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "check_words.h"
#include "done.h"
#include "workload.h"

/*
 * Every test starts with check_begin (it notes the test's process) and ends with
 * check_end, which reports "done suite::name" through check_finished() only from that
 * process: a test whose process ended early (exit(0) mid-test), or a forked child that
 * ran on into the test, does not report it, and the grader fails the test.
 */
void check_begin(void);
void check_end(void);
#undef Test
#define Test(Suite, Name, ...)                                                                     \
    CR_TEST_BASE(Suite, Name, .init = check_begin, .fini = check_end, __VA_ARGS__)

/*
 * A value the test observed of the code under test (a result, a return value, a count the
 * contract fixes), judged outside the test's process: the grader runs the same test, with the
 * same seed, on the reference solution (a test marked `values=reference` in the spec) and
 * fails the student's run unless it reported the very same labels and values, in the same
 * order. A wrong answer made to look like a pass from inside the process (a forged "done"
 * line: harness/DESIGN.md, "The pin, reached") still has to report the right values, and
 * only the right computation knows them. Call it from the test's own thread, only for what
 * every correct solution gives alike (never a time, an address, an order the contract
 * leaves open); the label (printf-style) says what was observed, e.g.
 * check_observe(dish, "cook(0x%llx,%llu)", seed, rounds). A child process's calls are not
 * written, nor any of a test the grader does not compare (it sets CHECK_VALUES for those it
 * does: the done file's first 1 MiB is all it reads). Where no reference solution is at hand (a
 * student release), the test's own assertions alone judge it, as before.
 */
void check_observe(uint64_t value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A stub returns -ENOSYS. The harness reads the words "not implemented" in a
 * failure as its own verdict, distinct from a wrong answer: keep them.
 */
#define CHECK_IMPL(rc, fn, file)                                                                   \
    do {                                                                                           \
        if ((rc) == -ENOSYS)                                                                       \
            cr_assert_fail("not implemented: %s (see the TODO(student) in %s)", fn, file);         \
    } while (0)

/* The run's seed (env SEED, printed by the harness; SEED=n replays a run). */
uint64_t check_seed(void);
/* The next number of the run's random stream (seeded from check_seed()), so a
 * hard-coded answer fails and SEED=n replays the same inputs. */
uint64_t check_rand(void);
/* The error to inject next: errs[0..n) in turn, one a call, from one the run's random stream
 * draws at the first call (*turn is 0 before it, and keeps the place). Every n calls use each
 * error, so a call under test must return the very error it got, negated, not one it assumes. */
int check_error_in_turn(const int *errs, unsigned n, unsigned *turn);
/* CLOCK_MONOTONIC in seconds. */
double check_now(void);
/* Waits until *flag is non-zero (an atomic load, looked at every 100 us) or `secs` seconds
 * have passed: whether it was set. How a test waits for a thread of its own to reach a
 * point, or for a call it runs elsewhere to return, without waiting forever. */
bool check_await(const _Atomic int *flag, double secs);
/* A lab's map called on a thread of the test's own, so that a call that never returns is
 * seen instead of hanging the test: fill f, jobs, n, out and workers, then
 * check_call_within(c, secs) starts the call (a thread that cannot be made fails the test)
 * and waits `secs` seconds at most (check_await()): whether it returned. rc is 77 until it
 * does. Keep it where it outlives a failed assertion (a static): a call that never returns
 * keeps using it. */
struct check_call {
    map_fn f;
    const struct job *jobs;
    size_t n;
    struct result *out;
    int workers, rc;
    _Atomic int over;
    pthread_t tid;
};
bool check_call_within(struct check_call *c, double secs);
/* Cooking rounds that take about `ms` milliseconds of CPU on this machine (measured once,
 * on the thread's CPU clock: a busy machine does not make them fewer), or at the rate the
 * grader hands every run (CHECK_COOK_RATE): then the same rounds in the student's run and
 * the reference's, and values a test marked values=reference may observe. */
uint64_t check_rounds_for_ms(double ms);
/* A loopback port nobody listens on now (bound, then closed): connecting is refused. */
uint16_t check_free_port(void);
/* A socket listening on a free loopback port (listen()'s backlog), its port in *port; fails
 * the test when there is none. For a kitchen of the test's own: check_results() judges an
 * order to that port by check_fake_reply(). */
int check_listen(int backlog, uint16_t *port);
/* The kitchen's port (env KITCHEN_PORT, set by the harness), or fails the test. */
uint16_t check_kitchen_port(void);
/* Descriptor 0 is a descriptor like any other: check_stdin_aside() closes this process's
 * stdin (kept on another number), so that the next descriptor made is 0, as for a caller that
 * closed its stdin; check_stdin_back() puts it back and says whether 0 was still open (the
 * code under test left the descriptor it got as 0 open: `if (fd > 0) close(fd)`). */
int check_stdin_aside(void);
bool check_stdin_back(int saved);
/* stderr elsewhere for a span: check_stderr_aside() flushes stderr and keeps descriptor 2 on
 * another number (returned; -1: it was not open), for the caller to point 2 where it wants
 * (dup2(): a pipe's read end, where every write fails; a memfd, which keeps what is written);
 * check_stderr_back() flushes again, puts 2 back as it was (closed, if it was) and clears
 * stderr's error flag. */
int check_stderr_aside(void);
void check_stderr_back(int saved);
/* Open file descriptors and threads of this process right now (from /proc). */
int check_open_fds(void);
int check_threads(void);
/* What thread `tid` of this process sleeps in, from /proc/self/task/TID/syscall: the system
 * call's number (*nr) and its first arguments (args[0..5]). Returns how many arguments were
 * read (0 to 6), or -1 when the thread is running, gone, or /proc cannot say. */
int check_thread_syscall(int tid, long *nr, unsigned long args[6]);
/* Memory mappings of this process right now (lines of /proc/self/maps): a mapping a call
 * made and did not munmap() is one more, unless the kernel merged it into its neighbour (two
 * private anonymous mappings side by side become one line): *bytes, when not NULL, gets the
 * size of them all but the [heap] (malloc()'s, which grows and shrinks), where a mapping kept
 * counts whether merged or not. -1 when /proc/self/maps cannot be read. */
int check_mappings(size_t *bytes);
/* An array of n elements of `size` bytes, n past 2^31, whose first and last `ends` elements
 * only are memory: two windows mapped n * size apart (a run may map 4 GiB at most, so the
 * whole array is never there), for a call given more jobs than an int holds. Returns its
 * start, the windows in *e (the test fails when it cannot map them); check_array_ends_free(e)
 * unmaps them (nothing for an e zeroed and never mapped). */
struct check_ends {
    void *lo, *hi;
    size_t len;
};
void *check_array_ends(size_t n, size_t size, size_t ends, struct check_ends *e);
void check_array_ends_free(struct check_ends *e);
/* The end of a child of the test that made a call on such arrays: waits for pid, frees a's
 * and b's windows (either may be NULL), and returns the child's exit status, or
 * CHECK_BIG_MEMORY when SIGSEGV or SIGBUS ended it (it touched the arrays between their
 * ends: not memory here, and no fault of a real array's, so not judged), or
 * CHECK_BIG_SIGNAL for another signal. A child that exited 4 (its call said -ENOSYS) fails
 * the test: "not implemented: `fn` (see the TODO(student) in `file`)". */
enum { CHECK_BIG_MEMORY = -1, CHECK_BIG_SIGNAL = -2 };
int check_big_end(pid_t pid, struct check_ends *a, struct check_ends *b, const char *fn,
                  const char *file);
/* How often the threads of process pid (0: this one) alive now have gone to sleep so far:
 * the sum of their voluntary context switches (the status file of each task in
 * /proc/PID/task), -1 when it cannot be read. A waiter that blocks (a condition wait, poll(-1),
 * waitpid) sleeps once per wait, whatever the load; one that naps and looks again (usleep(1000) in
 * a loop, poll(..., 1)) sleeps once per nap: hundreds of times a second. Read it before and after
 * an idle span of the waiters; busy threads do not add to it. */
long check_wakeups(pid_t pid);
/* fn(a) in the calling thread and fn(b) in a thread of its own, at once (two calls of the
 * code under test from two threads); returns when both are over. */
void check_two_threads(void *(*fn)(void *), void *a, void *b);
/* A span in which this process's waiting threads should block, not nap: check_span_start()
 * before it, check_span_stop() after (wall time and check_wakeups(0) at both ends). Napped:
 * they went to sleep more than 20 times and 40 a second of the span (a waiter that blocks
 * sleeps a few times per wait, one that naps and looks hundreds of times a second); false
 * when /proc could not be read. */
struct check_span {
    double t0, t1;     /* check_now() at the start and the stop */
    long woke0, woke1; /* check_wakeups(0) there */
};
void check_span_start(struct check_span *s);
void check_span_stop(struct check_span *s);
bool check_span_napped(const struct check_span *s);
/* Fails the test when the span napped: "<what>: over the <t> s of the span the test
 * process's threads went to sleep <n> times (<blocked>, what a blocked waiter does): <naps>",
 * `blocked` saying how often a right waiter sleeps, `naps` what the code does instead. */
void check_span_blocked(const struct check_span *s, const char *what, const char *blocked,
                        const char *naps);
/* Count how often ref_job_run() runs each cook job whose seed is base + i (i < n), into
 * runs[i] (atomically, from any thread); runs = NULL stops counting. The seed, not the
 * job's address, says which job it is: code may run a copy of a job. */
void workload_count_runs(uint64_t base, size_t n, unsigned *runs);
/* Count how many ref_cook() calls run at once (from any thread of this process), from
 * workload_count_cooks(1) until workload_count_cooks(0); the most there ever were. */
void workload_count_cooks(int on);
int workload_cooks_at_once(void);
/* Call fn(seed) at the start of every ref_cook() of this process, on the cooking thread (any
 * thread of this process), until workload_on_cook(NULL): what had happened by the time a dish
 * began, and which dishes began in what order (an order of events, not a timing). */
void workload_on_cook(void (*fn)(uint64_t seed));
/* Until workload_cook_known(NULL), every ref_cook() of this process first asks
 * known(seed, rounds, &dish): when it says true, that dish is the result and nothing is
 * cooked. Long jobs (whose dishes the test worked out once) then end as fast as tiny ones,
 * so that results come as densely as a stress needs, whatever the job's size: code that
 * does something else for long jobs meets the stress too. */
void workload_cook_known(bool (*known)(uint64_t seed, uint64_t rounds, uint64_t *dish));

/*
 * Jobs for a lab's map (seq_map, thread_map, proc_map, async_map): jobs[i] of the kind
 * kinds[i] says (kinds NULL: n cooks), its seed from check_rand():
 *   'c' a cook of 1..max_rounds rounds      'C' a cook of about 25 ms on this machine
 *   'L' a cook of about 250 ms
 *   'o' an order to the kitchen              'x' an order to a port where nobody listens
 *   'm' a meal: an order, then 1..max_rounds rounds of cooking its reply
 *   'S' a job poisoned with SIGSEGV          'A' one poisoned with SIGABRT
 */
void check_make_jobs(struct job *jobs, size_t n, const char *kinds, uint64_t max_rounds);
/* ref_cook()'s dish for seed and rounds (ref_cook failing is the harness's bug). */
uint64_t check_dish(uint64_t seed, uint64_t rounds);
/* What ref_job_run() gives a job: a cook's dish, a poisoned job's JOB_CRASHED(signal), an
 * order's reply, which the test orders itself from the job's kitchen (ref_order(): one
 * latency; only a kitchen knows its replies), a meal's reply cooked. To judge an order someone else
 * placed, ask the kitchen instead (check_kitchen_says()): that costs no latency. (An order to a
 * closed port fails: no one value is right.) */
struct result check_expected(const struct job *j);
/* kitchen_check() (kitchen.h): ok[i] says whether replies[i] is the reply of the kitchen on
 * `port` to items[i], i < n, asked on one connection; fails the test (a harness error) when
 * the kitchen cannot be asked. check_reply_ok(): the same for one item, 1 or 0. */
void check_kitchen_says(uint16_t port, size_t n, const uint64_t *items, const uint64_t *replies,
                        unsigned char *ok);
int check_reply_ok(uint16_t port, uint64_t item, uint64_t reply);
/* How a message says that a reply is not the kitchen's (it checked). */
#define CHECK_NOT_REPLY "not the kitchen's reply to that item (the kitchen checked it)"
/* A reply for the tests' own fake kitchens (threads of the test that answer orders in some
 * order of their own): a mix of the item and a key drawn for this process at its first
 * call, never the real kitchen's. */
uint64_t check_fake_reply(uint64_t item);
/* Reply lines past 2^64 - 1, each '\n'-ended: no reply for any lab that parses a kitchen's
 * (lab 1's serve(), lab 5's async_order()), one list for all of them. 2^64 and 2^64 + 3 (a check of
 * v > UINT64_MAX / 10 alone lets them wrap), numbers past it by more than one carry (an
 * overflow check that only asks whether the value grew, next < v, misses "30000000000000000000",
 * read 11553255926290448384, and 2^65 - 1, read 2^64 - 1) and a 21-digit one.
 * check_reply_past_max() draws one more from the run's random stream: 20 digits, uniform in 2^64 ..
 * 10^20 - 1, written to buf. */
#define CHECK_REPLIES_PAST_MAX 6
extern const char *const check_replies_past_max[CHECK_REPLIES_PAST_MAX];
const char *check_reply_past_max(char buf[24]);
/* Reply lines with a NUL byte inside, before their '\n': no reply either (a NUL is no digit),
 * for every lab that parses a kitchen's reply. strtoull() stops at the NUL, so a parser that
 * takes the line for a C string (end == '\0' after strtoull(), or strlen()) reads "12\0x\n" as
 * 12. `len` bytes each, the NUL among them; `shown` for messages. "12\0x\n", "12\0\n",
 * "1\0002\n" (the NUL between digits), "\0007\n" (first). check_reply_nul() draws one more
 * from the run's random stream: the digits of a drawn uint64_t with a NUL at a drawn place
 * before the '\n' (first, between digits or last), written to buf (returns its length) and
 * shown (printable, with \0 and \n). */
struct check_reply_bytes {
    const char *bytes, *shown;
    size_t len;
};
#define CHECK_REPLIES_NUL 4
extern const struct check_reply_bytes check_replies_nul[CHECK_REPLIES_NUL];
size_t check_reply_nul(char buf[24], char shown[32]);
/* "cook", "order" or "poisoned", for messages. */
const char *check_kind_name(const struct job *j);
/* A status for a message: "0", "-5 (Input/output error)", "-1011 = JOB_CRASHED(11, SIGSEGV)". */
const char *check_status_text(int status, char *buf, size_t len);

/*
 * How a lab's map runs its jobs, for check_results(). A job whose status is -ENOSYS went
 * through a stub of the student's: cook_fn (in cook_file) for a cook job, order_fn for an
 * order, and the test reads "not implemented" (NULL: the map runs jobs through
 * ref_job_run(), so -ENOSYS is a wrong status like any other). The hints end the message
 * of a wrong status and of a wrong value (NULL: none).
 */
struct check_map {
    const char *cook_fn, *cook_file;
    const char *order_fn, *order_file;
    const char *status_hint, *value_hint;
    /* the lab's header says a failed job's value means nothing (lab1.h: "nobody reads it"):
     * check_refused() does not read it; otherwise it must be 0 (workload.h's ref_job_run()) */
    bool failed_value_free;
};

/* Result i observed (check_observe), for a test marked values=reference: its status, then
 * its value, or, from a kitchen of the test's own (own_kitchen: its key drawn anew each run),
 * whether the kitchen knew the reply (known). check_results() observes so. */
void check_observe_result(size_t i, const struct result *r, bool own_kitchen, bool known);
/* out[i] must be jobs[i]'s result (check_expected(); an order's value the kitchen checks,
 * all of them on one connection a kitchen); an order of kind 'x' must have failed
 * (check_refused()). `what` names the call in every message; m may be NULL. Then each
 * result is observed (check_observe: its status, and its value or, for an order, that the
 * kitchen knew the reply), for a test marked values=reference. */
void check_results(const struct check_map *m, const char *what, const struct job *jobs,
                   const char *kinds, const struct result *out, size_t n);
/* A call of a lab's map with arguments it must refuse (-EINVAL): a test's table of them. */
struct check_bad_call {
    const struct job *jobs;
    struct result *out;
    int workers;
    const char *what;
};

/* jobs[i] is an order to a port where nobody listens: out[i].status must be -err (err 0:
 * any negative errno). */
void check_refused(const struct check_map *m, const char *what, const struct job *jobs,
                   const struct result *out, size_t i, int err);

/* The bytes of the heap in use now (mallinfo2(): arenas and mmap()ed blocks), read so that
 * the calling thread's cache of freed small blocks does not move it: that cache (glibc's
 * tcache, which mallinfo2() counts as in use) is filled first, so a block freed after it goes
 * back to the heap. Two readings around calls of the code under test, on the same thread,
 * differ by what the calls kept: a block calloc() took (calloc() never takes from the cache)
 * and free() gave back would otherwise sit in the cache and read as kept, up to 7 of a size. */
size_t check_heap_in_use(void);
/* The bytes of the heap (mallinfo2(): arenas and mmap()ed blocks) in use after fn(arg) returned,
 * more than just before it was called: what a call of the code under test still holds once it
 * is over (a table kept in a file-static for the next call, never freed); a correct call holds
 * 0. fn runs on a thread of the test's own, joined before the second reading: the blocks a call
 * freed that the C library keeps at hand for that thread (glibc's per-thread cache, which
 * mallinfo2() counts as in use) are given back when it ends. First, threads + 1 threads of the
 * test's own run at once and end (fn's thread and the `threads` threads the call starts itself):
 * the C library's arenas, which it keeps from one thread to the next, are set up before the
 * first reading; and before each reading the library's cache of thread stacks is emptied, with
 * the block of the heap each cached stack holds (its TLS vector): a call whose threads have a
 * stack size of its own does not read as holding those. Nothing else of the test's
 * may allocate meanwhile (its other threads idle); fn makes the call and notes what it returned,
 * its checks come after. A one-time allocation of the C library's the call makes falls in a
 * first call: measure a later one, with more workers than that first (a kept table grows). */
long check_heap_held(void (*fn)(void *arg), void *arg, int threads);
/* A call with no jobs keeps no memory: 16 calls of map with n = 0 and `workers` workers, after
 * a first such call (where a one-time allocation may fall), must each return 0 and hold less
 * than 64 bytes once they are over (check_heap_held(); malloc(0) and calloc(0, ...) still take
 * a block of 32 bytes: 16 kept hold 512). Fails the test otherwise, naming the function
 * `name` ("thread_map" say). */
void check_empty_calls_keep_nothing(map_fn map, int workers, const char *name);
/* The same for any call with no jobs: call(arg) makes one and returns what it returned; `what`
 * names it in the messages ("thread_tally(n=0, workers=4)"). */
void check_no_job_calls_keep_nothing(int (*call)(void *arg), void *arg, const char *what);

/* fn(arg) on a thread of the test's own whose stack is `stack` bytes, over a band of
 * CHECK_STACK_BAND bytes no access reaches (none of it on the heap: a test may read the heap
 * in use meanwhile). Returns true when fn returned; false when it reached into the band
 * (memory sized by the input on the stack: a VLA, alloca(): the call would kill a caller
 * with a bigger input), the fault caught on an alternate stack and fn abandoned where it
 * stood. A fault anywhere else crashes the test as usual. Only one at a time. */
#define CHECK_STACK_BAND (64u << 20)
bool check_on_small_stack(void (*fn)(void *arg), void *arg, size_t stack);

#endif
