/* sys_stat.c - metadata: stat family, directory listing, access, readlink,
 * and the working directory. */
#include "errno.h"
#include "fd.h"
#include "syscall.h"

#define AT_FDCWD -100
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000
#define W_OK 2
#define STATX_BASIC_STATS 0x7ff

struct k_stat {
	u64 dev, ino, nlink;
	u32 mode, uid, gid, pad0;
	u64 rdev;
	s64 size, blksize, blocks;
	u64 atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	s64 unused[3];
};

struct statx_ts {
	s64 sec;
	u32 nsec;
	s32 reserved;
};

struct k_statx {
	u32 mask, blksize;
	u64 attributes;
	u32 nlink, uid, gid;
	u16 mode, spare0;
	u64 ino, size, blocks, attributes_mask;
	struct statx_ts atime, btime, ctime, mtime;
	u32 rdev_major, rdev_minor, dev_major, dev_minor;
	u64 spare2[14];
};

struct dirent64 {
	u64 ino;
	s64 off;
	u16 reclen;
	u8 type;
	char name[];
};

static void fill_stat(const struct vnode *n, struct k_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = 1;
	st->ino = n->ino;
	st->nlink = n->nlink;
	st->mode = n->mode;
	st->size = (s64)n->size;
	st->blksize = 4096;
	st->blocks = (s64)(ALIGN_UP(n->size, 512) / 512);
	st->atime = st->mtime = st->ctime = n->mtime;
	if ((n->mode & S_IFMT) == S_IFCHR)
		st->rdev = 0x0501; /* 5:1, /dev/console */
}

/* The node of f, or for a file without one (console, socket, ...) an
 * anonymous node of its kind's mode in *tmp. */
static const struct vnode *file_node(const struct file *f, struct vnode *tmp)
{
	if (f->node)
		return f->node;
	*tmp = (struct vnode){ "", f->ops->mode, 1, NULL, 0, 3, 0 };
	return tmp;
}

/* The node for (dirfd, path, flags) of the *at() calls. */
static int lookup_at(long dirfd, long upath, long flags, const struct vnode **out,
		     struct vnode *tmp)
{
	char path[PATH_MAX];
	int err;

	if ((flags & AT_EMPTY_PATH) && user_ok(upath, 1, false) && !*(const char *)upath) {
		struct file *f = fd_get(dirfd);

		if (dirfd == AT_FDCWD) {
			*out = vfs_lookup(fd_cwd);
			return *out ? 0 : -ENOENT;
		}
		if (!f)
			return -EBADF;
		*out = file_node(f, tmp);
		return 0;
	}
	err = fd_resolve(dirfd, upath, path, sizeof(path));
	if (err)
		return err;
	*out = vfs_lookup(path);
	return *out ? 0 : -ENOENT;
}

static long stat_to_user(const struct vnode *n, long ubuf)
{
	if (!user_ok(ubuf, sizeof(struct k_stat), true))
		return -EFAULT;
	fill_stat(n, (struct k_stat *)ubuf);
	return 0;
}

SYSCALL(fstat)
{
	struct file *f = fd_get(a0);
	struct vnode tmp;

	return f ? stat_to_user(file_node(f, &tmp), a1) : -EBADF;
}

SYSCALL(newfstatat)
{
	const struct vnode *n;
	struct vnode tmp;
	int err = lookup_at(a0, a1, a3, &n, &tmp);

	return err ? err : stat_to_user(n, a2);
}

SYSCALL(stat)
{
	return sys_newfstatat(AT_FDCWD, a0, a1, 0, 0, 0);
}

SYSCALL(lstat)
{
	return sys_newfstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW, 0, 0);
}

SYSCALL(statx)
{
	const struct vnode *n;
	struct k_statx *sx = (struct k_statx *)a4;
	struct k_stat st;
	struct vnode tmp;
	int err = lookup_at(a0, a1, a2, &n, &tmp);

	if (err)
		return err;
	if (!user_ok(a4, sizeof(*sx), true))
		return -EFAULT;
	fill_stat(n, &st);
	memset(sx, 0, sizeof(*sx));
	sx->mask = STATX_BASIC_STATS;
	sx->blksize = (u32)st.blksize;
	sx->nlink = (u32)st.nlink;
	sx->mode = (u16)st.mode;
	sx->ino = st.ino;
	sx->size = (u64)st.size;
	sx->blocks = (u64)st.blocks;
	sx->atime.sec = sx->mtime.sec = sx->ctime.sec = (s64)st.mtime;
	sx->rdev_major = (u32)(st.rdev >> 8);
	sx->rdev_minor = (u32)(st.rdev & 0xff);
	return 0;
}

