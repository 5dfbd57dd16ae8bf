/* companion.h - an image's companion (api/types.h struct unik_companion:
 * the second build of its sources that a provider's companion_compiler
 * asked for, unik build --provider) as the provider sees it: its staged
 * disk, its kernel and its own digest.  The companion is staged as an
 * image of its own (its format, artifacts, memory and the image's default
 * arguments), so it has its own stagings folder (stagings.h). */
#ifndef UNIKD_COMPANION_H
#define UNIKD_COMPANION_H

#include "../api/types.h"
#include "../lib/error.h"
#include "../providers/provider.h"

struct unikd;

struct companion_files {
	char *format;
	char *kernel; /* path of its kernel blob */
	char *disk; /* its staged disk in the provider's boot_disk_format */
	char *digest; /* its manifest digest as an image of its own */
};

/* The companion of im that provider p boots: 0 with *out filled (disk
 * only when `stage`: it is staged then if it was not), or with out->format
 * NULL when there is none for p (im has no companion, p wants none or
 * another compiler's, or p boots no staged disk).  -1 with err when a blob
 * is missing or staging fails. */
int companion_files_get(struct unikd *d, const struct unik_image *im, const struct unik_provider *p,
			int stage, struct companion_files *out, struct unik_err *err);
void companion_files_release(struct companion_files *f);

/* Removes the companion's stagings (im is being removed). */
void companion_stagings_remove(struct unikd *d, const struct unik_image *im);

#endif
