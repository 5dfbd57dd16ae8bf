/* fuzz_volume.c - the runtime's readers of a volume's file system: ext2/ext4
 * (runtime/core/fs_ext2*.c) and FAT12/16/32 (fs_fat.c), with their block
 * cache (fs_bcache.c), built for the host.  A volume is the user's disk
 * image: hostile input the guest mounts at boot.
 *
 * The file systems' calls into the rest of the runtime are shims below:
 * the disk (blk_read/blk_write over a heap block of exactly the disk's
 * size, with the sector checks of blk.c), frames and kmalloc (host memory,
 * every block of one input freed after it: a failed mount keeps its frames
 * in the runtime, as the boot ends), and the vnode holds of vfs.c.
 *
 * Input: [mode: 1 byte][disk size in KiB: 2 bytes LE] then the disk's first
 * bytes (the rest of the disk reads as zeros).  Mode bits 0-1: FAT, ext2
 * read-only, ext2 read-write; bit 2: 4096-byte sectors.
 * After a mount the harness lists every directory (up to 8 deep, 400 nodes),
 * looks each name up again, reads every file (up to 64 KiB) and, when
 * mounted read-write, creates, writes, renames, truncates and removes files
 * and a directory, then syncs as at exit.
 * Promises checked:
 *   - no access outside the disk or any runtime object (ASan), kmalloc
 *     within its 4 KiB limit, every disk transfer whole sectors on the disk;
 *   - a mount that fails says why (-EINVAL, -EROFS, -EIO, -ENOMEM);
 *   - names are NUL-terminated, at most NAME_MAX, non-empty, without '/',
 *     not "." or ".." (a listing has neither: the VFS makes them);
 *   - a read returns at most what was asked, never past the node's size;
 *   - a read-only mount never writes to the disk;
 *   - after the walk every node but the root is released (no hold leaks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* glibc's stdio.h has renameat2's flags; the runtime's vfs.h its own */
#undef RENAME_NOREPLACE
#undef RENAME_EXCHANGE
#undef RENAME_WHITEOUT

#include "../../runtime/core/errno.h"
#include "../../runtime/core/fs.h"
#include "../../runtime/core/kmem.h"
#include "../../runtime/core/mm.h"
#include "fuzz.h"

#define HEAD 3
#define MAX_BLOCKS 65536
#define MAX_NODES 400
#define MAX_DEPTH 8

u64 dmap_base; /* 0: a "physical" address is the host's */

static void *blocks[MAX_BLOCKS]; /* everything allocated for this input */
static unsigned nblocks, nodes, walked;
static int locked;
static u8 *disk;
static u64 disk_size;
static bool writes_allowed;

/* --- memory ------------------------------------------------------------ */

static void *keep(void *p)
{
	FUZZ_CHECK(p, "out of host memory");
	FUZZ_CHECK(nblocks < MAX_BLOCKS, "more than %d allocations", MAX_BLOCKS);
	blocks[nblocks++] = p;
	return p;
}

static void drop(void *p)
{
	for (unsigned i = nblocks; i-- > 0;)
		if (blocks[i] == p) {
			blocks[i] = blocks[--nblocks];
			free(p);
			return;
		}
	FUZZ_CHECK(0, "freeing %p, which is not allocated", p);
}

void *kmalloc(size_t n)
{
	FUZZ_CHECK(n >= 1 && n <= KMEM_MAX, "kmalloc(%zu)", n);
	return keep(calloc(1, n));
}

void kfree(void *p, size_t n)
{
	(void)n;
	if (p)
		drop(p);
}

void *kscratch(void)
{
	return keep(malloc(4096));
}

void kscratch_free(void *p)
{
	if (p)
		drop(p);
}

static u64 pages(u64 n)
{
	void *p = aligned_alloc(PAGE_SIZE, n * PAGE_SIZE);

	FUZZ_CHECK(p, "out of host memory");
	memset(p, 0, n * PAGE_SIZE);
	return (u64)keep(p);
}

u64 frame_alloc(void)
{
	return pages(1);
}

void frame_free(u64 pa)
{
	drop((void *)pa);
}

