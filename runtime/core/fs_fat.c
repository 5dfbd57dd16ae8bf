/* fs_fat.c - FAT12, FAT16 and FAT32 volumes, read-only (fs.h), with long
 * (VFAT) names.
 *
 * The type follows from the number of clusters (Microsoft's FAT
 * specification: < 4085 FAT12, < 65525 FAT16, else FAT32).  Names are
 * the long names when an entry has a valid one (UCS-2, stored as UTF-8),
 * else the 8.3 name (lower-cased where the NT flags say so); lookups
 * ignore ASCII case, as Linux's vfat does.  Nodes: directories 0755,
 * files 0644 (0444 when read-only), owned by root, with the entry's
 * modification time; inode numbers are the byte position of the entry on
 * the disk (the root: 1).  Writing is refused: a FAT volume mounts ro.
 */
#include "byteorder.h"
#include "errno.h"
#include "fs.h"
#include "fs_bcache.h"
#include "kmem.h"
#include "mm.h"

#define ATTR_RO 0x01
#define ATTR_VOLUME 0x08
#define ATTR_DIR 0x10
#define ATTR_LFN 0x0f
#define NSEC 1000000000UL

struct fat {
	struct mount m;
	struct bcache bc; /* blocks of one sector */
	u32 sec, spc, clus_bytes, type; /* type: 12, 16 or 32 */
	u64 fat_start, root_start, root_entries, data_start, nclusters, root_clus;
};

/* A node: where its contents start. */
struct fat_node {
	u32 first; /* first cluster (0: none; the FAT12/16 root: its region) */
	bool root16; /* the fixed root directory of FAT12/16 */
	u32 cur_idx, cur_clus; /* a cursor into the chain, for sequential reads */
};

static struct fat *F(const struct vnode *n)
{
	return (struct fat *)n->mnt;
}

/* The FAT entry of cluster c: the next cluster, or 0 at the end (or on a
 * bad/free entry: the chain ends there). */
static u32 next_cluster(struct fat *fs, u32 c, int *err)
{
	u64 off = fs->type == 12 ? c + c / 2 : (u64)c * (fs->type / 8);
	u32 v;
	u8 two[4];

	*err = 0;
	for (u32 i = 0; i < (fs->type == 32 ? 4U : 2U); i++) {
		u64 byte = off + i;
		struct buf *b = bc_get(&fs->bc, fs->fat_start + byte / fs->sec, true, err);

		if (!b)
			return 0;
		two[i] = b->data[byte % fs->sec];
		bc_put(&fs->bc, b);
	}
	if (fs->type == 12) {
		v = le16(two);
		v = c & 1 ? v >> 4 : v & 0xfff;
		return v >= 2 && v < 0xff7 && v < fs->nclusters + 2 ? v : 0;
	}
	if (fs->type == 16) {
		v = le16(two);
		return v >= 2 && v < 0xfff7 && v < fs->nclusters + 2 ? v : 0;
	}
	v = le32(two) & 0x0fffffff;
	return v >= 2 && v < 0x0ffffff7 && v < fs->nclusters + 2 ? v : 0;
}

/* The disk byte of byte `off` of node n's contents, with *run bytes there
 * in a row (to the end of its cluster); 0 past the chain's end. */
static u64 locate(struct vnode *n, u64 off, u64 *run, int *err)
{
	struct fat *fs = F(n);
	struct fat_node *fn = n->priv;
	u32 idx = (u32)(off / fs->clus_bytes), c, i;

	*err = 0;
	if (fn->root16) {
		u64 size = fs->root_entries * 32;

		if (off >= size)
			return 0;
		*run = size - off;
		return fs->root_start * fs->sec + off;
	}
	if (!fn->first)
		return 0;
	if (fn->cur_clus && fn->cur_idx <= idx) {
		c = fn->cur_clus;
		i = fn->cur_idx;
	} else {
		c = fn->first;
		i = 0;
	}
	for (; i < idx && c; i++) {
		c = next_cluster(fs, c, err);
		if (i > fs->nclusters)
			c = 0; /* a loop in the chain */
	}
	if (!c || c >= fs->nclusters + 2)
		return 0;
	fn->cur_idx = idx;
	fn->cur_clus = c;
	*run = fs->clus_bytes - off % fs->clus_bytes;
	return (fs->data_start + (u64)(c - 2) * (fs->clus_bytes / fs->sec)) * fs->sec +
	       off % fs->clus_bytes;
}

