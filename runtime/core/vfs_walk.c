/* vfs_walk.c - path walks over the file tree (vfs.h): symlinks (at most
 * 40 per walk), ".." within the root, mount points handed to their file
 * system by vfs_child(). */
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "kmem.h"
#include "vfs.h"
#include "vfs_int.h"

/* The target of the symlink n (or of a synthetic link) into buf. */
long vn_readlink(struct vnode *n, char *buf, size_t size)
{
	if (!S_ISLNK(n->mode))
		return -EINVAL;
	if (n->ops && n->ops->readlink)
		return n->ops->readlink(n, buf, size);
	return (long)vn_read(n, 0, buf, MIN(n->size, (u64)size));
}

void walk_done(struct walk *w)
{
	vn_put(w->node);
	vn_put(w->dir);
	w->node = w->dir = NULL;
}

/* Replaces the walk's remaining path `rest` with `target` + "/" + rest in
 * *buf (allocated on first use).  0 or -errno. */
static int expand_link(struct vnode *link, char **buf, const char **rest, bool slash)
{
	size_t rlen = strlen(*rest);
	bool dynamic = link->ops && link->ops->readlink;
	char *tmp = NULL;
	long tlen;

	if (!*buf && !(*buf = kscratch()))
		return -ENOMEM;
	if (dynamic) {
		tmp = kscratch();
		tlen = tmp ? vn_readlink(link, tmp, PATH_MAX) : -ENOMEM;
	} else {
		tlen = (long)link->size;
	}
	if (tlen == 0)
		tlen = -ENOENT;
	else if (tlen > 0 && (size_t)tlen + 1 + rlen + 1 > PATH_MAX)
		tlen = -ENAMETOOLONG;
	if (tlen > 0) {
		/* a '/' joins target and rest, and keeps a trailing slash of the link's name */
		memmove(*buf + tlen + 1, *rest, rlen + 1);
		(*buf)[tlen] = rlen || slash ? '/' : 0;
		if (dynamic)
			memcpy(*buf, tmp, (size_t)tlen);
		else
			vn_read(link, 0, *buf, (u64)tlen);
		*rest = *buf;
	}
	kscratch_free(tmp);
	return tlen < 0 ? (int)tlen : 0;
}

int vfs_walk(struct vnode *base, const char *path, int flags, struct walk *w)
{
	struct vnode *cur = path[0] == '/' ? vfs_top() : base, *next = NULL;
	const char *p = path;
	char *buf = NULL;
	int links = 0, err = 0;

	w->dir = w->node = NULL;
	w->slash = false;
	if (!*path)
		return -ENOENT;
	vn_hold(cur);
	for (;;) {
		const char *e, *q;
		size_t len;
		bool last;

		while (*p == '/')
			p++;
		if (!*p) {
			/* "/", or a path that ends after "." or a link: cur itself */
			vn_hold(cur);
			w->dir = cur;
			w->node = cur;
			w->slash = true;
			strlcpy(w->name, ".", sizeof(w->name));
			goto out; /* cur's hold and the new one are dir's and node's */
		}
		for (e = p; *e && *e != '/'; e++)
			;
		for (q = e; *q == '/'; q++)
			;
		len = (size_t)(e - p);
		last = !*q;
		if (len > NAME_MAX) {
			err = -ENAMETOOLONG;
			goto fail;
		}
		if (!S_ISDIR(cur->mode)) {
			err = -ENOTDIR;
			goto fail;
		}
		memcpy(w->name, p, len);
		w->name[len] = 0;
		if (!strcmp(w->name, ".")) {
			next = cur;
			vn_hold(next);
		} else if (!strcmp(w->name, "..")) {
			next = cur == vfs_top() || cur == vfs_root() ? cur : cur->parent;
			if (!next) {
				err = -ENOENT;
				goto fail;
			}
			vn_hold(next);
		} else {
			next = vfs_child(cur, w->name);
			if (next && next->mounted) { /* into the volume mounted there */
				struct vnode *r = next->mounted->root;

				vn_hold(r);
				vn_put(next);
				next = r;
			}
		}
		if (!next) {
			if (last && (flags & WALK_PARENT)) {
				w->dir = cur;
				w->slash = *e == '/';
				goto out;
			}
			err = -ENOENT;
			goto fail;
		}
		if (S_ISLNK(next->mode) && (!last || (flags & WALK_FOLLOW) || *e == '/')) {
			if (++links > SYMLOOP_MAX) {
				err = -ELOOP;
				goto fail_next;
			}
			if (next->ops && next->ops->link_file) {
				struct file *f = next->ops->link_file(next);
				struct vnode *to = f ? f->node : NULL;

				if (!f) {
					err = -ENOENT;
					goto fail_next;
				}
				if (to) {
					vn_hold(to);
					vn_put(next);
					next = to;
				} else if (!last) {
					err = -ENOTDIR;
					goto fail_next;
				}
			} else {
				const char *rest = q;

				err = expand_link(next, &buf, &rest, *e == '/');
				if (err)
					goto fail_next;
				if (buf[0] == '/') {
					vn_put(cur);
					cur = vfs_top();
					vn_hold(cur);
				}
				vn_put(next);
				next = NULL;
				p = rest;
				continue;
			}
		}
		if (last) {
			w->dir = cur;
			w->node = next;
			w->slash = *e == '/';
			if (w->slash && !S_ISDIR(next->mode)) {
				walk_done(w);
				kscratch_free(buf);
				return -ENOTDIR;
			}
			goto out;
		}
		vn_put(cur);
		cur = next;
		next = NULL;
		p = q;
	}
out:
	kscratch_free(buf);
	return 0;
fail_next:
	vn_put(next);
fail:
	vn_put(cur);
	kscratch_free(buf);
	return err;
}

struct vnode *vfs_lookup(const char *path)
{
	struct walk w;
	struct vnode *n;

	if (vfs_walk(vfs_root(), path, WALK_FOLLOW, &w))
		return NULL;
	n = w.node;
	w.node = NULL;
	walk_done(&w);
	return n;
}
