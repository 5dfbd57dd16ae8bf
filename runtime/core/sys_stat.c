/* sys_stat.c - metadata: stat family, directory listing, access, readlink,
 * and the working directory. */
#include "errno.h"
#include "fd.h"
#include "kmem.h"
#include "syscall.h"

#define W_OK 2
#define STATX_BASIC_STATS 0x7ff
#define NSEC 1000000000UL

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

static void fill_stat(struct vnode *n, struct k_stat *st)
{
	if (S_ISDIR(n->mode) && !n->mnt)
		vn_fill(n); /* its link count counts the entries made */
	memset(st, 0, sizeof(*st));
	st->dev = 1;
	st->ino = n->ino;
	st->nlink = n->nlink;
	st->mode = n->mode;
	st->uid = n->uid;
	st->gid = n->gid;
	st->size = (s64)n->size;
	st->blksize = 4096;
	st->blocks = (s64)(ALIGN_UP(n->size, 512) / 512);
	st->atime = n->atime / NSEC;
	st->atime_ns = n->atime % NSEC;
	st->mtime = n->mtime / NSEC;
	st->mtime_ns = n->mtime % NSEC;
	st->ctime = n->ctime / NSEC;
	st->ctime_ns = n->ctime % NSEC;
	st->rdev = n->rdev;
}

static long stat_to_user(struct vnode *n, long ubuf)
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

	return f ? stat_to_user((struct vnode *)file_vnode(f, &tmp), a1) : -EBADF;
}

SYSCALL(newfstatat)
{
	struct vnode *n, tmp;
	long err;

	if (a3 & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* NO_AUTOMOUNT */))
		return -EINVAL;
	err = fd_node_at(a0, a1, a3, &n, &tmp);
	if (err)
		return err;
	err = stat_to_user(n, a2);
	fd_node_done(n, &tmp);
	return err;
}

SYSCALL(stat)
{
	return sys_newfstatat(AT_FDCWD, a0, a1, 0, 0, 0);
}

SYSCALL(lstat)
{
	return sys_newfstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW, 0, 0);
}

static void statx_time(struct statx_ts *t, u64 ns)
{
	t->sec = (s64)(ns / NSEC);
	t->nsec = (u32)(ns % NSEC);
}

SYSCALL(statx)
{
	struct k_statx *sx = (struct k_statx *)a4;
	struct vnode *n, tmp;
	struct k_stat st;
	long err;

	if (a2 & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 | 0x6000 /* SYNC */))
		return -EINVAL;
	err = fd_node_at(a0, a1, a2, &n, &tmp);
	if (err)
		return err;
	if (!user_ok(a4, sizeof(*sx), true)) {
		fd_node_done(n, &tmp);
		return -EFAULT;
	}
	fill_stat(n, &st);
	memset(sx, 0, sizeof(*sx));
	sx->mask = STATX_BASIC_STATS;
	sx->blksize = (u32)st.blksize;
	sx->nlink = (u32)st.nlink;
	sx->uid = st.uid;
	sx->gid = st.gid;
	sx->mode = (u16)st.mode;
	sx->ino = st.ino;
	sx->size = (u64)st.size;
	sx->blocks = (u64)st.blocks;
	statx_time(&sx->atime, n->atime);
	statx_time(&sx->mtime, n->mtime);
	statx_time(&sx->ctime, n->ctime);
	statx_time(&sx->btime, n->ctime);
	sx->rdev_major = (u32)(st.rdev >> 8);
	sx->rdev_minor = (u32)(st.rdev & 0xff);
	sx->dev_minor = 1;
	fd_node_done(n, &tmp);
	return 0;
}

static u8 dtype(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return 4;
	case S_IFREG: return 8;
	case S_IFLNK: return 10;
	case S_IFCHR: return 2;
	case S_IFIFO: return 1;
	case S_IFSOCK: return 12;
	default: return 0;
	}
}

