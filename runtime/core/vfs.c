/* vfs.c - the file tree: nodes, names, create, link, unlink and
 * rename (vfs.h); path walks are in vfs_walk.c. */
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "kmem.h"
#include "mm.h"
#include "vfs.h"
#include "vfs_int.h"
#include "../platform/platform.h"

#define HASH_FRAMES 4
#define HASH_SIZE (HASH_FRAMES * PAGE_SIZE / sizeof(struct dentry *))
#define NODE_COST (sizeof(struct vnode))

static struct dentry **hash;
static struct vnode *root;
static struct vnode *top; /* where absolute paths start: the root, or chroot's folder */

struct vnode *vfs_top(void)
{
	return top;
}
static u64 next_ino = 2, nodes;

u64 vfs_now(void)
{
	return plat_wall_ns();
}

static u64 hash_of(const struct vnode *dir, const char *name, size_t len)
{
	u64 h = 1469598103934665603UL ^ ((u64)dir >> 4);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (u8)name[i]) * 1099511628211UL;
	return h % HASH_SIZE;
}

/* A new node's fields (the rest of *n is zero); count: it was charged. */
static void node_init(struct vnode *n, u32 mode, bool count)
{
	n->mode = mode;
	if (!count)
		n->flags = VN_BOOT;
	n->ino = next_ino++;
	n->atime = n->mtime = n->ctime = vfs_now();
	n->refs = 1;
	n->nlink = S_ISDIR(mode) ? 2 : 0;
	n->next_seq = 2;
	nodes++;
}

/* A new node, counted against the overlay when `count` (and boot is over). */
static struct vnode *new_node(u32 mode, bool count)
{
	struct vnode *n;

	count = count && vfs_counting();
	if (count && !vfs_charge(NODE_COST))
		return NULL;
	n = kmalloc(sizeof(*n));
	if (!n) {
		if (count)
			vfs_uncharge(NODE_COST);
		return NULL;
	}
	node_init(n, mode, count);
	return n;
}

struct vnode *vfs_new_node(u32 mode)
{
	return new_node(mode, true);
}

struct vnode *vfs_new_synthetic(u32 mode)
{
	struct vnode *n = new_node(mode, false);

	if (n)
		n->flags |= VN_NOCHARGE;
	return n;
}

/* The root folder lives as long as the runtime: made in place, not
 * allocated (its reference, held by `root`, is never dropped). */
static struct vnode root_node;

void vfs_init_root(void)
{
	bool count = vfs_counting();

	if (!hash) {
		u64 pa = frames_alloc_contig(HASH_FRAMES);

		if (!pa)
			panic("no memory for the file tree");
		hash = phys_to_virt(pa);
	}
	if (count && !vfs_charge(NODE_COST))
		panic("no memory for the file tree");
	root = &root_node;
	node_init(root, S_IFDIR | 0755, count);
	root->parent = root;
	top = root;
}

struct vnode *vfs_root(void)
{
	return root;
}

void vfs_chroot(struct vnode *dir)
{
	vn_hold(dir);
	if (top != root)
		vn_put(top);
	top = dir;
}

u64 vfs_count(void)
{
	return nodes;
}

static bool linked(const struct vnode *n)
{
	return S_ISDIR(n->mode) ? n->parent != NULL : n->nlink > 0;
}

void vn_hold(struct vnode *n)
{
	if (n)
		n->refs++;
}

void vn_put(struct vnode *n)
{
	if (n && n->mnt) {
		if (!--n->refs)
			n->mnt->type->evict(n);
		return;
	}
	if (!n || --n->refs || linked(n))
		return;
	if (n->ops && n->ops->drop)
		n->ops->drop(n);
	vn_free_data(n);
	nodes--;
	if (!(n->flags & VN_BOOT))
		vfs_uncharge(NODE_COST);
	kfree(n, sizeof(*n));
}

