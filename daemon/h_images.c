/* h_images.c - build, list, inspect and remove images. */
#include <stdlib.h>
#include <string.h>

#include "../api/labels.h"
#include "../compilers/compiler.h"
#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "blobs.h"
#include "build_cache.h"
#include "companion.h"
#include "daemon.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "ids.h"
#include "jobs.h"
#include "images.h"
#include "published.h"
#include "stagings.h"
#include "store.h"
#include "untar.h"

void h_images_list(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image *v;
	json_t *arr;
	size_t n;

	if (store_image_list(req->d->store, &v, &n, &err)) {
		http_reply_error(req, &err);
		return;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		stagings_fill(req->d, &v[i]);
		published_fill(req->d, &v[i]);
		json_array_append_new(arr, unik_image_to_json(&v[i]));
	}
	store_images_free(v, n);
	http_reply_json(req, 200, arr);
}

/* ?label=K=V, repeated: the image's labels. */
static int build_labels(struct http_req *req, struct build_request *br, struct unik_err *err)
{
	struct strv given = STRV_INIT;
	int rc = 0;

	http_query_all(req, "label", &given);
	for (size_t i = 0; i < given.n && !rc; i++)
		rc = unik_label_add(&br->labels, given.v[i], err);
	strv_release(&given);
	return rc;
}

/* Reads the build options from the query string into br. */
static int build_options(struct http_req *req, struct build_request *br, struct unik_err *err)
{
	const char *name = http_query(req, "name");
	const char *compiler = http_query(req, "compiler");
	const char *provider = http_query(req, "provider");
	long long mem;

	if (name && *name) {
		if (!unik_name_valid(name))
			return unik_err_set(
			    err, UNIK_E_INVALID,
			    "invalid image name '%s': use letters, digits, '_', '.',"
			    " '-' (at most %d), starting with a letter or digit",
			    name, UNIK_NAME_MAX);
		br->name = xstrdup(name);
	}
	if (compiler && *compiler) {
		br->compiler = unik_compiler_find(compiler);
		if (!br->compiler)
			return unik_err_set(err, UNIK_E_INVALID,
					    "unknown compiler '%s' (see 'unik compilers')",
					    compiler);
	}
	if (provider && *provider) {
		const struct unik_provider *p = unik_provider_find(provider);

		if (!p)
			return unik_err_set(err, UNIK_E_INVALID,
					    "unknown provider '%s' (see 'unik providers')",
					    provider);
		if (p->companion_compiler) {
			br->companion = unik_compiler_find(p->companion_compiler);
			if (!br->companion)
				return unik_err_set(err, UNIK_E_INTERNAL,
						    "provider '%s' wants compiler '%s', which this "
						    "unikd does not have",
						    p->name, p->companion_compiler);
		}
	}
	if (http_query_int(req, "memory", 0, &mem, err))
		return -1;
	if (mem && unik_providers_check_memory(mem, err))
		return -1;
	br->memory_mb = (int)mem;
	http_query_all(req, "args", &br->args);
	return build_labels(req, br, err);
}

void h_images_build(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct build_request br;
	struct unik_job job;
	char *rnd = ids_new();
	long files = 0, files2 = 0;

	memset(&br, 0, sizeof(br));
	unik_job_init(&job);
	if (build_options(req, &br, &err))
		goto fail;
	if (req->body_len == 0) {
		unik_err_set(&err, UNIK_E_INVALID,
			     "the request needs a body: a tar or tar.gz of the source folder");
		goto fail;
	}
	br.work_dir = unikd_path(d, "tmp/build-%.16s", rnd);
	br.src_dir = xasprintf("%s/src", br.work_dir);
	if (fs_mkdir_p(br.src_dir, 0700, &err))
		goto fail;
	{
		struct untar_limits lim = { d->max_extract, d->max_extract_files };

		if (untar_extract(req->spool_path, br.src_dir, &lim, &files, &err))
			goto fail;
		/* the companion's build gets a copy of its own: a compiler may
		 * write in its source folder */
		if (br.companion) {
			br.companion_src = xasprintf("%s/src-companion", br.work_dir);
			if (fs_mkdir_p(br.companion_src, 0700, &err) ||
			    untar_extract(req->spool_path, br.companion_src, &lim, &files2, &err))
				goto fail;
		}
	}
	if (build_cache_key(req->spool_path, &br, &br.cache_key, &err))
		goto fail;
	if (jobs_start_build(d, &br, &job, &err))
		goto fail;
	http_reply_json(req, 202, unik_job_to_json(&job));
	goto cleanup;
fail:
	if (br.work_dir)
		fs_remove_tree(br.work_dir, NULL);
	http_reply_error(req, &err);
cleanup:
	build_request_release(&br);
	unik_job_release(&job);
	free(rnd);
}

