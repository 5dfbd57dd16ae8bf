/* oci_layout.h - a unik image as an OCI image layout, and back
 * (docs/oci.md: the index, the runnable and artifact manifests, the
 * annotations, the /unik/ rootfs). */
#ifndef UNIKD_OCI_LAYOUT_H
#define UNIKD_OCI_LAYOUT_H

#include <jansson.h>

#include "../api/types.h"
#include "../lib/error.h"

struct unikd;

/* The unik manifest digest of an image ("sha256:<hex>", caller frees):
 * the digest of its format, compiler, blobs, memory and args, the same
 * for a build and for a pull of the same image. */
char *oci_image_digest(const struct unik_image *im);

/* Writes image `im` as an OCI layout into the new folder `dir` (inside the
 * state dir: its blobs are hard links to the blob store's), its index
 * named `tag` in index.json. *index_digest (may be NULL) gets the digest of
 * the image index. */
int oci_layout_write(struct unikd *d, const struct unik_image *im, const char *dir, const char *tag,
		     char **index_digest, struct unik_err *err);

/* Imports the image named `tag` in layout `dir` (NULL: its only image)
 * as a new image called `name` (NULL: nameless).  Every blob it reads is
 * checked against its descriptor's digest and size; a mismatch is INVALID
 * and stores nothing.  *image_id (caller frees) gets the image's id. */
int oci_layout_import(struct unikd *d, const char *dir, const char *tag, const char *name,
		      char **image_id, struct unik_err *err);

/* What oci_layout_read() finds in a layout: the image as its config says
 * (format, compiler, memory, args), its kernel and initrd descriptors
 * (initrd NULL without one) and the unik digest the config names (NULL if
 * none). */
struct oci_layout_image {
	struct unik_image im;
	json_t *kernel, *initrd;
	char *digest;
};

/* The reading part of oci_layout_import(), no store: index.json, the
 * manifests and the config, each JSON blob checked against its digest and
 * size, or the /unik/ rootfs layer (oci_rootfs.c, at most `max_extract`
 * bytes).  The kernel and initrd blobs are only checked by the import's
 * store.  INVALID (NOT_FOUND for a missing tag) with the reason. */
int oci_layout_read(const char *dir, const char *tag, long long max_extract,
		    struct oci_layout_image *out, struct unik_err *err);
void oci_layout_image_release(struct oci_layout_image *li);

#endif
