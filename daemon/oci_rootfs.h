/* oci_rootfs.h - a unik image out of its runnable manifest's /unik/
 * rootfs layer (see oci_rootfs.c). */
#ifndef UNIKD_OCI_ROOTFS_H
#define UNIKD_OCI_ROOTFS_H

#include <jansson.h>

#include "../lib/error.h"

/* From the runnable manifest `man` (already verified) of layout `dir`:
 * checks its one layer's digest and size, reads /unik/image.json (*doc, the
 * artifact config's document), puts /unik/kernel and /unik/initrd in the
 * layout as the blobs image.json names (*kdesc, *idesc: their descriptors;
 * *idesc NULL without an initrd).  At most `max` bytes are extracted.  The
 * blobs' content is not checked here: storing them does (oci_import.c). */
int oci_rootfs_read(const char *dir, json_t *man, long long max, json_t **doc, json_t **kdesc,
		    json_t **idesc, struct unik_err *err);

#endif
