/* sys_eventfd.c - eventfd and eventfd2: a 64-bit counter behind a
 * descriptor, readable when non-zero.  The program is single-threaded, so
 * a read that would block can never be satisfied: it panics with the
 * reason instead of hanging. */
#include "errno.h"
#include "fd.h"
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

static long eventfd_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct eventfd *e = f->priv;
	u64 v;

	if (iov_total(iov, n) < 8)
		return -EINVAL;
	if (!e->count) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		panic(
		    "read() of an empty eventfd in a single-threaded program would block forever");
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	iov_copy_out(iov, n, &v, 8);
	return 8;
}

static long eventfd_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct eventfd *e = f->priv;
	u64 v;

	if (iov_total(iov, n) < 8)
		return -EINVAL;
	iov_copy_in(&v, 8, iov, n);
	if (v == ~0UL)
		return -EINVAL;
	if (e->count + v < e->count || e->count + v == ~0UL)
		return -EAGAIN; /* one thread: nobody could ever read it down */
	e->count += v;
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
