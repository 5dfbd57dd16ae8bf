/* h_volumes.c - create, list, inspect, remove, attach and detach volumes
 * (docs/volumes.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "ids.h"
#include "store.h"
#include "untar.h"
#include "volume_attach.h"
#include "volume_disk.h"

#define MIB (1LL << 20)

/* v with its attachments, as the API shows it (NEW). */
static json_t *volume_json(struct unikd *d, struct unik_volume *v)
{
	if (store_volume_users(d->store, v, NULL))
		unikd_log("volume %s: cannot list its instances", v->id);
	return unik_volume_to_json(v);
}

void h_volumes_list(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_volume *v;
	json_t *arr;
	size_t n;

	if (store_volume_list(req->d->store, &v, &n, &err)) {
		http_reply_error(req, &err);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, volume_json(req->d, &v[i]));
	store_volumes_free(v, n);
	http_reply_json(req, 200, arr);
}

/* The options of a create, from the query string. */
static int create_options(struct http_req *req, struct unik_volume *v, struct unik_err *err)
{
	const char *name = http_query(req, "name");
	const char *type = http_query(req, "type");
	long long size;

	if (!name || !*name)
		return unik_err_set(err, UNIK_E_INVALID, "a volume needs a name (?name=)");
	if (!unik_name_valid(name))
		return unik_err_set(err, UNIK_E_INVALID,
				    "invalid volume name '%s': use letters, digits, '_', '.', '-' "
				    "(at most %d), starting with a letter or digit",
				    name, UNIK_NAME_MAX);
	if (type && *type && !unik_volume_type_valid(type))
		return unik_err_set(err, UNIK_E_INVALID,
				    "unknown volume type '%s': ext2, ext4 or fat", type);
	if (http_query_int(req, "size", 0, &size, err))
		return -1;
	if (size < 0 || (size && size < UNIK_VOLUME_MIN_SIZE) || size > req->d->max_volume_size)
		return unik_err_set(err, UNIK_E_INVALID,
				    "volume size %lld bytes is out of range (1 MiB .. %lld MiB: "
				    "daemon.max_volume_size)",
				    size, req->d->max_volume_size >> 20);
	if (!size && req->body_len == 0)
		return unik_err_set(err, UNIK_E_INVALID,
				    "give the volume a size (?size=) or its content (a tar or "
				    "tar.gz of a folder as the body)");
	v->name = xstrdup(name);
	v->type = xstrdup(type && *type ? type : "ext2");
	v->size = size;
	return 0;
}

/* CONFLICT when a volume is called `name` already. */
static int name_free(struct unikd *d, const char *name, struct unik_err *err)
{
	struct unik_volume v;
	char *id = NULL;
	int taken = 0;

	unik_volume_init(&v);
	if (store_volume_resolve(d->store, name, &id, NULL) == 0 &&
	    store_volume_get(d->store, id, &v, NULL) == 0)
		taken = !strcmp(v.name, name);
	unik_volume_release(&v);
	free(id);
	if (taken)
		return unik_err_set(err, UNIK_E_CONFLICT, "the volume name '%s' is already in use",
				    name);
	return 0;
}

/* Moves the finished disk `made` into the volume's folder as its master,
 * owned by the daemon's user, readable by it only. */
static int keep_disk(struct unikd *d, const struct unik_volume *v, const char *made,
		     struct unik_err *err)
{
	char *dir = volume_dir(d, v->id), *master = volume_master_path(d, v->id);
	int rc = -1;

	if (fs_mkdir_p(dir, 0700, err))
		goto out;
	if (chown(made, getuid(), getgid()) < 0 || chmod(made, 0600) < 0 ||
	    rename(made, master) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot keep the disk of volume %s: %s", v->name,
			     strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc)
		fs_remove_tree(dir, NULL);
	free(dir);
	free(master);
	return rc;
}

void h_volumes_create(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_volume v;
	char *rnd = ids_new(), *work = NULL, *src = NULL, *out = NULL, *made = NULL;
	long long size;
	int kept = 0;

	unik_volume_init(&v);
	if (create_options(req, &v, &err) || name_free(d, v.name, &err))
		goto fail;
	work = unikd_path(d, "tmp/volume-%.16s", rnd);
	out = xasprintf("%s/out", work);
	made = xasprintf("%s/disk.raw", out);
	if (fs_mkdir_p(out, 0700, &err))
		goto fail;
	if (req->body_len > 0) {
		struct untar_limits lim = { d->max_extract, d->max_extract_files };

		src = xasprintf("%s/src", work);
		if (fs_mkdir_p(src, 0700, &err) ||
		    untar_extract(req->spool_path, src, &lim, NULL, &err))
			goto fail;
	}
	size = v.size;
	if (volume_disk_make(d, v.type, &size, work, src, made, &err))
		goto fail;
	v.id = ids_new();
	v.size = size;
	v.format = xstrdup("raw");
	v.created = unikd_now();
	if (keep_disk(d, &v, made, &err))
		goto fail;
	kept = 1;
	pthread_mutex_lock(&d->lock);
	if (store_volume_put(d->store, &v, &err)) {
		pthread_mutex_unlock(&d->lock);
		goto fail;
	}
	pthread_mutex_unlock(&d->lock);
	unikd_log("volume %s (%s) created: %s, %lld MiB%s", v.name, v.id, v.type, v.size / MIB,
		  src ? ", from an upload" : "");
	events_emit("volume", "create", v.id, v.name, json_pack("{ss}", "type", v.type));
	http_reply_json(req, 201, unik_volume_to_json(&v));
	goto cleanup;
fail:
	if (kept) {
		char *dir = volume_dir(d, v.id);

		fs_remove_tree(dir, NULL);
		free(dir);
	}
	http_reply_error(req, &err);
cleanup:
	if (work)
		fs_remove_tree(work, NULL);
	unik_volume_release(&v);
	free(rnd);
	free(work);
	free(src);
	free(out);
	free(made);
}

