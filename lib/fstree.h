/* fstree.h - walk a folder tree by file descriptor.
 *
 * The walk never follows symbolic links, never leaves the file system of
 * the root, works at any depth (it holds one directory open at a time and
 * climbs back with "..", checking each parent's identity) and does not
 * depend on PATH_MAX.  It suits trees that an untrusted process may be
 * changing: a change that would move the walk elsewhere stops it with an
 * error instead.
 */
#ifndef UNIK_FSTREE_H
#define UNIK_FSTREE_H

#include <sys/stat.h>

#include "error.h"

/* Called for every entry below the root (not the root itself): `dirfd` is
 * the folder that holds `name`, `st` its lstat.  Return 0 to go on, -1
 * (with err set) to stop the walk. */
typedef int (*fstree_fn)(void *ctx, int dirfd, const char *name, const struct stat *st,
			 struct unik_err *err);

/* Walks the tree under the open folder `rootfd` (which stays open and is
 * not moved).  0, or -1 with err: a callback's error, or UNIK_E_CONFLICT
 * when the tree changed under the walk. */
int fstree_walk(int rootfd, fstree_fn fn, void *ctx, struct unik_err *err);

#endif
