/* h_stage.c - POST /v1/images/{ref}/stage: an image's copy on a provider
 * that keeps its own (an AWS AMI), made ahead of its first run.
 *
 * Body {"provider": NAME}.  A job ("stage") stages the image's boot disk
 * in the provider's boot_disk_format (daemon/stagings.c, cached) and
 * publishes it (daemon/published.c: once; a publication cut short resumes
 * where it stopped), its progress lines in the job's events.  An image
 * already published there makes a job that says so and succeeds.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "daemon.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "ids.h"
#include "jobs.h"
#include "published.h"
#include "stagings.h"
#include "store.h"

#define PROVIDER_NAME_MAX 64

struct stage_task {
	struct unikd *d;
	const struct unik_provider *p;
	struct unik_image im;
};

static void task_free(void *t)
{
	struct stage_task *k = t;

	unik_image_release(&k->im);
	free(k);
}

static void progress(void *jc, const char *line)
{
	jobs_log(jc, line);
}

static int stage_run(struct job_ctx *jc, void *t, struct unik_err *err)
{
	struct stage_task *k = t;
	char *disk = NULL, *ref = NULL;
	int rc = -1;

	if (k->p->boot_disk_format) {
		jobs_step(jc, "staging the %s disk of image %.12s", k->p->boot_disk_format,
			  k->im.id);
		if (stagings_get(k->d, &k->im, k->p->boot_disk_format, &disk, err)) {
			unik_err_prefix(err, "staging the boot disk of image %s (%.*s)",
					k->im.name ? k->im.name : "<none>", UNIK_SHORT_ID_LEN,
					k->im.id);
			goto out;
		}
	}
	if (jobs_stopped(jc, err))
		goto out;
	jobs_step(jc, "publishing image %.12s on %s", k->im.id, k->p->name);
	if (published_get(k->d, &k->im, k->p, disk, progress, jc, &ref, err))
		goto out;
	jobs_step(jc, "image %.12s is published on %s as %s", k->im.id, k->p->name, ref);
	events_emit("image", "stage", k->im.id, k->im.name,
		    json_pack("{ssss}", "provider", k->p->name, "reference", ref));
	jobs_set_image(jc, k->im.id);
	rc = 0;
out:
	free(disk);
	free(ref);
	return rc;
}

void h_images_stage(struct http_req *req)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct stage_task *k = xcalloc(1, sizeof(*k));
	json_t *body = NULL, *v;
	char *id = NULL, what[256];
	const char *name;

	k->d = req->d;
	unik_image_init(&k->im);
	if (http_body_json(req, &body, &err))
		goto fail;
	v = json_object_get(body, "provider");
	name = json_string_value(v);
	if (!json_is_string(v) || !*name || json_string_length(v) > PROVIDER_NAME_MAX ||
	    strlen(name) != json_string_length(v)) {
		unik_err_set(&err, UNIK_E_INVALID,
			     "'provider' must name a provider (a string of at most %d bytes)",
			     PROVIDER_NAME_MAX);
		goto fail;
	}
	k->p = unik_provider_find(name);
	if (!k->p) {
		unik_err_set(&err, UNIK_E_INVALID, "unknown provider '%.64s'", name);
		goto fail;
	}
	if (!unik_provider_has(k->p, UNIK_OP_PUBLISH)) {
		unik_err_set(&err, UNIK_E_INVALID,
			     "provider %s boots images from this host: there is nothing to stage "
			     "on it ahead of a run",
			     k->p->name);
		goto fail;
	}
	if (store_image_resolve(req->d->store, req->params[0], &id, &err) ||
	    store_image_get(req->d->store, id, &k->im, &err))
		goto fail;
	if (!unik_provider_accepts(k->p, k->im.format)) {
		unik_err_set(&err, UNIK_E_INVALID, "provider %s does not boot %s images",
			     k->p->name, k->im.format ? k->im.format : "(unknown format)");
		goto fail;
	}
	snprintf(what, sizeof(what), "stage of image %.12s on %s started", k->im.id, k->p->name);
	h_jobs_start(req, "stage", what, stage_run, k, task_free, NULL);
	json_decref(body);
	free(id);
	return;
fail:
	task_free(k);
	http_reply_error(req, &err);
	json_decref(body);
	free(id);
}