void h_images_get(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image im;
	char *id = NULL;

	unik_image_init(&im);
	if (store_image_resolve(req->d->store, req->params[0], &id, &err) ||
	    store_image_get(req->d->store, id, &im, &err)) {
		http_reply_error(req, &err);
	} else {
		stagings_fill(req->d, &im);
		published_fill(req->d, &im);
		http_reply_json(req, 200, unik_image_to_json(&im));
	}
	unik_image_release(&im);
	free(id);
}

/* Removes a blob nobody uses any more (d->lock held). */
static void drop_blob(struct unikd *d, const char *digest)
{
	int users = 0;

	if (digest && store_blob_users(d->store, digest, &users, NULL) == 0 && users == 0)
		blobs_remove(d->state_dir, digest, NULL);
}

/* 0 when image `id` may be removed now (d->lock held). */
static int removable_locked(struct unikd *d, const char *ref, const char *id, int force,
			    struct unik_err *err)
{
	int total = 0, running = 0;

	if (store_image_users(d->store, id, &total, &running, err))
		return -1;
	if (running > 0)
		return unik_err_set(err, UNIK_E_CONFLICT,
				    "image %s is used by %d running instance(s); stop them first",
				    ref, running);
	if (total > 0 && !force)
		return unik_err_set(err, UNIK_E_CONFLICT,
				    "image %s is used by %d instance(s); remove them or use force",
				    ref, total);
	return 0;
}

int images_remove(struct unikd *d, const char *ref, int force, char **id, struct unik_err *err)
{
	struct unik_image im;
	int rc = -1;

	*id = NULL;
	unik_image_init(&im);
	pthread_mutex_lock(&d->lock);
	if (store_image_resolve(d->store, ref, id, err) ||
	    store_image_get(d->store, *id, &im, err) || removable_locked(d, ref, *id, force, err))
		goto unlock;
	/* its copies on providers (an AMI) first: slow, so not under d->lock,
	 * and checked again after */
	pthread_mutex_unlock(&d->lock);
	if (published_remove(d, &im, force, err))
		goto done;
	pthread_mutex_lock(&d->lock);
	if (removable_locked(d, ref, *id, force, err) || store_image_delete(d->store, *id, err))
		goto unlock;
	drop_blob(d, im.kernel);
	drop_blob(d, im.initrd);
	drop_blob(d, im.companion.kernel);
	drop_blob(d, im.companion.initrd);
	pthread_mutex_unlock(&d->lock);
	stagings_remove(d, &im); /* waits for a staging under way: not under d->lock */
	companion_stagings_remove(d, &im);
	unikd_log("image %s (%s) removed", im.name ? im.name : "<none>", *id);
	events_emit("image", "delete", *id, im.name, NULL);
	rc = 0;
	goto done;
unlock:
	pthread_mutex_unlock(&d->lock);
done:
	if (rc) {
		free(*id);
		*id = NULL;
	}
	unik_image_release(&im);
	return rc;
}

void h_images_delete(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *id = NULL;

	if (images_remove(req->d, req->params[0], http_query_flag(req, "force"), &id, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, 200, json_pack("{sssb}", "id", id, "deleted", 1));
	free(id);
}
