/* file_node.c - open files of the packaged tree (vfs.h): regular files are
 * read from the image, folders are listed with getdents64 (sys_stat.c).
 * The tree is read-only: openat refuses write access before a file exists. */
#include "errno.h"
#include "fd.h"

static long node_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	const struct vnode *v = f->node;
	u64 done;

	if ((v->mode & S_IFMT) == S_IFDIR)
		return -EISDIR;
	if (*off >= v->size)
		return 0;
	done = iov_copy_out(iov, n, v->data + *off, v->size - *off);
	*off += done;
	return (long)done;
}

const struct file_ops node_file_ops = {
	.seekable = true,
	.read = node_read,
};
