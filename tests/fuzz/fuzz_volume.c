/* fuzz_volume.c - the runtime's readers of a volume's file system: ext2/ext4
 * (runtime/core/fs_ext2*.c) and FAT12/16/32 (fs_fat.c), with their block
 * cache (fs_bcache.c), built for the host.  A volume is the user's disk
 * image: hostile input the guest mounts at boot.
 *
 * With them: blk.c (the disk's range checks) and vfs_fs.c (their vnodes).
 * The rest of the runtime is shims below: the disk driver (a heap block of
 * exactly the disk's size), frames and kmalloc (host memory, every block
 * of one input freed after it: a failed mount keeps its frames in the
 * runtime, as the boot ends), and the vnode holds of vfs.c.
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
 *   - a mount that fails says why (-EINVAL, -EROFS, -EOPNOTSUPP, -EIO,
 *     -ENOMEM: the errors volume.c names);
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
#include "../../runtime/platform/platform.h"
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

/* the runtime's lines are formatted (their arguments must match) and dropped */
void kprintf(const char *fmt, ...)
{
	static FILE *null;
	va_list ap;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	va_start(ap, fmt);
	vfprintf(null, fmt, ap);
	va_end(ap);
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	return (size_t)snprintf(dst, size, "%s", src); /* glibc 2.36 has none */
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

void vfs_count_add(int delta)
{
	nodes += (unsigned)delta;
}

/* the disk (blk.c checks the range, as in the runtime) */
static int disk_rw(struct blkdev *d, bool write, u64 sector, void *buf, u64 len)
{
	u8 *at = disk + sector * d->sector_size;

	FUZZ_CHECK(len && !(len % d->sector_size) && len <= d->max_io, "a disk transfer of %llu",
		   (unsigned long long)len);
	FUZZ_CHECK(!write || writes_allowed, "a read-only mount writes %llu bytes at sector %llu",
		   (unsigned long long)len, (unsigned long long)sector);
	memmove(write ? at : buf, write ? buf : at, len);
	return 0;
}

static const struct blk_ops disk_ops = { .rw = disk_rw };
const struct platform_ops *platform; /* blk_probe() is not called */

void panic(const char *fmt, ...)
{
	FUZZ_CHECK(0, "the runtime panics: %s", fmt);
}

u64 arch_lookup_page(u64 va)
{
	return va;
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
	dev.ops = &disk_ops;
	snprintf(dev.name, sizeof(dev.name), "fuzz disk");
	writes_allowed = rw;
	nblocks = nodes = walked = 0;
	locked = 0;
	err = t->mount(&dev, rw, &m);
	if (err) {
		FUZZ_CHECK(err == -EINVAL || err == -EROFS || err == -EOPNOTSUPP || err == -EIO ||
			       err == -ENOMEM,
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
