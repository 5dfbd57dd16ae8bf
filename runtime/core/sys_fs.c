/* sys_fs.c - the descriptor system calls: read, write and their vector and
 * positioned forms, open, close, lseek, ioctl, dup, fcntl, truncate, sync,
 * fallocate, memfd.  What a descriptor does is its file's (fd.h); this
 * layer checks arguments. */
#include "errno.h"
#include "fd.h"
#include "ident.h"
#include "kmem.h"
#include "mm.h"
#include "runtime.h"
#include "syscall.h"

#define FD_CLOEXEC 1
#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_SETOWN 8
#define F_GETOWN 9
#define F_SETSIG 10
#define F_GETSIG 11
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#define F_SETLEASE 1024
#define F_GETLEASE 1025
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define F_UNLCK 2
#define O_ASYNC 020000
#define O_DIRECT 040000
#define O_NOATIME 01000000
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)
#define FIONBIO 0x5421
#define FIONREAD 0x541b
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#define SEEK_DATA 3
#define SEEK_HOLE 4
#define FALLOC_FL_KEEP_SIZE 1
#define MFD_CLOEXEC 1
#define MFD_ALLOW_SEALING 2

/* Also backs the pages now, so the runtime never takes a page fault on
 * application memory while serving a call (see trap.c).  The common case
 * first: every page already mapped for the program with the access asked
 * (page-table entries follow the reservations' protections, so no search
 * of the reservations is needed; x86 reads what it can write or execute). */
static __attribute__((noinline)) bool user_ok_slow(long p, u64 len, bool write)
{
	return vm_check((const void *)p, len, write) && !vm_populate((u64)p, (u64)p + len);
}

/* user_ok, inlined where the calls of every read and write check their
 * buffers (iov_check, buf_io): no call frame of its own there. */
static inline __attribute__((always_inline)) bool user_ok_here(long p, u64 len, bool write)
{
	u64 start = (u64)p, end = start + len;

	if (!len)
		return true;
	if (end > start && start >= USER_MIN && end <= STACK_TOP &&
	    arch_user_range(start, end, write))
		return true;
	return user_ok_slow(p, len, write);
}

