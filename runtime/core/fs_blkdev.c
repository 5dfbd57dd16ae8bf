/* fs_blkdev.c - the disks as block devices /dev/vda, /dev/vdb, ... (in the
 * order of blk.h), for programs that read or write a volume raw: read,
 * write, pread, pwrite at any offset and length (the partial sectors at
 * either end go through a scratch sector), fsync/fdatasync (the disk's
 * flush), ioctl BLKGETSIZE64 and BLKSSZGET.  A read-only disk's node
 * gives EROFS to writes; reads end at the disk's end, writes past it give
 * ENOSPC. */
#include "blk.h"
#include "errno.h"
#include "fd.h"
#include "kmem.h"
#include "syscall.h"

#define BLKSSZGET 0x1268
#define BLKGETSIZE64 0x80081272
#define BLK_MAJOR 254

/* Transfers [buf, buf + len) at byte `off` of d; the bytes done or -errno. */
static long xfer(struct blkdev *d, bool write, u64 off, u8 *buf, u64 len)
{
	u64 ss = d->sector_size, size = d->sectors * ss, done = 0;
	u8 *sec = NULL;
	long err = 0;

	if (off >= size)
		return write && len ? -ENOSPC : 0;
	len = MIN(len, size - off);
	while (done < len && !err) {
		u64 in = (off + done) % ss, n;

		if (!in && len - done >= ss) {
			n = (len - done) - (len - done) % ss;
			err = write ? blk_write(d, off + done, buf + done, n)
				    : blk_read(d, off + done, buf + done, n);
		} else {
			u64 base = off + done - in;

			n = MIN(ss - in, len - done);
			if (!sec && !(sec = kscratch()))
				return done ? (long)done : -ENOMEM;
			err = blk_read(d, base, sec, ss);
			if (!err && write) {
				memcpy(sec + in, buf + done, n);
				err = blk_write(d, base, sec, ss);
			} else if (!err) {
				memcpy(buf + done, sec + in, n);
			}
		}
		if (!err)
			done += n;
	}
	kscratch_free(sec);
	return done ? (long)done : err;
}

static long rw(struct file *f, bool write, const struct k_iovec *iov, int n, u64 *off)
{
	struct blkdev *d = f->priv;
	long total = 0;

	if (write && d->ro)
		return -EROFS;
	for (int i = 0; i < n; i++) {
		long r = xfer(d, write, *off, (u8 *)iov[i].base, iov[i].len);

		if (r < 0)
			return total ? total : r;
		total += r;
		*off += (u64)r;
		if ((u64)r < iov[i].len)
			break;
	}
	return total;
}

static long blkdev_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	return rw(f, false, iov, n, off);
}

static long blkdev_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	return rw(f, true, iov, n, off);
}

static long blkdev_ioctl(struct file *f, unsigned long req, long arg)
{
	struct blkdev *d = f->priv;

	req = (u32)req; /* an int on Linux: libcs may sign-extend it */
	if (req == BLKGETSIZE64) {
		if (!user_ok(arg, 8, true))
			return -EFAULT;
		*(u64 *)arg = d->sectors * d->sector_size;
		return 0;
	}
	if (req == BLKSSZGET) {
		if (!user_ok(arg, 4, true))
			return -EFAULT;
		*(u32 *)arg = d->sector_size;
		return 0;
	}
	return -ENOTTY;
}

static int blkdev_fsync(struct file *f)
{
	return blk_flush(f->priv) ? -EIO : 0;
}

static const struct file_ops blkdev_ops = {
	.mode = S_IFBLK | 0660,
	.seekable = true,
	.read = blkdev_read,
	.write = blkdev_write,
	.ioctl = blkdev_ioctl,
	.fsync = blkdev_fsync,
};

int blkdev_init(void)
{
	struct vnode *dev;
	int err = 0;

	if (!blk_count())
		return 0; /* (no lookup: /dev stays unmade) */
	dev = vfs_lookup("/dev");
	if (!dev)
		return 0;
	for (int i = 0; i < blk_count() && i < 26 && !err; i++) {
		char name[8] = { 'v', 'd', (char)('a' + i), 0 };
		struct blkdev *d = blk_get(i);
		struct vnode *n;

		err = vfs_create(dev, name, S_IFBLK | (d->ro ? 0440 : 0660), &n);
		if (err == -EEXIST) {
			err = 0; /* the image packs its own: keep it */
			continue;
		}
		if (err)
			break;
		n->fops = &blkdev_ops;
		n->priv = d;
		n->rdev = BLK_MAJOR << 8 | (u32)i * 16;
		vn_put(n);
	}
	vn_put(dev);
	return err;
}
