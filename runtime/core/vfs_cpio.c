/* vfs_cpio.c - the tree at boot: the packed cpio "newc" archive, the packed
 * file-system settings, and the files every image has (vfs.h).
 *
 * Entries become nodes whose contents stay in the image (n->ro) until the
 * program changes them.  The c compiler writes the settings of unik.json
 * ("readonly" paths, "overlay_size") as the packed file /.unik/fs, one
 * setting per line; it is read here and removed from the tree:
 *
 *   limit 16777216      the overlay's size in bytes (or "limit 25%" of RAM)
 *   readonly /etc       the path and everything under it give EROFS
 *
 * The files every image has (/etc/passwd, /tmp, /dev, /proc...) are made
 * the first time the root is used (its ops' fill, vn_fill), after the
 * archive's, which they never replace: a program that opens no file makes
 * none of them.
 */
#include "errno.h"
#include "mm.h"
#include "vfs.h"
#include "vfs_int.h"

#include "../../abi/etc_defaults.h"

#define CPIO_HDR 110
#define SETTINGS "/.unik/fs"

static bool have_settings; /* the archive packs SETTINGS */

#define BYTES(b) ((b)*0x0101010101010101UL)

/* Eight hex digits (either case), all at once: per byte, the digit's value
 * is its low nibble, plus 9 for a letter (bit 6 set); the byte was a hex
 * digit when that value is below 16 and spells it back (lower case). */
static u64 hex8(const char *s, bool *ok)
{
	u64 x, alpha, n, canon;

	__builtin_memcpy(&x, s, 8);
	alpha = (x >> 6) & BYTES(1);
	n = (x & BYTES(0x0f)) + alpha * 9;
	canon = n + BYTES(0x30) + (((n + BYTES(0x06)) & BYTES(0x10)) >> 4) * 0x27;
	if ((n & BYTES(0xf0)) || canon != (x | alpha << 5))
		*ok = false;
	/* the first digit is the most significant: pair the nibbles, then the bytes */
	n = (n << 4 | n >> 8) & 0x00ff00ff00ff00ffUL;
	n = (n | n >> 8) & 0x0000ffff0000ffffUL;
	return __builtin_bswap32((u32)(n | n >> 16));
}

/* "070701" or "070702" (newc, crc) */
static bool cpio_magic(const char *p)
{
	u32 w;

	__builtin_memcpy(&w, p, 4);
	return w == 0x37303730 && p[4] == '0' && (p[5] == '1' || p[5] == '2');
}

