/* formats.h - the image formats: what a compiler makes (an image's
 * "format" in the API) and what a provider boots.  One table; everything
 * else names a format by these constants.
 *
 * A format fixes an image's artifacts and the guest's side of the boot
 * contract: which artifacts it has and whether the guest configures its
 * network interface from the unik.ip/unik.gw/unik.dns boot words, and
 * which volumes (file systems) its guest mounts from the unik.mount words.
 */
#ifndef UNIK_API_FORMATS_H
#define UNIK_API_FORMATS_H

#include "../abi/boot.h" /* the format names */
#include "../lib/error.h"

enum {
	UNIK_FORMAT_HAS_INITRD = 1 << 0, /* an initrd artifact besides the kernel */
	UNIK_FORMAT_NET_WORDS = 1 << 1, /* the guest sets its NIC up from the network boot words */
};

struct unik_format {
	const char *name;
	const char *description;
	unsigned flags; /* UNIK_FORMAT_* bits */
	/* The volume file systems its guest mounts (unik.mount words),
	 * NULL-terminated; NULL: its guest mounts none. */
	const char *const *volume_types;
	/* Those of them it mounts read-write (the others: read-only only). */
	const char *const *volume_types_rw;
};

/* Every format, NULL-name terminated.  The first is the one `unik build`
 * makes by default (the default compiler's). */
extern const struct unik_format unik_formats[];

/* By name; NULL for a format unik does not know. */
const struct unik_format *unik_format_find(const char *name);
/* 1 if format `name` is known and has every bit of `flags`. */
int unik_format_has(const char *name, unsigned flags);
/* 0 if the guest of format `name` mounts a volume of file system `type`
 * (read-write unless `read_only`); else -1 with err (INVALID) saying
 * what it mounts. */
int unik_format_mounts(const char *name, const char *type, int read_only, struct unik_err *err);

#endif
