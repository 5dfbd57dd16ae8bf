/* vfs.h - the read-only file tree packed into the image (cpio newc),
 * mounted at "/". */
#ifndef UNIK_RT_VFS_H
#define UNIK_RT_VFS_H

#include "kernel.h"

#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFLNK 0120000
#define S_IFSOCK 0140000
#define PATH_MAX 4096

struct vnode {
	const char *path; /* absolute, normalised, NUL-terminated ("/" for the root) */
	u32 mode;
	u32 nlink;
	const u8 *data; /* file contents or symlink target */
	u64 size;
	u64 ino;
	u64 mtime;
};

/* Indexes the archive at [data, data+size); returns the number of entries
 * or -EINVAL if it is malformed.  An empty archive gives an empty root. */
int vfs_init(const void *data, u64 size);
/* The node at an absolute normalised path, or NULL. */
struct vnode *vfs_lookup(const char *path);
/* Joins `path` to `base` (when relative) and normalises "." and ".."
 * into out.  0, or -ENAMETOOLONG. */
int vfs_join(const char *base, const char *path, char *out, size_t size);
/* The child after *cookie in directory `dir`, advancing *cookie; NULL at the end. */
struct vnode *vfs_next_child(const struct vnode *dir, u64 *cookie);
/* The final path component of a node ("/" for the root). */
const char *vfs_basename(const struct vnode *n);
/* The number of packaged and added nodes. */
int vfs_count(void);
/* Adds (or replaces the contents of) the regular file at absolute path
 * `path` with [data, data + size), which must stay valid; adds its parent
 * directory when missing (one level).  0, -EEXIST (not a regular file) or
 * -ENOMEM (tables full). */
int vfs_add_file(const char *path, const u8 *data, u64 size);

#endif
