/* fs_ext2.h - the ext2 file system (read/write) and ext4 (read: extents),
 * inside the runtime: fs_ext2.c (superblock, groups, allocation, inodes,
 * block maps, sync), fs_ext2_dir.c (directory entries), fs_ext2_ops.c
 * (the fs_type operations on vnodes).  Layout: "The Second Extended File
 * System" (Poirier) and the kernel's ext4 disk-layout documentation.
 */
#ifndef UNIK_RT_FS_EXT2_H
#define UNIK_RT_FS_EXT2_H

#include "fs.h"
#include "fs_bcache.h"

#define E2_MAGIC 0xef53
#define E2_ROOT_INO 2
#define E2_NDIR 12
#define E2_IND 12
#define E2_DIND 13
#define E2_TIND 14
#define E2_VALID_FS 1
/* features */
#define E2_COMPAT_HAS_JOURNAL 0x4
#define E2_INCOMPAT_FILETYPE 0x2
#define E2_INCOMPAT_RECOVER 0x4
#define E2_INCOMPAT_JOURNAL_DEV 0x8
#define E2_INCOMPAT_META_BG 0x10
#define E2_INCOMPAT_EXTENTS 0x40
#define E2_INCOMPAT_64BIT 0x80
#define E2_INCOMPAT_MMP 0x100
#define E2_INCOMPAT_FLEX_BG 0x200
#define E2_INCOMPAT_EA_INODE 0x400
#define E2_INCOMPAT_DIRDATA 0x1000
#define E2_INCOMPAT_CSUM_SEED 0x2000
#define E2_INCOMPAT_LARGEDIR 0x4000
#define E2_INCOMPAT_INLINE_DATA 0x8000
#define E2_INCOMPAT_ENCRYPT 0x10000
#define E2_INCOMPAT_CASEFOLD 0x20000
#define E2_RO_COMPAT_SPARSE_SUPER 0x1
#define E2_RO_COMPAT_LARGE_FILE 0x2
/* what each mode can handle */
#define E2_INCOMPAT_READ                                                                           \
	(E2_INCOMPAT_FILETYPE | E2_INCOMPAT_RECOVER | E2_INCOMPAT_EXTENTS | E2_INCOMPAT_64BIT |    \
	 E2_INCOMPAT_FLEX_BG | E2_INCOMPAT_MMP | E2_INCOMPAT_CSUM_SEED | E2_INCOMPAT_LARGEDIR)
#define E2_INCOMPAT_WRITE E2_INCOMPAT_FILETYPE
#define E2_RO_COMPAT_WRITE (E2_RO_COMPAT_SPARSE_SUPER | E2_RO_COMPAT_LARGE_FILE)
/* inode flags */
#define E2_INDEX_FL 0x1000
#define E2_EXTENTS_FL 0x80000
#define E2_INLINE_DATA_FL 0x10000000
/* directory entry file types */
#define E2_FT_REG 1
#define E2_FT_DIR 2
#define E2_FT_CHR 3
#define E2_FT_BLK 4
#define E2_FT_FIFO 5
#define E2_FT_SOCK 6
#define E2_FT_LNK 7

/* The on-disk inode (the first 128 bytes; larger inodes keep the rest). */
struct e2_dinode {
	u16 mode, uid;
	u32 size_lo, atime, ctime, mtime, dtime;
	u16 gid, links;
	u32 blocks_lo, flags, osd1;
	u32 block[15];
	u32 generation, file_acl_lo, size_hi, faddr;
	u16 blocks_hi, file_acl_hi, uid_hi, gid_hi, csum_lo, reserved;
};

/* One group's descriptor, in memory. */
struct e2_group {
	u64 block_bitmap, inode_bitmap, inode_table;
	u32 free_blocks, free_inodes, used_dirs;
	u16 flags;
};