void vn_fill(struct vnode *dir)
{
	const struct vnode_ops *ops = dir->ops;
	bool counting;
	u16 ro;

	if (!ops || !ops->fill)
		return;
	dir->ops = NULL;
	ro = dir->flags & VN_RO; /* the runtime's entries are made even so... */
	dir->flags &= (u16)~VN_RO;
	counting = vfs_counting();
	vfs_charging(false);
	ops->fill(dir);
	vfs_charging(counting);
	dir->flags |= ro;
	if (ro)
		vfs_mark_readonly(dir); /* ...and marked like the rest */
}

bool vn_readonly(const struct vnode *n)
{
	return n->flags & VN_RO;
}

static struct dentry *dentry_find(const struct vnode *dir, const char *name)
{
	size_t len = strlen(name);

	for (struct dentry *d = hash[hash_of(dir, name, len)]; d; d = d->hnext) {
		if (d->dir == dir && d->len == len && !memcmp(d->name, name, len))
			return d;
	}
	return NULL;
}

/* The held child `name` of dir, or NULL. */
struct vnode *vfs_child(struct vnode *dir, const char *name)
{
	struct dentry *d;

	if (dir->mnt)
		return dir->mnt->type->lookup(dir, name);
	vn_fill(dir);
	if (dir->ops && dir->ops->lookup)
		return dir->ops->lookup(dir, name);
	d = dentry_find(dir, name);
	if (!d)
		return NULL;
	vn_hold(d->node);
	return d->node;
}

/* A new entry (dir, name) -> n, without counting it as a name of n. */
static int dentry_insert(struct vnode *dir, const char *name, struct vnode *n, struct dentry **out)
{
	size_t len = strlen(name), size = sizeof(struct dentry) + len + 1;
	struct dentry *d;
	u64 h;

	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (!vfs_charge(size))
		return -ENOSPC;
	d = kmalloc(size);
	if (!d) {
		vfs_uncharge(size);
		return -ENOSPC;
	}
	d->dir = dir;
	d->node = n;
	d->size = (u32)size;
	d->charged = vfs_counting();
	d->len = (u16)len;
	memcpy(d->name, name, len + 1);
	d->seq = dir->next_seq++;
	h = hash_of(dir, name, len);
	d->hnext = hash[h];
	hash[h] = d;
	d->prev = dir->last;
	if (dir->last)
		dir->last->next = d;
	else
		dir->first = d;
	dir->last = d;
	dir->nchildren++;
	dir->mtime = dir->ctime = vfs_now();
	*out = d;
	return 0;
}

/* Unlinks and frees the entry d (its node's counts are the caller's). */
static void dentry_delete(struct dentry *d)
{
	struct vnode *dir = d->dir;
	struct dentry **pp = &hash[hash_of(dir, d->name, d->len)];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	if (d->prev)
		d->prev->next = d->next;
	else
		dir->first = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		dir->last = d->prev;
	dir->nchildren--;
	dir->mtime = dir->ctime = vfs_now();
	if (d->charged)
		vfs_uncharge(d->size);
	kfree(d, d->size);
}

/* n got the name d in dir. */
static void name_added(struct vnode *dir, struct vnode *n, struct dentry *d)
{
	if (S_ISDIR(n->mode)) {
		n->parent = dir;
		dir->nlink++;
	} else {
		n->nlink++;
	}
	if (!n->self)
		n->self = d;
	n->ctime = vfs_now();
}

/* n lost the name d in dir (the caller holds n). */
static void name_removed(struct vnode *dir, struct vnode *n, struct dentry *d)
{
	if (n->self == d)
		n->self = NULL;
	if (S_ISDIR(n->mode)) {
		if (n->parent == dir)
			n->parent = NULL;
		dir->nlink--;
	} else {
		n->nlink--;
	}
	n->ctime = vfs_now();
}

static int dentry_add(struct vnode *dir, const char *name, struct vnode *n)
{
	struct dentry *d;
	int err = dentry_insert(dir, name, n, &d);

	if (!err)
		name_added(dir, n, d);
	return err;
}

