/* fs.h - file systems on disks (volumes), mounted into the tree (vfs.h).
 *
 * A mounted file system's nodes are vnodes with `mnt` set: the tree's code
 * hands every operation on them to the file system's fs_type (lookups,
 * listings, create, link, unlink, rename, contents, the last hold), which
 * keeps their fields (mode, size, times, nlink, ...) current and writes
 * them back.  A directory with `mounted` set is covered: walks go on in
 * the mounted root, whose parent is the covered directory's.  Nodes of a
 * file system are cached while held (and a directory while a child is):
 * each holds its parent directory.
 *
 * File systems: ext2 (read/write) and ext4 (read) in fs_ext2*.c, FAT12/16/32
 * (read) in fs_fat.c.
 */
#ifndef UNIK_RT_FS_H
#define UNIK_RT_FS_H

#include "blk.h"
#include "vfs.h"

struct mount {
	const struct fs_type *type;
	struct blkdev *dev;
	bool rw;
	struct vnode *root; /* held by the mount */
	struct vnode *covered; /* the directory it is mounted on (held) */
	void *priv; /* the file system's */
	/* fs_lock(): one operation at a time (disk waits may sleep meanwhile) */
	bool locked;
	int depth;
	struct thread *owner;
	u64 synced_ns; /* the last write-back (monotonic) */
};

/* statfs(2) of a volume. */
struct fs_stat {
	u64 magic, bsize, blocks, bfree, files, ffree;
};

/* Every node operation gets nodes of this file system (n->mnt->type). */
struct fs_type {
	const char *name; /* "ext2" */
	/* Does FSTYPE (of unik.mount=) name this type ("ext2", "ext4")? */
	bool (*named)(const char *fstype);
	/* Reads the superblock of d: 0 with *out (its root made), -EINVAL (not
	 * this file system), -EROFS (rw asked for and it cannot be written:
	 * features, journal), -EOPNOTSUPP (features it cannot read), -EIO,
	 * -ENOMEM. */
	int (*mount)(struct blkdev *d, bool rw, struct mount **out);
	/* Writes back everything dirty (sync; `clean` at exit: the file
	 * system is then marked cleanly unmounted): 0 or -EIO. */
	int (*sync)(struct mount *m, bool clean);
	/* The child `name` of dir (held), or NULL (missing; errors too). */
	struct vnode *(*lookup)(struct vnode *dir, const char *name);
	/* The entry after *pos (as vfs_dir_next). */
	struct vnode *(*next)(struct vnode *dir, u64 *pos, char *name, size_t size);
	/* As vfs_create, vfs_link, vfs_unlink, vfs_rename (both dirs here). */
	int (*create)(struct vnode *dir, const char *name, u32 mode, struct vnode **out);
	int (*link)(struct vnode *dir, const char *name, struct vnode *n);
	int (*unlink)(struct vnode *dir, const char *name, bool want_dir);
	int (*rename)(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
		      unsigned flags);
	/* Contents: as vn_read (bytes, or -errno), vn_write, vn_truncate. */
	long (*read)(struct vnode *n, u64 off, void *dst, u64 len);
	long (*write)(struct vnode *n, u64 off, const void *src, u64 len);
	int (*truncate)(struct vnode *n, u64 size);
	/* fsync of a file: its data and inode written, the disk flushed. */
	int (*fsync)(struct vnode *n);
	/* statfs: sizes and free counts. */
	void (*statfs)(struct mount *m, struct fs_stat *st);
	/* The last hold of n is gone: write it back, free it (and its inode
	 * and blocks when it has no name left). */
	void (*evict)(struct vnode *n);
};

extern const struct fs_type fs_ext2, fs_fat;

/* volume.c: does fstype name t? */
static inline bool fs_type_is(const struct fs_type *t, const char *fstype)
{
	return t->named(fstype);
}
/* volume.c: the volume's lock, taken by every operation of its file
 * system; recursive for its holder (an operation's vn_put may evict one of
 * its nodes).  Waiting threads sleep; signals do not end the wait. */
void fs_lock(struct mount *m);
void fs_unlock(struct mount *m);
/* volume.c: a mount error's words. */
const char *fs_mount_error(int err);

/* vfs.c: mounts m at the directory dir (held by the caller): 0, -EBUSY
 * (already a mount point, or the root), -ENOTDIR. */
int vfs_mount(struct vnode *dir, struct mount *m);
/* vfs.c: the directory at absolute path, made with its parents (0755)
 * when missing: held, or NULL (a component is not a directory). */
struct vnode *vfs_mkdir_p(const char *path);
/* vfs_fs.c, for file systems: a new vnode of m (refs 1, not counted against
 * the overlay), named `name` in dir (held by it; NULL for a root). */
struct vnode *vfs_fs_node(struct mount *m, u32 mode, u64 ino);
/* vfs_fs.c: sets n's name (dir held by n, the name copied): 0 or -ENOMEM.
 * dir NULL: n loses its name. */
int vfs_fs_name(struct vnode *n, struct vnode *dir, const char *name);
/* vfs_fs.c: frees a file system's vnode (its parent's hold dropped). */
void vfs_fs_free(struct vnode *n);

/* fs_blkdev.c: /dev/vda, /dev/vdb, ...: the disks as block devices. */
int blkdev_init(void);

#endif
