/* sys_signal.c - signal state is recorded, not delivered (v1).
 *
 * rt_sigaction, rt_sigprocmask and sigaltstack keep what the program sets
 * and report it back.  A signal sent to ourselves (raise(), abort()) takes
 * its default action: ignored ones are dropped, the others end the program
 * with status 128 + signal, as a shell would report it.  A signal with a
 * handler also ends the program, saying that delivery is not supported.
 */
#include "errno.h"
#include "runtime.h"
#include "syscall.h"

#define NSIG 65
#define SIG_DFL 0
#define SIG_IGN 1
#define SIGKILL 9
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGURG 23
#define SIGWINCH 28

struct k_sigaction {
	u64 handler, flags, restorer, mask;
};

static struct k_sigaction actions[NSIG];
static long send_self(long sig);
static u64 blocked, pending;
static u64 altstack[3];

SYSCALL(rt_sigaction)
{
	struct k_sigaction *act = (struct k_sigaction *)a1, *old = (struct k_sigaction *)a2;

	if (a0 < 1 || a0 >= NSIG || a3 != 8)
		return -EINVAL;
	if (act && !user_ok(a1, sizeof(*act), false))
		return -EFAULT;
	if (old && !user_ok(a2, sizeof(*old), true))
		return -EFAULT;
	if (act && (a0 == SIGKILL || a0 == SIGSTOP))
		return -EINVAL;
	if (old)
		*old = actions[a0];
	if (act)
		actions[a0] = *act;
	return 0;
}

SYSCALL(rt_sigprocmask)
{
	u64 *set = (u64 *)a1, *old = (u64 *)a2;

	if (a3 != 8)
		return -EINVAL;
	if (set && !user_ok(a1, 8, false))
		return -EFAULT;
	if (old && !user_ok(a2, 8, true))
		return -EFAULT;
	if (old)
		*old = blocked;
	if (!set)
		return 0;
	switch (a0) {
	case 0: /* SIG_BLOCK */ blocked |= *set; break;
	case 1: /* SIG_UNBLOCK */ blocked &= ~*set; break;
	case 2: /* SIG_SETMASK */ blocked = *set; break;
	default: return -EINVAL;
	}
	blocked &= ~(1UL << (SIGKILL - 1) | 1UL << (SIGSTOP - 1));
	for (int sig = 1; sig < NSIG && (pending & ~blocked); sig++) {
		u64 bit = 1UL << (sig - 1);

		if (pending & ~blocked & bit) {
			pending &= ~bit;
			send_self(sig);
		}
	}
	return 0;
}

SYSCALL(sigaltstack)
{
	if (a1) {
		if (!user_ok(a1, sizeof(altstack), true))
			return -EFAULT;
		memcpy((void *)a1, altstack, sizeof(altstack));
	}
	if (a0) {
		if (!user_ok(a0, sizeof(altstack), false))
			return -EFAULT;
		memcpy(altstack, (void *)a0, sizeof(altstack));
	}
	return 0;
}

static long send_self(long sig)
{
	u64 handler;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	if (sig == 0)
		return 0;
	handler = actions[sig].handler;
	if (handler == SIG_IGN && sig != SIGKILL)
		return 0;
	if (handler == SIG_DFL &&
	    (sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH))
		return 0;
	if ((blocked & (1UL << (sig - 1))) && sig != SIGKILL) {
		pending |= 1UL << (sig - 1); /* acted on when unblocked */
		return 0;
	}
	if (handler != SIG_DFL)
		kprintf(
		    "unik: signal %ld has a handler, but signal delivery is not supported yet\n",
		    sig);
	kprintf("unik: program terminated by signal %ld\n", sig);
	runtime_exit(128 + (int)sig);
}

SYSCALL(kill)
{
	return a0 == 1 || a0 == 0 || a0 == -1 ? send_self(a1) : -ESRCH;
}

SYSCALL(tkill)
{
	return a0 == 1 ? send_self(a1) : -ESRCH;
}

SYSCALL(tgkill)
{
	return a0 == 1 && a1 == 1 ? send_self(a2) : -ESRCH;
}
