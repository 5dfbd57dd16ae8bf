/* fs_ext2.c - ext2/ext4 (fs_ext2.h): mounting, the groups and their
 * bitmaps, inodes, block maps (direct and indirect blocks; ext4 extents
 * for reading) and writing everything back.
 *
 * rw needs an ext2 feature set (filetype, sparse_super, large_file; any
 * compat feature but a journal): ext3/ext4 volumes, and any with a journal
 * or needing recovery, mount read-only only (no journal replay).  While
 * mounted rw the superblock says "not clean"; the last sync (exit) writes
 * every group's counts, the superblock and every dirty block, then marks
 * it clean.  One volume operation runs at a time (a lock that disk waits
 * may hold while other threads run).
 */
#include "byteorder.h"
#include "errno.h"
#include "fs_ext2.h"
#include "kmem.h"

#define NSEC 1000000000UL

/* --- the lock ---------------------------------------------------------- */

void e2_lock(struct e2fs *fs)
{
	fs_lock(&fs->m);
}

void e2_unlock(struct e2fs *fs)
{
	fs_unlock(&fs->m);
}

/* --- groups and bitmaps -------------------------------------------------- */

static u32 group_blocks(struct e2fs *fs, u32 g)
{
	u64 start = fs->first_data_block + (u64)g * fs->blocks_per_group;

	return (u32)MIN((u64)fs->blocks_per_group, fs->nblocks - start);
}

/* Finds and sets a clear bit of the bitmap in block bm among nbits,
 * starting at `start` and wrapping: its index, or -1 (-2: I/O error). */
static s64 bitmap_take(struct e2fs *fs, u64 bm, u32 nbits, u32 start)
{
	int err;
	struct buf *b = bc_get(&fs->bc, bm, true, &err);

	if (!b)
		return -2;
	for (u32 k = 0; k < nbits; k++) {
		u32 i = (start + k) % nbits;

		if ((i & 7) == 0 && b->data[i >> 3] == 0xff && i + 8 <= nbits) {
			k += 7; /* a full byte: skip it (the loop adds the 8th) */
			continue;
		}
		if (!(b->data[i >> 3] & (1u << (i & 7)))) {
			b->data[i >> 3] |= (u8)(1u << (i & 7));
			bc_dirty(b);
			bc_put(&fs->bc, b);
			return i;
		}
	}
	bc_put(&fs->bc, b);
	return -1;
}

static void bitmap_clear(struct e2fs *fs, u64 bm, u32 i)
{
	int err;
	struct buf *b = bc_get(&fs->bc, bm, true, &err);

	if (!b)
		return;
	b->data[i >> 3] &= (u8) ~(1u << (i & 7));
	bc_dirty(b);
	bc_put(&fs->bc, b);
}

/* A free block, near goal: its number, or -ENOSPC / -EIO. */
static s64 balloc(struct e2fs *fs, u64 goal)
{
	u32 g0 = 0, off0 = 0;

	if (goal >= fs->first_data_block && goal < fs->nblocks) {
		g0 = (u32)((goal - fs->first_data_block) / fs->blocks_per_group);
		off0 = (u32)((goal - fs->first_data_block) % fs->blocks_per_group);
	}
	for (u32 k = 0; k < fs->ngroups; k++) {
		u32 g = (g0 + k) % fs->ngroups;
		struct e2_group *gr = &fs->groups[g];
		s64 i;

		if (!gr->free_blocks)
			continue;
		i = bitmap_take(fs, gr->block_bitmap, group_blocks(fs, g), k ? 0 : off0);
		if (i == -2)
			return -EIO;
		if (i < 0)
			continue;
		gr->free_blocks--;
		fs->dirty_meta = true;
		return (s64)(fs->first_data_block + (u64)g * fs->blocks_per_group + (u64)i);
	}
	return -ENOSPC;
}

static void bfree(struct e2fs *fs, u64 blk)
{
	u32 g;

	if (blk < fs->first_data_block || blk >= fs->nblocks)
		return; /* a corrupt map: leave it */
	g = (u32)((blk - fs->first_data_block) / fs->blocks_per_group);
	bitmap_clear(fs, fs->groups[g].block_bitmap,
		     (u32)((blk - fs->first_data_block) % fs->blocks_per_group));
	fs->groups[g].free_blocks++;
	fs->dirty_meta = true;
	bc_forget(&fs->bc, blk);
}