/* Removes d; its node loses the name (and is freed when nobody holds it). */
static void dentry_remove(struct dentry *d)
{
	struct vnode *n = d->node;

	vn_hold(n);
	name_removed(d->dir, n, d);
	dentry_delete(d);
	vn_put(n);
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* May dir get or lose entries? */
static int dir_writable(struct vnode *dir)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!linked(dir))
		return -ENOENT;
	if (vn_readonly(dir) || (dir->ops && dir->ops->lookup))
		return -EROFS;
	return 0;
}

/* vfs_create; `own` (the runtime's files): read-only marks do not apply. */
static int create(struct vnode *dir, const char *name, u32 mode, struct vnode **out, bool own)
{
	struct vnode *n;
	int err;

	*out = NULL;
	if (dir->mnt) {
		if (!S_ISDIR(dir->mode))
			return -ENOTDIR;
		if (is_dot(name))
			return -EEXIST;
		if (strlen(name) > NAME_MAX)
			return -ENAMETOOLONG;
		if ((mode & S_IFMT) == S_IFSOCK)
			return -EOPNOTSUPP; /* a bound socket's node carries the socket (priv) */
		return dir->mnt->rw ? dir->mnt->type->create(dir, name, mode, out) : -EROFS;
	}
	vn_fill(dir);
	err = dir_writable(dir);
	if (own && err == -EROFS && !(dir->ops && dir->ops->lookup))
		err = 0;
	if (err)
		return err;
	if (is_dot(name) || dentry_find(dir, name))
		return -EEXIST;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	n = vfs_new_node(mode);
	if (!n)
		return -ENOSPC;
	err = dentry_add(dir, name, n);
	if (err) {
		vn_put(n);
		return err;
	}
	*out = n;
	return 0;
}

int vfs_create(struct vnode *dir, const char *name, u32 mode, struct vnode **out)
{
	return create(dir, name, mode, out, false);
}

int vfs_link(struct vnode *dir, const char *name, struct vnode *n)
{
	int err;

	if (dir->mnt || n->mnt) {
		if (dir->mnt != n->mnt)
			return -EXDEV;
		if (S_ISDIR(n->mode))
			return -EPERM;
		if (is_dot(name))
			return -EEXIST;
		return dir->mnt->rw ? dir->mnt->type->link(dir, name, n) : -EROFS;
	}
	vn_fill(dir);
	err = dir_writable(dir);

	if (err)
		return err;
	if (is_dot(name) || dentry_find(dir, name))
		return -EEXIST;
	if (S_ISDIR(n->mode))
		return -EPERM;
	if (vn_readonly(n))
		return -EROFS;
	if (!linked(n) && !(n->flags & VN_TMPFILE))
		return -ENOENT;
	err = dentry_add(dir, name, n);
	n->flags &= ~VN_TMPFILE;
	if (!err)
		n->ctime = vfs_now();
	return err;
}

int vfs_unlink(struct vnode *dir, const char *name, bool want_dir)
{
	struct dentry *d;
	int err;

	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (want_dir && !strcmp(name, "."))
		return -EINVAL;
	if (want_dir && !strcmp(name, ".."))
		return -ENOTEMPTY;
	if (dir->mnt) {
		if (is_dot(name))
			return -EISDIR;
		return dir->mnt->type->unlink(dir, name, want_dir);
	}
	vn_fill(dir);
	if (dir->ops && dir->ops->lookup)
		return -EROFS;
	d = is_dot(name) ? NULL : dentry_find(dir, name);
	if (!d)
		return is_dot(name) ? -EISDIR : -ENOENT;
	err = dir_writable(dir);
	if (err)
		return err;
	if (vn_readonly(d->node))
		return -EROFS;
	if (d->node->mounted)
		return -EBUSY;
	if (S_ISDIR(d->node->mode)) {
		if (!want_dir)
			return -EISDIR;
		vn_fill(d->node);
		if (d->node->nchildren)
			return -ENOTEMPTY;
	} else if (want_dir) {
		return -ENOTDIR;
	}
	dentry_remove(d);
	return 0;
}

