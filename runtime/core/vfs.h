/* vfs.h - the file tree: one in-memory tree (a tmpfs) of every file the
 * program sees.
 *
 * At boot the packed archive (cpio newc, vfs_cpio.c) becomes nodes whose
 * contents stay in the image, read-only, until the program first changes
 * them (the contents are then copied into frames).  Everything the program
 * creates lives in frames (vfs_data.c), up to the overlay's size limit
 * (ENOSPC).  Directories keep their entries in creation order; one hash of
 * (directory, name) finds them.  Synthetic nodes (/proc, /dev) carry
 * vnode_ops or file_ops instead of data.  Nothing persists after exit.
 *
 * Nodes are counted: an open file, the working directory and a walk in
 * progress hold one (vn_hold/vn_put); a node is freed when it has no name
 * left and nobody holds it.
 */
#ifndef UNIK_RT_VFS_H
#define UNIK_RT_VFS_H

#include "kernel.h"

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define PATH_MAX 4096
#define NAME_MAX 255
#define SYMLOOP_MAX 40

/* vnode flags */
#define VN_RO 1 /* read-only (unik.json "readonly", /proc): changes give EROFS */
#define VN_NOCHARGE 2 /* contents not counted against the overlay (generated files) */
#define VN_TMPFILE 4 /* an O_TMPFILE file: linkat may give it a name */
#define VN_BOOT 8 /* made at boot: the node itself is not counted */

struct vnode;
struct file;

/* One name in a directory. */
struct dentry {
	struct dentry *hnext; /* hash chain */
	struct dentry *prev, *next; /* the directory's entries, oldest first */
	struct vnode *dir, *node;
	u64 seq; /* position in the directory's listing (>= 2; "." and ".." are 0, 1) */
	u32 size; /* bytes allocated */
	u8 charged; /* counted against the overlay (made after boot) */
	u8 pad;
	u16 len;
	char name[]; /* NUL-terminated */
};

/* What a synthetic node does instead of holding data (every member may be
 * NULL). */
struct vnode_ops {
	/* Directory: the child `name` (held), or NULL. */
	struct vnode *(*lookup)(struct vnode *dir, const char *name);
	/* Directory: the child after *pos (held), advancing *pos, with its name
	 * in name[0..size); NULL at the end. */
	struct vnode *(*next)(struct vnode *dir, u64 *pos, char *name, size_t size);
	/* Symlink: its target into buf[0..size) (not NUL-terminated): length or -errno. */
	long (*readlink)(struct vnode *n, char *buf, size_t size);
	/* Magic link (/proc/self/fd/N): the open file it names, or NULL. */
	struct file *(*link_file)(struct vnode *n);
	/* Generated file: writes its contents into `out`, an unnamed regular
	 * file the open file will read (vn_append). 0 or -errno. */
	int (*generate)(struct vnode *n, struct vnode *out);
	/* The last hold of an unnamed synthetic node is gone: release its priv
	 * (the node itself is freed after). */
	void (*drop)(struct vnode *n);
	/* Directory whose entries are made the first time anything needs them
	 * (vn_fill: a lookup or listing in it, a create, link, unlink or rename
	 * there, its removal, stat, a read-only mark): makes them with the
	 * tree's usual calls.  ops is cleared first; nothing made is counted
	 * against the overlay (the runtime's own files). */
	void (*fill)(struct vnode *dir);
};

struct vnode {
	u32 mode; /* S_IF* type and permission bits */
	u32 nlink; /* names (non-directories); 2 + subdirectories (directories) */
	u32 uid, gid;
	u32 refs; /* holds: open files, cwd, walks */
	u32 rdev; /* devices: major << 8 | minor */
	u32 cpages; /* pages of contents counted against the overlay */
	u16 flags; /* VN_* */
	u8 height; /* of the data's page tree */
	u8 pad;
	u64 ino, size;
	u64 atime, mtime, ctime; /* ns since the epoch */
	const u8 *ro; /* packed contents (or symlink target) not copied yet */
	u64 data; /* physical address of the page-tree root, 0 when empty */
	const struct vnode_ops *ops; /* synthetic nodes */
	const struct file_ops *fops; /* devices: what open() gives */
	void *priv; /* devices, sockets, synthetic nodes */
	struct dentry *self; /* a name of the node (NULL once it has none) */
	struct mount *mnt; /* the file system of a volume it belongs to (fs.h), or NULL */
	struct mount *mounted; /* a directory covered by a volume (fs.h), or NULL */
	/* directories */
	struct vnode *parent; /* NULL once removed (the root is its own parent) */
	struct dentry *first, *last;
	u64 next_seq;
	u32 nchildren;
};

/* Walk flags */
#define WALK_FOLLOW 1 /* follow a symlink in the last component */
#define WALK_PARENT 2 /* the last component may be missing (create) */

/* The result of a walk: the last component's directory and node (both
 * held; node NULL when missing under WALK_PARENT), its name, and whether
 * the path ended in '/'.  name is "." or ".." when the path ended so. */
struct walk {
	struct vnode *dir, *node;
	bool slash;
	char name[NAME_MAX + 1];
};

/* --- vfs.c: the tree -------------------------------------------------- */

/* Empties the tree to a root directory (mode 0755).  Called once at boot. */
void vfs_init_root(void);
struct vnode *vfs_root(void);
/* chroot(2): absolute paths (and "..") start from the folder dir from now
 * on; paths the tree reports (getcwd, /proc) are relative to it. */
void vfs_chroot(struct vnode *dir);
void vn_hold(struct vnode *n);
void vn_put(struct vnode *n);
/* Resolves path from `base` (absolute paths from the root, or chroot's
 * folder): 0 with *w
 * filled, or -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG.  The empty path is
 * -ENOENT.  Release with walk_done(). */
