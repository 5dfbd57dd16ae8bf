/* untar_entry.h - internals of untar.c shared with untar_entry.c. */
#ifndef UNIKD_UNTAR_ENTRY_H
#define UNIKD_UNTAR_ENTRY_H

#include <stddef.h>

#include "../lib/error.h"
#include "../lib/strv.h"
#include "untar.h"

struct archive;
struct archive_entry;

struct untar {
	int root; /* fd of dest */
	long long bytes; /* logical bytes of the files so far */
	long written; /* entries made */
	const struct untar_limits *lim;
	struct archive *in;
	struct unik_err *err;
};

/* Writes one entry beneath u->root; 0, or -1 with u->err. */
int untar_entry(struct untar *u, struct archive_entry *ae);

/* The parts of the tar name `name` ("." and empty parts dropped) pushed on
 * `parts`; INVALID for absolute names, "..", names too long or too deep.
 * `kind` says what the name is ("a name", "a hard link target") and
 * `entry` is the entry's own name for messages (NULL: `name`). */
int untar_split_name(const char *entry, const char *kind, const char *name, struct strv *parts,
		     struct unik_err *err);

/* The quick checks of a symlink `path` -> `link` made `depth` folders
 * down: a target, not absolute, not climbing out on its face. */
int untar_check_symlink(const char *path, size_t depth, const char *link, struct unik_err *err);

#endif
