/* fs_ext2_dir.c - ext2 directories (fs_ext2.h): linear lists of entries
 * (inode, record length, name length, type, name) in the directory's
 * blocks.  Hashed (dir_index) directories read the same way; a change
 * clears the index flag, as ext2 drivers do, so e2fsck need not trust a
 * stale index.  Lookups and inserts scan the whole directory: a directory
 * of N entries costs O(N) per name. */
#include "byteorder.h"
#include "errno.h"
#include "fs_ext2.h"

#define DE_HDR 8

static u32 de_size(u32 name_len)
{
	return ALIGN_UP(DE_HDR + name_len, 4);
}

u8 e2_ftype(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return E2_FT_REG;
	case S_IFDIR: return E2_FT_DIR;
	case S_IFCHR: return E2_FT_CHR;
	case S_IFBLK: return E2_FT_BLK;
	case S_IFIFO: return E2_FT_FIFO;
	case S_IFSOCK: return E2_FT_SOCK;
	case S_IFLNK: return E2_FT_LNK;
	}
	return 0;
}

/* One entry's place, found by walk(). */
struct de_pos {
	struct buf *b; /* held */
	u32 off, prev; /* prev: the previous entry's offset in the block, or ~0 */
	u64 fblk;
};

/* Calls fn for every entry of dir in order; stops when it returns
 * non-zero (then *p is the entry, its buffer held) and returns that.  0 at
 * the end, -EIO for a corrupt block. */
static int walk(struct vnode *dir, int (*fn)(const u8 *de, void *arg), void *arg, u64 from,
		struct de_pos *p)
{
	struct e2fs *fs = E2(dir);
	u64 nblk = dir->size / fs->bsize;

	for (u64 f = from / fs->bsize; f < nblk; f++) {
		s64 pb = e2_bmap(dir, f, false, false);
		struct buf *b;
		u32 off = 0, prev = ~0U;
		int err;

		if (pb < 0)
			return (int)pb;
		if (!pb)
			continue; /* a hole: nothing there */
		b = bc_get(&fs->bc, (u64)pb, true, &err);
		if (!b)
			return err;
		while (off + DE_HDR <= fs->bsize) {
			const u8 *de = b->data + off;
			u32 rec = le16(de + 4), nl = de[6];
			int r;

			if (rec < DE_HDR || rec % 4 || off + rec > fs->bsize || DE_HDR + nl > rec) {
				bc_put(&fs->bc, b);
				return -EIO;
			}
			if (f * fs->bsize + off >= from && (r = fn(de, arg))) {
				p->b = b;
				p->off = off;
				p->prev = prev;
				p->fblk = f;
				return r;
			}
			prev = off;
			off += rec;
		}
		bc_put(&fs->bc, b);
	}
	return 0;
}

struct name_arg {
	const char *name;
	size_t len;
};

static int match(const u8 *de, void *arg)
{
	const struct name_arg *a = arg;

	return le32(de) && de[6] == a->len && !memcmp(de + DE_HDR, a->name, a->len);
}

static int find(struct vnode *dir, const char *name, struct de_pos *p)
{
	struct name_arg a = { name, strlen(name) };

	return walk(dir, match, &a, 0, p);
}

s64 e2_dir_find(struct vnode *dir, const char *name, u8 *ftype)
{
	struct de_pos p;
	int r = find(dir, name, &p);
	u32 ino;

	if (r <= 0)
		return r;
	ino = le32(p.b->data + p.off);
	*ftype = p.b->data[p.off + 7];
	bc_put(&E2(dir)->bc, p.b);
	return ino;
}

/* A directory change: its index (if any) is no longer kept. */
static void changed(struct vnode *dir)
{
	EI(dir)->flags &= ~(u32)E2_INDEX_FL;
	dir->mtime = dir->ctime = vfs_now();
}

static void de_fill(struct e2fs *fs, u8 *de, u32 ino, const char *name, u8 ftype)
{
	size_t len = strlen(name);

	put32(de, ino);
	de[6] = (u8)len;
	de[7] = (fs->feat_incompat & E2_INCOMPAT_FILETYPE) ? ftype : 0;
	memcpy(de + DE_HDR, name, len);
}

struct room_arg {
	u32 need;
};

static int room(const u8 *de, void *arg)
{
	const struct room_arg *a = arg;
	u32 rec = le16(de + 4);

	if (!le32(de))
		return rec >= a->need;
	return rec >= de_size(de[6]) + a->need;
}

