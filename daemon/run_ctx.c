/* run_ctx.c - a provider call's context (see run_ctx.h). */
#include "run_ctx.h"
#include "log_times.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "daemon.h"
#include "instance_volumes.h"
#include "instances.h"
#include "published.h"
#include "stagings.h"
#include "../providers/dispatch.h"
#include "store.h"

void run_ctx_release(struct run_ctx *rc)
{
	unik_image_release(&rc->im);
	free(rc->dir);
	free(rc->log);
	free(rc->err_log);
	free(rc->kernel);
	free(rc->initrd);
	companion_files_release(&rc->companion);
	free(rc->boot_disk);
	free(rc->published);
	for (size_t i = 0; i < rc->n_vols; i++) {
		unik_volume_release(&rc->vol_recs[i]);
		free(rc->vol_disks[i]);
	}
	free(rc->vols);
	free(rc->vol_recs);
	free(rc->vol_disks);
	memset(rc, 0, sizeof(*rc));
}

int run_ctx_init_image(struct unikd *d, const struct unik_instance *in, struct unik_image *im,
		       int need_image, struct run_ctx *rc, struct unik_err *err)
{
	int have = 0;

	memset(rc, 0, sizeof(*rc));
	unik_image_init(&rc->im);
	rc->dir = instance_dir(d, in->id);
	rc->log = instance_log_path(d, in->id);
	rc->err_log = instance_err_path(d, in->id);
	if (need_image) /* a boot: its console lines get their times */
		log_times_watch(d, in->id);
	if (im) { /* taken: the caller read it just now */
		rc->im = *im;
		unik_image_init(im);
	}
	if (im || store_image_get(d->store, in->image, &rc->im, err) == 0)
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
	rc->spec.err_path = rc->err_log;
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
	/* the image's companion for the instance's provider (companion.h):
	 * its disk is staged by run_ctx_boot */
	if (have && in->provider) {
		const struct unik_provider *p = unik_provider_find(in->provider);

		if (p && companion_files_get(d, &rc->im, p, 0, &rc->companion, err)) {
			if (need_image) {
				run_ctx_release(rc);
				return -1;
			}
			unik_err_clear(err);
		}
		rc->spec.companion_format = rc->companion.format;
		rc->spec.companion_kernel = rc->companion.kernel;
	}
	if (need_image && in->n_volumes) {
		const struct unik_provider *p = unik_provider_find(in->provider);

		if (!p)
			unik_err_set(err, UNIK_E_INVALID, "instance %s uses unknown provider '%s'",
				     in->name, in->provider);
		if (!p || volumes_run_specs(d, in, p, 0, rc, err)) {
			run_ctx_release(rc);
			return -1;
		}
	}
	return 0;
}

int run_ctx_init(struct unikd *d, const struct unik_instance *in, int need_image,
		 struct run_ctx *rc, struct unik_err *err)
{
	return run_ctx_init_image(d, in, NULL, need_image, rc, err);
}

/* A publication's progress line, appended to the instance's second log
 * (its standard error). */
static void log_progress(void *ctx, const char *line)
{
	const struct run_ctx *rc = ctx;
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "unik: %s\n", line);
	int fd = open(rc->err_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		return;
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (write(fd, buf, (size_t)n) < 0) {
		/* a log that cannot be written loses a progress line, nothing more */
	}
	close(fd);
}

int run_ctx_boot(struct unikd *d, const struct unik_provider *p, struct run_ctx *rc,
		 struct unik_err *err)
{
	if (p->boot_disk_format) {
		if (stagings_get(d, &rc->im, p->boot_disk_format, &rc->boot_disk, err))
			return unik_err_prefix(err, "staging the boot disk of image %s (%.*s)",
					       rc->im.name ? rc->im.name : "<none>",
					       UNIK_SHORT_ID_LEN, rc->im.id);
		rc->spec.boot_disk = rc->boot_disk;
		companion_files_release(&rc->companion);
		if (companion_files_get(d, &rc->im, p, 1, &rc->companion, err))
			return -1;
		rc->spec.companion_format = rc->companion.format;
		rc->spec.companion_kernel = rc->companion.kernel;
		rc->spec.companion_disk = rc->companion.disk;
	}
	if (unik_provider_has(p, UNIK_OP_PUBLISH)) {
		if (published_get(d, &rc->im, p, rc->boot_disk, log_progress, rc, &rc->published,
				  err))
			return -1;
		rc->spec.published = rc->published;
	}
	return 0;
}
