/* fs_ext2_ops.c - the fs_type of ext2/ext4 (fs.h): what the tree's calls
 * do on a volume's nodes, each under the volume's lock. */
#include "errno.h"
#include "fs_ext2.h"
#include "kmem.h"

int e2_mount_dev(struct blkdev *d, bool rw, const struct fs_type *type, struct mount **out);

static bool named(const char *t)
{
	return !strcmp(t, "ext2") || !strcmp(t, "ext3") || !strcmp(t, "ext4");
}

static int mount(struct blkdev *d, bool rw, struct mount **out)
{
	return e2_mount_dev(d, rw, &fs_ext2, out);
}

static int sync(struct mount *m, bool clean)
{
	struct e2fs *fs = (struct e2fs *)m;
	int err;

	e2_lock(fs);
	err = e2_sync(fs, clean);
	e2_unlock(fs);
	return err;
}

/* The node of entry `name` of dir, named there (held), or NULL. */
static struct vnode *get_named(struct vnode *dir, const char *name, int *err)
{
	struct e2fs *fs = E2(dir);
	u8 ft;
	s64 ino = e2_dir_find(dir, name, &ft);
	struct vnode *n;

	if (ino <= 0) {
		*err = ino ? (int)ino : -ENOENT;
		return NULL;
	}
	n = e2_iget(fs, (u32)ino, err);
	if (n && !n->self && n != fs->m.root && vfs_fs_name(n, dir, name)) {
		vn_put(n);
		*err = -ENOMEM;
		return NULL;
	}
	return n;
}

static struct vnode *lookup(struct vnode *dir, const char *name)
{
	struct e2fs *fs = E2(dir);
	struct vnode *n;
	int err;

	e2_lock(fs);
	n = get_named(dir, name, &err);
	e2_unlock(fs);
	return n;
}

static struct vnode *next(struct vnode *dir, u64 *pos, char *name, size_t size)
{
	struct e2fs *fs = E2(dir);
	struct vnode *n = NULL;
	int err;
	s64 ino;

	e2_lock(fs);
	ino = e2_dir_next(dir, pos, name, size);
	if (ino > 0)
		n = e2_iget(fs, (u32)ino, &err);
	e2_unlock(fs);
	return n;
}

static bool exists(struct vnode *dir, const char *name, int *err)
{
	u8 ft;
	s64 ino = e2_dir_find(dir, name, &ft);

	*err = ino < 0 ? (int)ino : ino ? -EEXIST : 0;
	return ino != 0;
}

static int create(struct vnode *dir, const char *name, u32 mode, struct vnode **out)
{
	struct e2fs *fs = E2(dir);
	struct vnode *n = NULL;
	int err;

	e2_lock(fs);
	if (!dir->nlink)
		err = -ENOENT; /* removed */
	else if (S_ISDIR(mode) && dir->nlink >= 65000)
		err = -EMLINK;
	else if (!exists(dir, name, &err))
		n = e2_ialloc(fs, dir, mode, &err);
	if (n && S_ISDIR(mode))
		err = e2_dir_init(n, EI(dir)->ino);
	if (n && !err)
		err = e2_dir_add(dir, name, EI(n)->ino, e2_ftype(mode));
	if (n && !err)
		err = vfs_fs_name(n, dir, name);
	if (n && err) {
		e2_dir_remove(dir, name); /* when it was added */
		vn_put(n); /* no links: freed */
		n = NULL;
	} else if (n) {
		n->nlink = S_ISDIR(mode) ? 2 : 1;
		if (S_ISDIR(mode))
			dir->nlink++;
		n->uid = dir->uid;
		n->gid = dir->gid;
		e2_iput_disk(n);
		e2_iput_disk(dir);
	}
	e2_unlock(fs);
	*out = n;
	return err;
}

static int link(struct vnode *dir, const char *name, struct vnode *n)
{
	struct e2fs *fs = E2(dir);
	int err;

	e2_lock(fs);
	if (!dir->nlink || !n->nlink)
		err = -ENOENT;
	else if (n->nlink >= 65000)
		err = -EMLINK;
	else if (!exists(dir, name, &err))
		err = e2_dir_add(dir, name, EI(n)->ino, e2_ftype(n->mode));
	if (!err) {
		n->nlink++;
		n->ctime = vfs_now();
		e2_iput_disk(n);
	}
	e2_unlock(fs);
	return err;
}

/* n (a directory) lost its only name in dir. */
static void dir_gone(struct vnode *dir, struct vnode *n)
{
	n->nlink = 0;
	dir->nlink--;
	vfs_fs_name(n, NULL, NULL);
}

