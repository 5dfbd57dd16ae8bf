/* vfs_cpio.c - the packaged files: a cpio "newc" archive indexed at boot.
 *
 * Entries are kept in archive order with their names normalised to
 * absolute paths; lookups are linear (archives are small).  Directories
 * that only appear as prefixes of other entries are not synthesised: the
 * packer (compilers/c) writes an entry for every directory.
 */
#include "errno.h"
#include "vfs.h"

#define MAX_NODES 2048
#define CPIO_HDR 110

static struct vnode nodes[MAX_NODES];
static int nnodes;
static char names[64 * 1024];
static size_t names_used;

static u64 hex8(const char *s, bool *ok)
{
	u64 v = 0;

	for (int i = 0; i < 8; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			*ok = false;
	}
	return v;
}

int vfs_join(const char *base, const char *path, char *out, size_t size)
{
	size_t len = 0;
	const char *parts[2] = { path[0] == '/' ? "" : base, path };

	/* out is built as "/a/b"; components are appended one at a time. */
	for (int p = 0; p < 2; p++) {
		const char *s = parts[p];

		while (*s) {
			const char *e;
			size_t n;

			while (*s == '/')
				s++;
			e = s;
			while (*e && *e != '/')
				e++;
			n = (size_t)(e - s);
			if (n == 0 || (n == 1 && s[0] == '.')) {
				/* nothing */
			} else if (n == 2 && s[0] == '.' && s[1] == '.') {
				while (len > 0 && out[len - 1] != '/')
					len--;
				if (len > 0)
					len--;
			} else {
				if (len + 1 + n + 1 > size)
					return -ENAMETOOLONG;
				out[len++] = '/';
				memcpy(out + len, s, n);
				len += n;
			}
			s = e;
		}
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = 0;
	return 0;
}

static struct vnode root = { "/", S_IFDIR | 0555, 2, NULL, 0, 1, 0 };

int vfs_init(const void *data, u64 size)
{
	const char *p = data, *end = p + size;
	bool ok = true;

	while (p + CPIO_HDR <= end) {
		u64 mode, fsize, namesize, mtime, nlink, ino;
		const char *name;
		char path[PATH_MAX];
		struct vnode *n;
		size_t plen;

		if (memcmp(p, "070701", 6) && memcmp(p, "070702", 6))
			return -EINVAL;
		ino = hex8(p + 6, &ok);
		mode = hex8(p + 14, &ok);
		nlink = hex8(p + 38, &ok);
		mtime = hex8(p + 46, &ok);
		fsize = hex8(p + 54, &ok);
		namesize = hex8(p + 94, &ok);
		if (!ok || namesize == 0 || namesize > (u64)(end - p - CPIO_HDR))
			return -EINVAL;
		name = p + CPIO_HDR;
		p = (const char *)ALIGN_UP((u64)(name + namesize), 4);
		if (fsize > (u64)(end - p))
			return -EINVAL;
		if (name[namesize - 1] || !strcmp(name, "TRAILER!!!"))
			break;
		if (vfs_join("/", name, path, sizeof(path)))
			return -EINVAL;
		plen = strlen(path) + 1;
		if (!strcmp(path, "/")) {
			root.mtime = mtime;
		} else {
			if (nnodes == MAX_NODES || names_used + plen > sizeof(names))
				return -ENOMEM;
			memcpy(names + names_used, path, plen);
			n = &nodes[nnodes++];
			n->path = names + names_used;
			names_used += plen;
			n->mode = (u32)mode;
			n->nlink = (u32)(nlink ? nlink : 1);
			n->data = (const u8 *)p;
			n->size = fsize;
			n->ino = ino ? ino + 2 : (u64)nnodes + 2;
			n->mtime = mtime;
		}
		p = (const char *)ALIGN_UP((u64)(p + fsize), 4);
	}
	return nnodes;
}

struct vnode *vfs_lookup(const char *path)
{
	if (!strcmp(path, "/"))
		return &root;
	for (int i = 0; i < nnodes; i++) {
		if (!strcmp(nodes[i].path, path))
			return &nodes[i];
	}
	return NULL;
}

const char *vfs_basename(const struct vnode *n)
{
	const char *slash = n->path, *s;

	for (s = n->path; *s; s++) {
		if (*s == '/')
			slash = s;
	}
	return slash[1] ? slash + 1 : slash;
}

/* Is n a direct child of the directory with path dir? */
static bool is_child(const struct vnode *n, const char *dir)
{
	size_t dl = strcmp(dir, "/") ? strlen(dir) : 0;

	if (strncmp(n->path, dir, dl) || n->path[dl] != '/' || !n->path[dl + 1])
		return false;
	return !strchr(n->path + dl + 1, '/');
}

struct vnode *vfs_next_child(const struct vnode *dir, u64 *cookie)
{
	while (*cookie < (u64)nnodes) {
		struct vnode *n = &nodes[(*cookie)++];

		if (is_child(n, dir->path))
			return n;
	}
	return NULL;
}

/* Appends a node; NULL when the tables are full. */
static struct vnode *add_node(const char *path, u32 mode, const u8 *data, u64 size)
{
	size_t plen = strlen(path) + 1;
	struct vnode *n;

	if (nnodes == MAX_NODES || names_used + plen > sizeof(names))
		return NULL;
	memcpy(names + names_used, path, plen);
	n = &nodes[nnodes++];
	*n = (struct vnode){ names + names_used, mode, 1, data, size, (u64)nnodes + 100000, 0 };
	names_used += plen;
	return n;
}

int vfs_add_file(const char *path, const u8 *data, u64 size)
{
	char dir[PATH_MAX];
	struct vnode *n = vfs_lookup(path);
	size_t dl;

	if (n) {
		if ((n->mode & S_IFMT) != S_IFREG)
			return -EEXIST;
		n->data = data;
		n->size = size;
		return 0;
	}
	dl = (size_t)(strrchr(path, '/') - path);
	if (dl >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, dl);
	dir[dl] = 0;
	if (dl && !vfs_lookup(dir) && !add_node(dir, S_IFDIR | 0555, NULL, 0))
		return -ENOMEM;
	return add_node(path, S_IFREG | 0444, data, size) ? 0 : -ENOMEM;
}

int vfs_count(void)
{
	return nnodes;
}