static bool is_trailer(const char *name, u64 namesize)
{
	u64 a, b, ta, tb;

	if (namesize != sizeof("TRAILER!!!"))
		return false;
	__builtin_memcpy(&a, name, 8);
	__builtin_memcpy(&b, name + 3, 8);
	__builtin_memcpy(&ta, "TRAILER!", 8);
	__builtin_memcpy(&tb, "ILER!!!", 8); /* with its NUL */
	return a == ta && b == tb;
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

/* One archive entry at normalised absolute `path`. */
static int add_entry(const char *path, u32 mode, u32 uid, u32 gid, u64 mtime, const u8 *data,
		     u64 size)
{
	const char *name = strrchr(path, '/') + 1;
	struct vnode *dir, *n = NULL;
	struct walk w;
	int err;

	if (!strcmp(path, SETTINGS))
		have_settings = true;
	if (!strcmp(path, "/")) {
		n = vfs_root();
		vn_hold(n);
	} else {
		dir = vfs_mkparents(path);
		if (!dir)
			return -EINVAL;
		err = vfs_walk(dir, name, WALK_PARENT, &w);
		vn_put(dir);
		if (err)
			return err;
		n = w.node;
		if (n && (n->mode & S_IFMT) != (mode & S_IFMT)) {
			walk_done(&w);
			return -EINVAL; /* the same name twice, as two kinds */
		}
		if (!n)
			err = vfs_create(w.dir, name, mode, &n);
		else
			w.node = NULL;
		walk_done(&w);
		if (err)
			return err;
	}
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	n->atime = n->mtime = n->ctime = mtime * 1000000000UL;
	if (S_ISREG(mode) || S_ISLNK(mode)) {
		vn_free_data(n);
		n->ro = size ? data : NULL;
		n->size = size;
	}
	vn_put(n);
	return 0;
}

/* The trailer with its sizes spelt as every writer spells them ("00000000"
 * bytes of data, "0000000B" of name), known by its text with no hex
 * decoding: an image without files has only this.  Any other spelling
 * takes the general path. */
static bool plain_trailer(const char *p, const char *end)
{
	u64 fsize, nsize, zero, eleven;

	if (end - p < (long)ALIGN_UP(CPIO_HDR + sizeof("TRAILER!!!"), 4))
		return false;
	__builtin_memcpy(&fsize, p + 54, 8);
	__builtin_memcpy(&nsize, p + 94, 8);
	__builtin_memcpy(&zero, "00000000", 8);
	__builtin_memcpy(&eleven, "0000000B", 8);
	return fsize == zero && nsize == eleven && is_trailer(p + CPIO_HDR, sizeof("TRAILER!!!"));
}

static int read_archive(const void *data, u64 size)
{
	const char *p = data, *end = p + size;
	bool ok = true;
	int count = 0;

	while (p + CPIO_HDR <= end) {
		u64 mode, uid, gid, fsize, namesize, mtime;
		const char *name;
		char path[PATH_MAX];
		int err;

		if (!cpio_magic(p))
			return -EINVAL;
		if (plain_trailer(p, end))
			break;
		/* the sizes first: the trailer needs no more */
		fsize = hex8(p + 54, &ok);
		namesize = hex8(p + 94, &ok);
		if (!ok || namesize == 0 || namesize > (u64)(end - p - CPIO_HDR))
			return -EINVAL;
		name = p + CPIO_HDR;
		p = (const char *)ALIGN_UP((u64)(name + namesize), 4);
		if (fsize > (u64)(end - p) || p > end)
			return -EINVAL;
		if (name[namesize - 1] || is_trailer(name, namesize))
			break;
		mode = hex8(name - CPIO_HDR + 14, &ok);
		uid = hex8(name - CPIO_HDR + 22, &ok);
		gid = hex8(name - CPIO_HDR + 30, &ok);
		mtime = hex8(name - CPIO_HDR + 46, &ok);
		if (!ok)
			return -EINVAL;
		if (vfs_join("/", name, path, sizeof(path)))
			return -EINVAL;
		err = add_entry(path, (u32)mode, (u32)uid, (u32)gid, mtime, (const u8 *)p, fsize);
		if (err == -ENOSPC || err == -ENOMEM)
			return -ENOMEM;
		if (err)
			return -EINVAL;
		count++;
		p = (const char *)ALIGN_UP((u64)(p + fsize), 4);
	}
	return count;
}

void vfs_mark_readonly(struct vnode *n)
{
	n->flags |= VN_RO;
	if (!S_ISDIR(n->mode))
		return;
	vn_fill(n); /* (which marks what it made) */
	for (struct dentry *d = n->first; d; d = d->next)
		vfs_mark_readonly(d->node);
}

static u64 parse_size(const char *s, bool *pct)
{
	u64 v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (u64)(*s++ - '0');
	*pct = *s == '%';
	return v;
}

/* Reads /.unik/fs, removes it, and applies it. */
static void apply_settings(u64 *limit)
{
	struct vnode *n = have_settings ? vfs_lookup(SETTINGS) : NULL, *unik;
	char buf[2048], *line;
	u64 len;

	if (!n)
		return;
	len = vn_read(n, 0, buf, sizeof(buf) - 1);
	buf[len] = 0;
	vn_put(n);
	unik = vfs_lookup("/.unik");
	if (unik) {
		vfs_unlink(unik, "fs", false);
		vn_put(unik);
		vfs_unlink(vfs_root(), ".unik", true); /* unless the program's files use it */
	}
	for (line = buf; *line;) {
		char *nl = strchr(line, '\n');
		bool pct;

		if (nl)
			*nl = 0;
		if (!strncmp(line, "limit ", 6)) {
			u64 v = parse_size(line + 6, &pct);

			*limit = pct ? frames_total() * PAGE_SIZE / 100 * MIN(v, 100) : v;
		} else if (!strncmp(line, "readonly ", 9)) {
			struct vnode *r = vfs_lookup(line + 9);

			if (r) {
				vfs_mark_readonly(r);
				vn_put(r);
			} else {
				kprintf("unikernel: fs: read-only path %s is not in the image\n",
					line + 9);
			}
		}
		if (!nl)
			break;
		line = nl + 1;
	}
}

static const char default_passwd[] = UNIK_ETC_PASSWD;
static const char default_group[] = UNIK_ETC_GROUP;
static const char default_hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
				    "ip6-loopback\n";

/* Adds path when the archive has none: a directory, a regular file with
 * contents `text`, or a symlink to `text` (both stay in the image until
 * the program changes them), `len` bytes.  One walk to the parent, one
 * lookup. */
static void add_default(const char *path, u32 mode, const char *text, u64 len)
{
	struct vnode *dir = vfs_mkparents(path), *n;
	const char *name = strrchr(path, '/') + 1;

	if (!dir)
		return;
	n = vfs_child(dir, name);
	if (!n && !vfs_create(dir, name, mode, &n) && text) {
		n->ro = (const u8 *)text;
		n->size = len;
	}
	vn_put(n);
	vn_put(dir);
}

/* The root's default entries that only a path of the program's choosing
 * reaches (/etc, /tmp, /run...; /proc and /sys): the image link defines the
 * hooks unik_tree_defaults and unik_proc_init (syscall_table.h) only when
 * its program makes such a call, and leaves these out otherwise.  /dev is
 * always made: musl opens /dev/null by its fixed path. */
void tree_defaults(void);
extern void unik_tree_defaults(void) __attribute__((weak));
extern int unik_proc_init(void) __attribute__((weak));

void tree_defaults(void)
{
	add_default("/etc/passwd", S_IFREG | 0644, default_passwd, sizeof(default_passwd) - 1);
	add_default("/etc/group", S_IFREG | 0644, default_group, sizeof(default_group) - 1);
	add_default("/etc/hosts", S_IFREG | 0644, default_hosts, sizeof(default_hosts) - 1);
	add_default("/tmp", S_IFDIR | 01777, NULL, 0);
	add_default("/var/tmp", S_IFDIR | 01777, NULL, 0);
	add_default("/var/log", S_IFDIR | 0755, NULL, 0);
	add_default("/run", S_IFDIR | 0755, NULL, 0);
	add_default("/var/run", S_IFLNK | 0777, "../run", 6);
}

/* The root's default entries, made the first time the root is used
 * (vn_fill): most programs never open a file. */
static void defaults_fill(struct vnode *root)
{
	if (unik_tree_defaults)
		unik_tree_defaults();
	if (dev_init() || (unik_proc_init && unik_proc_init()))
		kprintf("unikernel: /dev, /proc or /sys is missing: out of memory\n");
}

static const struct vnode_ops defaults_ops = { .fill = defaults_fill };

int vfs_init(const void *data, u64 size, u64 default_limit)
{
	u64 limit = default_limit;
	int count;

	vfs_init_root();
	count = read_archive(data, size);
	if (count < 0)
		return count;
	vfs_root()->ops = &defaults_ops;
	apply_settings(&limit);
	vfs_set_limit(limit);
	vfs_charging(true);
	return count;
}