/* --- inodes ------------------------------------------------------------ */

static struct e2_inode **islot(struct e2fs *fs, u32 ino)
{
	return &fs->icache[ino % (sizeof(fs->icache) / sizeof(fs->icache[0]))];
}

/* The buffer holding inode ino's slot and the slot's offset in it. */
static struct buf *inode_buf(struct e2fs *fs, u32 ino, u32 *at, int *err)
{
	u32 g = (ino - 1) / fs->inodes_per_group, idx = (ino - 1) % fs->inodes_per_group;
	u64 byte = (u64)idx * fs->inode_size;
	u64 blk = fs->groups[g].inode_table + byte / fs->bsize;

	*at = (u32)(byte % fs->bsize);
	if (blk >= fs->nblocks) {
		*err = -EIO;
		return NULL;
	}
	return bc_get(&fs->bc, blk, true, err);
}

static u64 ts_of(const u8 *raw, u32 extra, u32 off_sec, u32 off_extra)
{
	u64 sec = le32(raw + off_sec), ns = 0;

	if (extra >= off_extra + 4 - 128) {
		u32 x = le32(raw + off_extra);

		sec += (u64)(x & 3) << 32;
		ns = MIN((u64)(x >> 2), NSEC - 1);
	}
	return sec * NSEC + ns;
}

static void ts_put(u8 *raw, u32 extra, u32 off_sec, u32 off_extra, u64 t)
{
	u64 sec = t / NSEC;

	put32(raw + off_sec, (u32)sec);
	if (extra >= off_extra + 4 - 128)
		put32(raw + off_extra, (u32)((t % NSEC) << 2 | ((sec >> 32) & 3)));
}

struct vnode *e2_iget(struct e2fs *fs, u32 ino, int *err)
{
	struct e2_inode *ei;
	struct vnode *n;
	struct buf *b;
	const u8 *raw;
	const struct e2_dinode *di;
	u32 at, extra = 0;

	if (!ino || ino > fs->ninodes) {
		*err = -EIO;
		return NULL;
	}
	for (ei = *islot(fs, ino); ei; ei = ei->hnext) {
		if (ei->ino == ino) {
			vn_hold(ei->vn);
			return ei->vn;
		}
	}
	b = inode_buf(fs, ino, &at, err);
	if (!b)
		return NULL;
	raw = b->data + at;
	di = (const struct e2_dinode *)raw;
	if (!di->mode || !di->links ||
	    (S_ISREG(di->mode) && (di->size_lo | (u64)di->size_hi << 32) > e2_max_size(fs))) {
		bc_put(&fs->bc, b);
		*err = -EIO; /* an entry names a free inode, or a size no map allows: corrupt */
		return NULL;
	}
	ei = kmalloc(sizeof(*ei));
	n = ei ? vfs_fs_node(&fs->m, di->mode, ino) : NULL;
	if (!n) {
		kfree(ei, sizeof(*ei));
		bc_put(&fs->bc, b);
		*err = -ENOMEM;
		return NULL;
	}
	if (fs->inode_size > 128)
		extra = MIN((u32)le16(raw + 128), fs->inode_size - 128);
	n->uid = di->uid | (u32)di->uid_hi << 16;
	n->gid = di->gid | (u32)di->gid_hi << 16;
	n->size = di->size_lo | (S_ISREG(di->mode) ? (u64)di->size_hi << 32 : 0);
	n->nlink = di->links;
	n->atime = ts_of(raw, extra, 8, 140);
	n->ctime = ts_of(raw, extra, 12, 132);
	n->mtime = ts_of(raw, extra, 16, 136);
	if ((di->mode & S_IFMT) == S_IFCHR || (di->mode & S_IFMT) == S_IFBLK) {
		u32 old = di->block[0], nw = di->block[1];

		n->rdev = old ? (old >> 8 & 0xff) << 8 | (old & 0xff)
			      : ((nw >> 8) & 0xfff) << 8 | (nw & 0xff);
	}
	ei->vn = n;
	ei->ino = ino;
	ei->flags = di->flags;
	memcpy(ei->block, di->block, sizeof(ei->block));
	ei->blocks512 = di->blocks_lo | (u64)di->blocks_hi << 32;
	ei->file_acl = di->file_acl_lo | (u64)di->file_acl_hi << 32;
	n->priv = ei;
	ei->hnext = *islot(fs, ino);
	*islot(fs, ino) = ei;
	bc_put(&fs->bc, b);
	return n;
}

