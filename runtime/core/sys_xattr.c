/* sys_xattr.c - extended attributes and I/O hints.  The tree keeps no
 * extended attributes: the calls find the file (ENOENT, EBADF as usual) and
 * answer EOPNOTSUPP, as a file system without them does; listing gives an
 * empty list.  fadvise64, readahead and sync_file_range are hints about
 * storage there is none of: they succeed on open files. */
#include "errno.h"
#include "fd.h"
#include "syscall.h"

/* 0 when (path, follow) names a node, else -errno. */
static long exists(long upath, bool follow)
{
	struct vnode *n, tmp;
	long err = fd_node_at(AT_FDCWD, upath, follow ? 0 : AT_SYMLINK_NOFOLLOW, &n, &tmp);

	if (!err)
		fd_node_done(n, &tmp);
	return err;
}

static long on_fd(long fd)
{
	return fd_get(fd) ? 0 : -EBADF;
}

#define XATTR_PATH(name, follow, result)                                                           \
	SYSCALL(name)                                                                              \
	{                                                                                          \
		long err = exists(a0, follow);                                                     \
                                                                                                   \
		return err ? err : (result);                                                       \
	}
#define XATTR_FD(name, result)                                                                     \
	SYSCALL(name)                                                                              \
	{                                                                                          \
		long err = on_fd(a0);                                                              \
                                                                                                   \
		return err ? err : (result);                                                       \
	}

XATTR_PATH(getxattr, true, -EOPNOTSUPP)
XATTR_PATH(lgetxattr, false, -EOPNOTSUPP)
XATTR_FD(fgetxattr, -EOPNOTSUPP)
XATTR_PATH(setxattr, true, -EOPNOTSUPP)
XATTR_PATH(lsetxattr, false, -EOPNOTSUPP)
XATTR_FD(fsetxattr, -EOPNOTSUPP)
XATTR_PATH(removexattr, true, -EOPNOTSUPP)
XATTR_PATH(lremovexattr, false, -EOPNOTSUPP)
XATTR_FD(fremovexattr, -EOPNOTSUPP)
XATTR_PATH(listxattr, true, 0)
XATTR_PATH(llistxattr, false, 0)
XATTR_FD(flistxattr, 0)

SYSCALL(fadvise64)
{
	struct file *f = fd_get(a0);

	if (!f)
		return -EBADF;
	if (a3 < 0 || a3 > 5 || a2 < 0)
		return -EINVAL;
	return f->ops->seekable ? 0 : -ESPIPE;
}

SYSCALL(readahead)
{
	struct file *f = fd_get(a0);

	if (!f)
		return -EBADF;
	return f->node && S_ISREG(f->node->mode) ? 0 : -EINVAL;
}

SYSCALL(sync_file_range)
{
	if (!fd_get(a0))
		return -EBADF;
	return a1 < 0 || a2 < 0 || (a3 & ~7L) ? -EINVAL : 0;
}
