/* volumes.h - the volume objects of the REST API (docs/volumes.md) and
 * their JSON codecs, shared by the CLI and the daemon; api/types.h
 * includes it (an instance lists the volumes it mounts).
 *
 * A volume is a disk image with a file system, kept by the daemon in its
 * state dir.  An instance mounts volumes at absolute paths of the guest,
 * read-write or read-only.  The conventions are those of types.h: X_init()
 * allocates nothing, X_release() frees the contents, X_to_json() returns a
 * NEW reference, X_from_json() borrows `j`.
 */
#ifndef UNIK_API_VOLUMES_H
#define UNIK_API_VOLUMES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/error.h"

#define UNIK_VOLUME_PATH_MAX 255 /* bytes of a mount path */
#define UNIK_VOLUME_MIN_SIZE (1LL << 20) /* 1 MiB */
#define UNIK_VOLUME_SIZE_UNIT (1LL << 20) /* sizes are rounded up to whole MiB */
#define UNIK_VOLUME_MAX_SIZE (1LL << 40) /* 1 TiB */

/* One instance a volume is attached to (Volume.attachments). */
struct unik_volume_user {
	char *instance; /* instance id */
	char *instance_name;
	char *path; /* where the guest mounts it */
	int read_only;
	int running; /* the instance is starting, running or stopping */
};

struct unik_volume {
	char *id;
	char *name;
	char *type; /* file system: "ext2", "ext4" or "fat" */
	int64_t size; /* bytes of the disk */
	char *format; /* of the disk file the daemon keeps: "raw" */
	int64_t created; /* unix seconds */
	/* Bumped each time an instance that mounts it read-write starts (its
	 * data may change then); converted copies of older generations are
	 * stale. */
	int64_t generation;
	/* The instances it is attached to: filled by the daemon from their
	 * records when it answers (not part of what is stored). */
	struct unik_volume_user *users;
	size_t n_users;
};

/* A volume an instance mounts (Instance.volumes). */
struct unik_mount {
	char *volume; /* volume id */
	char *name; /* the volume's name */
	char *path; /* absolute mount path in the guest */
	int read_only;
};

/* Body of POST /v1/volumes/{ref}/attach. */
struct unik_attach_request {
	char *instance; /* instance ref */
	char *path;
	int read_only;
};

void unik_volume_init(struct unik_volume *v);
void unik_volume_release(struct unik_volume *v);
json_t *unik_volume_to_json(const struct unik_volume *v);
int unik_volume_from_json(json_t *j, struct unik_volume *out, struct unik_err *err);
/* Appends a copy of `u` to v->users. */
void unik_volume_add_user(struct unik_volume *v, const struct unik_volume_user *u);

void unik_mount_release(struct unik_mount *m);
/* A JSON array of `n` mounts (NEW). */
json_t *unik_mounts_to_json(const struct unik_mount *v, size_t n);
/* Decodes j["volumes"] (absent or null: none) into a new array. */
int unik_mounts_from_json(json_t *j, struct unik_mount **out, size_t *n, struct unik_err *err);
void unik_mounts_free(struct unik_mount *v, size_t n);
/* Copies src[0..n) into a new array. */
struct unik_mount *unik_mounts_copy(const struct unik_mount *src, size_t n);

void unik_attach_request_init(struct unik_attach_request *rq);
void unik_attach_request_release(struct unik_attach_request *rq);
json_t *unik_attach_request_to_json(const struct unik_attach_request *rq);
/* Decodes and validates (the path with unik_mount_path_check). */
int unik_attach_request_from_json(json_t *j, struct unik_attach_request *out, struct unik_err *err);

/* Body of POST /v1/volumes/{ref}/detach: only `instance`. */
int unik_detach_request_from_json(json_t *j, struct unik_attach_request *out, struct unik_err *err);

/* 1 for a file system a volume may have: ext2, ext4, fat. */
int unik_volume_type_valid(const char *type);
/* 0 if `path` may be a mount path: absolute, at most UNIK_VOLUME_PATH_MAX
 * bytes, no empty, "." or ".." component, no trailing '/', not "/", not
 * /proc or /dev or below them, no ':' (the separator of VOLUME:PATH:ro)
 * and no control characters.  Else -1 with err (INVALID) saying why. */
int unik_mount_path_check(const char *path, struct unik_err *err);
/* 1 if mount path `a` is `b` or lies inside it, or the other way round. */
int unik_mount_paths_overlap(const char *a, const char *b);
/* Parses "VOLUME:/PATH", "VOLUME:/PATH:ro" or "VOLUME:/PATH:rw" (unik run
 * -v, RunRequest.volumes): new strings in *volume and *path, the mode in
 * *read_only.  -1 with err (INVALID) when malformed or the path is not a
 * mount path. */
int unik_mount_spec_parse(const char *spec, char **volume, char **path, int *read_only,
			  struct unik_err *err);

#endif
