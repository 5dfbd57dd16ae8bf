/* sys_sendfile.c - sendfile and copy_file_range: the contents of a file of
 * the tree written to another open file (a socket, a pipe, a file) from
 * where they lie in memory, without a copy through the program. */
#include "errno.h"
#include "fd.h"
#include "syscall.h"

#define MAX_RW 0x7ffff000L /* what Linux moves in one call at most */

static u8 zeros[PAGE_SIZE]; /* holes read as these (bss: no bytes in the image) */

/* Writes up to count bytes of in's node from *off to out: the bytes
 * written (*off advanced), or -errno when none were. */
static long copy_out(struct file *in, struct file *out, u64 *off, u64 count)
{
	struct vnode *n = in->node;
	u64 done = 0;

	count = MIN(count, (u64)MAX_RW);
	while (done < count) {
		u64 len;
		const u8 *p = vn_map(n, *off, &len);
		struct k_iovec v;
		long put;

		if (!len)
			break; /* end of file */
		v.base = (u64)(p ? p : zeros);
		v.len = MIN(MIN(len, count - done), p ? len : (u64)sizeof(zeros));
		put = out->ops->write(out, &v, 1, &out->off);
		if (put <= 0) {
			if (done)
				break;
			return put ? put : -EAGAIN;
		}
		done += (u64)put;
		*off += (u64)put;
		if ((u64)put < v.len)
			break;
	}
	return (long)done;
}

/* The two files of a transfer, checked. */
static long files_of(long in_fd, long out_fd, struct file **in, struct file **out)
{
	*in = fd_get(in_fd);
	*out = fd_get(out_fd);
	if (!*in || !*out || ((*in)->flags & O_PATH) || ((*out)->flags & O_PATH))
		return -EBADF;
	if (((*in)->flags & O_ACCMODE) == O_WRONLY || ((*out)->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (!(*in)->node || !S_ISREG((*in)->node->mode) || !(*out)->ops->write)
		return -EINVAL;
	return 0;
}

/* Reads a loff_t the program passes (or the file position when NULL). */
static long get_off(long uoff, const struct file *f, u64 *off)
{
	if (!uoff) {
		*off = f->off;
		return 0;
	}
	if (!user_ok(uoff, 8, true))
		return -EFAULT;
	if (*(const s64 *)uoff < 0)
		return -EINVAL;
	*off = *(const u64 *)uoff;
	return 0;
}

static void put_off(long uoff, struct file *f, u64 off)
{
	if (uoff)
		*(u64 *)uoff = off;
	else
		f->off = off;
}

SYSCALL(sendfile)
{
	struct file *in, *out;
	long rc = files_of(a1, a0, &in, &out);
	u64 off;

	if (rc)
		return rc;
	if (out->flags & O_APPEND)
		return -EINVAL;
	if (a3 < 0)
		return -EINVAL;
	rc = get_off(a2, in, &off);
	if (rc)
		return rc;
	rc = copy_out(in, out, &off, (u64)a3);
	put_off(a2, in, off);
	return rc;
}

/* copy_file_range(in, *in_off, out, *out_off, len, flags) between files of the tree. */
SYSCALL(copy_file_range)
{
	struct file *in, *out;
	long rc = files_of(a0, a2, &in, &out);
	u64 in_off, out_off, saved;

	if (rc)
		return rc;
	if (a5)
		return -EINVAL;
	if (!out->node || !S_ISREG(out->node->mode))
		return -EINVAL;
	if (out->flags & O_APPEND)
		return -EBADF;
	if ((rc = get_off(a1, in, &in_off)) || (rc = get_off(a3, out, &out_off)))
		return rc;
	if (in->node == out->node && in_off < out_off + (u64)a4 && out_off < in_off + (u64)a4)
		return -EINVAL; /* overlapping ranges of one file */
	saved = out->off;
	out->off = out_off;
	rc = copy_out(in, out, &in_off, (u64)a4);
	out_off = out->off;
	out->off = saved;
	put_off(a1, in, in_off);
	put_off(a3, out, out_off);
	return rc;
}
