/* oci_upload.h - unikd's own blob uploads to a registry (docs/oci.md,
 * "Engine"): chunked (POST uploads/, PATCH with Content-Range, PUT
 * ?digest=) and resumable (after a failed chunk the upload's Location is
 * asked for its Range and the upload goes on from there), with Basic and
 * Bearer token auth.  skopeo then pushes the manifests and finds every
 * blob already there. */
#ifndef UNIKD_OCI_UPLOAD_H
#define UNIKD_OCI_UPLOAD_H

#include "../lib/error.h"
#include "oci_skopeo.h"

struct job_ctx;

#define OCI_CHUNK_DEFAULT (8LL << 20) /* bytes: registry.chunk_size */
#define OCI_CHUNK_MIN 4096LL
#define OCI_CHUNK_MAX (1LL << 30)

/* Uploads every blob of layout `layout` (blobs/sha256/<hex>) that the
 * registry of t->ref does not have to t->ref.repo, `chunk` bytes a PATCH
 * (the registry's OCI-Chunk-Min-Length when that is more).  `work` is the
 * job's folder (the CA bundle goes there).  Progress: the job's steps and
 * "progress" events.  UNAUTHORIZED when the registry refuses the
 * credentials, UNAVAILABLE when a blob cannot be sent after its retries. */
int oci_upload_blobs(struct job_ctx *jc, const char *work, const char *layout,
		     const struct oci_transfer *t, long long chunk, struct unik_err *err);

#endif
