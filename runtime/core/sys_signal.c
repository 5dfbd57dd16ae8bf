/* sys_signal.c - the signal system calls over signal.c: dispositions,
 * masks, the alternate stack, sending to ourselves, and waiting for
 * signals (pause, rt_sigsuspend, rt_sigtimedwait). */
#include "errno.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"
#include "../platform/platform.h"

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define NSEC 1000000000L

static bool valid(long sig)
{
	return sig >= 1 && sig < NSIG;
}

SYSCALL(rt_sigaction)
{
	struct k_sigaction *act = (struct k_sigaction *)a1, *old = (struct k_sigaction *)a2;

	if (!valid(a0) || a3 != 8)
		return -EINVAL;
	if (act && !user_ok(a1, sizeof(*act), false))
		return -EFAULT;
	if (old && !user_ok(a2, sizeof(*old), true))
		return -EFAULT;
	if (act && (a0 == SIGKILL || a0 == SIGSTOP))
		return -EINVAL;
	if (old)
		*old = sig_actions[a0];
	if (act) {
		sig_actions[a0] = *act;
		sig_actions[a0].mask &= ~UNBLOCKABLE;
		signal_action_changed((int)a0);
	}
	return 0;
}

SYSCALL(rt_sigprocmask)
{
	struct thread *t = cur_thread;
	u64 *set = (u64 *)a1, *old = (u64 *)a2, nw;

	if (a3 != 8)
		return -EINVAL;
	if (set && !user_ok(a1, 8, false))
		return -EFAULT;
	if (old && !user_ok(a2, 8, true))
		return -EFAULT;
	nw = set ? *set : 0;
	if (old)
		*old = t->sig_blocked;
	if (!set)
		return 0;
	switch (a0) {
	case SIG_BLOCK: t->sig_blocked |= nw; break;
	case SIG_UNBLOCK: t->sig_blocked &= ~nw; break;
	case SIG_SETMASK: t->sig_blocked = nw; break;
	default: return -EINVAL;
	}
	t->sig_blocked &= ~UNBLOCKABLE;
	return 0; /* what became deliverable is delivered on the way out */
}

SYSCALL(rt_sigpending)
{
	struct thread *t = cur_thread;

	if (a1 != 8)
		return -EINVAL;
	if (!user_ok(a0, 8, true))
		return -EFAULT;
	*(u64 *)a0 = signal_pending_set(t) & t->sig_blocked;
	return 0;
}

struct k_stack {
	u64 sp;
	s32 flags, pad;
	u64 size;
};

SYSCALL(sigaltstack)
{
	struct thread *t = cur_thread;
	const struct k_stack *nw = (const struct k_stack *)a0;
	struct k_stack *old = (struct k_stack *)a1, ns;
	u64 sp = t->uframe ? t->uframe->rsp : 0;
	bool on = !(t->ss_flags & SS_DISABLE) && sp - t->ss_sp < t->ss_size;

	if (nw && !user_ok(a0, sizeof(*nw), false))
		return -EFAULT;
	if (old && !user_ok(a1, sizeof(*old), true))
		return -EFAULT;
	ns = nw ? *nw : (struct k_stack){ 0 };
	if (old)
		*old = (struct k_stack){ t->ss_sp,
					 (t->ss_flags & SS_DISABLE)
					     ? SS_DISABLE
					     : (on ? SS_ONSTACK : 0) |
						   (t->ss_flags & (s32)SS_AUTODISARM),
					 0, t->ss_size };
	if (!nw)
		return 0;
	if (on)
		return -EPERM;
	switch (ns.flags & ~(s32)SS_AUTODISARM) {
	case SS_DISABLE:
		t->ss_sp = t->ss_size = 0;
		t->ss_flags = SS_DISABLE;
		return 0;
	case 0:
	case SS_ONSTACK: /* accepted as 0, as Linux does */
		if (ns.size < MINSIGSTKSZ)
			return -ENOMEM;
		t->ss_sp = ns.sp;
		t->ss_size = ns.size;
		t->ss_flags = ns.flags & (s32)SS_AUTODISARM;
		return 0;
	default: return -EINVAL;
	}
}

SYSCALL(kill)
{
	struct k_siginfo i = sig_info((int)a1, SI_USER, 1, 0);

	if (a0 != 1 && a0 != 0 && a0 != -1)
		return -ESRCH;
	if (a1 == 0)
		return 0;
	if (!valid(a1))
		return -EINVAL;
	signal_send_process((int)a1, &i);
	return 0;
}