/* Reads [off, off + len) of n's chain (directories: any length). */
static long chain_read(struct vnode *n, u64 off, void *dst, u64 len)
{
	struct fat *fs = F(n);
	u8 *d = dst;
	u64 done = 0;
	int err = 0;

	while (done < len) {
		u64 run, byte = locate(n, off + done, &run, &err), k;
		struct buf *b;

		if (!byte)
			break;
		k = MIN(MIN(run, len - done), fs->sec - byte % fs->sec);
		b = bc_get(&fs->bc, byte / fs->sec, true, &err);
		if (!b)
			break;
		memcpy(d + done, b->data + byte % fs->sec, k);
		bc_put(&fs->bc, b);
		done += k;
	}
	return done ? (long)done : err;
}

static long fat_read(struct vnode *n, u64 off, void *dst, u64 len)
{
	long r;

	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (off >= n->size)
		return 0;
	fs_lock(n->mnt);
	r = chain_read(n, off, dst, MIN(len, n->size - off));
	fs_unlock(n->mnt);
	return r;
}

/* One directory entry as found: its name, short entry and disk byte. */
struct fat_ent {
	char name[NAME_MAX + 1];
	u8 de[32];
	u64 byte;
};

static u8 lfn_sum(const u8 *short_name)
{
	u8 s = 0;

	for (int i = 0; i < 11; i++)
		s = (u8)(((s & 1) << 7) + (s >> 1) + short_name[i]);
	return s;
}

/* Appends the UTF-8 of UCS-2 c to out (at most size, keeping a NUL). */
static size_t put_utf8(char *out, size_t at, size_t size, u16 c)
{
	u8 b[3];
	size_t n;

	if (c < 0x80) {
		b[0] = (u8)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (u8)(0xc0 | c >> 6);
		b[1] = (u8)(0x80 | (c & 0x3f));
		n = 2;
	} else {
		b[0] = (u8)(0xe0 | c >> 12);
		b[1] = (u8)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (u8)(0x80 | (c & 0x3f));
		n = 3;
	}
	if (at + n >= size)
		return at;
	memcpy(out + at, b, n);
	return at + n;
}

