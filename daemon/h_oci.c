/* h_oci.c - images as OCI artifacts (docs/oci.md): push and pull as jobs
 * (unikd's own registry client, skopeo for the manifests of a push and
 * as the fallback), tag, save (a layout tar)
 * and load. */
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
#include "jobs.h"
#include "oci_layout.h"
#include "oci_pull.h"
#include "oci_skopeo.h"
#include "oci_upload.h"
#include "store.h"
#include "untar.h"

#define CA_CERT_MAX (1 << 20)

struct oci_task {
	struct unikd *d;
	struct oci_transfer t;
	struct unik_image im; /* push: the image */
	char *name; /* pull: the new image's name, or NULL */
	char *work;
	long long chunk; /* push: bytes a PATCH (registry.chunk_size) */
};

static void task_free(void *p)
{
	struct oci_task *k = p;

	oci_transfer_release(&k->t);
	unik_image_release(&k->im);
	free(k->name);
	free(k->work);
	free(k);
}

static int get_opt_str(json_t *j, const char *key, size_t max, char **out, struct unik_err *err)
{
	json_t *v = json_object_get(j, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return unik_err_set(err, UNIK_E_INVALID,
				    "'%s' must be a string (at most %zu bytes)", key, max);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* The reference, credentials and TLS options of a push or pull body. */
static int transfer_from_json(json_t *body, const char *refkey, struct oci_transfer *t,
			      struct unik_err *err)
{
	json_t *auth = json_object_get(body, "auth"), *ins = json_object_get(body, "insecure");
	char *ref = NULL;
	int rc;

	if (!json_is_object(body))
		return unik_err_set(err, UNIK_E_INVALID, "the body must be a JSON object");
	if (get_opt_str(body, refkey ? refkey : "registry", 1024, &ref, err))
		return -1;
	if (!ref)
		return unik_err_set(err, UNIK_E_INVALID, "say which '%s': %s",
				    refkey ? refkey : "registry",
				    refkey ? "REGISTRY/REPO[:TAG]" : "HOST[:PORT]");
	if (!refkey) { /* a login: the registry alone */
		if (!oci_registry_valid(ref)) {
			unik_err_set(err, UNIK_E_INVALID,
				     "'%s' is no registry: a host name with a '.', a host:port or "
				     "localhost",
				     ref);
			free(ref);
			return -1;
		}
		t->ref.registry = ref;
		t->ref.repo = xstrdup("");
		t->ref.tag = xstrdup("");
		ref = NULL;
		rc = 0;
	} else {
		rc = oci_ref_parse(ref, &t->ref, err);
	}
	free(ref);
	if (rc)
		return -1;
	if (ins && !json_is_boolean(ins))
		return unik_err_set(err, UNIK_E_INVALID, "'insecure' must be true or false");
	t->insecure = json_is_true(ins);
	if (get_opt_str(body, "ca_cert", CA_CERT_MAX, &t->ca_cert, err))
		return -1;
	if (auth && !json_is_null(auth)) {
		if (!json_is_object(auth) ||
		    get_opt_str(auth, "username", 1024, &t->username, err) ||
		    get_opt_str(auth, "password", 4096, &t->password, err))
			return err->code
				   ? -1
				   : unik_err_set(err, UNIK_E_INVALID,
						  "'auth' must be {\"username\",\"password\"}");
		if (!t->username || !t->password || !*t->username || strchr(t->username, ':'))
			return unik_err_set(err, UNIK_E_INVALID,
					    "'auth' needs a username (without ':') and a password");
	}
	return 0;
}

/* [registry] of the daemon's configuration: `insecure` lists registries
 * (host:port, separated by ',' or spaces) treated as with "insecure", as
 * Docker's insecure-registries; `ca_cert` a PEM file trusted for all. */
static int apply_config(struct unikd *d, struct oci_transfer *t, struct unik_err *err)
{
	const char *list = unik_config_get(&d->cfg, "registry.insecure", "");
	const char *ca = unik_config_get(&d->cfg, "registry.ca_cert", "");
	size_t n = strlen(t->ref.registry);
	long long timeout;

	for (const char *p = list; *p;) {
		size_t len;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len == n && !strncmp(p, t->ref.registry, n))
			t->insecure = 1;
		p += len;
	}
	if (*ca)
		t->daemon_ca = xstrdup(ca);
	if (unik_config_get_int(&d->cfg, "registry.timeout", OCI_TIMEOUT_DEFAULT, &timeout, err))
		return -1;
	if (timeout < 1 || timeout > 86400)
		return unik_err_set(
		    err, UNIK_E_INTERNAL,
		    "registry.timeout = %lld in the daemon's configuration is out of "
		    "range (1..86400)",
		    timeout);
	t->timeout_s = (int)timeout;
	return 0;
}

static int chunk_config(struct unikd *d, long long *chunk, struct unik_err *err)
{
	if (unik_config_get_int(&d->cfg, "registry.chunk_size", OCI_CHUNK_DEFAULT, chunk, err))
		return -1;
	if (*chunk < OCI_CHUNK_MIN || *chunk > OCI_CHUNK_MAX)
		return unik_err_set(err, UNIK_E_INTERNAL,
				    "registry.chunk_size = %lld in the daemon's configuration is "
				    "out of range (%lld..%lld bytes)",
				    *chunk, OCI_CHUNK_MIN, OCI_CHUNK_MAX);
	return 0;
}

static int push_run(struct job_ctx *jc, void *p, struct unik_err *err)
{
	struct oci_task *k = p;
	char *layout = xasprintf("%s/layout", k->work), *idx = NULL;
	int rc = -1;

	jobs_step(jc, "writing the OCI layout of image %.12s", k->im.id);
	if (oci_layout_write(k->d, &k->im, layout, k->t.ref.tag, &idx, err) ||
	    jobs_stopped(jc, err))
		goto out;
	if (k->t.ref.digest && strcmp(idx, k->t.ref.digest)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "the image's OCI index is %s, not the reference's %s: nothing pushed",
			     idx, k->t.ref.digest);
		goto out;
	}
	/* the blobs by unikd's resumable uploads, then skopeo (which finds them
	 * there) for the manifests; when unikd's client cannot, skopeo does all */
	if (oci_upload_blobs(jc, k->work, layout, &k->t, k->chunk, err)) {
		if (err->code == UNIK_E_UNAUTHORIZED || jobs_stopped(jc, err))
			goto out;
		jobs_step(jc, "resumable upload failed (%s): skopeo sends the blobs", err->msg);
		unik_err_clear(err);
	}
	if (jobs_stopped(jc, err) || oci_skopeo_copy(jc, k->work, layout, &k->t, 1, err))
		goto out;
	jobs_step(jc, "pushed %s/%s%s%s %s", k->t.ref.registry, k->t.ref.repo,
		  k->t.ref.tagged || !k->t.ref.digest ? ":" : "",
		  k->t.ref.tagged || !k->t.ref.digest ? k->t.ref.tag : "", idx);
	{
		char *to = xasprintf("%s/%s:%s", k->t.ref.registry, k->t.ref.repo, k->t.ref.tag);

		events_emit("image", "push", k->im.id, k->im.name, json_pack("{ss}", "to", to));
		free(to);
	}
	jobs_set_image(jc, k->im.id);
	rc = 0;
out:
	free(layout);
	free(idx);
	return rc;
}

