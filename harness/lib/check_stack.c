/* check_stack.c: a call made on a small stack above a band no access reaches, for the
 * tests that the memory a call keeps on its stack does not grow with its input
 * (check_on_small_stack). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"

enum { ALT_STACK = 64 * 1024 };

struct small_call {
    void (*fn)(void *);
    void *arg;
    bool overflow; /* fn reached into the band under its stack */
    char *band;    /* [band, band + CHECK_STACK_BAND), the stack right above it */
    char *alt;     /* the thread's alternate signal stack */
    sigjmp_buf back;
};

static struct small_call *small_now; /* the call under way, for the handler */

static void small_segv(int sig, siginfo_t *si, void *uc)
{
    struct small_call *c = small_now;
    char *a = si->si_addr;

    (void)uc;
    if (c && a >= c->band && a < c->band + CHECK_STACK_BAND)
        siglongjmp(c->back, 1);
    signal(sig, SIG_DFL); /* not ours: the fault comes again, and crashes as it would */
}

static void *small_run(void *arg)
{
    struct small_call *c = arg;
    stack_t ss = {.ss_sp = c->alt, .ss_size = ALT_STACK};

    sigaltstack(&ss, NULL);
    if (sigsetjmp(c->back, 1))
        c->overflow = true;
    else
        c->fn(c->arg);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    return NULL;
}

bool check_on_small_stack(void (*fn)(void *arg), void *arg, size_t stack)
{
    struct small_call c = {.fn = fn, .arg = arg};
    size_t len = CHECK_STACK_BAND + stack + ALT_STACK; /* the band, the stack, the alt stack */
    char *m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    struct sigaction sa = {.sa_sigaction = small_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK}, old;
    pthread_attr_t at;
    pthread_t tid;

    /* without stack probes (gcc's -fstack-clash-protection is not on), a VLA may step past
     * a one-page guard into other memory: the band is wide enough that it cannot */
    cr_assert(m != MAP_FAILED &&
                  mprotect(m + CHECK_STACK_BAND, stack + ALT_STACK, PROT_READ | PROT_WRITE) == 0,
              "mmap() failed in the test: %s", strerror(errno));
    c.band = m;
    c.alt = m + CHECK_STACK_BAND + stack;
    small_now = &c;
    sigemptyset(&sa.sa_mask);
    cr_assert(sigaction(SIGSEGV, &sa, &old) == 0 && pthread_attr_init(&at) == 0 &&
                  pthread_attr_setstack(&at, m + CHECK_STACK_BAND, stack) == 0 &&
                  pthread_create(&tid, &at, small_run, &c) == 0,
              "setting up a thread with a small stack failed in the test");
    pthread_join(tid, NULL);
    pthread_attr_destroy(&at);
    sigaction(SIGSEGV, &old, NULL);
    small_now = NULL;
    munmap(m, len);
    return !c.overflow;
}