static void short_name(const u8 *de, char *out)
{
	size_t n = 0;
	int lo_base = de[12] & 0x08, lo_ext = de[12] & 0x10;

	for (int i = 0; i < 8 && de[i] != ' '; i++) {
		char c = (char)(i == 0 && de[0] == 0x05 ? 0xe5 : de[i]);

		out[n++] = lo_base && c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	if (de[8] != ' ') {
		out[n++] = '.';
		for (int i = 8; i < 11 && de[i] != ' '; i++)
			out[n++] = lo_ext && de[i] >= 'A' && de[i] <= 'Z' ? (char)(de[i] + 32)
									  : (char)de[i];
	}
	out[n] = 0;
}

/* The entry after byte *pos (entries of 32 bytes; "." and "..", labels
 * and names with a '/' skipped): 1 with *e and *pos past it, 0 at the end, -errno. */
static int dir_next(struct vnode *dir, u64 *pos, struct fat_ent *e)
{
	u16 lfn[260];
	int lfn_seq = 0;
	u8 lfn_ck = 0;
	bool lfn_ok = false;

	for (;;) {
		u8 de[32];
		u64 run;
		int err;
		long r = chain_read(dir, *pos, de, 32);

		if (r < 0)
			return (int)r;
		if (r < 32 || de[0] == 0)
			return 0;
		e->byte = locate(dir, *pos, &run, &err);
		*pos += 32;
		if (de[0] == 0xe5) {
			lfn_ok = false;
			continue;
		}
		if ((de[11] & 0x3f) == ATTR_LFN) {
			int seq = de[0] & 0x1f;

			if (de[0] & 0x40) {
				memset(lfn, 0, sizeof(lfn));
				lfn_ok = seq >= 1 && seq <= 20;
				lfn_seq = seq;
				lfn_ck = de[13];
			} else if (!lfn_ok || seq != lfn_seq - 1 || de[13] != lfn_ck) {
				lfn_ok = false;
				continue;
			} else {
				lfn_seq = seq;
			}
			if (lfn_ok) {
				static const u8 at[13] = { 1,  3,  5,  7,  9,  14, 16,
							   18, 20, 22, 24, 28, 30 };

				for (int i = 0; i < 13; i++)
					lfn[(seq - 1) * 13 + i] = le16(de + at[i]);
			}
			continue;
		}
		if (de[11] & ATTR_VOLUME) {
			lfn_ok = false;
			continue;
		}
		memcpy(e->de, de, 32);
		if (lfn_ok && lfn_seq == 1 && lfn_ck == lfn_sum(de)) {
			size_t n = 0;

			for (int i = 0; i < 260 && lfn[i] && lfn[i] != 0xffff; i++)
				n = put_utf8(e->name, n, sizeof(e->name), lfn[i]);
			e->name[n] = 0;
		} else {
			short_name(de, e->name);
		}
		lfn_ok = false;
		/* a name no path can reach: skipped (fuzz_volume: a short name
		 * with a '/' of a hostile disk) */
		if (!strcmp(e->name, ".") || !strcmp(e->name, "..") || !e->name[0] ||
		    strchr(e->name, '/'))
			continue;
		return 1;
	}
}

static u64 fat_time(const u8 *de)
{
	u16 t = le16(de + 22), d = le16(de + 24);
	u32 y = 1980 + (d >> 9), m = (d >> 5) & 15, day = d & 31;
	u64 days;

	if (m < 1 || m > 12 || day < 1)
		return 0;
	/* days from the civil date (proleptic Gregorian), then seconds */
	y -= m <= 2;
	{
		u64 era = y / 400, yoe = y - era * 400;
		u64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
		u64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		days = era * 146097 + doe - 719468;
	}
	return (days * 86400 + (t >> 11) * 3600 + ((t >> 5) & 63) * 60 + (t & 31) * 2) * NSEC;
}

/* The node of entry e (held), or NULL. */
static struct vnode *node_of(struct fat *fs, struct vnode *dir, const struct fat_ent *e)
{
	const u8 *de = e->de;
	bool isdir = de[11] & ATTR_DIR;
	u32 first = le16(de + 26) | (fs->type == 32 ? (u32)le16(de + 20) << 16 : 0);
	struct fat_node *fn = kmalloc(sizeof(*fn));
	struct vnode *n;

	if (!fn)
		return NULL;
	n = vfs_fs_node(&fs->m,
			isdir ? S_IFDIR | 0755 : S_IFREG | ((de[11] & ATTR_RO) ? 0444 : 0644),
			e->byte + 2);
	if (!n) {
		kfree(fn, sizeof(*fn));
		return NULL;
	}
	fn->first = first >= 2 && first < fs->nclusters + 2 ? first : 0;
	n->priv = fn;
	n->nlink = isdir ? 2 : 1;
	n->size = isdir ? 0 : le32(de + 28);
	n->atime = n->mtime = n->ctime = fat_time(de);
	if (vfs_fs_name(n, dir, e->name)) {
		vn_put(n);
		return NULL;
	}
	return n;
}

static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return false;
	}
	return *a == *b;
}

static struct vnode *fat_lookup(struct vnode *dir, const char *name)
{
	struct fat *fs = F(dir);
	struct fat_ent *e = kscratch();
	struct vnode *n = NULL;
	u64 pos = 0;

	if (!e)
		return NULL;
	fs_lock(&fs->m);
	while (dir_next(dir, &pos, e) > 0) {
		if (same_name(e->name, name)) {
			n = node_of(fs, dir, e);
			break;
		}
	}
	fs_unlock(&fs->m);
	kscratch_free(e);
	return n;
}

static struct vnode *fat_next(struct vnode *dir, u64 *pos, char *name, size_t size)
{
	struct fat *fs = F(dir);
	struct fat_ent *e = kscratch();
	struct vnode *n = NULL;
	u64 p = *pos < 2 ? 0 : *pos - 2;

	if (!e)
		return NULL;
	fs_lock(&fs->m);
	if (dir_next(dir, &p, e) > 0) {
		n = node_of(fs, dir, e);
		strlcpy(name, e->name, size);
		*pos = p + 2;
	}
	fs_unlock(&fs->m);
	kscratch_free(e);
	return n;
}

static void fat_evict(struct vnode *n)
{
	kfree(n->priv, sizeof(struct fat_node));
	vfs_fs_free(n);
}

static int refuse(void)
{
	return -EROFS;
}

static int fat_create(struct vnode *dir, const char *name, u32 mode, struct vnode **out)
{
	*out = NULL;
	return refuse();
}

static int fat_link(struct vnode *dir, const char *name, struct vnode *n)
{
	return refuse();
}

static int fat_unlink(struct vnode *dir, const char *name, bool want_dir)
{
	return refuse();
}

static int fat_rename(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
		      unsigned flags)
{
	return refuse();
}

static long fat_write(struct vnode *n, u64 off, const void *src, u64 len)
{
	return refuse();
}