u64 frames_alloc_contig(u64 n)
{
	FUZZ_CHECK(n >= 1 && n <= 1024, "frames_alloc_contig(%llu)", (unsigned long long)n);
	return pages(n);
}

u64 frames_free(void)
{
	return 1024; /* a cache of 128 blocks */
}

/* --- the rest of the runtime --------------------------------------------- */

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t k = n < size - 1 ? n : size - 1;

		memcpy(dst, src, k);
		dst[k] = 0;
	}
	return n;
}

void fs_lock(struct mount *m)
{
	(void)m;
	locked++;
}

void fs_unlock(struct mount *m)
{
	(void)m;
	FUZZ_CHECK(locked > 0, "fs_unlock() without fs_lock()");
	locked--;
}

u64 vfs_now(void)
{
	return 1764720000ULL * 1000000000ULL;
}

void vn_hold(struct vnode *n)
{
	if (n)
		n->refs++;
}

void vn_put(struct vnode *n)
{
	if (!n)
		return;
	FUZZ_CHECK(n->refs > 0 && n->mnt, "vn_put() of a node without holds");
	if (!--n->refs)
		n->mnt->type->evict(n);
}

struct vnode *vfs_fs_node(struct mount *m, u32 mode, u64 ino)
{
	struct vnode *n = kmalloc(sizeof(*n));

	n->mode = mode;
	n->flags = VN_BOOT | VN_NOCHARGE | (m->rw ? 0 : VN_RO);
	n->ino = ino;
	n->refs = 1;
	n->mnt = m;
	n->next_seq = 2;
	nodes++;
	return n;
}

int vfs_fs_name(struct vnode *n, struct vnode *dir, const char *name)
{
	struct dentry *d = NULL;

	if (dir && name) {
		size_t len = strlen(name), size = sizeof(struct dentry) + len + 1;

		d = kmalloc(size);
		d->dir = dir;
		d->node = n;
		d->size = (u32)size;
		d->len = (u16)len;
		memcpy(d->name, name, len + 1);
		vn_hold(dir);
	}
	if (n->self && n != n->mnt->root) {
		struct vnode *old = n->self->dir;

		kfree(n->self, n->self->size);
		vn_put(old);
	}
	n->self = d;
	if (S_ISDIR(n->mode) && n != n->mnt->root)
		n->parent = dir;
	return 0;
}

void vfs_fs_free(struct vnode *n)
{
	vfs_fs_name(n, NULL, NULL);
	nodes--;
	kfree(n, sizeof(*n));
}

/* the disk: blk.c's checks, then the bytes */
static int transfer(struct blkdev *d, bool write, u64 off, void *buf, u64 len)
{
	u64 ss = d->sector_size;

	if (off % ss || len % ss || off / ss > d->sectors || len / ss > d->sectors - off / ss)
		return -EINVAL;
	FUZZ_CHECK(len, "an empty disk transfer");
	if (write) {
		FUZZ_CHECK(writes_allowed, "a read-only mount writes %llu bytes at %llu",
			   (unsigned long long)len, (unsigned long long)off);
		memcpy(disk + off, buf, len);
	} else {
		memcpy(buf, disk + off, len);
	}
	return 0;
}

int blk_read(struct blkdev *d, u64 off, void *buf, u64 len)
{
	return transfer(d, false, off, buf, len);
}

int blk_write(struct blkdev *d, u64 off, const void *buf, u64 len)
{
	return transfer(d, true, off, (void *)buf, len);
}

int blk_flush(struct blkdev *d)
{
	(void)d;
	return 0;
}

/* --- the walk -------------------------------------------------------------- */

static void read_all(const struct fs_type *t, struct vnode *n)
{
	static u8 buf[4096];
	u64 off = 0;

	while (off < 65536) {
		u64 want = off % 3 ? 1000 : sizeof(buf);
		long got;

		fs_lock(n->mnt);
		got = t->read(n, off, buf, want);
		fs_unlock(n->mnt);
		FUZZ_CHECK(got >= -4095 && got <= (long)want, "read of %llu bytes gave %ld",
			   (unsigned long long)want, got);
		if (got <= 0)
			return;
		FUZZ_CHECK(off + (u64)got <= n->size, "read past the end: %llu + %ld of %llu",
			   (unsigned long long)off, got, (unsigned long long)n->size);
		off += (u64)got;
	}
}