static int unlink(struct vnode *dir, const char *name, bool want_dir)
{
	struct e2fs *fs = E2(dir);
	struct vnode *n;
	int err = 0;

	e2_lock(fs);
	n = get_named(dir, name, &err);
	if (!n)
		goto out;
	if (!fs->m.rw)
		err = -EROFS;
	else if (S_ISDIR(n->mode) && !want_dir)
		err = -EISDIR;
	else if (!S_ISDIR(n->mode) && want_dir)
		err = -ENOTDIR;
	else if (n == fs->m.root || n->mounted)
		err = -EBUSY;
	else if (S_ISDIR(n->mode) && (err = e2_dir_nonempty(n)) != 0)
		err = err > 0 ? -ENOTEMPTY : err;
	if (!err)
		err = e2_dir_remove(dir, name);
	if (!err) {
		if (S_ISDIR(n->mode)) {
			dir_gone(dir, n);
			e2_iput_disk(dir);
		} else {
			n->nlink--;
			if (!n->nlink ||
			    (n->self && n->self->dir == dir && !strcmp(n->self->name, name)))
				vfs_fs_name(n, NULL, NULL);
		}
		n->ctime = vfs_now();
	}
	vn_put(n);
out:
	e2_unlock(fs);
	return err;
}

/* Is d the directory n or inside it? */
static bool within(struct vnode *d, struct vnode *n)
{
	for (; d && d->mnt; d = d == d->mnt->root ? NULL : d->parent) {
		if (d == n)
			return true;
	}
	return false;
}

/* RENAME_EXCHANGE: (odir, oname) -> n and (ndir, nname) -> m swap. */
static int exchange(struct vnode *odir, const char *oname, struct vnode *n, struct vnode *ndir,
		    const char *nname, struct vnode *m)
{
	int err;

	if (!m)
		return -ENOENT;
	if ((S_ISDIR(n->mode) && within(ndir, n)) || (S_ISDIR(m->mode) && within(odir, m)))
		return -EINVAL;
	err = e2_dir_set(odir, oname, EI(m)->ino, e2_ftype(m->mode));
	err = err ?: e2_dir_set(ndir, nname, EI(n)->ino, e2_ftype(n->mode));
	if (!err && odir != ndir && S_ISDIR(n->mode)) {
		err = e2_dir_set(n, "..", EI(ndir)->ino, E2_FT_DIR);
		odir->nlink--;
		ndir->nlink++;
	}
	if (!err && odir != ndir && S_ISDIR(m->mode)) {
		err = e2_dir_set(m, "..", EI(odir)->ino, E2_FT_DIR);
		ndir->nlink--;
		odir->nlink++;
	}
	if (!err)
		err = vfs_fs_name(n, ndir, nname);
	if (!err)
		err = vfs_fs_name(m, odir, oname);
	n->ctime = m->ctime = vfs_now();
	e2_iput_disk(odir);
	e2_iput_disk(ndir);
	return err;
}

static int rename(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
		  unsigned flags)
{
	struct e2fs *fs = E2(odir);
	struct vnode *n, *m = NULL;
	int err = 0;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL; /* RENAME_WHITEOUT: not on volumes */
	e2_lock(fs);
	n = get_named(odir, oname, &err);
	if (!n)
		goto out;
	m = get_named(ndir, nname, &err);
	err = 0;
	if (m == n) {
		err = (flags & RENAME_NOREPLACE) ? -EEXIST : 0;
		goto done;
	}
	if (flags & RENAME_EXCHANGE) {
		err = exchange(odir, oname, n, ndir, nname, m);
		goto done;
	}
	if (!ndir->nlink)
		err = -ENOENT;
	else if (S_ISDIR(n->mode) && within(ndir, n))
		err = -EINVAL;
	else if (m && (flags & RENAME_NOREPLACE))
		err = -EEXIST;
	else if (m && S_ISDIR(n->mode) && !S_ISDIR(m->mode))
		err = -ENOTDIR;
	else if (m && !S_ISDIR(n->mode) && S_ISDIR(m->mode))
		err = -EISDIR;
	else if (m && S_ISDIR(m->mode) && (err = e2_dir_nonempty(m)) != 0)
		err = err > 0 ? -ENOTEMPTY : err;
	else if (m && m->mounted)
		err = -EBUSY;
	if (err)
		goto done;
	err = m ? e2_dir_set(ndir, nname, EI(n)->ino, e2_ftype(n->mode))
		: e2_dir_add(ndir, nname, EI(n)->ino, e2_ftype(n->mode));
	if (err)
		goto done;
	if (m) { /* the replaced node loses that name */
		if (S_ISDIR(m->mode)) {
			dir_gone(ndir, m);
		} else {
			m->nlink--;
			if (!m->nlink || (m->self && m->self->dir == ndir))
				vfs_fs_name(m, NULL, NULL);
		}
		m->ctime = vfs_now();
	}
	err = e2_dir_remove(odir, oname);
	if (!err && S_ISDIR(n->mode) && odir != ndir) {
		err = e2_dir_set(n, "..", EI(ndir)->ino, E2_FT_DIR);
		odir->nlink--;
		ndir->nlink++;
	}
	if (!err)
		err = vfs_fs_name(n, ndir, nname);
	n->ctime = vfs_now();
	e2_iput_disk(odir);
	e2_iput_disk(ndir);
done:
	vn_put(m);
	vn_put(n);
out:
	e2_unlock(fs);
	return err;
}

