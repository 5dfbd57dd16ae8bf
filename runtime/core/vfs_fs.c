/* vfs_fs.c - the vnodes of a volume's file system (fs.h): made, named and
 * freed for the file systems, apart from the tree (vfs.c) so that their
 * host build (tests/fuzz/fuzz_volume.c) runs the same code. */
#include "errno.h"
#include "fs.h"
#include "kmem.h"

struct vnode *vfs_fs_node(struct mount *m, u32 mode, u64 ino)
{
	struct vnode *n = kmalloc(sizeof(*n));

	if (!n)
		return NULL;
	n->mode = mode;
	n->flags = VN_BOOT | VN_NOCHARGE | (m->rw ? 0 : VN_RO);
	n->ino = ino;
	n->refs = 1;
	n->mnt = m;
	n->next_seq = 2;
	vfs_count_add(1);
	return n;
}

int vfs_fs_name(struct vnode *n, struct vnode *dir, const char *name)
{
	struct dentry *d = NULL;

	if (dir && name) {
		size_t len = strlen(name), size = sizeof(struct dentry) + len + 1;

		d = kmalloc(size);
		if (!d)
			return -ENOMEM;
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
	vfs_count_add(-1);
	kfree(n, sizeof(*n));
}