int e2_dir_add(struct vnode *dir, const char *name, u32 ino, u8 ftype)
{
	struct e2fs *fs = E2(dir);
	struct room_arg a = { de_size((u32)strlen(name)) };
	struct de_pos p;
	int r = walk(dir, room, &a, 0, &p);

	if (r < 0)
		return r;
	if (r) {
		u8 *de = p.b->data + p.off;
		u32 rec = le16(de + 4);

		if (le32(de)) { /* split: the new entry in the slack after it */
			u32 keep = de_size(de[6]);

			put16(de + 4, (u16)keep);
			de += keep;
			put16(de + 4, (u16)(rec - keep));
		}
		de_fill(fs, de, ino, name, ftype);
		bc_dirty(p.b);
		bc_put(&fs->bc, p.b);
	} else { /* a new block at the end */
		u64 f = dir->size / fs->bsize;
		s64 pb = e2_bmap(dir, f, true, false);
		struct buf *b;
		int err;

		if (pb < 0)
			return (int)pb;
		b = bc_get(&fs->bc, (u64)pb, false, &err);
		if (!b)
			return err;
		put16(b->data + 4, (u16)fs->bsize);
		de_fill(fs, b->data, ino, name, ftype);
		bc_dirty(b);
		bc_put(&fs->bc, b);
		dir->size += fs->bsize;
	}
	changed(dir);
	return 0;
}

int e2_dir_remove(struct vnode *dir, const char *name)
{
	struct de_pos p;
	int r = find(dir, name, &p);
	u8 *de;

	if (r <= 0)
		return r ? r : -ENOENT;
	de = p.b->data + p.off;
	if (p.prev != ~0U) { /* the previous entry takes its space */
		u8 *pd = p.b->data + p.prev;

		put16(pd + 4, (u16)(le16(pd + 4) + le16(de + 4)));
	} else {
		put32(de, 0);
	}
	bc_dirty(p.b);
	bc_put(&E2(dir)->bc, p.b);
	changed(dir);
	return 0;
}

int e2_dir_set(struct vnode *dir, const char *name, u32 ino, u8 ftype)
{
	struct e2fs *fs = E2(dir);
	struct de_pos p;
	int r = find(dir, name, &p);
	u8 *de;

	if (r <= 0)
		return r ? r : -ENOENT;
	de = p.b->data + p.off;
	put32(de, ino);
	if (fs->feat_incompat & E2_INCOMPAT_FILETYPE)
		de[7] = ftype;
	bc_dirty(p.b);
	bc_put(&fs->bc, p.b);
	changed(dir);
	return 0;
}

static bool is_dots(const u8 *de)
{
	return (de[6] == 1 && de[DE_HDR] == '.') ||
	       (de[6] == 2 && de[DE_HDR] == '.' && de[DE_HDR + 1] == '.');
}

/* A name a path can reach: not empty, no '/' or NUL in it (a hostile
 * disk's entries otherwise: fuzz_volume found an empty one listed). */
static bool reachable(const u8 *de)
{
	for (u32 i = 0; i < de[6]; i++)
		if (de[DE_HDR + i] == '/' || !de[DE_HDR + i])
			return false;
	return de[6] != 0;
}

static int live(const u8 *de, void *arg)
{
	return le32(de) && !is_dots(de) && reachable(de);
}

s64 e2_dir_next(struct vnode *dir, u64 *pos, char *name, size_t size)
{
	struct e2fs *fs = E2(dir);
	struct de_pos p;
	int r = walk(dir, live, NULL, *pos < 2 ? 0 : *pos - 2, &p);
	const u8 *de;
	u32 ino;

	if (r <= 0)
		return r;
	de = p.b->data + p.off;
	ino = le32(de);
	if (size) {
		size_t n = MIN((size_t)de[6], size - 1);

		memcpy(name, de + DE_HDR, n);
		name[n] = 0;
	}
	*pos = p.fblk * fs->bsize + p.off + le16(de + 4) + 2;
	bc_put(&fs->bc, p.b);
	return ino;
}

int e2_dir_nonempty(struct vnode *dir)
{
	struct de_pos p;
	int r = walk(dir, live, NULL, 0, &p);

	if (r > 0)
		bc_put(&E2(dir)->bc, p.b);
	return r;
}

int e2_dir_init(struct vnode *dir, u32 parent_ino)
{
	struct e2fs *fs = E2(dir);
	s64 pb = e2_bmap(dir, 0, true, false);
	struct buf *b;
	int err;

	if (pb < 0)
		return (int)pb;
	b = bc_get(&fs->bc, (u64)pb, false, &err);
	if (!b)
		return err;
	de_fill(fs, b->data, EI(dir)->ino, ".", E2_FT_DIR);
	put16(b->data + 4, 12);
	de_fill(fs, b->data + 12, parent_ino, "..", E2_FT_DIR);
	put16(b->data + 12 + 4, (u16)(fs->bsize - 12));
	bc_dirty(b);
	bc_put(&fs->bc, b);
	dir->size = fs->bsize;
	return 0;
}