static int fat_truncate(struct vnode *n, u64 size)
{
	return refuse();
}

static int fat_fsync(struct vnode *n)
{
	return 0;
}

static int fat_sync(struct mount *m, bool clean)
{
	return 0;
}

static bool fat_named(const char *t)
{
	return !strcmp(t, "fat") || !strcmp(t, "vfat") || !strcmp(t, "msdos");
}

static int fat_mount(struct blkdev *d, bool rw, struct mount **out)
{
	u8 *bs = kscratch();
	struct fat *fs;
	struct fat_node *rn;
	u32 sec, spc, rsv, nfats, rootn, tot, fatsz;
	u64 root_secs, data_secs;
	int err;

	if (!bs)
		return -ENOMEM;
	err = blk_read(d, 0, bs, d->sector_size);
	if (err) {
		kscratch_free(bs);
		return -EIO;
	}
	sec = le16(bs + 11);
	spc = bs[13];
	rsv = le16(bs + 14);
	nfats = bs[16];
	rootn = le16(bs + 17);
	tot = le16(bs + 19) ? le16(bs + 19) : le32(bs + 32);
	fatsz = le16(bs + 22) ? le16(bs + 22) : le32(bs + 36);
	if (bs[510] != 0x55 || bs[511] != 0xaa || sec < 512 || sec > 4096 || (sec & (sec - 1)) ||
	    sec < d->sector_size || !spc || (spc & (spc - 1)) || !rsv || !nfats || nfats > 4 ||
	    !fatsz || !tot || (u64)tot * sec > d->sectors * d->sector_size) {
		kscratch_free(bs);
		return -EINVAL;
	}
	if (rw) {
		kscratch_free(bs);
		return -EROFS;
	}
	root_secs = ((u64)rootn * 32 + sec - 1) / sec;
	if ((u64)rsv + (u64)nfats * fatsz + root_secs >= tot) {
		kscratch_free(bs);
		return -EINVAL;
	}
	fs = phys_to_virt(frames_alloc_contig(1));
	if ((void *)fs == phys_to_virt(0)) {
		kscratch_free(bs);
		return -ENOMEM;
	}
	fs->sec = sec;
	fs->spc = spc;
	fs->clus_bytes = sec * spc;
	fs->fat_start = rsv;
	fs->root_start = rsv + (u64)nfats * fatsz;
	fs->root_entries = rootn;
	fs->data_start = fs->root_start + root_secs;
	data_secs = tot - fs->data_start;
	fs->nclusters = data_secs / spc;
	fs->type = fs->nclusters < 4085 ? 12 : fs->nclusters < 65525 ? 16 : 32;
	fs->root_clus = fs->type == 32 ? le32(bs + 44) : 0;
	kscratch_free(bs);
	if ((fs->type == 32) != (rootn == 0) ||
	    (u64)fatsz * sec * 8 < (fs->nclusters + 2) * (fs->type == 12 ? 12 : fs->type))
		return -EINVAL;
	err = bc_init(&fs->bc, d, sec);
	if (err)
		return err;
	fs->m.type = &fs_fat;
	fs->m.dev = d;
	fs->m.rw = false;
	fs->m.priv = fs;
	rn = kmalloc(sizeof(*rn));
	fs->m.root = rn ? vfs_fs_node(&fs->m, S_IFDIR | 0755, 1) : NULL;
	if (!fs->m.root)
		return -ENOMEM;
	rn->root16 = fs->type != 32;
	rn->first = fs->type == 32 ? (u32)fs->root_clus : 0;
	fs->m.root->priv = rn;
	fs->m.root->nlink = 2;
	*out = &fs->m;
	return 0;
}

static void fat_statfs(struct mount *m, struct fs_stat *st)
{
	struct fat *fs = (struct fat *)m;

	st->magic = 0x4d44; /* MSDOS_SUPER_MAGIC */
	st->bsize = fs->clus_bytes;
	st->blocks = fs->nclusters;
	/* free clusters are not counted (read-only: nothing can be written) */
}

const struct fs_type fs_fat = {
	.name = "fat",
	.named = fat_named,
	.mount = fat_mount,
	.sync = fat_sync,
	.lookup = fat_lookup,
	.next = fat_next,
	.create = fat_create,
	.link = fat_link,
	.unlink = fat_unlink,
	.rename = fat_rename,
	.read = fat_read,
	.write = fat_write,
	.truncate = fat_truncate,
	.fsync = fat_fsync,
	.statfs = fat_statfs,
	.evict = fat_evict,
};