int e2_iput_disk(struct vnode *n)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n);
	struct e2_dinode d;
	struct buf *b;
	u8 *raw, old[256];
	u32 at, extra = 0, cmp;
	int err;

	if (!n->mnt->rw)
		return 0;
	b = inode_buf(fs, ei->ino, &at, &err);
	if (!b)
		return err;
	raw = b->data + at;
	cmp = MIN(fs->inode_size, (u32)sizeof(old));
	memcpy(old, raw, cmp);
	memcpy(&d, raw, sizeof(d));
	if (fs->inode_size > 128)
		extra = MIN((u32)le16(raw + 128), fs->inode_size - 128);
	d.mode = (u16)n->mode;
	d.uid = (u16)n->uid;
	d.uid_hi = (u16)(n->uid >> 16);
	d.gid = (u16)n->gid;
	d.gid_hi = (u16)(n->gid >> 16);
	d.size_lo = (u32)n->size;
	if (S_ISREG(n->mode))
		d.size_hi = (u32)(n->size >> 32);
	d.links = (u16)MIN(n->nlink, 65000U);
	d.flags = ei->flags;
	memcpy(d.block, ei->block, sizeof(d.block));
	d.blocks_lo = (u32)ei->blocks512;
	d.blocks_hi = (u16)(ei->blocks512 >> 32);
	d.file_acl_lo = (u32)ei->file_acl;
	d.file_acl_hi = (u16)(ei->file_acl >> 32);
	memcpy(raw, &d, sizeof(d));
	ts_put(raw, extra, 8, 140, n->atime);
	ts_put(raw, extra, 12, 132, n->ctime);
	ts_put(raw, extra, 16, 136, n->mtime);
	if (memcmp(old, raw, cmp))
		bc_dirty(b);
	bc_put(&fs->bc, b);
	return 0;
}

struct vnode *e2_ialloc(struct e2fs *fs, struct vnode *dir, u32 mode, int *err)
{
	u32 g0 = (EI(dir)->ino - 1) / fs->inodes_per_group, best = g0;
	struct vnode *n;
	struct buf *b;
	u32 at;

	if (S_ISDIR(mode)) { /* spread directories: the group with most free inodes */
		for (u32 g = 0; g < fs->ngroups; g++) {
			if (fs->groups[g].free_inodes > fs->groups[best].free_inodes)
				best = g;
		}
	}
	for (u32 k = 0; k < fs->ngroups; k++) {
		u32 g = (best + k) % fs->ngroups;
		struct e2_group *gr = &fs->groups[g];
		s64 i;
		u32 ino;
		u8 *raw;

		if (!gr->free_inodes)
			continue;
		i = bitmap_take(fs, gr->inode_bitmap, fs->inodes_per_group, 0);
		if (i == -2) {
			*err = -EIO;
			return NULL;
		}
		if (i < 0)
			continue;
		ino = g * fs->inodes_per_group + (u32)i + 1;
		if (ino < fs->first_ino || ino > fs->ninodes) {
			/* a reserved inode left clear in a bad bitmap: keep it taken */
			continue;
		}
		gr->free_inodes--;
		if (S_ISDIR(mode))
			gr->used_dirs++;
		fs->dirty_meta = true;
		/* a fresh on-disk inode: zeroed, with this mode and one link */
		b = inode_buf(fs, ino, &at, err);
		if (!b)
			return NULL;
		raw = b->data + at;
		memset(raw, 0, fs->inode_size);
		put16(raw, (u16)mode);
		put16(raw + 26, 1);
		if (fs->inode_size > 128)
			put16(raw + 128, fs->extra_isize);
		bc_dirty(b);
		bc_put(&fs->bc, b);
		n = e2_iget(fs, ino, err);
		if (!n)
			return NULL;
		n->nlink = 0; /* the caller names it */
		n->atime = n->mtime = n->ctime = vfs_now();
		EI(n)->last_blk = (u32)(fs->first_data_block + (u64)g * fs->blocks_per_group);
		return n;
	}
	*err = -ENOSPC;
	return NULL;
}

