/* sys_fs.c - the descriptor system calls: read, write and their vector and
 * positioned forms, open, close, lseek, ioctl, dup, fcntl.  What a
 * descriptor does is its file's (fd.h); this layer checks arguments. */
#include "errno.h"
#include "fd.h"
#include "mm.h"
#include "syscall.h"

#define O_CREAT 0100
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_DIRECTORY 0200000
#define O_CLOEXEC 02000000
#define O_TMPFILE 020000000
#define AT_FDCWD -100
#define FD_CLOEXEC 1
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_DUPFD_CLOEXEC 1030
#define FIONBIO 0x5421

char fd_cwd[PATH_MAX] = "/";

/* Also backs the pages now, so the runtime never takes a page fault on
 * application memory while serving a call (see trap.c). */
bool user_ok(long p, u64 len, bool write)
{
	if (!len)
		return true;
	return vm_check((const void *)p, len, write) && !vm_populate((u64)p, (u64)p + len);
}

int user_path(long uptr, char *out, size_t size)
{
	const char *s = (const char *)uptr;

	for (size_t i = 0; i < size; i++) {
		if (((u64)(s + i) % PAGE_SIZE == 0 || i == 0) && !user_ok((long)(s + i), 1, false))
			return -EFAULT;
		out[i] = s[i];
		if (!s[i])
			return 0;
	}
	return -ENAMETOOLONG;
}

int fd_resolve(long dirfd, long upath, char *out, size_t size)
{
	char path[PATH_MAX];
	const char *base = fd_cwd;
	int err = user_path(upath, path, sizeof(path));

	if (err)
		return err;
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		struct file *d = fd_get(dirfd);

		if (!d)
			return -EBADF;
		if (!d->node || (d->node->mode & S_IFMT) != S_IFDIR)
			return -ENOTDIR;
		base = d->node->path;
	}
	return vfs_join(base, path, out, size);
}

/* Checks iov[0..n) of the application (written to when reading). */
static long iov_check(const struct k_iovec *iov, long n, bool reading)
{
	if (n < 0 || n > 1024)
		return -EINVAL;
	if (!user_ok((long)iov, (u64)n * sizeof(*iov), false))
		return -EFAULT;
	for (long i = 0; i < n; i++) {
		if (!user_ok((long)iov[i].base, iov[i].len, reading))
			return -EFAULT;
	}
	return 0;
}

/* read, readv, pread64, preadv (pos >= 0: positioned) and their writes. */
static long file_io(long fd, const struct k_iovec *iov, int n, bool write, s64 pos)
{
	struct file *f = fd_get(fd);
	int acc;
	u64 off;
	long rc;

	if (!f)
		return -EBADF;
	acc = f->flags & O_ACCMODE;
	if (write ? acc == O_RDONLY : acc == O_WRONLY)
		return -EBADF;
	if (pos >= 0 && !f->ops->seekable)
		return -ESPIPE;
	if (!(write ? f->ops->write : f->ops->read))
		return -EINVAL;
	off = pos >= 0 ? (u64)pos : f->off;
	rc = write ? f->ops->write(f, iov, n, &off) : f->ops->read(f, iov, n, &off);
	if (pos < 0 && f->ops->seekable)
		f->off = off;
	return rc;
}

static long buf_io(long fd, long buf, u64 len, bool write, s64 pos)
{
	struct k_iovec v = { (u64)buf, len };

	if (!user_ok(buf, len, !write))
		return -EFAULT;
	return file_io(fd, &v, 1, write, pos);
}

static long vec_io(long fd, long uiov, long cnt, bool write, s64 pos)
{
	const struct k_iovec *iov = (const struct k_iovec *)uiov;
	long err = iov_check(iov, cnt, !write);

	return err ? err : file_io(fd, iov, (int)cnt, write, pos);
}

SYSCALL(read)
{
	return buf_io(a0, a1, (u64)a2, false, -1);
}