static bool fast_link(struct vnode *n)
{
	struct e2_inode *ei = EI(n);

	return S_ISLNK(n->mode) && !(ei->flags & E2_EXTENTS_FL) &&
	       ei->blocks512 == (ei->file_acl ? E2(n)->bsize / 512 : 0);
}

#define DIRECT_MAX (1024 * 1024) /* bytes per direct transfer */

/* Whole blocks from file block f on (at most nblk): the disk blocks of a
 * run that is contiguous on the disk and not cached, for a transfer
 * straight between the caller's buffer and the disk (alloc: writes
 * allocate them).  Its length in blocks (0: take the cache's path) and
 * *start, or -errno. */
static s64 direct_run(struct vnode *n, u64 f, u64 nblk, bool alloc, u64 *start)
{
	struct e2fs *fs = E2(n);
	u64 k = 0;

	nblk = MIN(nblk, (u64)DIRECT_MAX / fs->bsize);
	while (k < nblk) {
		s64 pb = e2_bmap(n, f + k, false, false);

		if (pb < 0)
			return k ? (s64)k : pb;
		if (!pb && alloc)
			pb = e2_bmap(n, f + k, true, false);
		if (pb < 0)
			return k ? (s64)k : pb;
		if (!pb || bc_cached(&fs->bc, (u64)pb) || (k && (u64)pb != *start + k))
			break;
		if (!k)
			*start = (u64)pb;
		k++;
	}
	return (s64)k;
}

long e2_read(struct vnode *n, u64 off, void *dst, u64 len)
{
	struct e2fs *fs = E2(n);
	u8 *d = dst;
	u64 done = 0;
	long err = 0;

	if (off >= n->size)
		return 0;
	len = MIN(len, n->size - off);
	if (fast_link(n)) {
		if (n->size > sizeof(EI(n)->block))
			return -EIO;
		memcpy(d, (const u8 *)EI(n)->block + off, len);
		return (long)len;
	}
	if (EI(n)->flags & E2_INLINE_DATA_FL)
		return -EIO;
	while (done < len) {
		u64 pos = off + done, k = MIN(len - done, fs->bsize - pos % fs->bsize), start = 0;
		s64 pb, run = 0;

		if (!(pos % fs->bsize) && len - done >= fs->bsize)
			run =
			    direct_run(n, pos / fs->bsize, (len - done) / fs->bsize, false, &start);
		if (run > 0) {
			if (blk_read(fs->m.dev, start * fs->bsize, d + done,
				     (u64)run * fs->bsize)) {
				err = -EIO;
				break;
			}
			done += (u64)run * fs->bsize;
			continue;
		}
		pb = e2_bmap(n, pos / fs->bsize, false, false);
		if (pb < 0) {
			err = pb;
			break;
		}
		if (!pb) {
			memset(d + done, 0, k);
		} else {
			int e;
			struct buf *b = bc_get(&fs->bc, (u64)pb, true, &e);

			if (!b) {
				err = e;
				break;
			}
			memcpy(d + done, b->data + pos % fs->bsize, k);
			bc_put(&fs->bc, b);
		}
		done += k;
	}
	return done ? (long)done : err;
}

static long read(struct vnode *n, u64 off, void *dst, u64 len)
{
	struct e2fs *fs = E2(n);
	long r;

	e2_lock(fs);
	r = e2_read(n, off, dst, len);
	e2_unlock(fs);
	return r;
}