static bool fast_symlink(struct vnode *n)
{
	struct e2_inode *ei = EI(n);
	u64 acl = ei->file_acl ? E2(n)->bsize / 512 : 0;

	return S_ISLNK(n->mode) && ei->blocks512 == acl && !(ei->flags & E2_EXTENTS_FL);
}

/* Does n's block[] hold block numbers? */
static bool has_blocks(struct vnode *n)
{
	u32 t = n->mode & S_IFMT;

	return (t == S_IFREG || t == S_IFDIR || t == S_IFLNK) && !fast_symlink(n) &&
	       !(EI(n)->flags & E2_INLINE_DATA_FL);
}

void e2_ifree(struct vnode *n)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n);
	u32 g = (ei->ino - 1) / fs->inodes_per_group, at;
	struct buf *b;
	int err;

	if (has_blocks(n))
		e2_truncate_blocks(n, 0);
	if (ei->file_acl) { /* the extended-attribute block: one reference less */
		b = bc_get(&fs->bc, ei->file_acl, true, &err);
		if (b) {
			u32 refs = le32(b->data + 4);

			if (refs > 1) {
				put32(b->data + 4, refs - 1);
				bc_dirty(b);
				bc_put(&fs->bc, b);
			} else {
				bc_put(&fs->bc, b);
				bfree(fs, ei->file_acl);
			}
		}
		ei->blocks512 = 0;
		ei->file_acl = 0;
	}
	bitmap_clear(fs, fs->groups[g].inode_bitmap, (ei->ino - 1) % fs->inodes_per_group);
	fs->groups[g].free_inodes++;
	if (S_ISDIR(n->mode))
		fs->groups[g].used_dirs--;
	fs->dirty_meta = true;
	n->nlink = 0;
	n->size = 0;
	memset(ei->block, 0, sizeof(ei->block));
	e2_iput_disk(n);
	b = inode_buf(fs, ei->ino, &at, &err);
	if (b) {
		put32(b->data + at + 20, (u32)(vfs_now() / NSEC)); /* i_dtime */
		bc_dirty(b);
		bc_put(&fs->bc, b);
	}
}

/* --- block maps ---------------------------------------------------------- */

/* ext4 extents (read): the disk block of fblk, 0 for a hole, or -EIO. */
static s64 extent_map(struct e2fs *fs, struct e2_inode *ei, u64 fblk)
{
	const u8 *node = (const u8 *)ei->block;
	u32 room = sizeof(ei->block);
	struct buf *b = NULL;
	s64 r = 0;

	for (int level = 0; level < 6; level++) {
		u16 n = le16(node + 2), depth = le16(node + 6);
		const u8 *hit = NULL;

		if (le16(node) != 0xf30a || 12 + (u32)n * 12 > room)
			break;
		for (u16 i = 0; i < n; i++) {
			const u8 *e = node + 12 + i * 12;

			if (le32(e) > fblk)
				break;
			hit = e;
		}
		if (!depth) {
			if (hit) {
				u32 first = le32(hit), len = le16(hit + 4);
				u64 start = le32(hit + 8) | (u64)le16(hit + 6) << 32;

				/* an unwritten extent (len > 32768) reads as zeros */
				if (len <= 32768 && fblk < (u64)first + len)
					r = (s64)(start + (fblk - first));
			}
			bc_put(&fs->bc, b);
			return r;
		}
		if (!hit)
			break;
		{
			u64 child = le32(hit + 4) | (u64)le16(hit + 8) << 32;
			int err;
			struct buf *nb;

			if (child >= fs->nblocks)
				break;
			nb = bc_get(&fs->bc, child, true, &err);
			bc_put(&fs->bc, b);
			b = nb;
			if (!b)
				return -EIO;
			node = b->data;
			room = fs->bsize;
		}
	}
	bc_put(&fs->bc, b);
	return -EIO;
}

/* A new block for n (near its last one): zeroed in the cache when `map`
 * (a map block) else left for the caller; counted in i_blocks. */
static s64 new_block(struct vnode *n, bool map)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n);
	s64 blk = balloc(fs, ei->last_blk ? ei->last_blk + 1 : 0);

	if (blk < 0)
		return blk;
	ei->last_blk = (u32)blk;
	ei->blocks512 += fs->bsize / 512;
	if (map) {
		int err;
		struct buf *b = bc_get(&fs->bc, (u64)blk, false, &err);

		if (!b) {
			bfree(fs, (u64)blk);
			ei->blocks512 -= fs->bsize / 512;
			return err;
		}
		bc_dirty(b);
		bc_put(&fs->bc, b);
	}
	return blk;
}