/* The index.json entry named `tag` of a pulled layout is `digest` (its
 * blob is checked against the entry when it is imported). */
static int check_digest(const char *layout, const char *tag, const char *digest,
			struct unik_err *err)
{
	char *path = xasprintf("%s/index.json", layout);
	json_t *doc = json_load_file(path, 0, NULL), *m = json_object_get(doc, "manifests");
	const char *got = NULL;
	size_t i;
	json_t *e;

	json_array_foreach (m, i, e) {
		const char *name = json_string_value(json_object_get(
		    json_object_get(e, "annotations"), "org.opencontainers.image.ref.name"));

		if (name && !strcmp(name, tag))
			got = json_string_value(json_object_get(e, "digest"));
	}
	int rc = got && !strcmp(got, digest) ? 0 : -1;

	if (rc)
		unik_err_set(err, UNIK_E_INVALID,
			     "the registry sent %s, not the reference's %s: nothing stored",
			     got ? got : "no image", digest);
	json_decref(doc);
	free(path);
	return rc;
}

static int pull_run(struct job_ctx *jc, void *p, struct unik_err *err)
{
	struct oci_task *k = p;
	char *layout = xasprintf("%s/layout", k->work), *id = NULL;
	int rc = -1;

	/* unikd's own client (byte progress, digests checked as the bytes
	 * come); skopeo when it meets an answer it does not know */
	if (oci_pull_layout(jc, k->work, layout, &k->t, k->d->max_extract, err)) {
		if (err->code != UNIK_E_INTERNAL || jobs_stopped(jc, err))
			goto out;
		jobs_step(jc, "unikd's pull client failed (%s): skopeo pulls the image", err->msg);
		unik_err_clear(err);
		if (fs_remove_tree(layout, err) ||
		    oci_skopeo_copy(jc, k->work, layout, &k->t, 0, err))
			goto out;
	}
	if (jobs_stopped(jc, err))
		goto out;
	if (k->t.ref.digest && check_digest(layout, k->t.ref.tag, k->t.ref.digest, err))
		goto out;
	jobs_step(jc, "verifying and storing the image");
	if (oci_layout_import(k->d, layout, k->t.ref.tag, k->name, &id, err))
		goto out;
	jobs_step(jc, "pulled image %.12s%s%s", id, k->name ? " " : "", k->name ? k->name : "");
	{
		char *from = xasprintf("%s/%s:%s", k->t.ref.registry, k->t.ref.repo, k->t.ref.tag);

		events_emit("image", "pull", id, k->name, json_pack("{ss}", "from", from));
		free(from);
	}
	jobs_set_image(jc, id);
	rc = 0;
out:
	free(layout);
	free(id);
	return rc;
}

