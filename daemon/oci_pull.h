/* oci_pull.h - unikd's own pull of an image from a registry into an OCI
 * layout (docs/oci.md, "Pulls"): the manifest (or image index) the
 * reference names, every manifest of an index, their configs and layers,
 * each streamed into the layout while its sha256 is computed, with byte
 * "progress" events; a blob that does not hash to its descriptor's digest or
 * has another size is refused before anything reads it.  oci_layout_import
 * then reads the layout (checking every digest again) into the store. */
#ifndef UNIKD_OCI_PULL_H
#define UNIKD_OCI_PULL_H

#include "../lib/error.h"
#include "oci_skopeo.h"

struct job_ctx;

/* Pulls t->ref into the new layout `layout` (its top entry named
 * t->ref.tag in index.json), at most `max` bytes of blobs in all; `work`
 * is the job's folder.  UNAUTHORIZED when the registry refuses the
 * credentials, INVALID for a blob that does not match its descriptor or
 * a document that is not an OCI manifest, UNAVAILABLE when the registry
 * cannot be reached or a blob cannot be fetched after its retries,
 * INTERNAL for an answer unikd's client does not know (skopeo may know). */
int oci_pull_layout(struct job_ctx *jc, const char *work, const char *layout,
		    const struct oci_transfer *t, long long max, struct unik_err *err);

#endif
