/* oci_tar.h - deterministic tar files for OCI layouts: the runnable
 * image's rootfs layer and the layout tar of `unik save`.  Entries belong
 * to 0:0, have mtime 0 and come in the order given (folders sorted), so the
 * same input always gives the same bytes (and digest). */
#ifndef UNIKD_OCI_TAR_H
#define UNIKD_OCI_TAR_H

#include <stddef.h>

#include "../lib/error.h"

struct oci_tar_entry {
	const char *name; /* path in the archive; a trailing '/' makes a folder */
	unsigned mode;
	const char *src; /* a file's content: this file, or */
	const char *data; /* these bytes */
	size_t len;
};

/* Writes the entries as an uncompressed pax tar to `out` (created 0600). */
int oci_tar_write(const char *out, const struct oci_tar_entry *ents, size_t n,
		  struct unik_err *err);
/* Writes the folder `dir` (regular files and folders only, names sorted,
 * the folder itself not included) as a tar to `out`. */
int oci_tar_dir(const char *dir, const char *out, struct unik_err *err);

#endif
