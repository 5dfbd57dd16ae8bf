/* file.c - the open-file and descriptor tables (fd.h), and the iovec
 * helpers every kind of file uses.  An open file holds its vnode. */
#include "errno.h"
#include "fd.h"
#include "syscall.h"

#define SIGPIPE 13

#define FD_CLOEXEC 1

static struct file files[MAX_FDS];
static struct file *fds[MAX_FDS];
static u8 fd_flags[MAX_FDS];
static u32 file_gen;

struct file *file_new(const struct file_ops *ops, struct vnode *node, int flags, void *priv)
{
	for (int i = 0; i < MAX_FDS; i++) {
		if (!files[i].refs && !files[i].ops) {
			files[i] = (struct file){ ops, node, 0, flags, 0, 0, priv, ++file_gen };
			return &files[i];
		}
	}
	return NULL;
}

void file_put(struct file *f)
{
	if (f->refs)
		return;
	if (f->ops->release)
		f->ops->release(f);
	vn_put(f->node);
	*f = (struct file){ 0 };
}

long fd_install(struct file *f, int min, bool cloexec)
{
	for (int fd = min < 0 ? 0 : min; fd < MAX_FDS; fd++) {
		if (!fds[fd]) {
			fds[fd] = f;
			fd_flags[fd] = cloexec ? FD_CLOEXEC : 0;
			f->refs++;
			return fd;
		}
	}
	return -EMFILE;
}

void fd_preset(struct file *f, int n)
{
	for (int fd = 0; fd < n; fd++)
		fds[fd] = &f[fd];
}

long fd_open(const struct file_ops *ops, struct vnode *node, int flags, void *priv, bool cloexec)
{
	struct file *f = file_new(ops, node, flags, priv);
	long fd;

	if (!f) {
		struct file tmp = { ops, node, 0, flags, 0, 0, priv, 0 };

		if (ops->release)
			ops->release(&tmp);
		vn_put(node);
		return -ENFILE;
	}
	fd = fd_install(f, 0, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

void *fd_priv(long fd, const struct file_ops *ops, long other, long *err)
{
	struct file *f = fd_get(fd);

	*err = !f ? -EBADF : f->ops != ops ? other : 0;
	return *err ? NULL : f->priv;
}

struct file *fd_peek(long fd)
{
	return fd >= 0 && fd < MAX_FDS ? fds[fd] : NULL;
}

struct file *fd_get(long fd)
{
	struct file *f = fd_peek(fd);

	if (f)
		f->io_seq++;
	return f;
}

long fd_close(long fd)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	fds[fd] = NULL;
	if (--f->refs == 0)
		file_put(f);
	return 0;
}

long fd_dup_to(long oldfd, long newfd, bool cloexec)
{
	struct file *f = fd_get(oldfd);

	if (!f || newfd < 0 || newfd >= MAX_FDS)
		return -EBADF;
	f->refs++; /* before closing newfd, which may be the last ref of f */
	if (fds[newfd])
		fd_close(newfd);
	fds[newfd] = f;
	fd_flags[newfd] = cloexec ? FD_CLOEXEC : 0;
	return newfd;
}

int fd_cloexec(long fd)
{
	return fd_flags[fd] & FD_CLOEXEC;
}

void fd_set_cloexec(long fd, bool on)
{
	fd_flags[fd] = on ? FD_CLOEXEC : 0;
}

short file_poll(struct file *f, short events)
{
	short ev = f->ops->poll ? f->ops->poll(f) : POLLIN | POLLOUT;

	return ev & (events | POLLERR | POLLHUP | POLLNVAL);
}

u64 iov_total(const struct k_iovec *iov, int n)
{
	u64 t = 0;

	for (int i = 0; i < n; i++)
		t += iov[i].len;
	return t;
}

u64 iov_copy_out(const struct k_iovec *iov, int n, const void *src, u64 len)
{
	const u8 *s = src;
	u64 done = 0;

	for (int i = 0; i < n && done < len; i++) {
		u64 k = MIN(iov[i].len, len - done);

		memcpy((void *)iov[i].base, s + done, k);
		done += k;
	}
	return done;
}

u64 iov_copy_in(void *dst, u64 len, const struct k_iovec *iov, int n)
{
	u8 *d = dst;
	u64 done = 0;

	for (int i = 0; i < n && done < len; i++) {
		u64 k = MIN(iov[i].len, len - done);

		memcpy(d + done, (const void *)iov[i].base, k);
		done += k;
	}
	return done;
}

/* The signal layer's hook (signal.h), when the runtime has one: weak here. */
void signal_raise_self(int sig) __attribute__((weak));

void fd_raise_sigpipe(void)
{
	if (signal_raise_self)
		signal_raise_self(SIGPIPE);
	else
		sys_tkill(sys_gettid(0, 0, 0, 0, 0, 0), SIGPIPE, 0, 0, 0, 0);
}
