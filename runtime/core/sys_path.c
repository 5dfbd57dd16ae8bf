/* sys_path.c - system calls on names: the working directory and path
 * walks of the *at() calls, mkdir, rmdir, unlink, rename, link, symlink,
 * mknod, chmod, chown, utimes, truncate, chroot, statfs and umask. */
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "ident.h"
#include "kmem.h"
#include "mm.h"
#include "syscall.h"

#define UTIME_NOW ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)
#define TMPFS_MAGIC 0x01021994
#define ST_RDONLY 1
#define NSEC 1000000000UL

static struct vnode *cwd;
static u32 umask_bits = 022;

struct vnode *fd_cwd(void)
{
	if (!cwd) {
		cwd = vfs_root();
		vn_hold(cwd);
	}
	return cwd;
}

void fd_set_cwd(struct vnode *n)
{
	vn_hold(n);
	vn_put(fd_cwd());
	cwd = n;
}

u32 fd_umask(void)
{
	return umask_bits;
}

SYSCALL(umask)
{
	u32 old = umask_bits;

	umask_bits = (u32)a0 & 0777;
	return old;
}

/* The directory relative paths of dirfd start from. */
static struct vnode *dir_base(long dirfd, int *err)
{
	struct file *f;

	if (dirfd == AT_FDCWD)
		return fd_cwd();
	f = fd_get(dirfd);
	*err = !f ? -EBADF : !f->node || !S_ISDIR(f->node->mode) ? -ENOTDIR : 0;
	return *err ? NULL : f->node;
}

int fd_walk(long dirfd, long upath, int flags, struct walk *w)
{
	char *path = kscratch();
	struct vnode *base = NULL;
	int err;

	w->dir = w->node = NULL;
	if (!path)
		return -ENOMEM;
	err = user_path(upath, path, PATH_MAX);
	if (!err && path[0] != '/')
		base = dir_base(dirfd, &err);
	if (!err)
		err = vfs_walk(base, path, flags, w);
	kscratch_free(path);
	return err;
}