bool user_ok(long p, u64 len, bool write)
{
	return user_ok_here(p, len, write);
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

/* Checks iov[0..n) of the application (written to when reading). */
static long iov_check(const struct k_iovec *iov, long n, bool reading)
{
	if (n < 0 || n > 1024)
		return -EINVAL;
	if (!user_ok_here((long)iov, (u64)n * sizeof(*iov), false))
		return -EFAULT;
	for (long i = 0; i < n; i++) {
		if (!user_ok_here((long)iov[i].base, iov[i].len, reading))
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

	if (!f || (f->flags & O_PATH))
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

	if (!user_ok_here(buf, len, !write))
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

SYSCALL(pwrite64)
{
	return a3 < 0 ? -EINVAL : buf_io(a0, a1, (u64)a2, true, a3);
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

SYSCALL(pwritev)
{
	return a3 < 0 ? -EINVAL : vec_io(a0, a1, a2, true, a3);
}

/* preadv2/pwritev2: offset -1 is the file position; RWF_* hints are accepted. */
SYSCALL(preadv2)
{
	return a3 < -1 || (a5 & ~0x1fL) ? -EINVAL : vec_io(a0, a1, a2, false, a3);
}

SYSCALL(pwritev2)
{
	return a3 < -1 || (a5 & ~0x1fL) ? -EINVAL : vec_io(a0, a1, a2, true, a3);
}

/* O_TMPFILE: an unnamed regular file in directory w->node. */
static long open_tmpfile(struct walk *w, int flags, u32 mode)
{
	struct vnode *n;
	long fd;

	if (!S_ISDIR(w->node->mode))
		return -ENOTDIR;
	if ((flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	if (vn_readonly(w->node))
		return -EROFS;
	n = vfs_new_node(S_IFREG | (mode & 07777 & ~fd_umask()));
	if (!n)
		return -ENOSPC;
	n->uid = ident_fsuid();
	n->gid = ident_fsgid();
	if (!(flags & O_EXCL))
		n->flags |= VN_TMPFILE;
	fd = node_open(n, flags & ~(O_TMPFILE | O_DIRECTORY | O_CREAT | O_EXCL));
	vn_put(n);
	return fd;
}

static long do_open(long dirfd, long upath, long flags, u32 mode)
{
	int wflags = (flags & O_NOFOLLOW) ? 0 : WALK_FOLLOW;
	struct vnode *n;
	struct walk w;
	long rc;

	if ((flags & O_TMPFILE) == O_TMPFILE) {
		rc = fd_walk(dirfd, upath, WALK_FOLLOW, &w);
		if (!rc)
			rc = open_tmpfile(&w, (int)flags, mode);
		walk_done(&w);
		return rc;
	}
	if (flags & O_TMPFILE)
		return -EINVAL;
	if (flags & O_CREAT) {
		wflags |= WALK_PARENT;
		if (flags & O_EXCL)
			wflags &= ~WALK_FOLLOW; /* a symlink there exists: EEXIST */
	}
	rc = fd_walk(dirfd, upath, wflags, &w);
	if (rc)
		return rc;
	n = w.node;
	if (!n) {
		/* O_CREAT of a missing file */
		if (w.slash || (flags & O_DIRECTORY)) {
			rc = w.slash ? -EISDIR : -EINVAL;
		} else if (!(rc = vfs_create(w.dir, w.name, S_IFREG | (mode & 07777 & ~fd_umask()),
					     &n))) {
			n->uid = ident_fsuid();
			n->gid = ident_fsgid();
			rc = node_open(n, (int)(flags & ~O_TRUNC));
			if (rc < 0)
				vfs_unlink(w.dir, w.name, false);
			vn_put(n);
		}
	} else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		rc = -EEXIST;
	} else if ((flags & O_CREAT) && S_ISDIR(n->mode)) {
		rc = -EISDIR;
	} else if (S_ISLNK(n->mode) && n->ops && n->ops->link_file && !(flags & O_NOFOLLOW)) {
		/* /proc/self/fd/N of a pipe, socket or console: that same file */
		struct file *f = n->ops->link_file(n);

		rc = f ? fd_install(f, 0, flags & O_CLOEXEC) : -ENOENT;
	} else if (S_ISLNK(n->mode) && !(flags & O_PATH)) {
		rc = -ELOOP;
	} else {
		rc = node_open(n, (int)flags);
	}
	walk_done(&w);
	return rc;
}

SYSCALL(openat)
{
	return do_open(a0, a1, a2, (u32)a3);
}

SYSCALL(open)
{
	return do_open(AT_FDCWD, a0, a1, (u32)a2);
}

SYSCALL(creat)
{
	return do_open(AT_FDCWD, a0, O_CREAT | O_WRONLY | O_TRUNC, (u32)a1);
}

struct open_how {
	u64 flags, mode, resolve;
};

SYSCALL(openat2)
{
	const struct open_how *how = (const struct open_how *)a2;

	if ((u64)a3 < sizeof(*how))
		return -EINVAL;
	if (!user_ok(a2, sizeof(*how), false))
		return -EFAULT;
	if (how->resolve || (how->flags >> 32) || (how->mode & ~07777UL) ||
	    (how->mode && !(how->flags & (O_CREAT | O_TMPFILE))))
		return -EINVAL;
	return do_open(a0, a1, (long)how->flags, (u32)how->mode);
}

SYSCALL(close)
{
	return fd_close(a0);
}

SYSCALL(close_range)
{
	u64 first = (u64)a0, last = (u64)a1;

	if (first > last || (a2 & ~6L))
		return -EINVAL;
	for (u64 fd = first; fd <= last && fd < MAX_FDS; fd++) {
		if (!fd_get((long)fd))
			continue;
		if (a2 & 4) /* CLOSE_RANGE_CLOEXEC */
			fd_set_cloexec((long)fd, true);
		else
			fd_close((long)fd);
	}
	return 0;
}

SYSCALL(lseek)
{
	struct file *f = fd_get(a0);
	s64 base, size;

	if (!f || (f->flags & O_PATH))
		return -EBADF;
	if (!f->ops->seekable)
		return -ESPIPE;
	size = f->node ? (s64)f->node->size : 0;
	switch (a2) {
	case 0: base = 0; break;
	case 1: base = (s64)f->off; break;
	case 2: base = size; break;
	case SEEK_DATA:
	case SEEK_HOLE:
		/* one data extent: holes read as zeros and count as data */
		if (a1 < 0 || a1 >= size)
			return -ENXIO;
		f->off = a2 == SEEK_DATA ? (u64)a1 : (u64)size;
		return (long)f->off;
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

	if (!f || (f->flags & O_PATH))
		return -EBADF;
	switch (a1) {
	case FIONBIO:
		if (!user_ok(a2, 4, false))
			return -EFAULT;
		if (*(const int *)a2)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~O_NONBLOCK;
		return 0;
	case FIOCLEX:
	case FIONCLEX: fd_set_cloexec(a0, a1 == FIOCLEX); return 0;
	case FIONREAD:
		if (f->node && S_ISREG(f->node->mode)) {
			if (!user_ok(a2, 4, true))
				return -EFAULT;
			*(int *)a2 = f->off < f->node->size
					 ? (int)MIN(f->node->size - f->off, 0x7fffffffUL)
					 : 0;
			return 0;
		}
		break;
	default: break;
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

/* Record locks: one process holds every lock it asks for. */
static long lock_cmd(long cmd, long ulock)
{
	short *type = (short *)ulock;

	if (!user_ok(ulock, 32, cmd == F_GETLK || cmd == F_OFD_GETLK))
		return -EFAULT;
	if (*type < 0 || *type > F_UNLCK)
		return -EINVAL;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK)
		*type = F_UNLCK;
	return 0;
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
	case F_SETFL: f->flags = (f->flags & ~SETFL_MASK) | (int)(a2 & SETFL_MASK); return 0;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW: return lock_cmd(a1, a2);
	case F_SETOWN:
	case F_SETSIG: return 0;
	case F_GETOWN:
	case F_GETSIG: return 0;
	case F_SETLEASE: return a2 == F_UNLCK ? 0 : -EAGAIN;
	case F_GETLEASE: return F_UNLCK;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ: return pipe_fcntl(f, (int)a1, a2);
	default: return -EINVAL;
	}
}

SYSCALL(flock)
{
	if (!fd_get(a0))
		return -EBADF;
	return (a1 & ~(1L | 2L | 4L | 8L)) || !(a1 & 7) ? -EINVAL : 0;
}

/* A regular file of the tree open for writing, or NULL with *err. */
static struct vnode *writable_file(long fd, long *err)
{
	struct file *f = fd_get(fd);

	*err = -EBADF;
	if (!f || (f->flags & O_PATH))
		return NULL;
	*err = -EINVAL;
	if (!f->node || !S_ISREG(f->node->mode) || (f->flags & O_ACCMODE) == O_RDONLY)
		return NULL;
	*err = -EROFS;
	return vn_readonly(f->node) ? NULL : f->node;
}

SYSCALL(ftruncate)
{
	struct vnode *n = writable_file(a0, &a5);

	if (!n)
		return a5;
	return a1 < 0 ? -EINVAL : vn_truncate(n, (u64)a1);
}

SYSCALL(fallocate)
{
	struct vnode *n = writable_file(a0, &a5);
	u64 size;
	int err;

	if (!n)
		return a5 == -EINVAL ? -ENODEV : a5;
	if (a2 < 0 || a3 <= 0)
		return -EINVAL;
	if (a1 & ~(long)FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP; /* holes, zeroing, collapsing: not here */
	size = n->size;
	err = vn_allocate(n, (u64)a2, (u64)a3);
	if (!err && (a1 & FALLOC_FL_KEEP_SIZE))
		n->size = size;
	return err;
}

/* The tree is memory: syncing it is done when it is asked for; files of
 * volumes and disks have their own fsync (written back and flushed). */
SYSCALL(fsync)
{
	struct file *f = fd_get(a0);

	if (!f)
		return -EBADF;
	return f->ops->fsync ? f->ops->fsync(f) : 0;
}

SYSCALL(sync)
{
	volumes_sync(false);
	return 0;
}

SYSCALL(memfd_create)
{
	char name[250];
	struct vnode *n;
	int err = user_path(a0, name, sizeof(name));
	long fd;

	if (err)
		return err == -ENAMETOOLONG ? -EINVAL : err;
	if (a1 & ~(long)(MFD_CLOEXEC | MFD_ALLOW_SEALING))
		return -EINVAL;
	n = vfs_new_node(S_IFREG | 0777);
	if (!n)
		return -ENOMEM;
	fd = node_open(n, O_RDWR | ((a1 & MFD_CLOEXEC) ? O_CLOEXEC : 0));
	vn_put(n);
	return fd;
}
