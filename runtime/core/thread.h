/* thread.h - the program's threads.
 *
 * One process (pid 1) with any number of threads (clone with CLONE_THREAD,
 * what pthread_create does): each has its tid, its own kernel stack (where
 * its trap_frame lies while the runtime serves it, and where it sleeps when
 * it blocks), its saved FPU state, %fs base, signal mask and pending
 * signals.  Everything else (memory, descriptors, signal handlers) is
 * shared.  One vCPU runs them, one at a time (sched.c); the runtime itself
 * is never preempted, so its data needs no locks.
 */
#ifndef UNIK_RT_THREAD_H
#define UNIK_RT_THREAD_H

#include "kernel.h"
#include "arch.h"
#include "sched.h"

#define NSIG 65 /* signals 1..64 */
#define KSTACK_SIZE (32UL << 10) /* each thread's kernel stack */

enum thread_state {
	T_RUNNABLE, /* running, or waiting for the CPU */
	T_BLOCKED, /* in sched_block() */
	T_DEAD, /* exited; its kernel stack is freed after the next switch */
};

/* A pending signal's siginfo, without the signal number (signal.c). */
struct sig_slot {
	s32 code;
	u32 pad;
	u64 w16; /* siginfo bytes 16..23: si_pid/si_uid, si_tid/si_overrun, si_addr */
	u64 w24; /* bytes 24..31: si_value */
};

struct thread {
	u64 ksp; /* the saved kernel stack pointer (arch_switch) */
	u64 kstack_top;
	int tid;
	enum thread_state state;
	struct thread *run_next; /* the scheduler's queues */
	struct thread *all_next; /* every live thread */
	u64 enqueued_ns, slice_start_ns;

	/* Blocking (sched.c). */
	long wake_result; /* what sched_block() returns */
	const char *wait_what;
	bool wait_signal; /* waits for a signal (pause, sigsuspend, sigtimedwait) */
	struct sched_timer timeout;
	sched_ready_fn wait_ready; /* a sched_wait() condition */
	void *wait_arg;
	bool wait_done;
	bool wait_noint; /* in sched_wait_noint(): signals do not end the wait */
	struct thread *wait_next;
	/* Futex waits (sys_futex.c). */
	u64 futex_addr;
	u32 futex_bitset;
	bool futex_woken;
	bool futex_pi; /* waits in FUTEX_LOCK_PI */
	struct thread *futex_next;

	/* Signals (signal.c). */
	u64 sig_blocked, sig_pending;
	u64 sig_saved_mask; /* restored on the way out (sigsuspend, ppoll) */
	bool sig_restore_mask;
	u64 sigwait_set; /* rt_sigtimedwait: blocked signals that end the wait */
	struct sig_slot sig_info[NSIG - 1];
	u64 ss_sp, ss_size; /* sigaltstack */
	s32 ss_flags;

	u64 fs_base;
	u64 clear_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
	u64 robust_head, robust_len; /* set_robust_list */
	struct trap_frame *uframe; /* the program's registers during a call */
	void *fpu; /* its saved FPU state while another thread runs */
	u64 block_pa, block_pages; /* the memory of all of this (thread.c) */
};

/* The running thread. */
extern struct thread *cur_thread;
/* Every live thread, newest first. */
extern struct thread *thread_list;
extern int thread_count;

/* Creates thread 1, the program's first, on which arch_enter_app runs. */
void thread_init(void);
/* A new thread: everything zero but its tid, kernel stack and FPU area; not
 * yet runnable.  NULL when memory is short. */
struct thread *thread_alloc(void);
/* The live thread with this tid, or NULL. */
struct thread *thread_find(int tid);
/* Ends the calling thread (SYS_exit): robust futexes released, clear_tid
 * zeroed and woken; the last thread's exit ends the program with status. */
void thread_exit(int status) __noreturn;
/* Frees the memory of a thread that has exited (the scheduler calls it once
 * it no longer runs on that thread's stack). */
void thread_free(struct thread *t);
/* sched.c: marks the bottom of t's kernel stack (checked at each switch). */
void thread_stack_mark(struct thread *t);

/* sys_futex.c: wakes up to n waiters on the futex at uaddr whose bitset
 * meets `bitset`; how many. */
int futex_wake(u64 uaddr, int n, u32 bitset);
/* sys_futex.c: a thread with this tid exits: each PI lock it still holds
 * that has waiters goes to its longest waiter, marked FUTEX_OWNER_DIED. */
void futex_pi_exit(int tid);

#endif