void h_volumes_get(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_volume v;
	char *id = NULL;

	unik_volume_init(&v);
	if (store_volume_resolve(req->d->store, req->params[0], &id, &err) ||
	    store_volume_get(req->d->store, id, &v, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, 200, volume_json(req->d, &v));
	unik_volume_release(&v);
	free(id);
}

/* Takes volume v out of the record of stopped instance `id` (d->lock held). */
static int unmount_locked(struct unikd *d, const char *id, const char *volume, struct unik_err *err)
{
	struct unik_instance in;
	size_t k = 0;
	int rc;

	unik_instance_init(&in);
	rc = store_instance_get(d->store, id, &in, err);
	for (size_t i = 0; !rc && i < in.n_volumes; i++) {
		if (strcmp(in.volumes[i].volume, volume))
			in.volumes[k++] = in.volumes[i];
		else
			unik_mount_release(&in.volumes[i]);
	}
	if (!rc) {
		in.n_volumes = k;
		rc = store_instance_put(d->store, &in, err);
	}
	unik_instance_release(&in);
	return rc;
}

void h_volumes_delete(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_volume v;
	int force = http_query_flag(req, "force");
	char *id = NULL, *dir = NULL;

	unik_volume_init(&v);
	pthread_mutex_lock(&d->lock);
	if (store_volume_resolve(d->store, req->params[0], &id, &err) ||
	    store_volume_get(d->store, id, &v, &err) || store_volume_users(d->store, &v, &err))
		goto fail;
	for (size_t i = 0; i < v.n_users; i++)
		if (v.users[i].running) {
			unik_err_set(&err, UNIK_E_CONFLICT,
				     "volume %s is in use by running instance %s; stop it first",
				     v.name, v.users[i].instance_name);
			goto fail;
		}
	if (v.n_users && !force) {
		unik_err_set(&err, UNIK_E_CONFLICT,
			     "volume %s is attached to %zu instance(s) (%s%s); remove them, "
			     "detach it, or remove it with force",
			     v.name, v.n_users, v.users[0].instance_name,
			     v.n_users > 1 ? ", ..." : "");
		goto fail;
	}
	for (size_t i = 0; i < v.n_users; i++)
		if (unmount_locked(d, v.users[i].instance, v.id, &err))
			goto fail;
	if (store_volume_delete(d->store, id, &err))
		goto fail;
	pthread_mutex_unlock(&d->lock);
	dir = volume_dir(d, id);
	if (fs_remove_tree(dir, &err))
		unikd_log("volume %s: its folder stays: %s", id, err.msg);
	unikd_log("volume %s (%s) removed", v.name, id);
	events_emit("volume", "destroy", id, v.name, NULL);
	http_reply_json(req, 200, json_pack("{sssb}", "id", id, "deleted", 1));
	goto cleanup;
fail:
	pthread_mutex_unlock(&d->lock);
	http_reply_error(req, &err);
cleanup:
	unik_volume_release(&v);
	free(id);
	free(dir);
}

/* POST .../attach and .../detach: the same body shape, the answer the instance. */
static void attach_or_detach(struct http_req *req, int detach)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_attach_request rq;
	struct unik_instance in;
	json_t *body = NULL;
	int rc;

	unik_attach_request_init(&rq);
	unik_instance_init(&in);
	rc = http_body_json(req, &body, &err);
	if (!rc && detach)
		rc = unik_detach_request_from_json(body, &rq, &err) ||
		     volume_detach(req->d, req->params[0], rq.instance, &in, &err);
	else if (!rc)
		rc = unik_attach_request_from_json(body, &rq, &err) ||
		     volume_attach(req->d, req->params[0], &rq, &in, &err);
	if (rc)
		http_reply_error(req, &err);
	else
		http_reply_json(req, 200, unik_instance_to_json(&in));
	json_decref(body);
	unik_attach_request_release(&rq);
	unik_instance_release(&in);
}

void h_volumes_attach(struct http_req *req)
{
	attach_or_detach(req, 0);
}

void h_volumes_detach(struct http_req *req)
{
	attach_or_detach(req, 1);
}