/* Is n the directory d or inside it? */
static bool within(const struct vnode *n, const struct vnode *d)
{
	for (; n && n != root; n = n->parent) {
		if (n == d)
			return true;
	}
	return n == d;
}

/* Moves the entry od to (ndir, nname). */
static int move_entry(struct dentry *od, struct vnode *ndir, const char *nname)
{
	struct vnode *n = od->node;
	struct dentry *nd;
	int err = dentry_insert(ndir, nname, n, &nd);

	if (err)
		return err;
	vn_hold(n);
	name_removed(od->dir, n, od);
	dentry_delete(od);
	name_added(ndir, n, nd);
	vn_put(n);
	return 0;
}

int vfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
	       unsigned flags)
{
	struct dentry *od, *nd;
	struct vnode *n;
	int err;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) ||
	    (flags & RENAME_WHITEOUT) || ((flags & RENAME_EXCHANGE) && (flags & RENAME_NOREPLACE)))
		return -EINVAL;
	if (!S_ISDIR(odir->mode) || !S_ISDIR(ndir->mode))
		return -ENOTDIR;
	if (is_dot(oname) || is_dot(nname))
		return -EBUSY;
	if (odir->mnt || ndir->mnt) {
		if (odir->mnt != ndir->mnt)
			return -EXDEV;
		return odir->mnt->rw ? odir->mnt->type->rename(odir, oname, ndir, nname, flags)
				     : -EROFS;
	}
	vn_fill(odir);
	vn_fill(ndir);
	od = dentry_find(odir, oname);
	if (!od)
		return odir->ops && odir->ops->lookup ? -EROFS : -ENOENT;
	if ((err = dir_writable(odir)) || (err = dir_writable(ndir)))
		return err;
	n = od->node;
	if (vn_readonly(n))
		return -EROFS;
	nd = dentry_find(ndir, nname);
	if (n->mounted || (nd && nd->node->mounted))
		return -EBUSY;
	if (nd && nd->node == n)
		return (flags & RENAME_NOREPLACE) ? -EEXIST : 0;
	if (S_ISDIR(n->mode) && within(ndir, n))
		return -EINVAL;
	if (flags & RENAME_EXCHANGE) {
		struct vnode *m;

		if (!nd)
			return -ENOENT;
		m = nd->node;
		if (vn_readonly(m))
			return -EROFS;
		if (S_ISDIR(m->mode) && within(odir, m))
			return -EINVAL;
		/* swap the two entries' nodes, keeping names and positions */
		od->node = m;
		nd->node = n;
		if (S_ISDIR(n->mode)) {
			n->parent = ndir;
			odir->nlink--;
			ndir->nlink++;
		}
		if (S_ISDIR(m->mode)) {
			m->parent = odir;
			ndir->nlink--;
			odir->nlink++;
		}
		if (n->self == od)
			n->self = nd;
		if (m->self == nd)
			m->self = od;
		n->ctime = m->ctime = odir->mtime = ndir->mtime = vfs_now();
		return 0;
	}
	if (nd) {
		struct vnode *m = nd->node;

		if (flags & RENAME_NOREPLACE)
			return -EEXIST;
		if (vn_readonly(m))
			return -EROFS;
		if (S_ISDIR(n->mode) && !S_ISDIR(m->mode))
			return -ENOTDIR;
		if (!S_ISDIR(n->mode) && S_ISDIR(m->mode))
			return -EISDIR;
		if (S_ISDIR(m->mode))
			vn_fill(m);
		if (S_ISDIR(m->mode) && m->nchildren)
			return -ENOTEMPTY;
		if (m == root)
			return -EBUSY;
		/* the new name reuses the old entry's place: replace its node */
		vn_hold(n);
		vn_hold(m);
		name_removed(ndir, m, nd);
		name_removed(odir, n, od);
		dentry_delete(od);
		nd->node = n;
		name_added(ndir, n, nd);
		vn_put(m);
		vn_put(n);
		return 0;
	}
	return move_entry(od, ndir, nname);
}