static u8 dtype(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return 4;
	case S_IFREG: return 8;
	case S_IFLNK: return 10;
	case S_IFCHR: return 2;
	default: return 0;
	}
}

/* Offsets: 0 is ".", 1 is "..", 2 + i continues after child cookie i. */
SYSCALL(getdents64)
{
	struct file *f = fd_get(a0);
	u8 *buf = (u8 *)a1;
	u64 used = 0;

	if (!f)
		return -EBADF;
	if (!f->node || (f->node->mode & S_IFMT) != S_IFDIR)
		return -ENOTDIR;
	if (!user_ok(a1, a2, true))
		return -EFAULT;
	for (;;) {
		const struct vnode *n;
		const char *name;
		u64 next = f->off, cookie, reclen;
		struct dirent64 *d;

		if (f->off == 0) {
			n = f->node;
			name = ".";
			next = 1;
		} else if (f->off == 1) {
			n = f->node;
			name = "..";
			next = 2;
		} else {
			cookie = f->off - 2;
			n = vfs_next_child(f->node, &cookie);
			if (!n)
				break;
			name = vfs_basename(n);
			next = cookie + 2;
		}
		reclen = ALIGN_UP(sizeof(*d) + strlen(name) + 1, 8);
		if (used + reclen > (u64)a2) {
			if (!used)
				return -EINVAL;
			break;
		}
		d = (struct dirent64 *)(buf + used);
		d->ino = n->ino;
		d->off = (s64)next;
		d->reclen = (u16)reclen;
		d->type = dtype(n->mode);
		memcpy(d->name, name, strlen(name) + 1);
		used += reclen;
		f->off = next;
	}
	return (long)used;
}

SYSCALL(faccessat)
{
	const struct vnode *n;
	struct vnode tmp;
	int err = lookup_at(a0, a1, 0, &n, &tmp);

	if (err)
		return err;
	return (a2 & W_OK) ? -EROFS : 0;
}

SYSCALL(faccessat2)
{
	const struct vnode *n;
	struct vnode tmp;
	int err = lookup_at(a0, a1, a3, &n, &tmp);

	if (err)
		return err;
	return (a2 & W_OK) ? -EROFS : 0;
}

SYSCALL(access)
{
	return sys_faccessat(AT_FDCWD, a0, a1, 0, 0, 0);
}

SYSCALL(readlinkat)
{
	const struct vnode *n;
	struct vnode tmp;
	int err = lookup_at(a0, a1, 0, &n, &tmp);
	u64 len;

	if (err)
		return err;
	if ((n->mode & S_IFMT) != S_IFLNK)
		return -EINVAL;
	if (a3 <= 0)
		return -EINVAL;
	if (!user_ok(a2, a3, true))
		return -EFAULT;
	len = MIN(n->size, (u64)a3);
	memcpy((void *)a2, n->data, len);
	return (long)len;
}

SYSCALL(readlink)
{
	return sys_readlinkat(AT_FDCWD, a0, a1, a2, 0, 0);
}

SYSCALL(getcwd)
{
	u64 len = strlen(fd_cwd) + 1;

	if ((u64)a1 < len)
		return -ERANGE;
	if (!user_ok(a0, len, true))
		return -EFAULT;
	memcpy((void *)a0, fd_cwd, len);
	return (long)len;
}

static long chdir_to(const struct vnode *n)
{
	if ((n->mode & S_IFMT) != S_IFDIR)
		return -ENOTDIR;
	strlcpy(fd_cwd, n->path, sizeof(fd_cwd));
	return 0;
}

SYSCALL(chdir)
{
	const struct vnode *n;
	struct vnode tmp;
	int err = lookup_at(AT_FDCWD, a0, 0, &n, &tmp);

	return err ? err : chdir_to(n);
}

SYSCALL(fchdir)
{
	struct file *f = fd_get(a0);
	struct vnode tmp;

	if (!f)
		return -EBADF;
	return chdir_to(file_node(f, &tmp));
}
