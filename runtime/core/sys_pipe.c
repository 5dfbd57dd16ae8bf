/* sys_pipe.c - pipe and pipe2: a byte ring between a reading and a writing
 * open file.
 *
 * A read of an empty pipe waits (sched_wait) while a writer is open and
 * returns 0 once none is; a write waits for room while a reader is open,
 * writes of up to PIPE_BUF bytes are never split, and a write with no
 * reader left raises SIGPIPE and fails with EPIPE.  Every change of the
 * ring or of the ends wakes waiters (sched_wake).
 */
#include "errno.h"
#include "fd.h"
#include "kmem.h"
#include "ring.h"
#include "sched.h"
#include "syscall.h"

#define PIPE_BUF 4096
#define PIPE_DEFAULT (16 * PAGE_SIZE)
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define FIONREAD 0x541b
#define O_DIRECT 040000

struct pipe {
	struct ring ring;
	int readers, writers;
	u64 ino;
};

static u64 next_ino = 0x20000;

static bool readable(void *arg)
{
	const struct pipe *p = arg;

	return p->ring.len || !p->writers;
}

static long pipe_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct pipe *p = f->priv;
	u64 done = 0;

	if (!iov_total(iov, n))
		return 0;
	if (!p->ring.len) {
		long rc;

		if (!p->writers)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		rc = sched_wait(readable, p, SCHED_FOREVER, "read() of an empty pipe");
		if (rc)
			return rc;
	}
	for (int i = 0; i < n && p->ring.len; i++)
		done += ring_get(&p->ring, (void *)iov[i].base, (u32)MIN(iov[i].len, 0xffffffffUL),
				 0, true);
	sched_wake();
	return (long)done;
}

struct room {
	struct pipe *p;
	u32 need;
};

static bool writable(void *arg)
{
	const struct room *r = arg;

	return ring_room(&r->p->ring) >= r->need || !r->p->readers;
}

static long pipe_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct pipe *p = f->priv;
	u64 total = iov_total(iov, n), done = 0;
	int seg = 0;
	u64 seg_off = 0;

	if (!total)
		return 0;
	while (done < total) {
		/* small writes go in whole; big ones in pieces as room appears */
		struct room want = { p, total - done <= PIPE_BUF ? (u32)(total - done) : 1 };

		if (!p->readers) {
			if (done)
				break;
			fd_raise_sigpipe();
			return -EPIPE;
		}
		if (ring_room(&p->ring) < want.need) {
			long rc;

			if (f->flags & O_NONBLOCK)
				break;
			rc = sched_wait(writable, &want, SCHED_FOREVER, "write() to a full pipe");
			if (rc) {
				if (done)
					break;
				return rc;
			}
			continue;
		}
		while (seg < n && ring_room(&p->ring)) {
			u64 k = iov[seg].len - seg_off;
			u32 put = ring_put(&p->ring, (const u8 *)iov[seg].base + seg_off,
					   (u32)MIN(k, 0xffffffffUL));

			if (!put) {
				if (done)
					goto out;
				return -ENOMEM;
			}
			done += put;
			seg_off += put;
			if (seg_off == iov[seg].len) {
				seg++;
				seg_off = 0;
			}
		}
		sched_wake();
	}
out:
	sched_wake();
	return done ? (long)done : -EAGAIN;
}

static short pipe_read_poll(struct file *f)
{
	const struct pipe *p = f->priv;

	return (short)((p->ring.len ? POLLIN : 0) | (!p->writers ? POLLHUP : 0));
}

static short pipe_write_poll(struct file *f)
{
	const struct pipe *p = f->priv;

	return (short)((ring_room(&p->ring) >= PIPE_BUF ? POLLOUT : 0) |
		       (!p->readers ? POLLERR : 0));
}

static long pipe_ioctl(struct file *f, unsigned long req, long arg)
{
	const struct pipe *p = f->priv;

	if (req != FIONREAD)
		return -ENOTTY;
	if (!user_ok(arg, 4, true))
		return -EFAULT;
	*(int *)arg = (int)p->ring.len;
	return 0;
}

static void pipe_stat(struct file *f, struct vnode *st)
{
	const struct pipe *p = f->priv;

	st->ino = p->ino;
	st->size = 0;
}

static void pipe_drop(struct pipe *p)
{
	sched_wake();
	if (p->readers || p->writers)
		return;
	ring_free(&p->ring);
	kfree(p, sizeof(*p));
}

static void pipe_read_release(struct file *f)
{
	struct pipe *p = f->priv;

	p->readers--;
	pipe_drop(p);
}

static void pipe_write_release(struct file *f)
{
	struct pipe *p = f->priv;

	p->writers--;
	pipe_drop(p);
}

static const struct file_ops pipe_read_ops = {
	.mode = S_IFIFO | 0600,
	.read = pipe_read,
	.poll = pipe_read_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_read_release,
	.stat = pipe_stat,
	.kind = "pipe",
};

static const struct file_ops pipe_write_ops = {
	.mode = S_IFIFO | 0600,
	.write = pipe_write,
	.poll = pipe_write_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_write_release,
	.stat = pipe_stat,
	.kind = "pipe",
};

long pipe_fcntl(struct file *f, int cmd, long arg)
{
	struct pipe *p = f->priv;
	int err;

	if (f->ops != &pipe_read_ops && f->ops != &pipe_write_ops)
		return -EBADF;
	if (cmd == F_GETPIPE_SZ)
		return p->ring.cap;
	if (arg <= 0 || arg > RING_MAX_PAGES * (long)PAGE_SIZE)
		return arg <= 0 ? -EINVAL : -EPERM;
	err = ring_resize(&p->ring, (u32)arg);
	return err ? err : (long)p->ring.cap;
}

SYSCALL(pipe2)
{
	int *fds = (int *)a0;
	struct pipe *p;
	long rfd, wfd;
	int nb;

	if (a1 & ~(long)(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL; /* O_DIRECT (packet pipes) is not here */
	if (!user_ok(a0, 2 * sizeof(int), true))
		return -EFAULT;
	p = kmalloc(sizeof(*p));
	if (!p)
		return -ENFILE;
	ring_init(&p->ring, PIPE_DEFAULT);
	p->ino = next_ino++;
	p->readers = p->writers = 1;
	nb = (int)(a1 & O_NONBLOCK);
	rfd = fd_open(&pipe_read_ops, NULL, O_RDONLY | nb, p, a1 & O_CLOEXEC);
	if (rfd < 0) {
		p->writers = 0; /* the read end's release freed nothing yet */
		pipe_drop(p);
		return rfd;
	}
	wfd = fd_open(&pipe_write_ops, NULL, O_WRONLY | nb, p, a1 & O_CLOEXEC);
	if (wfd < 0) {
		fd_close(rfd); /* frees the pipe (its write end never opened) */
		return wfd;
	}
	fds[0] = (int)rfd;
	fds[1] = (int)wfd;
	return 0;
}

SYSCALL(pipe)
{
	return sys_pipe2(a0, 0, 0, 0, 0, 0);
}
