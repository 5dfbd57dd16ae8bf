/* signal.c - sending, dequeueing and delivering signals (signal.h).
 *
 * A handler is entered the way Linux enters it on x86-64: below the red
 * zone of the interrupted stack (or at the top of the thread's alternate
 * stack with SA_ONSTACK) the runtime writes the FPU state (XSAVE format,
 * 64-byte aligned), then a struct rt_sigframe whose first word is the
 * restorer (musl's __restore_rt, calling rt_sigreturn), with %rdi = signal,
 * %rsi = &siginfo, %rdx = &ucontext.  The ucontext holds every register,
 * the mask to restore and the alternate stack; rt_sigreturn puts them back
 * (signal_sigreturn), sanitising flags and FPU state so a forged frame can
 * only hurt the program itself.
 */
#include "errno.h"
#include "runtime.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"

#define SIG_DFL 0
#define SIG_IGN 1
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SA_RESTORER 0x04000000
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4
#define RED_ZONE 128
/* The flags a program may change through rt_sigreturn (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS 0x50dd5UL
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
/* Delivered first, as Linux does: the faults. */
#define SYNC_SIGNALS                                                                               \
	(SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIG_BIT(SIGILL) | SIG_BIT(SIGTRAP) |                 \
	 SIG_BIT(SIGFPE) | SIG_BIT(SIGSYS))
/* Default action "ignore" (the stop signals too: there is no job control). */
#define DEFAULT_IGNORED                                                                            \
	(SIG_BIT(SIGCHLD) | SIG_BIT(SIGCONT) | SIG_BIT(SIGURG) | SIG_BIT(SIGWINCH) |               \
	 SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))

struct k_stack {
	u64 sp;
	s32 flags, pad;
	u64 size;
};

/* struct sigcontext (asm/sigcontext.h): musl's gregs[] are the same words. */
struct k_sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	u64 eflags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2;
	u64 fpstate;
	u64 reserved1[8];
};

struct k_ucontext {
	u64 uc_flags, uc_link;
	struct k_stack uc_stack;
	struct k_sigcontext uc_mcontext;
	u64 uc_sigmask;
};

struct rt_sigframe {
	u64 pretcode;
	struct k_ucontext uc;
	struct k_siginfo info;
};

struct k_sigaction sig_actions[NSIG];
u64 proc_pending;
static struct sig_slot proc_info[NSIG - 1];

struct k_siginfo sig_info(int sig, int code, u64 w16, u64 w24)
{
	struct k_siginfo i;

	memset(&i, 0, sizeof(i));
	i.signo = sig;
	i.code = code;
	i.w16 = w16;
	i.w24 = w24;
	return i;
}

static bool is_ignored(int sig)
{
	u64 h = sig_actions[sig].handler;

	return h == SIG_IGN || (h == SIG_DFL && (DEFAULT_IGNORED & SIG_BIT(sig)));
}

void signal_action_changed(int sig)
{
	if (!is_ignored(sig))
		return;
	for (struct thread *t = thread_list; t; t = t->all_next)
		t->sig_pending &= ~SIG_BIT(sig);
	proc_pending &= ~SIG_BIT(sig);
}

static bool has_handler(int sig)
{
	return sig_actions[sig].handler != SIG_DFL && sig_actions[sig].handler != SIG_IGN;
}

static void slot_set(struct sig_slot *s, const struct k_siginfo *info)
{
	s->code = info->code;
	s->w16 = info->w16;
	s->w24 = info->w24;
}

/* Wakes t if sig ends its wait. */
static bool notify(struct thread *t, int sig)
{
	u64 bit = SIG_BIT(sig);

	if (t->state != T_BLOCKED || t->wait_noint)
		return false;
	if ((t->sigwait_set & bit) || !(t->sig_blocked & bit)) {
		sched_unblock(t, -EINTR);
		return true;
	}
	return false;
}

