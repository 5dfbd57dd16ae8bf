/* sys_fs.c - descriptors and I/O: the console on 0/1/2, packaged files
 * read-only elsewhere. */
#include "errno.h"
#include "fd.h"
#include "mm.h"
#include "syscall.h"
#include "../net/sock.h"
#include "../platform/platform.h"

#define O_ACCMODE 3
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
#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413
#define FIONREAD 0x541b
#define FIONBIO 0x5421

static struct file files[MAX_FDS];
static struct file *fds[MAX_FDS];
static u8 fd_flags[MAX_FDS];
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

struct file *file_new(enum file_kind kind, struct vnode *node, int flags)
{
	for (int i = 0; i < MAX_FDS; i++) {
		if (!files[i].refs) {
			files[i] = (struct file){ kind, node, 0, flags, 0, NULL };
			return &files[i];
		}
	}
	return NULL;
}

void file_put(struct file *f)
{
	if (f->refs)
		return;
	if (f->priv)
		file_release(f);
	*f = (struct file){ 0 };
}

long fd_install(struct file *f, int min, bool cloexec)
{
	for (int fd = min; fd < MAX_FDS; fd++) {
		if (!fds[fd]) {
			fds[fd] = f;
			fd_flags[fd] = cloexec ? FD_CLOEXEC : 0;
			f->refs++;
			return fd;
		}
	}
	return -EMFILE;
}

void fd_init(void)
{
	fd_install(file_new(FILE_CONSOLE_IN, NULL, 0), 0, false);
	fd_install(file_new(FILE_CONSOLE_OUT, NULL, 1), 1, false);
	fd_install(fds[1], 2, false);
}

struct file *fd_get(long fd)
{
	return fd >= 0 && fd < MAX_FDS ? fds[fd] : NULL;
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
		if (d->kind != FILE_NODE || (d->node->mode & S_IFMT) != S_IFDIR)
			return -ENOTDIR;
		base = d->node->path;
	}
	return vfs_join(base, path, out, size);
}

static long do_read(struct file *f, long buf, u64 len, u64 *off)
{
	u64 n;

	if (!user_ok(buf, len, true))
		return -EFAULT;
	if (f->kind == FILE_CONSOLE_IN)
		return 0; /* no console input yet: end of file */
	if (f->kind == FILE_SOCKET) {
		struct k_iovec v = { (u64)buf, len };

		return sock_file_io(f, &v, 1, false);
	}
	if (f->kind == FILE_EVENTFD)
		return eventfd_io(f, buf, len, false);
	if (f->kind == FILE_EPOLL)
		return -EINVAL;
	if (f->kind == FILE_CONSOLE_OUT || (f->flags & O_ACCMODE) == 1)
		return -EBADF;
	if ((f->node->mode & S_IFMT) == S_IFDIR)
		return -EISDIR;
	if (*off >= f->node->size)
		return 0;
	n = MIN(len, f->node->size - *off);
	memcpy((void *)buf, f->node->data + *off, n);
	*off += n;
	return (long)n;
}

static long do_write(struct file *f, long buf, u64 len)
{
	if (!user_ok(buf, len, false))
		return -EFAULT;
	if (f->kind == FILE_SOCKET) {
		struct k_iovec v = { (u64)buf, len };

		return sock_file_io(f, &v, 1, true);
	}
	if (f->kind == FILE_EVENTFD)
		return eventfd_io(f, buf, len, true);
	if (f->kind != FILE_CONSOLE_OUT)
		return -EBADF;
	plat_console_write((const char *)buf, len);
	return (long)len;
}

SYSCALL(read)
{
	struct file *f = fd_get(a0);

	return f ? do_read(f, a1, a2, &f->off) : -EBADF;
}

SYSCALL(write)
{
	struct file *f = fd_get(a0);

	return f ? do_write(f, a1, a2) : -EBADF;
}

SYSCALL(pread64)
{
	struct file *f = fd_get(a0);
	u64 off = a3;

	if (!f)
		return -EBADF;
	if (f->kind != FILE_NODE)
		return -ESPIPE;
	if (a3 < 0)
		return -EINVAL;
	return do_read(f, a1, a2, &off);
}

