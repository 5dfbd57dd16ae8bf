/* cpio.h - a writer for uncompressed "newc" cpio archives, the format the
 * Linux kernel unpacks as its initramfs.
 *
 * Entries get uid/gid 0 and mtime 0, so the same inputs make the same
 * archive.  Names are relative ("init", "dev/console"); a later entry of the
 * same name replaces an earlier one when the kernel unpacks the archive.
 */
#ifndef UNIK_CPIO_H
#define UNIK_CPIO_H

#include <stddef.h>
#include <stdio.h>

#include "../../lib/error.h"

struct cpio_writer {
	FILE *f;
	char *path;
	unsigned long long off; /* bytes written so far */
	unsigned ino; /* last inode number handed out */
};

/* Creates the archive at `path` as a new file (what was there is replaced,
 * never written through). */
int cpio_open(struct cpio_writer *w, const char *path, struct unik_err *err);
/* A directory with permission bits `perm`. */
int cpio_add_dir(struct cpio_writer *w, const char *name, unsigned perm, struct unik_err *err);
/* A regular file holding `len` bytes of `data`. */
int cpio_add_data(struct cpio_writer *w, const char *name, const void *data, size_t len,
		  unsigned perm, struct unik_err *err);
/* A regular file copied from the host file `src` (a trusted path). */
int cpio_add_file(struct cpio_writer *w, const char *name, const char *src, unsigned perm,
		  struct unik_err *err);
/* A regular file read from the open file `fd` (left open). */
int cpio_add_file_fd(struct cpio_writer *w, const char *name, int fd, unsigned perm,
		     struct unik_err *err);
/* A character device node (e.g. dev/console, 5, 1). */
int cpio_add_chardev(struct cpio_writer *w, const char *name, unsigned perm, unsigned major,
		     unsigned minor, struct unik_err *err);
/* Everything below the open folder `dirfd` (files, folders, symlinks; other
 * types are skipped), named under `prefix` ("" for the root), sorted by
 * name.  Read by descriptor only (openat with O_NOFOLLOW): a symlink in the
 * tree is stored as a symlink, never followed, so the archive cannot hold a
 * file from outside the tree. */
int cpio_add_tree(struct cpio_writer *w, const char *prefix, int dirfd, struct unik_err *err);
/* Writes the trailer and closes the file. */
int cpio_finish(struct cpio_writer *w, struct unik_err *err);
/* Closes and removes an unfinished archive; safe after cpio_finish(). */
void cpio_abort(struct cpio_writer *w);

#endif