static void walk(const struct fs_type *t, struct vnode *dir, int depth)
{
	char name[NAME_MAX + 1];
	u64 pos = 0;
	struct vnode *n;

	while (walked < MAX_NODES) {
		fs_lock(dir->mnt);
		memset(name, 0x55, sizeof(name));
		n = t->next(dir, &pos, name, sizeof(name));
		fs_unlock(dir->mnt);
		if (!n)
			return;
		walked++;
		FUZZ_CHECK(memchr(name, 0, sizeof(name)), "a name without its NUL");
		FUZZ_CHECK(name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, ".."),
			   "a directory entry named \"%s\"", name);
		if (S_ISREG(n->mode) || S_ISLNK(n->mode)) {
			read_all(t, n);
		} else if (S_ISDIR(n->mode) && depth < MAX_DEPTH) {
			walk(t, n, depth + 1);
		}
		fs_lock(dir->mnt);
		vn_put(t->lookup(dir, name));
		vn_put(n);
		fs_unlock(dir->mnt);
	}
}

/* Changes on a read-write mount: each may fail (a full or broken disk). */
static void change(const struct fs_type *t, struct vnode *root)
{
	static u8 data[10000];
	struct vnode *f = NULL, *d = NULL;

	memset(data, 'x', sizeof(data));
	fs_lock(root->mnt);
	if (t->create(root, "fuzz-file", S_IFREG | 0644, &f) == 0) {
		FUZZ_CHECK(t->write(f, 0, data, sizeof(data)) <= (long)sizeof(data), "write");
		t->write(f, 70000, data, 100);
		t->truncate(f, 5000);
		t->fsync(f);
		vn_put(f);
	}
	if (t->create(root, "fuzz-dir", S_IFDIR | 0755, &d) == 0) {
		t->rename(root, "fuzz-file", d, "moved", 0);
		t->unlink(d, "moved", false);
		vn_put(d);
		t->unlink(root, "fuzz-dir", true);
	}
	fs_unlock(root->mnt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fs_type *types[] = { &fs_fat, &fs_ext2, &fs_ext2, &fs_ext2 };
	struct blkdev dev;
	struct mount *m = NULL;
	const struct fs_type *t;
	u64 kib;
	int err, rw;

	if (size < HEAD)
		return 0;
	t = types[data[0] & 3];
	rw = (data[0] & 3) >= 2;
	memset(&dev, 0, sizeof(dev));
	dev.sector_size = data[0] & 4 ? 4096 : 512;
	kib = (u64)data[1] | (u64)data[2] << 8;
	disk_size = (kib * 1024 > size - HEAD ? kib * 1024 : size - HEAD) / dev.sector_size *
		    dev.sector_size;
	disk = calloc(1, disk_size ? disk_size : 1);
	FUZZ_CHECK(disk, "out of host memory");
	memcpy(disk, data + HEAD, size - HEAD < disk_size ? size - HEAD : disk_size);
	dev.sectors = disk_size / dev.sector_size;
	dev.max_io = 65536;
	dev.ro = !rw;
	snprintf(dev.name, sizeof(dev.name), "fuzz disk");
	writes_allowed = rw;
	nblocks = nodes = walked = 0;
	locked = 0;
	err = t->mount(&dev, rw, &m);
	if (err) {
		FUZZ_CHECK(err == -EINVAL || err == -EROFS || err == -EIO || err == -ENOMEM,
			   "mount failed with %d", err);
	} else {
		FUZZ_CHECK(m && m->root && S_ISDIR(m->root->mode), "a mount without a root");
		walk(t, m->root, 0);
		FUZZ_CHECK(nodes == 1, "%u nodes still held after the walk", nodes);
		if (rw)
			change(t, m->root);
		fs_lock(m);
		t->sync(m, true);
		fs_unlock(m);
		FUZZ_CHECK(!locked, "the volume's lock still taken");
	}
	while (nblocks)
		free(blocks[--nblocks]);
	free(disk);
	return 0;
}