void signal_send_thread(struct thread *t, int sig, const struct k_siginfo *info)
{
	u64 bit = SIG_BIT(sig);

	if (is_ignored(sig) && !(t->sig_blocked & bit) && !(t->sigwait_set & bit))
		return;
	if (!(t->sig_pending & bit)) {
		t->sig_pending |= bit;
		slot_set(&t->sig_info[sig - 1], info);
	}
	sched_wake(); /* a signalfd reader or poller waits for it */
	notify(t, sig);
}

void signal_send_process(int sig, const struct k_siginfo *info)
{
	u64 bit = SIG_BIT(sig);
	struct thread *t;
	bool wanted = !is_ignored(sig);

	for (t = thread_list; t && !wanted; t = t->all_next)
		wanted = (t->sig_blocked | t->sigwait_set) & bit;
	if (!wanted)
		return;
	if (!(proc_pending & bit)) {
		proc_pending |= bit;
		slot_set(&proc_info[sig - 1], info);
	}
	sched_wake(); /* a signalfd reader or poller waits for it */
	/* Someone waiting for it in rt_sigtimedwait, then the running thread
	 * (it acts on it on its way out), then any other that takes it. */
	for (t = thread_list; t; t = t->all_next)
		if (t->state == T_BLOCKED && (t->sigwait_set & bit) && notify(t, sig))
			return;
	if (cur_thread->state == T_RUNNABLE && !(cur_thread->sig_blocked & bit))
		return;
	for (t = thread_list; t; t = t->all_next)
		if (!(t->sig_blocked & bit) && (t->state == T_RUNNABLE || notify(t, sig)))
			return;
}

void signal_raise_self(int sig)
{
	struct k_siginfo i = sig_info(sig, SI_USER, 1, 0); /* from pid 1, uid 0 */

	signal_send_thread(cur_thread, sig, &i);
}

bool signal_fault(int sig, int code, u64 addr)
{
	struct thread *t = cur_thread;
	struct k_siginfo i = sig_info(sig, code, addr, 0);

	if (!has_handler(sig) || (t->sig_blocked & SIG_BIT(sig)))
		return false;
	t->sig_pending |= SIG_BIT(sig);
	slot_set(&t->sig_info[sig - 1], &i);
	return true;
}

u64 signal_pending_set(const struct thread *t)
{
	return t->sig_pending | proc_pending;
}

static u64 deliverable(const struct thread *t)
{
	return (t->sig_pending | proc_pending) & ~t->sig_blocked;
}

bool signal_interrupts(const struct thread *t)
{
	return deliverable(t) || (signal_pending_set(t) & t->sigwait_set);
}

static int lowest(u64 set)
{
	return set ? __builtin_ctzl(set) + 1 : 0;
}

int signal_next(const struct thread *t)
{
	u64 d = deliverable(t);

	return lowest(d & SYNC_SIGNALS ? d & SYNC_SIGNALS : d);
}

bool signal_restarts(int sig)
{
	return sig > 0 && sig < NSIG && has_handler(sig) && (sig_actions[sig].flags & SA_RESTART);
}

int signal_dequeue(struct thread *t, u64 mask, struct k_siginfo *info)
{
	u64 mine = t->sig_pending & mask, shared = proc_pending & mask;
	const struct sig_slot *s;
	int sig;

	if (mine & SYNC_SIGNALS)
		mine &= SYNC_SIGNALS;
	if (!mine && !shared)
		return 0;
	sig = lowest(mine ? mine : shared);
	if (mine) {
		t->sig_pending &= ~SIG_BIT(sig);
		s = &t->sig_info[sig - 1];
	} else {
		proc_pending &= ~SIG_BIT(sig);
		s = &proc_info[sig - 1];
	}
	if (info)
		*info = sig_info(sig, s->code, s->w16, s->w24);
	return sig;
}

/* --- delivery ---------------------------------------------------------------- */

static bool on_altstack(const struct thread *t, u64 sp)
{
	return !(t->ss_flags & SS_DISABLE) && sp - t->ss_sp < t->ss_size;
}

static s32 altstack_flags(const struct thread *t, u64 sp)
{
	if (t->ss_flags & SS_DISABLE)
		return SS_DISABLE;
	return (on_altstack(t, sp) ? SS_ONSTACK : 0) | (t->ss_flags & (s32)SS_AUTODISARM);
}

