/* run_ctx.c - a provider call's context (see run_ctx.h). */
#include "run_ctx.h"

#include <stdlib.h>
#include <string.h>

#include "blobs.h"
#include "daemon.h"
#include "instances.h"
#include "store.h"

void run_ctx_release(struct run_ctx *rc)
{
	unik_image_release(&rc->im);
	free(rc->dir);
	free(rc->log);
	free(rc->kernel);
	free(rc->initrd);
	memset(rc, 0, sizeof(*rc));
}

int run_ctx_init(struct unikd *d, const struct unik_instance *in, int need_image,
		 struct run_ctx *rc, struct unik_err *err)
{
	int have = 0;

	memset(rc, 0, sizeof(*rc));
	unik_image_init(&rc->im);
	rc->dir = instance_dir(d, in->id);
	rc->log = instance_log_path(d, in->id);
	if (store_image_get(d->store, in->image, &rc->im, err) == 0)
		have = (!rc->im.kernel ||
			blobs_path(d->state_dir, rc->im.kernel, &rc->kernel, err) == 0) &&
		       (!rc->im.initrd ||
			blobs_path(d->state_dir, rc->im.initrd, &rc->initrd, err) == 0);
	if (!have && need_image) {
		unik_err_prefix(err, "instance %s", in->name);
		run_ctx_release(rc);
		return -1;
	}
	unik_err_clear(err);
	rc->spec.id = in->id;
	rc->spec.name = in->name;
	rc->spec.dir = rc->dir;
	rc->spec.log_path = rc->log;
	rc->spec.format = rc->im.format;
	rc->spec.kernel = rc->kernel;
	rc->spec.initrd = rc->initrd;
	rc->spec.memory_mb = in->memory_mb;
	rc->spec.args = &in->args;
	rc->spec.env = &in->env;
	rc->spec.accel = in->accel ? in->accel : "auto";
	rc->spec.trace = in->trace;
	rc->spec.verbose = in->verbose;
	rc->spec.cfg = &d->cfg;
	return 0;
}