static long vec_io(long fd, long uiov, long cnt, bool write, bool positioned, u64 pos)
{
	struct file *f = fd_get(fd);
	const struct k_iovec *iov = (const struct k_iovec *)uiov;
	u64 off;
	long total = 0;

	if (!f)
		return -EBADF;
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	if (!user_ok(uiov, cnt * sizeof(*iov), false))
		return -EFAULT;
	if (positioned && f->kind != FILE_NODE)
		return -ESPIPE;
	if (f->kind == FILE_SOCKET) {
		for (long i = 0; i < cnt; i++) {
			if (!user_ok((long)iov[i].base, iov[i].len, !write))
				return -EFAULT;
		}
		return sock_file_io(f, iov, (int)cnt, write);
	}
	off = positioned ? pos : f->off;
	for (long i = 0; i < cnt; i++) {
		long n;

		if (!iov[i].len)
			continue;
		n = write ? do_write(f, iov[i].base, iov[i].len)
			  : do_read(f, iov[i].base, iov[i].len, &off);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((u64)n < iov[i].len)
			break;
	}
	if (!positioned && !write)
		f->off = off;
	return total;
}

SYSCALL(readv)
{
	return vec_io(a0, a1, a2, false, false, 0);
}

SYSCALL(writev)
{
	return vec_io(a0, a1, a2, true, false, 0);
}

SYSCALL(preadv)
{
	return a3 < 0 ? -EINVAL : vec_io(a0, a1, a2, false, true, a3);
}

SYSCALL(openat)
{
	char path[PATH_MAX];
	struct vnode *n;
	struct file *f;
	long fd;
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
	f = file_new(FILE_NODE, n, (int)(a2 & ~O_CLOEXEC));
	if (!f)
		return -EMFILE;
	fd = fd_install(f, 0, a2 & O_CLOEXEC);
	return fd;
}

SYSCALL(open)
{
	return sys_openat(AT_FDCWD, a0, a1, a2, 0, 0);
}

SYSCALL(close)
{
	struct file *f = fd_get(a0);

	if (!f)
		return -EBADF;
	fds[a0] = NULL;
	if (--f->refs == 0)
		file_put(f);
	return 0;
}

SYSCALL(lseek)
{
	struct file *f = fd_get(a0);
	s64 base;

	if (!f)
		return -EBADF;
	if (f->kind != FILE_NODE)
		return -ESPIPE;
	switch (a2) {
	case 0: base = 0; break;
	case 1: base = (s64)f->off; break;
	case 2: base = (s64)f->node->size; break;
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
	if (a1 == FIONREAD && f->kind == FILE_SOCKET) {
		if (!user_ok(a2, 4, true))
			return -EFAULT;
		*(int *)a2 = (int)sock_readable(f->priv);
		return 0;
	}
	/* The console is a serial log, not a terminal: TCGETS/TIOCGWINSZ say so. */
	return -ENOTTY;
}

static long dup_to(long oldfd, long newfd, bool cloexec)
{
	struct file *f = fd_get(oldfd);

	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= MAX_FDS)
		return -EBADF;
	if (fds[newfd])
		sys_close(newfd, 0, 0, 0, 0, 0);
	fds[newfd] = f;
	fd_flags[newfd] = cloexec ? FD_CLOEXEC : 0;
	f->refs++;
	return newfd;
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
	return dup_to(a0, a1, false);
}

SYSCALL(dup3)
{
	if (a0 == a1 || (a2 & ~O_CLOEXEC))
		return -EINVAL;
	return dup_to(a0, a1, a2 & O_CLOEXEC);
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
	case F_GETFD: return fd_flags[a0];
	case F_SETFD: fd_flags[a0] = a2 & FD_CLOEXEC; return 0;
	case F_GETFL: return f->flags;
	case F_SETFL: f->flags = (f->flags & O_ACCMODE) | (int)(a2 & ~(long)O_ACCMODE); return 0;
	default: return -EINVAL;
	}
}
