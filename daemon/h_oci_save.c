/* h_oci_save.c - GET /v1/images/{ref}/save: the image as an OCI image
 * layout tar; POST /v1/images/load: such a tar back into an image, every
 * blob verified (docs/oci.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "ids.h"
#include "oci_layout.h"
#include "oci_tar.h"
#include "store.h"
#include "untar.h"

/* The tag an image is saved under: ?tag=, else its name, else "latest". */
static const char *save_tag(struct http_req *req, const struct unik_image *im, struct unik_err *err)
{
	const char *tag = http_query(req, "tag");

	if (tag && *tag) {
		if (!unik_name_valid(tag)) {
			unik_err_set(err, UNIK_E_INVALID,
				     "invalid tag '%s': letters, digits, '_', '.', '-'", tag);
			return NULL;
		}
		return tag;
	}
	return im->name ? im->name : "latest";
}

void h_images_save(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image im;
	char *id = NULL, *rnd = ids_new(), *work = unikd_path(d, "tmp/save-%.16s", rnd);
	char *layout = xasprintf("%s/layout", work), *tar = xasprintf("%s/image.tar", work);
	const char *tag;
	int fd = -1;

	unik_image_init(&im);
	if (store_image_resolve(d->store, req->params[0], &id, &err) ||
	    store_image_get(d->store, id, &im, &err) || !(tag = save_tag(req, &im, &err)) ||
	    fs_mkdir_p(work, 0700, &err) || oci_layout_write(d, &im, layout, tag, NULL, &err) ||
	    oci_tar_dir(layout, tar, &err))
		goto fail;
	fd = open(tar, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		unik_err_set(&err, UNIK_E_INTERNAL, "opening %s: %s", tar, strerror(errno));
		goto fail;
	}
	fs_remove_tree(work, NULL); /* the open file stays readable */
	http_reply_fd(req, 200, "application/x-tar", fd);
	goto out;
fail:
	fs_remove_tree(work, NULL);
	http_reply_error(req, &err);
out:
	unik_image_release(&im);
	free(id);
	free(rnd);
	free(work);
	free(layout);
	free(tar);
}

/* The name a loaded image gets: ?name=, else the layout's tag when that is
 * a unik name (and not "latest"), else none. */
static char *load_name(struct http_req *req, const char *layout, struct unik_err *err)
{
	const char *q = http_query(req, "name");
	char *path, *name = NULL;
	json_t *top;

	if (q && *q) {
		if (!unik_name_valid(q)) {
			unik_err_set(err, UNIK_E_INVALID,
				     "invalid image name '%s': use letters, digits, '_', '.', "
				     "'-' (at most %d), starting with a letter or digit",
				     q, UNIK_NAME_MAX);
			return NULL;
		}
		return xstrdup(q);
	}
	path = xasprintf("%s/index.json", layout);
	top = json_load_file(path, 0, NULL);
	free(path);
	{
		json_t *m = json_array_get(json_object_get(top, "manifests"), 0);
		const char *ref = json_string_value(json_object_get(
		    json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));

		if (json_array_size(json_object_get(top, "manifests")) == 1 && ref &&
		    strcmp(ref, "latest") && unik_name_valid(ref))
			name = xstrdup(ref);
	}
	json_decref(top);
	return name;
}

void h_images_load(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct untar_limits lim = { d->max_extract, d->max_extract_files };
	char *rnd = ids_new(), *work = unikd_path(d, "tmp/load-%.16s", rnd);
	char *layout = xasprintf("%s/layout", work), *name = NULL, *id = NULL;
	const char *tag = http_query(req, "tag");

	if (req->body_len == 0) {
		unik_err_set(&err, UNIK_E_INVALID,
			     "the request needs a body: an OCI image layout tar (unik save)");
		goto fail;
	}
	if (fs_mkdir_p(layout, 0700, &err) ||
	    untar_extract(req->spool_path, layout, &lim, NULL, &err))
		goto fail;
	name = load_name(req, layout, &err);
	if (err.code)
		goto fail;
	if (oci_layout_import(d, layout, tag && *tag ? tag : NULL, name, &id, &err))
		goto fail;
	unikd_log("image %s loaded%s%s", id, name ? " as " : "", name ? name : "");
	events_emit("image", "load", id, name, NULL);
	{
		struct unik_image im;

		unik_image_init(&im);
		if (store_image_get(d->store, id, &im, &err))
			http_reply_error(req, &err);
		else
			http_reply_json(req, 201, unik_image_to_json(&im));
		unik_image_release(&im);
	}
	goto out;
fail:
	http_reply_error(req, &err);
out:
	fs_remove_tree(work, NULL);
	free(rnd);
	free(work);
	free(layout);
	free(name);
	free(id);
}