int fd_node_at(long dirfd, long upath, long at_flags, struct vnode **out, struct vnode *tmp)
{
	struct walk w;
	int err;

	*out = NULL;
	if ((at_flags & AT_EMPTY_PATH) && user_ok(upath, 1, false) && !*(const char *)upath) {
		struct file *f = fd_get(dirfd);

		if (dirfd == AT_FDCWD) {
			*out = fd_cwd();
			vn_hold(*out);
			return 0;
		}
		if (!f)
			return -EBADF;
		*out = (struct vnode *)file_vnode(f, tmp);
		vn_hold(f->node);
		return 0;
	}
	err = fd_walk(dirfd, upath, (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW, &w);
	if (err)
		return err;
	*out = w.node;
	w.node = NULL;
	walk_done(&w);
	return 0;
}

void fd_node_done(struct vnode *n, struct vnode *tmp)
{
	if (n != tmp)
		vn_put(n);
}

/* A new node at (dirfd, upath) that must not exist yet; held in *out. */
static long create_at(long dirfd, long upath, u32 mode, struct vnode **out)
{
	struct walk w;
	long err = fd_walk(dirfd, upath, WALK_PARENT, &w);

	*out = NULL;
	if (err)
		return err;
	if (w.node)
		err = -EEXIST;
	else if (w.slash && !S_ISDIR(mode))
		err = -ENOENT;
	else
		err = vfs_create(w.dir, w.name, mode, out);
	if (*out) {
		(*out)->uid = ident_fsuid();
		(*out)->gid = ident_fsgid();
	}
	walk_done(&w);
	return err;
}

SYSCALL(mkdirat)
{
	struct vnode *n;
	long err = create_at(a0, a1, S_IFDIR | ((u32)a2 & 07777 & ~umask_bits), &n);

	vn_put(n);
	return err;
}

SYSCALL(mkdir)
{
	return sys_mkdirat(AT_FDCWD, a0, a1, 0, 0, 0);
}

SYSCALL(mknodat)
{
	u32 type = (u32)a2 & S_IFMT;
	struct vnode *n;
	long err;

	if (type == 0)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EINVAL;
	if (type != S_IFREG && type != S_IFSOCK)
		return -EPERM; /* devices and FIFOs cannot be made here */
	err = create_at(a0, a1, type | ((u32)a2 & 07777 & ~umask_bits), &n);
	vn_put(n);
	return err;
}

SYSCALL(mknod)
{
	return sys_mknodat(AT_FDCWD, a0, a1, a2, 0, 0);
}

static long remove_at(long dirfd, long upath, bool dir)
{
	struct walk w;
	long err = fd_walk(dirfd, upath, 0, &w);

	if (err)
		return err;
	if (!strcmp(w.name, ".") && w.node == vfs_root())
		err = -EBUSY;
	else
		err = vfs_unlink(w.dir, w.name, dir);
	walk_done(&w);
	return err;
}

SYSCALL(unlinkat)
{
	if (a2 & ~(long)AT_REMOVEDIR)
		return -EINVAL;
	return remove_at(a0, a1, a2 & AT_REMOVEDIR);
}

SYSCALL(unlink)
{
	return remove_at(AT_FDCWD, a0, false);
}

SYSCALL(rmdir)
{
	return remove_at(AT_FDCWD, a0, true);
}

SYSCALL(renameat2)
{
	struct walk from, to;
	long err = fd_walk(a0, a1, 0, &from);

	if (err)
		return err;
	err = fd_walk(a2, a3, WALK_PARENT, &to);
	if (!err && (from.slash || to.slash) && !S_ISDIR(from.node->mode))
		err = -ENOTDIR;
	if (!err)
		err = vfs_rename(from.dir, from.name, to.dir, to.name, (unsigned)a4);
	walk_done(&to);
	walk_done(&from);
	return err;
}

SYSCALL(renameat)
{
	return sys_renameat2(a0, a1, a2, a3, 0, 0);
}

SYSCALL(rename)
{
	return sys_renameat2(AT_FDCWD, a0, AT_FDCWD, a1, 0, 0);
}

SYSCALL(linkat)
{
	struct vnode *n, tmp;
	struct walk to;
	long err;

	if (a4 & ~(long)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = fd_node_at(
	    a0, a1, (a4 & AT_EMPTY_PATH) | ((a4 & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW), &n,
	    &tmp);
	if (err)
		return err;
	if (n == &tmp) {
		fd_node_done(n, &tmp);
		return -ENOENT; /* a pipe or socket has no node to name */
	}
	err = fd_walk(a2, a3, WALK_PARENT, &to);
	if (!err)
		err = to.node ? -EEXIST : to.slash ? -ENOENT : vfs_link(to.dir, to.name, n);
	walk_done(&to);
	fd_node_done(n, &tmp);
	return err;
}

SYSCALL(link)
{
	return sys_linkat(AT_FDCWD, a0, AT_FDCWD, a1, 0, 0);
}

SYSCALL(symlinkat)
{
	char *target = kscratch();
	struct vnode *n;
	long err;

	if (!target)
		return -ENOMEM;
	err = user_path(a0, target, PATH_MAX);
	if (!err && !*target)
		err = -ENOENT;
	if (!err)
		err = create_at(a1, a2, S_IFLNK | 0777, &n);
	if (!err) {
		long put = vn_write(n, 0, target, strlen(target));

		if (put != (long)strlen(target)) {
			struct walk w;

			/* no room for the target: the link must not stay half made */
			if (!fd_walk(a1, a2, 0, &w))
				vfs_unlink(w.dir, w.name, false);
			walk_done(&w);
			err = -ENOSPC;
		}
		vn_put(n);
	}
	kscratch_free(target);
	return err;
}

SYSCALL(symlink)
{
	return sys_symlinkat(a0, AT_FDCWD, a1, 0, 0, 0);
}

/* chmod and chown of a node that may be changed. */
static long set_attr(struct vnode *n, long mode, long uid, long gid)
{
	if (vn_readonly(n))
		return -EROFS;
	if (mode >= 0)
		n->mode = (n->mode & S_IFMT) | ((u32)mode & 07777);
	if (uid != -1 && (u32)uid != ~0u)
		n->uid = (u32)uid;
	if (gid != -1 && (u32)gid != ~0u)
		n->gid = (u32)gid;
	n->ctime = vfs_now();
	return 0;
}

static long attr_at(long dirfd, long upath, long flags, long mode, long uid, long gid)
{
	struct vnode *n, tmp;
	long err;

	if (flags & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = fd_node_at(dirfd, upath, flags, &n, &tmp);
	if (err)
		return err;
	err = n == &tmp ? 0 : set_attr(n, mode, uid, gid);
	fd_node_done(n, &tmp);
	return err;
}

static long attr_fd(long fd, long mode, long uid, long gid)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	return f->node ? set_attr(f->node, mode, uid, gid) : 0;
}

SYSCALL(fchmodat)
{
	return attr_at(a0, a1, 0, a2 & 07777, -1, -1);
}

SYSCALL(chmod)
{
	return attr_at(AT_FDCWD, a0, 0, a1 & 07777, -1, -1);
}

SYSCALL(fchmod)
{
	return attr_fd(a0, a1 & 07777, -1, -1);
}

SYSCALL(fchownat)
{
	return attr_at(a0, a1, a4, -1, (s32)a2, (s32)a3);
}

SYSCALL(chown)
{
	return attr_at(AT_FDCWD, a0, 0, -1, (s32)a1, (s32)a2);
}

SYSCALL(lchown)
{
	return attr_at(AT_FDCWD, a0, AT_SYMLINK_NOFOLLOW, -1, (s32)a1, (s32)a2);
}

SYSCALL(fchown)
{
	return attr_fd(a0, -1, (s32)a1, (s32)a2);
}

/* Sets atime and mtime from ts[2] ({sec, nsec}; NULL: now). */
static long set_times(struct vnode *n, const s64 *ts)
{
	u64 now = vfs_now();

	if (vn_readonly(n))
		return -EROFS;
	for (int i = 0; i < 2; i++) {
		u64 *t = i ? &n->mtime : &n->atime;
		s64 sec = ts ? ts[2 * i] : 0, nsec = ts ? ts[2 * i + 1] : UTIME_NOW;

		if (nsec == UTIME_OMIT)
			continue;
		if (nsec == UTIME_NOW)
			*t = now;
		else if (nsec < 0 || nsec >= (s64)NSEC || sec < 0)
			return -EINVAL;
		else
			*t = (u64)sec * NSEC + (u64)nsec;
	}
	n->ctime = now;
	return 0;
}

static long times_at(long dirfd, long upath, const s64 *ts, long flags)
{
	struct vnode *n, tmp;
	long err;

	if (flags & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!upath) {
		/* utimensat(fd, NULL, ...) is futimens(fd, ...) */
		struct file *f = fd_get(dirfd);

		if (!f)
			return -EBADF;
		return f->node ? set_times(f->node, ts) : 0;
	}
	err = fd_node_at(dirfd, upath, flags, &n, &tmp);
	if (err)
		return err;
	err = n == &tmp ? 0 : set_times(n, ts);
	fd_node_done(n, &tmp);
	return err;
}

SYSCALL(utimensat)
{
	if (a2 && !user_ok(a2, 32, false))
		return -EFAULT;
	return times_at(a0, a1, (const s64 *)a2, a3);
}

/* timevals {sec, usec}[2] (NULL: now) as timespecs. */
static long timeval_times(long dirfd, long upath, long utv)
{
	const s64 *tv = (const s64 *)utv;
	s64 ts[4];

	if (!utv)
		return times_at(dirfd, upath, NULL, 0);
	if (!user_ok(utv, 32, false))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[2 * i + 1] < 0 || tv[2 * i + 1] >= 1000000)
			return -EINVAL;
		ts[2 * i] = tv[2 * i];
		ts[2 * i + 1] = tv[2 * i + 1] * 1000;
	}
	return times_at(dirfd, upath, ts, 0);
}

SYSCALL(futimesat)
{
	return timeval_times(a0, a1, a2);
}

SYSCALL(utimes)
{
	return timeval_times(AT_FDCWD, a0, a1);
}

SYSCALL(utime)
{
	const s64 *ut = (const s64 *)a1;
	s64 ts[4];

	if (!a1)
		return times_at(AT_FDCWD, a0, NULL, 0);
	if (!user_ok(a1, 16, false))
		return -EFAULT;
	ts[0] = ut[0];
	ts[1] = 0;
	ts[2] = ut[1];
	ts[3] = 0;
	return times_at(AT_FDCWD, a0, ts, 0);
}

SYSCALL(truncate)
{
	struct vnode *n, tmp;
	long err;

	if (a1 < 0)
		return -EINVAL;
	err = fd_node_at(AT_FDCWD, a0, 0, &n, &tmp);
	if (err)
		return err;
	err = S_ISDIR(n->mode)	  ? -EISDIR
	      : !S_ISREG(n->mode) ? -EINVAL
	      : vn_readonly(n)	  ? -EROFS
				  : vn_truncate(n, (u64)a1);
	fd_node_done(n, &tmp);
	return err;
}

struct k_statfs {
	s64 type, bsize;
	u64 blocks, bfree, bavail, files, ffree;
	s32 fsid[2];
	s64 namelen, frsize, flags, spare[4];
};

static long statfs_to_user(const struct vnode *n, long ubuf)
{
	struct k_statfs *s = (struct k_statfs *)ubuf;
	u64 limit = vfs_limit(), used = vfs_used();
	u64 room = MIN(limit - MIN(used, limit), frames_free() * PAGE_SIZE);

	if (!user_ok(ubuf, sizeof(*s), true))
		return -EFAULT;
	memset(s, 0, sizeof(*s));
	if (n->mnt) { /* a volume's */
		struct fs_stat st = { 0 };

		n->mnt->type->statfs(n->mnt, &st);
		s->type = (s64)st.magic;
		s->bsize = s->frsize = (s64)st.bsize;
		s->blocks = st.blocks;
		s->bfree = s->bavail = st.bfree;
		s->files = st.files;
		s->ffree = st.ffree;
		s->namelen = NAME_MAX;
		s->flags = n->mnt->rw ? 0 : ST_RDONLY;
		return 0;
	}
	s->type = TMPFS_MAGIC;
	s->bsize = s->frsize = PAGE_SIZE;
	s->blocks = MIN(limit, (used + frames_free() * PAGE_SIZE)) / PAGE_SIZE;
	s->bfree = s->bavail = room / PAGE_SIZE;
	s->files = vfs_count() + room / 256;
	s->ffree = room / 256;
	s->namelen = NAME_MAX;
	s->flags = vn_readonly(n) ? ST_RDONLY : 0;
	return 0;
}

SYSCALL(chroot)
{
	struct vnode *n, tmp;
	long err;

	if (ident_euid() != 0)
		return -EPERM; /* CAP_SYS_CHROOT */
	err = fd_node_at(AT_FDCWD, a0, 0, &n, &tmp);
	if (err)
		return err;
	if (S_ISDIR(n->mode))
		vfs_chroot(n);
	else
		err = -ENOTDIR;
	fd_node_done(n, &tmp);
	return err;
}

SYSCALL(statfs)
{
	struct vnode *n, tmp;
	long err = fd_node_at(AT_FDCWD, a0, 0, &n, &tmp);

	if (err)
		return err;
	err = statfs_to_user(n, a1);
	fd_node_done(n, &tmp);
	return err;
}

SYSCALL(fstatfs)
{
	struct file *f = fd_get(a0);
	struct vnode tmp;

	return f ? statfs_to_user(file_vnode(f, &tmp), a1) : -EBADF;
}