void h_images_push(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct oci_task *k = xcalloc(1, sizeof(*k));
	json_t *body = NULL;
	char *id = NULL, what[1200];

	k->d = req->d;
	unik_image_init(&k->im);
	if (http_body_json(req, &body, &err) || transfer_from_json(body, "target", &k->t, &err) ||
	    store_image_resolve(req->d->store, req->params[0], &id, &err) ||
	    store_image_get(req->d->store, id, &k->im, &err)) {
		task_free(k);
		http_reply_error(req, &err);
		goto out;
	}
	if (apply_config(req->d, &k->t, &err) || chunk_config(req->d, &k->chunk, &err)) {
		task_free(k);
		http_reply_error(req, &err);
		goto out;
	}
	snprintf(what, sizeof(what), "push of image %.12s to %s/%s:%s started", k->im.id,
		 k->t.ref.registry, k->t.ref.repo, k->t.ref.tag);
	h_jobs_start(req, "push", what, push_run, k, task_free, &k->work);
out:
	json_decref(body);
	free(id);
}

void h_images_pull(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct oci_task *k = xcalloc(1, sizeof(*k));
	json_t *body = NULL;
	char what[1200];

	k->d = req->d;
	unik_image_init(&k->im);
	if (http_body_json(req, &body, &err) || transfer_from_json(body, "source", &k->t, &err) ||
	    get_opt_str(body, "name", UNIK_NAME_MAX, &k->name, &err))
		goto fail;
	if (k->name && !*k->name) { /* "": nameless */
		free(k->name);
		k->name = NULL;
	} else if (!k->name) {
		k->name = oci_ref_image_name(&k->t.ref);
	}
	if (k->name && !unik_name_valid(k->name)) {
		unik_err_set(&err, UNIK_E_INVALID,
			     "invalid image name '%s': use letters, digits, '_', '.', '-' (at "
			     "most %d), starting with a letter or digit",
			     k->name, UNIK_NAME_MAX);
		goto fail;
	}
	if (apply_config(req->d, &k->t, &err))
		goto fail;
	snprintf(what, sizeof(what), "pull of %s/%s:%s started", k->t.ref.registry, k->t.ref.repo,
		 k->t.ref.tag);
	h_jobs_start(req, "pull", what, pull_run, k, task_free, &k->work);
	json_decref(body);
	return;
fail:
	task_free(k);
	json_decref(body);
	http_reply_error(req, &err);
}