/* A cached inode: what the vnode does not hold. */
struct e2_inode {
	struct e2_inode *hnext;
	struct vnode *vn;
	u32 ino;
	u32 flags;
	u32 block[15]; /* block map, or the extent tree's root */
	u64 blocks512; /* i_blocks */
	u64 file_acl;
	u32 last_blk; /* the last block allocated: the next one's goal */
};

struct e2fs {
	struct mount m;
	struct bcache bc;
	u32 bsize, log_bsize, inode_size, ptrs; /* ptrs: block numbers per block */
	u64 nblocks, first_data_block;
	u32 ninodes, blocks_per_group, inodes_per_group, ngroups, first_ino, desc_size;
	u32 feat_compat, feat_incompat, feat_ro_compat;
	u16 extra_isize; /* of new inodes */
	struct e2_group *groups;
	u64 gdt_block; /* first block of the descriptor table */
	u8 sb[1024]; /* the superblock as read (rewritten at sync) */
	struct e2_inode *icache[256];
	bool dirty_meta; /* groups or superblock changed since the last sync */
};

static inline struct e2fs *E2(const struct vnode *n)
{
	return (struct e2fs *)n->mnt;
}
static inline struct e2_inode *EI(const struct vnode *n)
{
	return n->priv;
}

/* fs_ext2.c */
void e2_lock(struct e2fs *fs);
void e2_unlock(struct e2fs *fs);
/* The vnode of inode ino (held; cached while held), or NULL with *err. */
struct vnode *e2_iget(struct e2fs *fs, u32 ino, int *err);
/* Writes n's fields into its on-disk inode (through the cache). */
int e2_iput_disk(struct vnode *n);
/* A new inode of mode near dir's group (held vnode), or NULL with *err
 * (-ENOSPC, -EIO, -ENOMEM). */
struct vnode *e2_ialloc(struct e2fs *fs, struct vnode *dir, u32 mode, int *err);
/* Frees n's inode and all its blocks (n has no name left). */
void e2_ifree(struct vnode *n);
/* The disk block of file block fblk of n: 0 for a hole.  With `alloc` a
 * missing block (and the map blocks it needs) is allocated, zeroed when
 * `zero`: -ENOSPC, -EIO or -EFBIG as a negative value. */
s64 e2_bmap(struct vnode *n, u64 fblk, bool alloc, bool zero);
/* Frees every block of n from file block `from` on (truncate). */
int e2_truncate_blocks(struct vnode *n, u64 from);
/* Writes back the groups and superblock, then every dirty block; `clean`
 * marks the file system cleanly unmounted. */
int e2_sync(struct e2fs *fs, bool clean);
/* The largest file size n's block map allows. */
u64 e2_max_size(struct e2fs *fs);

/* fs_ext2_dir.c */
/* The inode number of `name` in dir (0: missing; -errno). */
s64 e2_dir_find(struct vnode *dir, const char *name, u8 *ftype);
/* Adds name -> ino to dir: 0, -ENOSPC, -EIO. */
int e2_dir_add(struct vnode *dir, const char *name, u32 ino, u8 ftype);
/* Removes name from dir: 0, -ENOENT, -EIO. */
int e2_dir_remove(struct vnode *dir, const char *name);
/* Points the entry `name` at ino (rename over an existing name; a moved
 * directory's ".."): 0, -ENOENT, -EIO. */
int e2_dir_set(struct vnode *dir, const char *name, u32 ino, u8 ftype);
/* The entry at or after byte *pos (skipping "." and ".."): its inode (0
 * at the end, -errno), name into name[size], *pos past it. */
s64 e2_dir_next(struct vnode *dir, u64 *pos, char *name, size_t size);
/* Does dir hold anything besides "." and ".."?  1, 0 or -errno. */
int e2_dir_nonempty(struct vnode *dir);
/* Writes the "." and ".." entries of the new directory dir. */
int e2_dir_init(struct vnode *dir, u32 parent_ino);
/* The directory-entry type of mode. */
u8 e2_ftype(u32 mode);

/* fs_ext2_ops.c */
long e2_read(struct vnode *n, u64 off, void *dst, u64 len);

#endif