static void __noreturn terminate(int sig)
{
	kprintf("unikernel: program terminated by signal %d\n", sig);
	runtime_exit(128 + sig);
}

static void save_context(struct k_sigcontext *mc, const struct trap_frame *f)
{
	*mc = (struct k_sigcontext){
		.r8 = f->r8,
		.r9 = f->r9,
		.r10 = f->r10,
		.r11 = f->r11,
		.r12 = f->r12,
		.r13 = f->r13,
		.r14 = f->r14,
		.r15 = f->r15,
		.rdi = f->rdi,
		.rsi = f->rsi,
		.rbp = f->rbp,
		.rbx = f->rbx,
		.rdx = f->rdx,
		.rax = f->rax,
		.rcx = f->rcx,
		.rsp = f->rsp,
		.rip = f->rip,
		.eflags = f->rflags,
		.cs = (u16)f->cs,
		.ss = (u16)f->ss,
		.err = f->vector < 32 ? f->error : 0,
		.trapno = f->vector < 32 ? f->vector : 0,
	};
}

/* Builds the frame for sig's handler; false when the stack cannot take it. */
static bool setup_frame(struct thread *t, struct trap_frame *f, int sig,
			const struct k_siginfo *info, const struct k_sigaction *ka)
{
	u64 sp = f->rsp - RED_ZONE, fp, fsize = fpu_state_size() + 4, top;
	u64 oldmask = t->sig_restore_mask ? t->sig_saved_mask : t->sig_blocked;
	struct rt_sigframe *fr;

	if ((ka->flags & SA_ONSTACK) && !(t->ss_flags & SS_DISABLE) && !on_altstack(t, f->rsp))
		sp = t->ss_sp + t->ss_size;
	top = sp;
	fp = ALIGN_DOWN(sp - fsize, 64);
	sp = ALIGN_DOWN(fp - sizeof(*fr), 16) - 8;
	fr = (struct rt_sigframe *)sp;
	if (!(ka->flags & SA_RESTORER) || sp > top || !user_ok((long)sp, top - sp, true))
		return false;
	memset((void *)fp, 0, 576); /* XSAVE leaves the header's reserved words as they are */
	fpu_save((void *)fp);
	fpu_mark_frame((void *)fp);
	memset(fr, 0, sizeof(*fr));
	fr->pretcode = ka->restorer;
	fr->uc.uc_flags =
	    UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpu_xsave() ? UC_FP_XSTATE : 0);
	fr->uc.uc_stack = (struct k_stack){ t->ss_sp, altstack_flags(t, f->rsp), 0, t->ss_size };
	save_context(&fr->uc.uc_mcontext, f);
	fr->uc.uc_mcontext.fpstate = fp;
	fr->uc.uc_mcontext.oldmask = oldmask;
	fr->uc.uc_sigmask = oldmask;
	fr->info = *info;
	if (t->ss_flags & (s32)SS_AUTODISARM) {
		t->ss_sp = t->ss_size = 0;
		t->ss_flags = SS_DISABLE;
	}
	f->rdi = (u64)sig;
	f->rsi = (u64)&fr->info;
	f->rdx = (u64)&fr->uc;
	f->rax = 0;
	f->rip = ka->handler;
	f->rsp = sp;
	f->rflags &= ~(0x400UL | 0x100UL | 0x40000UL); /* DF, TF, AC */
	fpu_reset();
	return true;
}

bool signal_deliver(struct trap_frame *f)
{
	struct thread *t = cur_thread;
	struct k_siginfo info;
	struct k_sigaction ka;
	int sig;

	if (!deliverable(t))
		return false;
	sig = signal_dequeue(t, ~t->sig_blocked, &info);
	if (!sig || is_ignored(sig))
		return true;
	if (!has_handler(sig))
		terminate(sig);
	ka = sig_actions[sig];
	if (ka.flags & SA_RESETHAND)
		sig_actions[sig].handler = SIG_DFL;
	if (!setup_frame(t, f, sig, &info, &ka)) {
		/* Linux forces SIGSEGV; its handler could not run either */
		kprintf("unikernel: cannot deliver signal %d: the stack at 0x%lx cannot take its "
			"frame\n",
			sig, f->rsp);
		terminate(SIGSEGV);
	}
	t->sig_restore_mask = false;
	t->sig_blocked |= ka.mask | (ka.flags & SA_NODEFER ? 0 : SIG_BIT(sig));
	t->sig_blocked &= ~UNBLOCKABLE;
	return true;
}