static void reply_image(struct http_req *req, unsigned status, const char *id)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image im;

	unik_image_init(&im);
	if (store_image_get(req->d->store, id, &im, &err))
		http_reply_error(req, &err);
	else
		http_reply_json(req, status, unik_image_to_json(&im));
	unik_image_release(&im);
}

void h_images_tag(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct unik_image im;
	json_t *body = NULL;
	char *id = NULL, *name = NULL;

	unik_image_init(&im);
	if (http_body_json(req, &body, &err) ||
	    get_opt_str(body, "name", UNIK_NAME_MAX + 1, &name, &err))
		goto fail;
	if (!name || !unik_name_valid(name)) {
		unik_err_set(&err, UNIK_E_INVALID,
			     "invalid image name '%s': use letters, digits, '_', '.', '-' (at "
			     "most %d), starting with a letter or digit",
			     name ? name : "", UNIK_NAME_MAX);
		goto fail;
	}
	pthread_mutex_lock(&d->lock);
	if (store_image_resolve(d->store, req->params[0], &id, &err) ||
	    store_image_get(d->store, id, &im, &err)) {
		pthread_mutex_unlock(&d->lock);
		goto fail;
	}
	if (im.name && !strcmp(im.name, name)) {
		pthread_mutex_unlock(&d->lock);
		reply_image(req, 200, im.id);
		goto out;
	}
	/* a second record of the same blobs under the new name */
	free(im.id);
	free(im.name);
	im.id = ids_new();
	im.name = xstrdup(name);
	im.created = unikd_now();
	strv_release(&im.stagings);
	if (store_image_put_tagged(d->store, &im, &err)) {
		pthread_mutex_unlock(&d->lock);
		goto fail;
	}
	pthread_mutex_unlock(&d->lock);
	unikd_log("image %s tagged %s (%s)", req->params[0], name, im.id);
	events_emit("image", "tag", im.id, name, json_pack("{ss}", "source", req->params[0]));
	reply_image(req, 201, im.id);
	goto out;
fail:
	http_reply_error(req, &err);
out:
	unik_image_release(&im);
	json_decref(body);
	free(id);
	free(name);
}

void h_registries_login(struct http_req *req)
{
	struct unikd *d = req->d;
	struct unik_err err = UNIK_ERR_INIT;
	struct oci_transfer t;
	json_t *body = NULL;
	char *rnd = ids_new(), *work = unikd_path(d, "tmp/login-%.16s", rnd);

	memset(&t, 0, sizeof(t));
	if (http_body_json(req, &body, &err) || transfer_from_json(body, NULL, &t, &err) ||
	    apply_config(d, &t, &err))
		goto fail;
	if (!t.username) {
		unik_err_set(&err, UNIK_E_INVALID, "a login needs 'auth': a username and password");
		goto fail;
	}
	t.timeout_s = t.timeout_s < OCI_LOGIN_TIMEOUT ? t.timeout_s : OCI_LOGIN_TIMEOUT;
	if (fs_mkdir_p(work, 0700, &err))
		goto fail;
	if (oci_skopeo_login(work, &t, &err)) {
		/* the registry's 401, not the daemon's: a 400 to this request */
		if (err.code == UNIK_E_UNAUTHORIZED)
			err.code = UNIK_E_INVALID;
		goto fail;
	}
	http_reply_json(
	    req, 200, json_pack("{ssss}", "registry", t.ref.registry, "status", "Login Succeeded"));
	goto out;
fail:
	http_reply_error(req, &err);
out:
	fs_remove_tree(work, NULL);
	oci_transfer_release(&t);
	json_decref(body);
	free(rnd);
	free(work);
}