struct vnode *vfs_dir_next(struct vnode *dir, u64 *pos, char *name, size_t size)
{
	if (dir->mnt)
		return dir->mnt->type->next(dir, pos, name, size);
	vn_fill(dir);
	if (dir->ops && dir->ops->next)
		return dir->ops->next(dir, pos, name, size);
	for (struct dentry *d = dir->first; d; d = d->next) {
		if (d->seq >= *pos) {
			*pos = d->seq + 1;
			strlcpy(name, d->name, size);
			vn_hold(d->node);
			return d->node;
		}
	}
	return NULL;
}

long vfs_path_of(const struct vnode *n, char *buf, size_t size)
{
	size_t len = 0;

	if (n == top) {
		if (size < 2)
			return -ENAMETOOLONG;
		buf[0] = '/';
		buf[1] = 0;
		return 1;
	}
	/* build the path backwards at the end of buf, then move it to the start */
	while (n != top) {
		const struct dentry *d = n->self;

		if (!d || n == root)
			return -ENOENT; /* removed, or outside chroot's folder */
		if (len + d->len + 1 + 1 > size)
			return -ENAMETOOLONG;
		len += d->len;
		memcpy(buf + size - 1 - len, d->name, d->len);
		buf[size - 1 - ++len] = '/';
		n = d->dir;
	}
	memmove(buf, buf + size - 1 - len, len);
	buf[len] = 0;
	return (long)len;
}

struct vnode *vfs_mkparents(const char *path)
{
	char part[NAME_MAX + 1];
	struct vnode *cur = root;
	const char *p = path;

	vn_hold(cur);
	for (;;) {
		const char *e;
		struct vnode *next;

		while (*p == '/')
			p++;
		for (e = p; *e && *e != '/'; e++)
			;
		if (!*e)
			return cur; /* p is the last component */
		if ((size_t)(e - p) > NAME_MAX)
			break;
		memcpy(part, p, (size_t)(e - p));
		part[e - p] = 0;
		next = vfs_child(cur, part);
		if (!next && create(cur, part, S_IFDIR | 0755, &next, true))
			break;
		vn_put(cur);
		cur = next;
		if (!S_ISDIR(cur->mode))
			break;
		p = e;
	}
	vn_put(cur);
	return NULL;
}

int vfs_add_file(const char *path, const u8 *data, u64 size)
{
	struct vnode *dir = vfs_mkparents(path), *n;
	const char *name = strrchr(path, '/') + 1;
	int err = 0;

	if (!dir)
		return -ENOENT;
	n = vfs_child(dir, name);
	if (!n)
		err = create(dir, name, S_IFREG | 0644, &n, true);
	if (!err && !S_ISREG(n->mode))
		err = -EEXIST;
	if (!err) {
		vn_free_data(n);
		n->ro = data;
		n->size = size;
		n->mtime = n->ctime = vfs_now();
	}
	vn_put(n);
	vn_put(dir);
	return err;
}

/* --- volumes (fs.h) ---------------------------------------------------- */

int vfs_mount(struct vnode *dir, struct mount *m)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->mounted || dir == root || dir->mnt || !dir->self)
		return -EBUSY;
	vn_hold(dir);
	m->covered = dir;
	dir->mounted = m;
	/* ".." and paths of the volume's root go through the covered directory */
	m->root->parent = dir->parent;
	m->root->self = dir->self;
	return 0;
}

struct vnode *vfs_mkdir_p(const char *path)
{
	struct vnode *dir = vfs_mkparents(path), *n;
	const char *name = strrchr(path, '/') + 1;

	if (!dir)
		return NULL;
	if (!*name)
		return dir; /* "/" or a trailing slash: dir itself */
	n = vfs_child(dir, name);
	if (!n && create(dir, name, S_IFDIR | 0755, &n, true))
		n = NULL;
	vn_put(dir);
	if (n && !S_ISDIR(n->mode)) {
		vn_put(n);
		return NULL;
	}
	return n;
}

void vfs_count_add(int delta)
{
	nodes += (u64)(s64)delta;
}
