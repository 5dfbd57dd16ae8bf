/* fs_ext2_mount.c - mounting an ext2/ext4 volume and writing it back
 * (fs_ext2.h): the superblock and group descriptors. */
#include "byteorder.h"
#include "errno.h"
#include "fs_ext2.h"
#include "kmem.h"
#include "mm.h"

#define SB_OFF 1024
#define NSEC 1000000000UL

/* The block holding the superblock and its offset there. */
static u64 sb_block(const struct e2fs *fs, u32 *off)
{
	*off = fs->bsize == 1024 ? 0 : SB_OFF;
	return fs->bsize == 1024 ? 1 : 0;
}

/* Checks the superblock sb; fills fs's geometry.  0, -EINVAL (not ext2),
 * -EROFS (rw not possible), -EOPNOTSUPP (features we cannot read). */
static int geometry(struct e2fs *fs, const u8 *sb, bool rw, u32 sector)
{
	u32 log = le32(sb + 24), rev = le32(sb + 76);

	if (le16(sb + 56) != E2_MAGIC || log > 2)
		return -EINVAL;
	fs->log_bsize = log;
	fs->bsize = 1024u << log;
	fs->ptrs = fs->bsize / 4;
	fs->ninodes = le32(sb);
	fs->first_data_block = le32(sb + 20);
	fs->blocks_per_group = le32(sb + 32);
	fs->inodes_per_group = le32(sb + 40);
	fs->inode_size = rev ? le16(sb + 88) : 128;
	fs->first_ino = rev ? le32(sb + 84) : 11;
	fs->feat_compat = rev ? le32(sb + 92) : 0;
	fs->feat_incompat = rev ? le32(sb + 96) : 0;
	fs->feat_ro_compat = rev ? le32(sb + 100) : 0;
	fs->nblocks = le32(sb + 4);
	fs->desc_size = 32;
	if (fs->feat_incompat & E2_INCOMPAT_64BIT) {
		fs->nblocks |= (u64)le32(sb + 336) << 32;
		fs->desc_size = le16(sb + 254);
	}
	if (fs->bsize < sector || !fs->blocks_per_group || fs->blocks_per_group > fs->bsize * 8 ||
	    !fs->inodes_per_group || fs->inodes_per_group > fs->bsize * 8 || fs->inode_size < 128 ||
	    fs->inode_size > fs->bsize || (fs->inode_size & (fs->inode_size - 1)) ||
	    fs->desc_size < 32 || fs->desc_size > 1024 || fs->first_data_block >= fs->nblocks ||
	    fs->first_ino < 11)
		return -EINVAL;
	fs->ngroups = (u32)((fs->nblocks - fs->first_data_block + fs->blocks_per_group - 1) /
			    fs->blocks_per_group);
	if ((u64)fs->ngroups * fs->inodes_per_group < fs->ninodes)
		return -EINVAL;
	if (fs->feat_incompat & ~(u32)E2_INCOMPAT_READ)
		return -EOPNOTSUPP;
	if (rw && ((fs->feat_incompat & ~(u32)E2_INCOMPAT_WRITE) ||
		   (fs->feat_ro_compat & ~(u32)E2_RO_COMPAT_WRITE) ||
		   (fs->feat_compat & E2_COMPAT_HAS_JOURNAL)))
		return -EROFS;
	fs->extra_isize = fs->inode_size >= 160 ? 32 : 0;
	fs->gdt_block = fs->first_data_block + 1;
	return 0;
}

