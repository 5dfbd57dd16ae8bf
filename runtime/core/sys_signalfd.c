/* sys_signalfd.c - signalfd and signalfd4: a descriptor that reads the
 * calling thread's pending signals of a mask as struct signalfd_siginfo
 * records instead of running handlers.  The program blocks those signals
 * (as Linux requires for them to stay pending); a read takes the lowest
 * pending one of the mask (the thread's own first, then the process's),
 * waiting for one unless the descriptor is non-blocking; poll and epoll see
 * it readable while one is pending.  signalfd(fd, ...) on an existing
 * signalfd replaces its mask. */
#include "errno.h"
#include "fd.h"
#include "kmem.h"
#include "sched.h"
#include "signal.h"
#include "string.h"
#include "syscall.h"
#include "thread.h"

#define SFD_NONBLOCK 04000
#define SFD_CLOEXEC 02000000
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* Linux's struct signalfd_siginfo (128 bytes). */
struct k_signalfd_siginfo {
	u32 signo;
	s32 err, code;
	u32 pid, uid;
	s32 fd;
	u32 tid, band, overrun, trapno;
	s32 status, sint;
	u64 ptr, utime, stime, addr;
	u16 addr_lsb, pad2;
	s32 syscall;
	u64 call_addr;
	u32 arch;
	u8 pad[28];
};
_Static_assert(sizeof(struct k_signalfd_siginfo) == 128, "signalfd_siginfo is 128 bytes");

struct sigfd {
	u64 mask;
};

static bool pending(void *arg)
{
	const struct sigfd *s = arg;

	return (signal_pending_set(sched_cond_thread()) & s->mask) != 0;
}

/* The record of one signal, from the siginfo the sender filled in (the
 * words at offsets 16 and 24 of siginfo_t: pid and uid for kill and
 * sigqueue, timer id and overrun for timers, the address for faults; the
 * sigqueue value or the timer's sigval at 24). */
static void to_record(const struct k_siginfo *i, struct k_signalfd_siginfo *r)
{
	memset(r, 0, sizeof(*r));
	r->signo = (u32)i->signo;
	r->err = i->err;
	r->code = i->code;
	switch (i->signo) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		if (i->code > 0) {
			r->addr = i->w16;
			return;
		}
		break;
	default: break;
	}
	if (i->code == SI_TIMER) {
		r->tid = (u32)i->w16;
		r->overrun = (u32)(i->w16 >> 32);
	} else {
		r->pid = (u32)i->w16;
		r->uid = (u32)(i->w16 >> 32);
	}
	r->ptr = i->w24;
	r->sint = (s32)i->w24;
}

static long sigfd_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct sigfd *s = f->priv;
	struct k_signalfd_siginfo r[4]; /* a read returns up to four records */
	struct k_siginfo info;
	u64 room = iov_total(iov, n);
	int k = 0;
	long rc;

	if (room < sizeof(r[0]))
		return -EINVAL;
	while (!pending(s)) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		f->refs++; /* another thread may close it meanwhile */
		rc = sched_wait(pending, s, SCHED_FOREVER, "read() of a signalfd");
		if (--f->refs == 0) {
			file_put(f);
			return -EBADF;
		}
		if (rc)
			return rc;
	}
	/* As many whole records as fit and are pending. */
	while (k < (int)ARRAY_SIZE(r) && (u64)(k + 1) * sizeof(r[0]) <= room) {
		if (!signal_dequeue(cur_thread, s->mask, &info))
			break;
		to_record(&info, &r[k++]);
	}
	iov_copy_out(iov, n, r, (u64)k * sizeof(r[0]));
	return (long)k * (long)sizeof(r[0]);
}

static short sigfd_poll(struct file *f)
{
	return pending(f->priv) ? POLLIN : 0;
}

static void sigfd_release(struct file *f)
{
	kfree(f->priv, sizeof(struct sigfd));
}

static const struct file_ops sigfd_ops = {
	.mode = 0600, /* an anonymous inode, as on Linux */
	.read = sigfd_read,
	.poll = sigfd_poll,
	.release = sigfd_release,
	.kind = "anon_inode:[signalfd]",
};

static long signalfd_common(long fd, long umask, long size, long flags)
{
	struct sigfd *s;
	u64 mask;
	long err;

	if (size != 8 || (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)))
		return -EINVAL;
	if (!user_ok(umask, 8, false))
		return -EFAULT;
	mask = *(const u64 *)umask & ~UNBLOCKABLE;
	if (fd != -1) {
		s = fd_priv(fd, &sigfd_ops, -EINVAL, &err);
		if (!s)
			return err;
		s->mask = mask;
		sched_wake(); /* a reader may now have a signal */
		return fd;
	}
	s = kmalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mask = mask;
	return fd_open(&sigfd_ops, NULL, O_RDONLY | (int)(flags & SFD_NONBLOCK), s,
		       flags & SFD_CLOEXEC);
}

SYSCALL(signalfd)
{
	return signalfd_common(a0, a1, a2, 0);
}

SYSCALL(signalfd4)
{
	return signalfd_common(a0, a1, a2, a3);
}