SYSCALL(write)
{
	return buf_io(a0, a1, (u64)a2, true, -1);
}

SYSCALL(pread64)
{
	return a3 < 0 ? -EINVAL : buf_io(a0, a1, (u64)a2, false, a3);
}

SYSCALL(readv)
{
	return vec_io(a0, a1, a2, false, -1);
}

SYSCALL(writev)
{
	return vec_io(a0, a1, a2, true, -1);
}

SYSCALL(preadv)
{
	return a3 < 0 ? -EINVAL : vec_io(a0, a1, a2, false, a3);
}

SYSCALL(openat)
{
	char path[PATH_MAX];
	struct vnode *n;
	int err = fd_resolve(a0, a1, path, sizeof(path));

	if (err)
		return err;
	n = vfs_lookup(path);
	if (!n)
		return (a2 & O_CREAT) ? -EROFS : -ENOENT;
	if ((a2 & O_ACCMODE) != 0 || (a2 & (O_TRUNC | O_TMPFILE)))
		return (n->mode & S_IFMT) == S_IFDIR ? -EISDIR : -EROFS;
	if ((a2 & O_DIRECTORY) && (n->mode & S_IFMT) != S_IFDIR)
		return -ENOTDIR;
	return fd_open(&node_file_ops, n, (int)(a2 & ~O_CLOEXEC), NULL, a2 & O_CLOEXEC);
}

SYSCALL(open)
{
	return sys_openat(AT_FDCWD, a0, a1, a2, 0, 0);
}

SYSCALL(close)
{
	return fd_close(a0);
}

SYSCALL(lseek)
{
	struct file *f = fd_get(a0);
	s64 base;

	if (!f)
		return -EBADF;
	if (!f->ops->seekable)
		return -ESPIPE;
	switch (a2) {
	case 0: base = 0; break;
	case 1: base = (s64)f->off; break;
	case 2: base = f->node ? (s64)f->node->size : 0; break;
	default: return -EINVAL;
	}
	if (base + a1 < 0)
		return -EINVAL;
	f->off = (u64)(base + a1);
	return (long)f->off;
}

SYSCALL(ioctl)
{
	struct file *f = fd_get(a0);

	if (!f)
		return -EBADF;
	if (a1 == FIONBIO) {
		if (!user_ok(a2, 4, false))
			return -EFAULT;
		if (*(const int *)a2)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~O_NONBLOCK;
		return 0;
	}
	/* The console is a serial log, not a terminal: TCGETS/TIOCGWINSZ say so. */
	return f->ops->ioctl ? f->ops->ioctl(f, (unsigned long)a1, a2) : -ENOTTY;
}

SYSCALL(dup)
{
	struct file *f = fd_get(a0);

	return f ? fd_install(f, 0, false) : -EBADF;
}

SYSCALL(dup2)
{
	if (a0 == a1)
		return fd_get(a0) ? a1 : -EBADF;
	return fd_dup_to(a0, a1, false);
}

SYSCALL(dup3)
{
	if (a0 == a1 || (a2 & ~O_CLOEXEC))
		return -EINVAL;
	return fd_dup_to(a0, a1, a2 & O_CLOEXEC);
}

SYSCALL(fcntl)
{
	struct file *f = fd_get(a0);

	if (!f)
		return -EBADF;
	switch (a1) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (a2 < 0 || a2 >= MAX_FDS)
			return -EINVAL;
		return fd_install(f, (int)a2, a1 == F_DUPFD_CLOEXEC);
	case F_GETFD: return fd_cloexec(a0);
	case F_SETFD: fd_set_cloexec(a0, a2 & FD_CLOEXEC); return 0;
	case F_GETFL: return f->flags;
	case F_SETFL: f->flags = (f->flags & O_ACCMODE) | (int)(a2 & ~(long)O_ACCMODE); return 0;
	default: return -EINVAL;
	}
}