u64 e2_max_size(struct e2fs *fs)
{
	u64 p = fs->ptrs, blocks = E2_NDIR + p + p * p + p * p * p;

	return MIN(blocks * fs->bsize, (u64)0x7fffffffffffUL);
}

s64 e2_bmap(struct vnode *n, u64 fblk, bool alloc, bool zero)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n);
	u64 p = fs->ptrs, idx[3];
	u32 *slot;
	int depth;
	struct buf *b = NULL;

	if (ei->flags & E2_EXTENTS_FL)
		return alloc ? -EROFS : extent_map(fs, ei, fblk);
	if (fblk < E2_NDIR) {
		slot = &ei->block[fblk];
		depth = 0;
	} else if ((fblk -= E2_NDIR) < p) {
		slot = &ei->block[E2_IND];
		depth = 1;
		idx[0] = fblk;
	} else if ((fblk -= p) < p * p) {
		slot = &ei->block[E2_DIND];
		depth = 2;
		idx[0] = fblk / p;
		idx[1] = fblk % p;
	} else if ((fblk -= p * p) < p * p * p) {
		slot = &ei->block[E2_TIND];
		depth = 3;
		idx[0] = fblk / (p * p);
		idx[1] = fblk / p % p;
		idx[2] = fblk % p;
	} else {
		return -EFBIG;
	}
	for (int level = 0;; level++) {
		u32 blk = *slot;
		int err;

		if (!blk) {
			s64 nb;

			if (!alloc) {
				bc_put(&fs->bc, b);
				return 0;
			}
			nb = new_block(n, level < depth || zero);
			if (nb < 0) {
				bc_put(&fs->bc, b);
				return nb;
			}
			*slot = (u32)nb;
			blk = (u32)nb;
			if (b)
				bc_dirty(b);
		}
		if (level == depth) {
			bc_put(&fs->bc, b);
			return blk < fs->nblocks ? (s64)blk : -EIO;
		}
		if (blk >= fs->nblocks) {
			bc_put(&fs->bc, b);
			return -EIO;
		}
		bc_put(&fs->bc, b);
		b = bc_get(&fs->bc, blk, true, &err);
		if (!b)
			return err;
		slot = (u32 *)b->data + idx[level];
	}
}

/* Frees what *slot points to: a block at `depth` (0: data) mapping file
 * blocks [base, base + p^depth), those from `from` on. */
static void free_tree(struct vnode *n, u32 *slot, int depth, u64 base, u64 from)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n);
	u64 span = 1;
	struct buf *b;
	int err;

	if (!*slot || *slot >= fs->nblocks)
		return;
	for (int i = 1; i < depth; i++)
		span *= fs->ptrs;
	if (depth) {
		b = bc_get(&fs->bc, *slot, true, &err);
		if (!b)
			return;
		for (u32 i = 0; i < fs->ptrs; i++) {
			u32 *s = (u32 *)b->data + i;

			if (base + (i + 1) * span > from && *s) {
				free_tree(n, s, depth - 1, base + i * span, from);
				bc_dirty(b);
			}
		}
		bc_put(&fs->bc, b);
		if (base < from)
			return; /* it still maps blocks before `from` */
	}
	bfree(fs, *slot);
	ei->blocks512 -= MIN(ei->blocks512, (u64)fs->bsize / 512);
	*slot = 0;
}

int e2_truncate_blocks(struct vnode *n, u64 from)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n);
	u64 p = fs->ptrs;

	if (ei->flags & E2_EXTENTS_FL)
		return -EROFS;
	for (u32 i = (u32)MIN(from, (u64)E2_NDIR); i < E2_NDIR; i++)
		free_tree(n, &ei->block[i], 0, i, from);
	free_tree(n, &ei->block[E2_IND], 1, E2_NDIR, from);
	free_tree(n, &ei->block[E2_DIND], 2, E2_NDIR + p, from);
	free_tree(n, &ei->block[E2_TIND], 3, E2_NDIR + p + p * p, from);
	return 0;
}
