/* fs_dev.c - /dev: null, zero, full, random, urandom, console, the
 * stdin/stdout/stderr and fd links into /proc/self/fd, /dev/shm (a
 * writable folder, for shm_open) and /dev/log (syslog to the console).
 * They are made the first time /dev is used (most programs never look),
 * after the image's own /dev entries, which they do not replace. */
#include "errno.h"
#include "fd.h"
#include "random.h"
#include "unix_sock.h"
#include "../platform/platform.h"

enum dev { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM, DEV_CONSOLE };

static long dev_read(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	enum dev d = (enum dev)(u64)f->priv;
	u64 total = 0;

	if (d == DEV_NULL || d == DEV_CONSOLE)
		return 0; /* end of file (the console has no input) */
	for (int i = 0; i < n; i++) {
		if (d == DEV_RANDOM)
			random_fill((void *)iov[i].base, iov[i].len);
		else
			memset((void *)iov[i].base, 0, iov[i].len);
		total += iov[i].len;
	}
	return (long)total;
}

static long dev_write(struct file *f, const struct k_iovec *iov, int n, u64 *off)
{
	enum dev d = (enum dev)(u64)f->priv;
	u64 total = iov_total(iov, n);

	if (d == DEV_FULL)
		return -ENOSPC;
	if (d == DEV_CONSOLE) {
		for (int i = 0; i < n; i++)
			plat_console_write((const char *)iov[i].base, iov[i].len);
	}
	return (long)total; /* random: accepted, as entropy nobody needs */
}

static const struct file_ops dev_ops = {
	.mode = S_IFCHR | 0666,
	.seekable = true, /* lseek succeeds on these devices and changes nothing */
	.read = dev_read,
	.write = dev_write,
};

static int add_node(struct vnode *dir, const char *name, u32 mode, struct vnode **out)
{
	int err = vfs_create(dir, name, mode, out);

	if (err == -EEXIST) /* the image packs its own: keep it */
		*out = NULL;
	return err == -EEXIST ? 0 : err;
}

static int add_dev(struct vnode *dir, const char *name, enum dev d, u32 rdev, u32 perm)
{
	struct vnode *n;
	int err = add_node(dir, name, S_IFCHR | perm, &n);

	if (err || !n)
		return err;
	n->fops = &dev_ops;
	n->priv = (void *)(u64)d;
	n->rdev = rdev;
	vn_put(n);
	return 0;
}

static int add_link(struct vnode *dir, const char *name, const char *target)
{
	struct vnode *n;
	int err = add_node(dir, name, S_IFLNK | 0777, &n);

	if (err || !n)
		return err;
	n->ro = (const u8 *)target; /* the target stays in the image */
	n->size = strlen(target);
	vn_put(n);
	return 0;
}

/* /dev's entries, made the first time it is used (vn_fill). */
static void dev_fill(struct vnode *dev)
{
	struct vnode *shm;
	int err;

	err = add_dev(dev, "null", DEV_NULL, 0x103, 0666);
	err = err ?: add_dev(dev, "zero", DEV_ZERO, 0x105, 0666);
	err = err ?: add_dev(dev, "full", DEV_FULL, 0x107, 0666);
	err = err ?: add_dev(dev, "random", DEV_RANDOM, 0x108, 0666);
	err = err ?: add_dev(dev, "urandom", DEV_RANDOM, 0x109, 0666);
	err = err ?: add_dev(dev, "console", DEV_CONSOLE, 0x501, 0620);
	err = err ?: add_link(dev, "stdin", "/proc/self/fd/0");
	err = err ?: add_link(dev, "stdout", "/proc/self/fd/1");
	err = err ?: add_link(dev, "stderr", "/proc/self/fd/2");
	err = err ?: add_link(dev, "fd", "/proc/self/fd");
	if (unix_console_log)
		err = err ?: unix_console_log(dev, "log");
	err = err ?: add_node(dev, "shm", S_IFDIR | 01777, &shm);
	if (!err)
		vn_put(shm);
	if (err)
		kprintf("unikernel: /dev is incomplete: out of memory\n");
}

static const struct vnode_ops dev_lazy_ops = { .fill = dev_fill };

int dev_init(void)
{
	struct vnode *dev = vfs_lookup("/dev");

	if (!dev && vfs_create(vfs_root(), "dev", S_IFDIR | 0755, &dev))
		return -ENOMEM;
	if (S_ISDIR(dev->mode) && !dev->ops && !dev->mnt)
		dev->ops = &dev_lazy_ops; /* (else the image made /dev something else) */
	vn_put(dev);
	return 0;
}
