/* sched.h - blocking: how a system call waits for something to happen.
 *
 * Every blocking call of the runtime (sleeps, poll/select/epoll, reads of
 * empty pipes and sockets, futex waits, ...) waits through sched_wait(), and
 * everything that can end a wait (data arriving or written, a lock freed, a
 * thread ending, a signal) calls sched_wake().  When nothing can run, the
 * CPU sleeps in netstack_wait() until the earliest deadline or an event: an
 * idle instance costs the host nothing.
 *
 * Today the runtime runs one thread: sched_wait() re-checks `ready` after
 * every event until it is true or the deadline passes.  With threads, the
 * scheduler runs the other threads meanwhile (same interface).
 */
#ifndef UNIK_RT_SCHED_H
#define UNIK_RT_SCHED_H

#include "kernel.h"

/* No deadline. */
#define SCHED_FOREVER (~0UL)

/* 1 when the awaited condition holds (called with no locks, may be called
 * many times). */
typedef bool (*sched_ready_fn)(void *arg);

/* Blocks the calling thread until ready(arg) is true (0), the monotonic
 * deadline passes (-ETIMEDOUT), or a signal is pending for it (-EINTR).
 * ready(arg) is checked first: a condition already true returns at once.
 * A wait that nothing can ever end (no deadline, no other thread, no
 * network, no signal source) ends the program with a console line naming
 * `what`, rather than hang. */
long sched_wait(sched_ready_fn ready, void *arg, u64 deadline_ns, const char *what);

/* Something a thread may be waiting for has happened. */
void sched_wake(void);

#endif
