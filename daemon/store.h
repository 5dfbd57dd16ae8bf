/* store.h - unikd's records in SQLite (WAL): images, instances, jobs,
 * volumes.
 *
 * Each record is kept as its API JSON document plus the few columns that
 * are looked up (id, name, image, blob digests), so the store and the wire
 * can never disagree on a field.  All functions are thread-safe (one
 * connection; no other thread's statement runs inside a transaction) and
 * return 0 / -1 with `err`.
 * `*_get` fill an initialised struct; NOT_FOUND when absent.
 */
#ifndef UNIKD_STORE_H
#define UNIKD_STORE_H

#include <stddef.h>

#include "../api/types.h"
#include "../lib/error.h"
#include "../lib/strbuf.h"
#include "../lib/strv.h"

struct store;

int store_open(struct store **out, const char *path, struct unik_err *err);
void store_close(struct store *st);

/* Resolves a ref (exact name, else unique id prefix) to a full id
 * (caller frees).  `what` ("image", "instance") names the object in errors:
 * NOT_FOUND when nothing matches, CONFLICT when a prefix is ambiguous. */
int store_image_resolve(struct store *st, const char *ref, char **id, struct unik_err *err);
int store_instance_resolve(struct store *st, const char *ref, char **id, struct unik_err *err);

/* Inserts or replaces by id.  CONFLICT if the name belongs to another. */
int store_image_put(struct store *st, const struct unik_image *im, struct unik_err *err);
int store_image_get(struct store *st, const char *id, struct unik_image *out, struct unik_err *err);
/* All images, newest first; free with store_images_free. */
int store_image_list(struct store *st, struct unik_image **out, size_t *n, struct unik_err *err);
void store_images_free(struct unik_image *v, size_t n);
int store_image_delete(struct store *st, const char *id, struct unik_err *err);
/* The image called `name` (if any) loses its name, so a new build can take it. */
int store_image_untag(struct store *st, const char *name, struct unik_err *err);
/* Saves `im` under im->name, which any other image holding it loses: both
 * in one transaction, so a crash or an error leaves either the old names
 * or the new ones. */
int store_image_put_tagged(struct store *st, const struct unik_image *im, struct unik_err *err);
/* The id of the image whose manifest digest is `digest` (caller frees), or
 * *id = NULL when there is none. */
int store_image_find_digest(struct store *st, const char *digest, char **id, struct unik_err *err);
/* Number of images whose kernel or initrd is `digest`. */
int store_blob_users(struct store *st, const char *digest, int *count, struct unik_err *err);

int store_instance_put(struct store *st, const struct unik_instance *in, struct unik_err *err);
/* The same for a record whose volumes are those it was last put with (a
 * start's state changes): its row only, one statement instead of four. */
int store_instance_put_state(struct store *st, const struct unik_instance *in,
			     struct unik_err *err);
int store_instance_get(struct store *st, const char *id, struct unik_instance *out,
		       struct unik_err *err);
int store_instance_list(struct store *st, struct unik_instance **out, size_t *n,
			struct unik_err *err);
/* The running instances that have no host process to watch (pid 0). */
/* The API's JSON array of the instances (all, or only the active and the
 * summonable ones), newest first, appended to out from the stored texts. */
int store_instance_docs(struct store *st, int all, struct strbuf *out, struct unik_err *err);
/* Re-encodes the records whose text is not what today's encoder writes
 * (an older unikd's), their count in *rewritten: at the start, skipped when
 * the encoder `rev` (a build's version and commit; NULL: unknown, always
 * refresh) already did it. */
int store_instance_docs_refresh(struct store *st, const char *rev, size_t *rewritten,
				struct unik_err *err);
int store_instance_list_unwatched(struct store *st, struct unik_instance **out, size_t *n,
				  struct unik_err *err);
/* The addresses held by starting, running or stopping instances but `except` (an id,
 * or NULL), appended to out: the records are not decoded. */
int store_instance_addresses(struct store *st, const char *except, struct strv *out,
			     struct unik_err *err);
void store_instances_free(struct unik_instance *v, size_t n);
int store_instance_delete(struct store *st, const char *id, struct unik_err *err);
/* Instances made from `image_id`, and how many of them are running. */
int store_image_users(struct store *st, const char *image_id, int *total, int *running,
		      struct unik_err *err);

int store_job_put(struct store *st, const struct unik_job *job, struct unik_err *err);
int store_job_get(struct store *st, const char *id, struct unik_job *out, struct unik_err *err);
/* Jobs still marked running (for reconciliation); free with store_jobs_free. */
int store_job_list_running(struct store *st, struct unik_job **out, size_t *n,
			   struct unik_err *err);
void store_jobs_free(struct unik_job *v, size_t n);

/* Volumes (store_volumes.c).  An instance's record lists the volumes it
 * mounts; storing it also records them in a table that the volumes' users
 * are read from, and that keeps a mounted volume from being deleted. */
int store_volume_resolve(struct store *st, const char *ref, char **id, struct unik_err *err);
/* Inserts or replaces by id (v->users are not stored).  CONFLICT if the
 * name belongs to another. */
int store_volume_put(struct store *st, const struct unik_volume *v, struct unik_err *err);
int store_volume_get(struct store *st, const char *id, struct unik_volume *out,
		     struct unik_err *err);
/* All volumes, newest first, without their users; free with store_volumes_free. */
int store_volume_list(struct store *st, struct unik_volume **out, size_t *n, struct unik_err *err);
void store_volumes_free(struct unik_volume *v, size_t n);
/* CONFLICT while an instance's record mounts it. */
int store_volume_delete(struct store *st, const char *id, struct unik_err *err);
/* Appends to v->users the instances whose records mount v->id, oldest first. */
int store_volume_users(struct store *st, struct unik_volume *v, struct unik_err *err);

#endif
