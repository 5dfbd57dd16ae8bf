/* fsutil.h - small file-system helpers.  All return 0 / -1 with `err`. */
#ifndef UNIK_FSUTIL_H
#define UNIK_FSUTIL_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

/* mkdir -p with `mode` for the directories it creates. */
int fs_mkdir_p(const char *path, unsigned mode, struct unik_err *err);
/* Appends the whole file to `out`. */
int fs_read_file(const char *path, struct strbuf *out, struct unik_err *err);
/* Writes `len` bytes to `path` through a fresh temporary file (O_EXCL, in
 * `path`'s folder, which is opened with O_NOFOLLOW) and rename(). */
int fs_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct unik_err *err);
/* rm -rf; a missing path is not an error.  Works by file descriptor
 * (lib/rmtree.c): no path length limit, never follows a symlink, does not
 * cross into other file systems. */
int fs_remove_tree(const char *path, struct unik_err *err);
/* The same for the entry `name` of the folder `dirfd`. */
int fs_remove_tree_at(int dirfd, const char *name, struct unik_err *err);
/* Copies `src` to a new file `dst` (see safe_create: never written through a
 * link at `dst`). */
int fs_copy_file(const char *src, const char *dst, unsigned mode, struct unik_err *err);
/* 1 if `path` exists (any type), 0 if not. */
int fs_exists(const char *path);
/* Size in bytes of a regular file, or -1. */
long long fs_file_size(const char *path);

#endif