/* Offsets: 0 is ".", 1 is "..", then the directory's own positions. */
SYSCALL(getdents64)
{
	struct file *f = fd_get(a0);
	u8 *buf = (u8 *)a1;
	u64 used = 0;
	char name[NAME_MAX + 1];

	if (!f || (f->flags & O_PATH))
		return -EBADF;
	if (!f->node || !S_ISDIR(f->node->mode))
		return -ENOTDIR;
	if (!user_ok(a1, a2, true))
		return -EFAULT;
	for (;;) {
		struct vnode *dir = f->node, *n;
		u64 next = f->off, reclen, ino;
		struct dirent64 *d;
		u32 mode;

		if (f->off == 0) {
			ino = dir->ino;
			mode = dir->mode;
			strlcpy(name, ".", sizeof(name));
			next = 1;
		} else if (f->off == 1) {
			n = dir->parent ? dir->parent : dir;
			ino = n->ino;
			mode = n->mode;
			strlcpy(name, "..", sizeof(name));
			next = 2;
		} else {
			n = vfs_dir_next(dir, &next, name, sizeof(name));
			if (!n)
				break;
			ino = n->ino;
			mode = n->mode;
			vn_put(n);
		}
		reclen = ALIGN_UP(sizeof(*d) + strlen(name) + 1, 8);
		if (used + reclen > (u64)a2) {
			if (!used)
				return -EINVAL;
			break;
		}
		d = (struct dirent64 *)(buf + used);
		d->ino = ino;
		d->off = (s64)next;
		d->reclen = (u16)reclen;
		d->type = dtype(mode);
		memcpy(d->name, name, strlen(name) + 1);
		used += reclen;
		f->off = next;
	}
	return (long)used;
}

static long access_at(long dirfd, long upath, long mode, long flags)
{
	struct vnode *n, tmp;
	long err;

	if (mode & ~7L)
		return -EINVAL;
	if (flags & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x200 /* EACCESS */))
		return -EINVAL;
	err = fd_node_at(dirfd, upath, flags, &n, &tmp);
	if (err)
		return err;
	/* one user, who may do everything the tree allows */
	err = (mode & W_OK) && vn_readonly(n) ? -EROFS : 0;
	fd_node_done(n, &tmp);
	return err;
}

SYSCALL(faccessat)
{
	return access_at(a0, a1, a2, 0);
}

SYSCALL(faccessat2)
{
	return access_at(a0, a1, a2, a3);
}

SYSCALL(access)
{
	return access_at(AT_FDCWD, a0, a1, 0);
}

SYSCALL(readlinkat)
{
	struct vnode *n, tmp;
	char *buf;
	long len;

	if (a3 <= 0)
		return -EINVAL;
	len = fd_node_at(a0, a1, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &n, &tmp);
	if (len)
		return len;
	buf = kscratch();
	len = !buf ? -ENOMEM : vn_readlink(n, buf, PATH_MAX);
	if (len >= 0) {
		len = MIN(len, a3);
		if (user_ok(a2, (u64)len, true))
			memcpy((void *)a2, buf, (u64)len);
		else
			len = -EFAULT;
	}
	kscratch_free(buf);
	fd_node_done(n, &tmp);
	return len;
}

SYSCALL(readlink)
{
	return sys_readlinkat(AT_FDCWD, a0, a1, a2, 0, 0);
}

SYSCALL(getcwd)
{
	char *buf = kscratch();
	long len = buf ? vfs_path_of(fd_cwd(), buf, PATH_MAX) : -ENOMEM;

	if (len >= 0) {
		if ((u64)a1 < (u64)len + 1)
			len = -ERANGE;
		else if (!user_ok(a0, (u64)len + 1, true))
			len = -EFAULT;
		else
			memcpy((void *)a0, buf, (u64)++len);
	}
	kscratch_free(buf);
	return len;
}

static long chdir_to(struct vnode *n)
{
	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	fd_set_cwd(n);
	return 0;
}

SYSCALL(chdir)
{
	struct vnode *n, tmp;
	long err = fd_node_at(AT_FDCWD, a0, 0, &n, &tmp);

	if (err)
		return err;
	err = chdir_to(n);
	fd_node_done(n, &tmp);
	return err;
}

SYSCALL(fchdir)
{
	struct file *f = fd_get(a0);

	if (!f)
		return -EBADF;
	return f->node ? chdir_to(f->node) : -ENOTDIR;
}
