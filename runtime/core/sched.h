/* sched.h - blocking, and the scheduler of the program's threads.
 *
 * Every blocking call of the runtime (sleeps, poll/select/epoll, reads of
 * empty pipes and sockets, futex waits, ...) waits through sched_wait() or
 * sched_block(), and everything that can end a wait (data arriving or
 * written, a lock freed, a thread ending, a signal) calls sched_wake() or
 * sched_unblock().  Meanwhile the other threads run; when none can, the CPU
 * sleeps in netstack_wait() until the earliest deadline or an event (a
 * network frame, a stop request from the host): an idle instance costs the
 * host nothing.
 *
 * Threads run one at a time on the one vCPU, preempted after a time slice
 * by a one-shot timer (platform_ops.timer_set: the local APIC on qemu, a
 * monitor timer on hvt, a host interval timer on spt) that is armed only
 * while another thread is waiting for the CPU or a deadline is due: no
 * ticks while idle.  The runtime itself is not preemptible: interrupts and
 * host signals only set flags (sched_irq_*), acted on in exit_to_user() on
 * the way back to the program or in the idle loop.
 */
#ifndef UNIK_RT_SCHED_H
#define UNIK_RT_SCHED_H

#include "kernel.h"

/* No deadline. */
#define SCHED_FOREVER (~0UL)

/* 1 when the awaited condition holds.  It may be called many times, from
 * the context of any thread (the scheduler re-checks waiters when something
 * happens), and is not called again once it returned true for a wait: it
 * may record what it found (poll's revents) for the waiter to return. */
typedef bool (*sched_ready_fn)(void *arg);

/* Blocks the calling thread until ready(arg) is true (0), the monotonic
 * deadline passes (-ETIMEDOUT), or a signal is pending for it that a
 * handler will take or that ends the program (-EINTR).  ready(arg) is
 * checked first: a condition already true returns at once.  A wait that
 * nothing can ever end (every thread waits with no deadline, no network,
 * nobody to send a signal) ends the program with a console line naming
 * `what`, rather than hang. */
long sched_wait(sched_ready_fn ready, void *arg, u64 deadline_ns, const char *what);

/* The thread a wait condition is evaluated for: the waiting thread while
 * the scheduler checks conditions, else the calling thread.  For conditions
 * that depend on the waiter (its pending signals: signalfd). */
struct thread *sched_cond_thread(void);
/* sched_wait() that signals do not end (a disk transfer, a volume's lock:
 * what cannot be abandoned halfway): 0 or -ETIMEDOUT.  A signal for the
 * thread stays pending until the wait ends. */
long sched_wait_noint(sched_ready_fn ready, void *arg, u64 deadline_ns, const char *what);

/* Something a thread may be waiting for has happened: the conditions of
 * sched_wait() waiters are checked again before the program runs on. */
void sched_wake(void);

/* --- the scheduler's own interface (threads, futexes, signals) ----------- */

struct thread;
struct trap_frame;

/* A deadline (sleeps, interval timers): fn runs in the scheduler once the
 * monotonic clock reaches it. */
struct sched_timer {
	u64 deadline;
	void (*fn)(struct sched_timer *tm);
	struct sched_timer *next;
	bool armed;
};
void sched_timer_add(struct sched_timer *tm, u64 deadline_ns);
void sched_timer_del(struct sched_timer *tm);

/* Blocks the calling thread until sched_unblock() (its result), the
 * deadline (-ETIMEDOUT) or a signal (-EINTR, see sched_wait). */
long sched_block(u64 deadline_ns, const char *what);
/* Ends t's sched_block() with `result` (nothing when t is not blocked). */
void sched_unblock(struct thread *t, long result);
/* Makes a new thread runnable. */
void sched_start(struct thread *t);
/* Gives the CPU to another runnable thread, if any (sched_yield). */
void sched_yield_now(void);
/* Runs another thread; returns when the caller runs again.  A caller that
 * is not runnable (blocked, dead) sleeps until woken (never, if dead). */
void schedule(void);
/* The new thread's first code on its kernel stack (entry.S). */
void thread_started(void);

/* On every return to the program (entry.S ret_to_user), with its frame:
 * acts on interrupts, switches threads when the slice is over, delivers
 * signals, arms the timer.  May run other threads first. */
void exit_to_user(struct trap_frame *f);

/* What interrupts and host signals record (any context, even an NMI): the
 * timer fired; the network device has input; a disk finished a transfer;
 * the host asks the program to stop (SIGTERM). */
void sched_irq_timer(void);
void sched_irq_net(void);
void sched_irq_io(void);
void sched_irq_stop(void);
/* Non-zero while one of those waits to be acted on (entry.S checks it). */
extern volatile u8 sched_irq_pending;

#endif
