/* untar.h - safe extraction of an uploaded source tarball.
 *
 * Accepts tar, optionally gzip/bzip2/xz-compressed.  Refuses (INVALID)
 * entries with absolute paths or ".." components, symlinks whose target is
 * absolute or climbs out of the tree, hard links out of the tree, and
 * device/fifo/socket entries; stops with TOO_LARGE once more than
 * `max_bytes` would be written.  Nothing is ever written outside `dest`.
 */
#ifndef UNIKD_UNTAR_H
#define UNIKD_UNTAR_H

#include "../lib/error.h"

/* Extracts `archive_path` into the existing folder `dest`; *files gets the
 * number of entries written. */
int untar_safe(const char *archive_path, const char *dest, long long max_bytes, long *files,
	       struct unik_err *err);

#endif