long signal_sigreturn(struct trap_frame *f)
{
	struct thread *t = cur_thread;
	const struct k_ucontext *uc = (const struct k_ucontext *)f->rsp;
	const struct k_sigcontext *mc;
	u64 fsize = fpu_state_size(), sp = f->rsp;
	bool xstate;

	if (!user_ok((long)f->rsp, sizeof(*uc), false)) {
		kprintf("unikernel: rt_sigreturn with no signal frame at 0x%lx\n", f->rsp);
		terminate(SIGSEGV);
	}
	mc = &uc->uc_mcontext;
	t->sig_blocked = uc->uc_sigmask & ~UNBLOCKABLE;
	f->r8 = mc->r8;
	f->r9 = mc->r9;
	f->r10 = mc->r10;
	f->r11 = mc->r11;
	f->r12 = mc->r12;
	f->r13 = mc->r13;
	f->r14 = mc->r14;
	f->r15 = mc->r15;
	f->rdi = mc->rdi;
	f->rsi = mc->rsi;
	f->rbp = mc->rbp;
	f->rbx = mc->rbx;
	f->rdx = mc->rdx;
	f->rax = mc->rax;
	f->rcx = mc->rcx;
	f->rsp = mc->rsp;
	f->rip = mc->rip;
	f->rflags = (f->rflags & ~FIX_EFLAGS) | (mc->eflags & FIX_EFLAGS) | 0x202;
	f->error |= FRAME_FULL;
	if (mc->fpstate) {
		if (!user_ok((long)mc->fpstate, fsize, false)) {
			kprintf("unikernel: rt_sigreturn with a bad FPU state at 0x%lx\n",
				mc->fpstate);
			terminate(SIGSEGV);
		}
		memcpy(t->fpu, (const void *)mc->fpstate, fsize);
		xstate = (uc->uc_flags & UC_FP_XSTATE) && ((const u32 *)t->fpu)[116] == 0x46505853u;
		if (!fpu_sanitize(t->fpu, xstate)) {
			kprintf("unikernel: rt_sigreturn with a malformed FPU state\n");
			terminate(SIGSEGV);
		}
		fpu_restore(t->fpu);
	} else {
		fpu_reset();
	}
	/* The alternate stack as it was (SS_AUTODISARM disarmed it); not while
	 * running on it, as sigaltstack() refuses. */
	if (!on_altstack(t, sp)) {
		if (uc->uc_stack.flags & SS_DISABLE) {
			t->ss_sp = t->ss_size = 0;
			t->ss_flags = SS_DISABLE;
		} else if (uc->uc_stack.size >= 2048) {
			t->ss_sp = uc->uc_stack.sp;
			t->ss_size = uc->uc_stack.size;
			t->ss_flags = uc->uc_stack.flags & (s32)SS_AUTODISARM;
		}
	}
	return (long)f->rax;
}

void signal_wait_mask(u64 mask)
{
	struct thread *t = cur_thread;

	if (!t->sig_restore_mask)
		t->sig_saved_mask = t->sig_blocked;
	t->sig_restore_mask = true;
	t->sig_blocked = mask & ~UNBLOCKABLE;
}

bool signal_wait_possible(void)
{
	if (has_handler(SIGTERM))
		return true;
	for (struct thread *t = thread_list; t; t = t->all_next)
		if (t->wait_signal || (t->sig_blocked & SIG_BIT(SIGTERM)))
			return true;
	return false;
}

void signal_host_stop(void)
{
	struct k_siginfo i = sig_info(SIGTERM, SI_USER, 0, 0); /* from pid 0: outside */

	signal_send_process(SIGTERM, &i);
}
