/* stagings.h - an image's disks for disk-booted hypervisors (`unik export`,
 * later the virtualbox and aws providers): staged once per image with
 * providers/common/disk_stage.h and kept under the state dir as
 * stagings/<manifest digest hex>/disk.raw|disk-gpt.raw|disk.vmdk|disk.vdi|image.ova.
 * The manifest digest names what a staging depends on (the kernel, the
 * default arguments and memory): one digest is one image.  A staging is
 * written under a temporary name and renamed, so a file there is whole. */
#ifndef UNIKD_STAGINGS_H
#define UNIKD_STAGINGS_H

#include "../api/types.h"
#include "../lib/error.h"

struct unikd;

/* Fills im->stagings with the formats staged for im, in disk_formats order. */
void stagings_fill(struct unikd *d, struct unik_image *im);

/* The path (caller frees) of im's staging in `format` (raw, raw-gpt, vmdk, vdi,
 * ova), staged now when missing (and what it is made from).  INVALID for
 * an unknown format; UNSUPPORTED for an image that is not unik-elf. */
int stagings_get(struct unikd *d, const struct unik_image *im, const char *format, char **path,
		 struct unik_err *err);

/* The folder (caller frees) of im's stagings (it may not exist), or NULL
 * when im has no manifest digest. */
char *stagings_dir(struct unikd *d, const struct unik_image *im);

/* Removes im's stagings (the image is being removed). */
void stagings_remove(struct unikd *d, const struct unik_image *im);

#endif
