/* signal.h - signals: sending, waiting, delivery to handlers (signal.c).
 *
 * Dispositions are the process's; masks, pending sets and the alternate
 * stack each thread's.  A signal sent to the process (kill, alarm, a stop
 * request from the host) goes to a thread that does not block it; one sent
 * to a thread (tgkill, SIGPIPE, a fault) stays with it.  Delivery happens
 * on the way back to the program (exit_to_user): a handler gets a Linux
 * rt_sigframe on its stack (siginfo, ucontext with the registers and the
 * FPU state) and returns through rt_sigreturn; the default actions end the
 * program with status 128 + signal or ignore it.  Standard and real-time
 * signals alike are not queued: one pending instance per signal.
 */
#ifndef UNIK_RT_SIGNAL_H
#define UNIK_RT_SIGNAL_H

#include "kernel.h"

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define SIGSYS 31

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TIMER (-2)
#define SI_TKILL (-6)

#define SIG_BIT(sig) (1UL << ((sig)-1))

struct thread;
struct trap_frame;

/* Linux's siginfo_t (128 bytes). */
struct k_siginfo {
	s32 signo, err, code, pad;
	u64 w16, w24; /* see struct sig_slot */
	u8 rest[96];
};

/* struct sigaction as the kernel takes it; the dispositions (signal.c). */
struct k_sigaction {
	u64 handler, flags, restorer, mask;
};
extern struct k_sigaction sig_actions[65];
/* After sig_actions[sig] changed: an ignored signal is dropped from every
 * pending set, as Linux does. */
void signal_action_changed(int sig);

/* A siginfo for `sig` with code and the two words. */
struct k_siginfo sig_info(int sig, int code, u64 w16, u64 w24);

/* Sends sig (1..64) to thread t / to the process.  Ignored signals are
 * dropped; a blocked one stays pending. */
void signal_send_thread(struct thread *t, int sig, const struct k_siginfo *info);
void signal_send_process(int sig, const struct k_siginfo *info);
/* sig from the runtime to the calling thread (SIGPIPE on a write to a
 * closed socket or pipe): si_code SI_USER, as Linux sends it. */
void signal_raise_self(int sig);
/* A synchronous fault of the calling thread (SIGSEGV at addr, ...): true
 * when a handler will take it (then it is pending, delivered first); false
 * when the program must end (no handler, or the signal is blocked). */
bool signal_fault(int sig, int code, u64 addr);

/* The signals pending for the process (not yet taken by a thread). */
extern u64 proc_pending;
/* The signals pending for t, thread and process (blocked ones too). */
u64 signal_pending_set(const struct thread *t);
/* True when a signal pending for t would run a handler or end the
 * program: what interrupts a blocking call. */
bool signal_interrupts(const struct thread *t);
/* The signal t's next delivery would act on (0: none), and whether its
 * handler asks for interrupted calls to be restarted (SA_RESTART). */
int signal_next(const struct thread *t);
bool signal_restarts(int sig);
/* Takes the lowest pending signal in mask (thread's first): its number, or
 * 0 when none.  info may be NULL. */
int signal_dequeue(struct thread *t, u64 mask, struct k_siginfo *info);

/* Acts on one deliverable signal of the calling thread: sets up its
 * handler's frame in f, ignores it, or ends the program.  False when there
 * was none. */
bool signal_deliver(struct trap_frame *f);
/* rt_sigreturn: restores f from the frame at the program's stack. */
long signal_sigreturn(struct trap_frame *f);

/* ppoll, pselect6, epoll_pwait, rt_sigsuspend: the calling thread's mask
 * is `mask` until it returns to the program (a handler then runs with it
 * and its frame restores the old one). */
void signal_wait_mask(u64 mask);

/* True when something may still send a signal that ends a wait: a thread
 * waits for one, or SIGTERM (what stopping the instance sends) has a
 * handler or is blocked (sigwait, signalfd).  For the deadlock check. */
bool signal_wait_possible(void);
/* The host asks the program to stop: SIGTERM to the process. */
void signal_host_stop(void);

#endif
