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
/* The same for a blob that must be `expect` ("sha256:<hex>"): INVALID,
 * and nothing stored, when its content hashes to anything else. */
int blobs_put_verified(const char *state_dir, const char *path, const char *expect, long long *size,
		       struct unik_err *err);
/* The sha256 "sha256:<hex>" (caller frees) and size of any file. */
int blobs_file_digest(const char *path, char **digest, long long *size, struct unik_err *err);
/* 1 when `digest` is "sha256:" and 64 lower-case hex digits. */
int blobs_digest_valid(const char *digest);
/* Path of a stored blob (caller frees); NOT_FOUND if absent or bad name. */
int blobs_path(const char *state_dir, const char *digest, char **path, struct unik_err *err);
int blobs_remove(const char *state_dir, const char *digest, struct unik_err *err);
/* "sha256:<hex>" of a memory buffer (caller frees). */
char *blobs_digest_buf(const void *data, size_t len);

#endif
