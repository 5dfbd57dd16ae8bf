/* untar.h - safe extraction of an uploaded source tarball.
 *
 * Accepts tar (ustar, pax, GNU), optionally gzip/bzip2/xz-compressed, and
 * writes it with file-descriptor-relative calls only (mkdirat, openat with
 * O_NOFOLLOW, symlinkat, linkat), so nothing is ever written outside `dest`
 * or through a symlink.  Refused (INVALID): absolute names, ".." in names,
 * names over UNTAR_MAX_PATH bytes or UNTAR_MAX_DEPTH folders deep, an entry
 * that is a folder in one place and a file in another, absolute symlinks and
 * symlinks that lead outside `dest` when resolved in the extracted tree
 * (links through links included), hard links to anything but an earlier
 * regular file of the archive, devices, fifos and sockets.  Refused
 * (TOO_LARGE): more than max_bytes of file contents counted by their logical
 * size (holes of sparse files included), checked before each file is
 * written, and more than max_entries entries.  A later entry of the same
 * name replaces an earlier file or symlink (removed first, never written
 * through).  Modes are masked to 0755 (no setuid, setgid or sticky bits),
 * files belong to the extracting user; owners, times, ACLs and extended
 * attributes in the archive are ignored.
 *
 * The caller removes `dest` when extraction fails (part may be written).
 */
#ifndef UNIKD_UNTAR_H
#define UNIKD_UNTAR_H

#include "../lib/error.h"

#define UNTAR_MAX_PATH 4095 /* bytes of a name, as PATH_MAX - 1 */
#define UNTAR_MAX_DEPTH 128 /* folders in a name */
#define UNTAR_DEFAULT_MAX_ENTRIES 100000

struct untar_limits {
	long long max_bytes; /* logical bytes of all files */
	long max_entries; /* entries of any kind */
};

/* Extracts `archive_path` into the existing folder `dest`; *files (if not
 * NULL) gets the number of entries written. */
int untar_extract(const char *archive_path, const char *dest, const struct untar_limits *lim,
		  long *files, struct unik_err *err);

/* The same with UNTAR_DEFAULT_MAX_ENTRIES. */
int untar_safe(const char *archive_path, const char *dest, long long max_bytes, long *files,
	       struct unik_err *err);

#endif