static long send_to_thread(long tid, long sig, int code)
{
	struct thread *t = thread_find((int)tid);
	struct k_siginfo i = sig_info((int)sig, code, 1, 0);

	if (tid <= 0 || (sig != 0 && !valid(sig)))
		return -EINVAL;
	if (!t)
		return -ESRCH;
	if (sig)
		signal_send_thread(t, (int)sig, &i);
	return 0;
}

SYSCALL(tkill)
{
	return send_to_thread(a0, a1, SI_TKILL);
}

SYSCALL(tgkill)
{
	if (a0 <= 0)
		return -EINVAL;
	if (a0 != 1)
		return -ESRCH;
	return send_to_thread(a1, a2, SI_TKILL);
}

/* rt_sigqueueinfo / rt_tgsigqueueinfo: with the program's siginfo
 * (si_code must be negative, as Linux requires of senders). */
static long queue_info(long tid, long sig, long uinfo, bool to_thread)
{
	const struct k_siginfo *u = (const struct k_siginfo *)uinfo;
	struct k_siginfo i;
	struct thread *t = NULL;

	if (!valid(sig))
		return -EINVAL;
	if (!user_ok(uinfo, sizeof(*u), false))
		return -EFAULT;
	i = sig_info((int)sig, u->code, u->w16, u->w24);
	if (i.code >= 0 || i.code == SI_TKILL)
		return -EPERM;
	if (to_thread && !(t = thread_find((int)tid)))
		return -ESRCH;
	if (t)
		signal_send_thread(t, (int)sig, &i);
	else
		signal_send_process((int)sig, &i);
	return 0;
}

SYSCALL(rt_sigqueueinfo)
{
	if (a0 != 1 && a0 != 0)
		return -ESRCH;
	return queue_info(0, a1, a2, false);
}

SYSCALL(rt_tgsigqueueinfo)
{
	if (a0 != 1)
		return -ESRCH;
	return queue_info(a1, a2, a3, true);
}

SYSCALL(rt_sigreturn)
{
	return signal_sigreturn(cur_thread->uframe);
}

/* Sleeps until a signal runs a handler or ends the program. */
static long wait_for_signal(const char *what)
{
	struct thread *t = cur_thread;
	long rc;

	t->wait_signal = true;
	do
		rc = sched_block(SCHED_FOREVER, what);
	while (rc != -EINTR || !signal_interrupts(t));
	t->wait_signal = false;
	return -EINTR;
}

SYSCALL(pause)
{
	return wait_for_signal("pause()");
}

SYSCALL(rt_sigsuspend)
{
	if (a1 != 8)
		return -EINVAL;
	if (!user_ok(a0, 8, false))
		return -EFAULT;
	/* The handler's frame restores the mask of before the call. */
	signal_wait_mask(*(const u64 *)a0);
	return wait_for_signal("rt_sigsuspend()");
}

/* rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal
 * of set (normally blocked ones), waiting for one up to the timeout. */
SYSCALL(rt_sigtimedwait)
{
	struct thread *t = cur_thread;
	const s64 *ts = (const s64 *)a2;
	u64 set, deadline = SCHED_FOREVER;
	struct k_siginfo info;
	int sig;
	long rc;

	if (a3 != 8)
		return -EINVAL;
	if (!user_ok(a0, 8, false) || (a1 && !user_ok(a1, sizeof(info), true)) ||
	    (a2 && !user_ok(a2, 16, false)))
		return -EFAULT;
	set = *(const u64 *)a0 & ~UNBLOCKABLE;
	if (ts) {
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= NSEC)
			return -EINVAL;
		deadline = plat_monotonic_ns() + (u64)(ts[0] * NSEC + ts[1]);
	}
	for (;;) {
		sig = signal_dequeue(t, set, &info);
		if (sig) {
			if (a1)
				*(struct k_siginfo *)a1 = info;
			return sig;
		}
		if (deadline != SCHED_FOREVER && plat_monotonic_ns() >= deadline)
			return -EAGAIN;
		t->sigwait_set = set;
		t->wait_signal = true;
		rc = sched_block(deadline, "rt_sigtimedwait()");
		t->sigwait_set = 0;
		t->wait_signal = false;
		if (rc == -EINTR && !(signal_pending_set(t) & set) && signal_interrupts(t))
			return -EINTR; /* another signal, for a handler */
	}
}
