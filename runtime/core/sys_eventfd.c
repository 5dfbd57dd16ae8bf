/* sys_eventfd.c - eventfd and eventfd2: a 64-bit counter behind a
 * descriptor, readable when non-zero.  A read of zero blocks until a write
 * (another thread's, or a signal handler's) raises it; a write that would
 * overflow it blocks until a read lowers it. */
#include "errno.h"
#include "fd.h"
#include "sched.h"
#include "syscall.h"

#define EFD_SEMAPHORE 1
#define EFD_NONBLOCK 04000
#define EFD_CLOEXEC 02000000

struct eventfd {
	u64 count;
	bool semaphore;
};

/* Eventfd objects come from a small static pool. */
static struct eventfd eventfds[64];
static bool eventfd_used[64];

static bool readable(void *arg)
{
	return ((struct eventfd *)arg)->count != 0;
}

struct eventfd_add {
	struct eventfd *e;
	u64 v;
};

static bool writable(void *arg)
{
	const struct eventfd_add *w = arg;

	return w->e->count + w->v >= w->e->count && w->e->count + w->v != ~0UL;
}

/* Waits for cond with a reference on f (another thread may close it). */
static long wait_on(struct file *f, sched_ready_fn cond, void *arg, const char *what)
{
	long rc;

	f->refs++;
	rc = sched_wait(cond, arg, SCHED_FOREVER, what);
	if (--f->refs == 0)
		file_put(f);
	return rc;
}

static long eventfd_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct eventfd *e = f->priv;
	u64 v;

	if (iov_total(iov, n) < 8)
		return -EINVAL;
	if (!e->count) {
		long rc;

		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		rc = wait_on(f, readable, e, "read() of an empty eventfd");
		if (rc)
			return rc;
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	iov_copy_out(iov, n, &v, 8);
	sched_wake(); /* a writer may wait for room */
	return 8;
}

static long eventfd_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct eventfd *e = f->priv;
	struct eventfd_add w = { e, 0 };

	if (iov_total(iov, n) < 8)
		return -EINVAL;
	iov_copy_in(&w.v, 8, iov, n);
	if (w.v == ~0UL)
		return -EINVAL;
	if (!writable(&w)) {
		long rc;

		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		rc = wait_on(f, writable, &w, "write() of a full eventfd");
		if (rc)
			return rc;
	}
	e->count += w.v;
	sched_wake();
	return 8;
}

static short eventfd_poll(struct file *f)
{
	const struct eventfd *e = f->priv;

	return (e->count ? POLLIN : 0) | (e->count < ~0UL - 1 ? POLLOUT : 0);
}

static void eventfd_release(struct file *f)
{
	eventfd_used[(struct eventfd *)f->priv - eventfds] = false;
}

static const struct file_ops eventfd_ops = {
	.mode = 0600, /* an anonymous inode, as on Linux */
	.read = eventfd_read,
	.write = eventfd_write,
	.poll = eventfd_poll,
	.release = eventfd_release,
};

static long eventfd_new(u64 initval, long flags)
{
	int i;

	if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
		return -EINVAL;
	for (i = 0; i < (int)ARRAY_SIZE(eventfds) && eventfd_used[i]; i++)
		;
	if (i == (int)ARRAY_SIZE(eventfds))
		return -EMFILE;
	eventfd_used[i] = true;
	eventfds[i] = (struct eventfd){ initval, flags & EFD_SEMAPHORE };
	return fd_open(&eventfd_ops, NULL, O_RDWR | (int)(flags & EFD_NONBLOCK), &eventfds[i],
		       flags & EFD_CLOEXEC);
}

SYSCALL(eventfd)
{
	return eventfd_new((u32)a0, 0);
}

SYSCALL(eventfd2)
{
	return eventfd_new((u32)a0, a1);
}