static int read_groups(struct e2fs *fs)
{
	size_t gsize = sizeof(struct e2_group) * fs->ngroups;
	u64 pages = (gsize + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 pa = frames_alloc_contig(pages);
	int err;

	if (!pa)
		return -ENOMEM;
	fs->groups = phys_to_virt(pa);
	for (u32 g = 0; g < fs->ngroups; g++) {
		u64 byte = (u64)g * fs->desc_size;
		struct buf *b = bc_get(&fs->bc, fs->gdt_block + byte / fs->bsize, true, &err);
		const u8 *d;
		struct e2_group *gr = &fs->groups[g];

		if (!b)
			return err;
		d = b->data + byte % fs->bsize;
		gr->block_bitmap = le32(d);
		gr->inode_bitmap = le32(d + 4);
		gr->inode_table = le32(d + 8);
		gr->free_blocks = le16(d + 12);
		gr->free_inodes = le16(d + 14);
		gr->used_dirs = le16(d + 16);
		gr->flags = le16(d + 18);
		if (fs->desc_size >= 64) {
			gr->block_bitmap |= (u64)le32(d + 32) << 32;
			gr->inode_bitmap |= (u64)le32(d + 36) << 32;
			gr->inode_table |= (u64)le32(d + 40) << 32;
			gr->free_blocks |= (u32)le16(d + 44) << 16;
			gr->free_inodes |= (u32)le16(d + 46) << 16;
			gr->used_dirs |= (u32)le16(d + 48) << 16;
		}
		bc_put(&fs->bc, b);
		if (gr->block_bitmap >= fs->nblocks || gr->inode_bitmap >= fs->nblocks ||
		    gr->inode_table >= fs->nblocks ||
		    gr->inode_table + ((u64)fs->inodes_per_group * fs->inode_size) / fs->bsize >
			fs->nblocks)
			return -EINVAL;
	}
	return 0;
}

/* Writes the groups' counts and the superblock into the cache. */
static int write_meta(struct e2fs *fs, bool clean)
{
	u64 free_b = 0, free_i = 0;
	u32 off;
	struct buf *b;
	int err;

	for (u32 g = 0; g < fs->ngroups; g++) {
		u64 byte = (u64)g * fs->desc_size;
		struct e2_group *gr = &fs->groups[g];
		u8 *d;

		b = bc_get(&fs->bc, fs->gdt_block + byte / fs->bsize, true, &err);
		if (!b)
			return err;
		d = b->data + byte % fs->bsize;
		put16(d + 12, (u16)gr->free_blocks);
		put16(d + 14, (u16)gr->free_inodes);
		put16(d + 16, (u16)gr->used_dirs);
		bc_dirty(b);
		bc_put(&fs->bc, b);
		free_b += gr->free_blocks;
		free_i += gr->free_inodes;
	}
	put32(fs->sb + 12, (u32)free_b);
	put32(fs->sb + 16, (u32)free_i);
	put32(fs->sb + 48, (u32)(vfs_now() / NSEC)); /* s_wtime */
	put16(fs->sb + 58,
	      (u16)(clean ? le16(fs->sb + 58) | E2_VALID_FS : le16(fs->sb + 58) & ~E2_VALID_FS));
	b = bc_get(&fs->bc, sb_block(fs, &off), true, &err);
	if (!b)
		return err;
	memcpy(b->data + off, fs->sb, sizeof(fs->sb));
	bc_dirty(b);
	bc_put(&fs->bc, b);
	fs->dirty_meta = false;
	return 0;
}

int e2_sync(struct e2fs *fs, bool clean)
{
	int err = 0;

	if (!fs->m.rw)
		return 0;
	/* every cached inode's fields, then the counts and the blocks */
	for (size_t h = 0; h < sizeof(fs->icache) / sizeof(fs->icache[0]); h++) {
		for (struct e2_inode *ei = fs->icache[h]; ei; ei = ei->hnext) {
			if (e2_iput_disk(ei->vn))
				err = -EIO;
		}
	}
	if (write_meta(fs, clean))
		err = -EIO;
	if (bc_sync(&fs->bc))
		err = -EIO;
	if (blk_flush(fs->m.dev))
		err = -EIO;
	return err;
}

int e2_mount_dev(struct blkdev *d, bool rw, const struct fs_type *type, struct mount **out)
{
	struct e2fs *fs;
	u8 *sec = kscratch();
	u32 ss = d->sector_size;
	int err;

	if (!sec)
		return -ENOMEM;
	/* the superblock: bytes [1024, 2048) */
	err = d->sectors * ss < 2048 ? -EINVAL
				     : blk_read(d, 0, sec, MIN(4096U, (u32)(d->sectors * ss)));
	if (err) {
		kscratch_free(sec);
		return err == -EINVAL ? err : -EIO;
	}
	fs = (struct e2fs *)phys_to_virt(
	    frames_alloc_contig((sizeof(struct e2fs) + PAGE_SIZE - 1) / PAGE_SIZE));
	if (fs == phys_to_virt(0)) {
		kscratch_free(sec);
		return -ENOMEM;
	}
	memcpy(fs->sb, sec + SB_OFF, sizeof(fs->sb));
	kscratch_free(sec);
	err = geometry(fs, fs->sb, rw, ss);
	if (!err && fs->nblocks * fs->bsize > d->sectors * ss)
		err = -EINVAL; /* larger than the disk */
	if (!err)
		err = bc_init(&fs->bc, d, fs->bsize);
	if (!err)
		err = read_groups(fs);
	if (err)
		return err; /* the frames stay: a failed mount ends the boot */
	fs->m.type = type;
	fs->m.dev = d;
	fs->m.rw = rw;
	fs->m.priv = fs;
	fs->m.root = e2_iget(fs, E2_ROOT_INO, &err);
	if (!fs->m.root)
		return err;
	if (!S_ISDIR(fs->m.root->mode))
		return -EINVAL;
	if (!rw && (fs->feat_incompat & E2_INCOMPAT_RECOVER))
		kprintf("unikernel: %s: the journal needs recovery, which the runtime does not do: "
			"its latest changes may be missing (read-only)\n",
			d->name);
	if (rw) { /* "not clean" on the disk until the last sync */
		put16(fs->sb + 52, (u16)(le16(fs->sb + 52) + 1)); /* s_mnt_count */
		put32(fs->sb + 44, (u32)(vfs_now() / NSEC)); /* s_mtime */
		err = write_meta(fs, false);
		err = err ?: bc_sync(&fs->bc);
		err = err ?: blk_flush(d);
		if (err)
			return -EIO;
	}
	*out = &fs->m;
	return 0;
}
