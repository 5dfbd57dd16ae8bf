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
/* Writes `len` bytes to `path` through a temporary file and rename(). */
int fs_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct unik_err *err);
/* rm -rf; a missing path is not an error. */
int fs_remove_tree(const char *path, struct unik_err *err);
int fs_copy_file(const char *src, const char *dst, unsigned mode, struct unik_err *err);
/* 1 if `path` exists (any type), 0 if not. */
int fs_exists(const char *path);
/* Size in bytes of a regular file, or -1. */
long long fs_file_size(const char *path);

#endif
