/* file_node.c - open files of the tree (vfs.h): regular files are read
 * and written through the node's contents, folders are listed with
 * getdents64 (sys_stat.c); devices open as their node's file_ops. */
#include "errno.h"
#include "fd.h"
#include "fs.h"

static long node_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct vnode *v = f->node;
	u64 done = 0;

	if (S_ISDIR(v->mode))
		return -EISDIR;
	for (int i = 0; i < n; i++) {
		u64 got;

		if (v->mnt) { /* a volume's: its errors reach the caller */
			long r =
			    v->mnt->type->read(v, *off + done, (void *)iov[i].base, iov[i].len);

			if (r < 0) {
				if (done)
					break;
				return r;
			}
			got = (u64)r;
		} else {
			got = vn_read(v, *off + done, (void *)iov[i].base, iov[i].len);
		}
		done += got;
		if (got < iov[i].len)
			break;
	}
	*off += done;
	v->atime = vfs_now();
	return (long)done;
}

static long node_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	struct vnode *v = f->node;
	u64 done = 0;

	if (S_ISDIR(v->mode))
		return -EISDIR;
	if (vn_readonly(v))
		return -EROFS;
	if (f->flags & O_APPEND)
		*off = v->size;
	for (int i = 0; i < n; i++) {
		long put;

		if (!iov[i].len)
			continue;
		put = vn_write(v, *off + done, (const void *)iov[i].base, iov[i].len);
		if (put < 0) {
			if (done)
				break;
			return put;
		}
		done += (u64)put;
		if ((u64)put < iov[i].len)
			break;
	}
	*off += done;
	/* O_SYNC, O_DSYNC on a volume: durable before the call returns */
	if (done && v->mnt && (f->flags & 010000) && v->mnt->type->fsync(v))
		return -EIO;
	return (long)done;
}

static int node_fsync(struct file *f)
{
	struct vnode *v = f->node;

	return v->mnt && v->mnt->rw ? v->mnt->type->fsync(v) : 0;
}

const struct file_ops node_file_ops = {
	.seekable = true,
	.read = node_read,
	.write = node_write,
	.fsync = node_fsync,
};

/* O_PATH descriptors: a place in the tree, no I/O. */
static const struct file_ops path_file_ops = {
	.seekable = false,
};

const struct vnode *file_vnode(struct file *f, struct vnode *tmp)
{
	if (f->node)
		return f->node;
	*tmp = (struct vnode){ .mode = f->ops->mode, .nlink = 1, .ino = 3 };
	if (f->ops->stat)
		f->ops->stat(f, tmp);
	return tmp;
}

/* A generated file (/proc): its contents now, in an unnamed node. */
static struct vnode *generated(struct vnode *n, long *err)
{
	struct vnode *out = vfs_new_synthetic(S_IFREG | (n->mode & 0777));

	if (!out) {
		*err = -ENOMEM;
		return NULL;
	}
	out->flags |= VN_RO;
	out->ino = n->ino;
	*err = n->ops->generate(n, out);
	if (*err) {
		vn_put(out);
		return NULL;
	}
	return out;
}

long node_open(struct vnode *n, int flags)
{
	int acc = flags & O_ACCMODE;
	bool cloexec = flags & O_CLOEXEC;
	long err = 0;

	flags &= ~O_CLOEXEC;
	if (flags & O_PATH) {
		vn_hold(n);
		return fd_open(&path_file_ops, n, O_PATH | (flags & O_DIRECTORY), NULL, cloexec);
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	switch (n->mode & S_IFMT) {
	case S_IFDIR:
		if (acc != O_RDONLY || (flags & O_TRUNC))
			return -EISDIR;
		break;
	case S_IFREG:
		if (n->ops && n->ops->generate) {
			if (acc != O_RDONLY)
				return vn_readonly(n) ? -EROFS : -EACCES;
			n = generated(n, &err);
			if (!n)
				return err;
			return fd_open(&node_file_ops, n, flags, NULL, cloexec);
		}
		if ((acc != O_RDONLY || (flags & O_TRUNC)) && vn_readonly(n))
			return -EROFS;
		if (flags & O_TRUNC) {
			err = vn_truncate(n, 0);
			if (err)
				return err;
		}
		break;
	case S_IFCHR:
	case S_IFBLK:
		if (!n->fops)
			return -ENXIO;
		vn_hold(n);
		return fd_open(n->fops, n, flags, n->priv, cloexec);
	case S_IFLNK: return -ELOOP; /* O_NOFOLLOW on a symlink */
	default: return -ENXIO; /* sockets, FIFOs, block devices */
	}
	vn_hold(n);
	return fd_open(&node_file_ops, n, flags, NULL, cloexec);
}