int vfs_walk(struct vnode *base, const char *path, int flags, struct walk *w);
void walk_done(struct walk *w);
/* The held node at an absolute path (symlinks followed), or NULL. */
struct vnode *vfs_lookup(const char *path);
/* A new node `name` in dir (held in *out): 0, -EEXIST, -EROFS, -ENOENT
 * (dir removed), -ENOTDIR, -ENOSPC or -ENAMETOOLONG.  mode has the type. */
int vfs_create(struct vnode *dir, const char *name, u32 mode, struct vnode **out);
/* A new unnamed node (O_TMPFILE, memfd): held, or NULL. */
struct vnode *vfs_new_node(u32 mode);
/* The same, not counted against the overlay, nor its contents (the
 * runtime's own: generated /proc files, /proc/self/fd links). */
struct vnode *vfs_new_synthetic(u32 mode);
/* Another name for the non-directory n: 0, -EEXIST, -EPERM, -EROFS, -ENOSPC. */
int vfs_link(struct vnode *dir, const char *name, struct vnode *n);
/* Removes `name` from dir: a directory (rmdir) when `want_dir`, else a
 * non-directory.  0, -ENOENT, -EISDIR, -ENOTDIR, -ENOTEMPTY, -EBUSY, -EROFS. */
int vfs_unlink(struct vnode *dir, const char *name, bool want_dir);
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4
/* rename(2)/renameat2(2) semantics: 0 or -errno. */
int vfs_rename(struct vnode *odir, const char *oname, struct vnode *ndir, const char *nname,
	       unsigned flags);
/* The entry after *pos in dir (held), advancing *pos; its name in name. */
struct vnode *vfs_dir_next(struct vnode *dir, u64 *pos, char *name, size_t size);
/* The absolute path of n into buf: its length, or -ENOENT (no name, or
 * outside chroot's folder) or -ENAMETOOLONG. */
long vfs_path_of(const struct vnode *n, char *buf, size_t size);
/* Makes the entries of a directory whose ops has fill (nothing otherwise). */
void vn_fill(struct vnode *dir);
/* Is n (or a directory it sits in) read-only? */
bool vn_readonly(const struct vnode *n);
/* Symlink target of n into buf[0..size): length or -errno. */
long vn_readlink(struct vnode *n, char *buf, size_t size);
/* Nodes in the tree. */
u64 vfs_count(void);
/* For vfs_fs.c: a file system's node made (1) or freed (-1). */
void vfs_count_add(int delta);
/* ns since the epoch, for timestamps. */
u64 vfs_now(void);
/* The directory that would hold the absolute `path` (held), made with its
 * missing parents (mode 0755); NULL when a component is not a directory. */
struct vnode *vfs_mkparents(const char *path);
/* Adds (or replaces the contents of) the regular file at absolute `path`
 * with [data, data + size), which must stay valid; adds missing parent
 * directories (the runtime's own files: read-only marks do not stop it).
 * 0 or -errno. */
int vfs_add_file(const char *path, const u8 *data, u64 size);

/* --- vfs_data.c: contents and the overlay's budget --------------------- */

/* Reads up to len bytes at off into dst (kernel or checked user memory):
 * the bytes read. */
u64 vn_read(struct vnode *n, u64 off, void *dst, u64 len);
/* The contents at off as one run of bytes: its address and *len (up to the
 * end of its page, or of the packed contents); NULL for a hole of *len
 * bytes (reads as zeros), or at the end (*len 0). */
const u8 *vn_map(struct vnode *n, u64 off, u64 *len);
/* Writes [src, src + len) at off, growing the file: bytes written (short
 * when the overlay fills up), or -ENOSPC / -EFBIG when none could be. */
long vn_write(struct vnode *n, u64 off, const void *src, u64 len);
/* Appends to a generated (uncounted) file; ignores errors (truncates). */
void vn_append(struct vnode *n, const char *s, u64 len);
/* Sets the size: 0, -ENOSPC or -EFBIG. */
int vn_truncate(struct vnode *n, u64 size);
/* Reserves the pages of [off, off + len) (fallocate): 0 or -ENOSPC. */
int vn_allocate(struct vnode *n, u64 off, u64 len);
/* Frees the contents (a node being freed). */
void vn_free_data(struct vnode *n);
/* The overlay's budget: metadata and contents made after boot count.
 * vfs_charge is false when the bytes do not fit; before boot ends it counts
 * nothing (vfs_counting() false), and what it did not count must not be
 * given back. */
bool vfs_charge(u64 bytes);
void vfs_uncharge(u64 bytes);
bool vfs_counting(void);
void vfs_set_limit(u64 bytes);
void vfs_charging(bool on);
u64 vfs_limit(void);
u64 vfs_used(void);

/* --- vfs_cpio.c: boot ------------------------------------------------- */

/* Builds the tree from the archive at [data, data+size), applies the
 * packed file-system settings (/.unik/fs, from unik.json), adds /dev,
 * /proc, /tmp and default /etc files, and sets the overlay's limit to
 * `default_limit` unless the settings give one.  The number of packed
 * entries, or -EINVAL when the archive is malformed, -ENOMEM. */
int vfs_init(const void *data, u64 size, u64 default_limit);
/* Joins `path` to `base` (when relative) and normalises "." and ".."
 * lexically into out.  0, or -ENAMETOOLONG. */
int vfs_join(const char *base, const char *path, char *out, size_t size);

/* Marks n and everything under it read-only. */
void vfs_mark_readonly(struct vnode *n);

/* fs_dev.c, fs_proc.c: the synthetic trees, made at boot. */
int dev_init(void);
int proc_init(void);

#endif