static long write(struct vnode *n, u64 off, const void *src, u64 len)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n);
	const u8 *s = src;
	u64 done = 0, max = e2_max_size(fs);
	long err = 0;

	if (off >= max)
		return -EFBIG;
	len = MIN(len, max - off);
	e2_lock(fs);
	if (S_ISLNK(n->mode) && !off && !n->size && !ei->blocks512 && len < sizeof(ei->block)) {
		memcpy(ei->block, s, len); /* a fast symlink: the target in the inode */
		n->size = len;
		done = len;
		goto out;
	}
	while (done < len) {
		u64 pos = off + done, k = MIN(len - done, fs->bsize - pos % fs->bsize), start = 0;
		s64 pb, run = 0;
		bool fresh;
		struct buf *b;
		int e;

		if (!(pos % fs->bsize) && len - done >= fs->bsize)
			run =
			    direct_run(n, pos / fs->bsize, (len - done) / fs->bsize, true, &start);
		if (run > 0) {
			if (blk_write(fs->m.dev, start * fs->bsize, s + done,
				      (u64)run * fs->bsize)) {
				err = -EIO;
				break;
			}
			done += (u64)run * fs->bsize;
			if (off + done > n->size)
				n->size = off + done;
			continue;
		}
		pb = e2_bmap(n, pos / fs->bsize, false, false);
		fresh = pb == 0;
		if (fresh)
			pb = e2_bmap(n, pos / fs->bsize, true, false);
		if (pb < 0) {
			err = pb;
			break;
		}
		/* a whole block, or a new one (zeroed): nothing to read first */
		b = bc_get(&fs->bc, (u64)pb, !fresh && k < fs->bsize, &e);
		if (!b) {
			err = e;
			break;
		}
		memcpy(b->data + pos % fs->bsize, s + done, k);
		bc_dirty(b);
		bc_put(&fs->bc, b);
		done += k;
		if (off + done > n->size)
			n->size = off + done;
	}
out:
	if (done)
		n->mtime = n->ctime = vfs_now();
	e2_unlock(fs);
	return done ? (long)done : err;
}

static int truncate(struct vnode *n, u64 size)
{
	struct e2fs *fs = E2(n);
	int err = 0;

	if (size > e2_max_size(fs))
		return -EFBIG;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	e2_lock(fs);
	if (size < n->size) {
		u64 keep = (size + fs->bsize - 1) / fs->bsize;

		err = e2_truncate_blocks(n, keep);
		if (!err && size % fs->bsize) { /* the rest of the last block reads as zeros */
			s64 pb = e2_bmap(n, size / fs->bsize, false, false);
			struct buf *b;
			int e;

			if (pb > 0 && (b = bc_get(&fs->bc, (u64)pb, true, &e))) {
				memset(b->data + size % fs->bsize, 0, fs->bsize - size % fs->bsize);
				bc_dirty(b);
				bc_put(&fs->bc, b);
			}
		}
	}
	if (!err) {
		n->size = size;
		n->mtime = n->ctime = vfs_now();
	}
	e2_unlock(fs);
	return err;
}

static int fsync(struct vnode *n)
{
	return sync(n->mnt, false);
}

static void evict(struct vnode *n)
{
	struct e2fs *fs = E2(n);
	struct e2_inode *ei = EI(n), **pp;

	e2_lock(fs);
	if (n->mnt->rw) {
		if (!n->nlink)
			e2_ifree(n);
		else
			e2_iput_disk(n);
	}
	for (pp = &fs->icache[ei->ino % (sizeof(fs->icache) / sizeof(fs->icache[0]))]; *pp != ei;
	     pp = &(*pp)->hnext)
		;
	*pp = ei->hnext;
	kfree(ei, sizeof(*ei));
	n->priv = NULL;
	vfs_fs_free(n);
	e2_unlock(fs);
}

static void statfs(struct mount *m, struct fs_stat *st)
{
	struct e2fs *fs = (struct e2fs *)m;

	st->magic = E2_MAGIC;
	st->bsize = fs->bsize;
	st->blocks = fs->nblocks - fs->first_data_block;
	st->files = fs->ninodes;
	for (u32 g = 0; g < fs->ngroups; g++) {
		st->bfree += fs->groups[g].free_blocks;
		st->ffree += fs->groups[g].free_inodes;
	}
}

const struct fs_type fs_ext2 = {
	.name = "ext2",
	.named = named,
	.mount = mount,
	.sync = sync,
	.lookup = lookup,
	.next = next,
	.create = create,
	.link = link,
	.unlink = unlink,
	.rename = rename,
	.read = read,
	.write = write,
	.truncate = truncate,
	.fsync = fsync,
	.statfs = statfs,
	.evict = evict,
};
