/* blobs.h - the content-addressed blob store for image artifacts.
 * A blob lives at <state>/blobs/sha256/<hex>; its name is its digest
 * "sha256:<hex>", so identical kernels are stored once. */
#ifndef UNIKD_BLOBS_H
#define UNIKD_BLOBS_H

#include <stddef.h>

#include "../lib/error.h"

/* Creates <state>/blobs/sha256 if needed. */
int blobs_init(const char *state_dir, struct unik_err *err);
/* Copies the artifact `path` into the store; *digest (caller frees) names
 * the blob.  `path` lies in a folder the daemon made for the build: that
 * folder and the file are opened without following symlinks (INVALID when
 * either is one, or the file is not a regular file). */
int blobs_put_file(const char *state_dir, const char *path, char **digest, long long *size,
		   struct unik_err *err);
/* Path of a stored blob (caller frees); NOT_FOUND if absent or bad name. */
int blobs_path(const char *state_dir, const char *digest, char **path, struct unik_err *err);
int blobs_remove(const char *state_dir, const char *digest, struct unik_err *err);
/* "sha256:<hex>" of a memory buffer (caller frees). */
char *blobs_digest_buf(const void *data, size_t len);

#endif
