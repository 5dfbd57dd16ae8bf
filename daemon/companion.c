/* companion.c - an image's companion, staged for a provider (companion.h). */
#include "companion.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "blobs.h"
#include "daemon.h"
#include "oci_layout.h"
#include "stagings.h"

/* The companion of im as an image of its own (view owns its strings). */
static void companion_view(const struct unik_image *im, struct unik_image *view)
{
	unik_image_init(view);
	view->id = xstrdup(im->id);
	view->name = im->name ? xstrdup(im->name) : NULL;
	view->compiler = xstrdup(im->companion.compiler);
	view->format = xstrdup(im->companion.format ? im->companion.format : "");
	view->kernel = im->companion.kernel ? xstrdup(im->companion.kernel) : NULL;
	view->initrd = im->companion.initrd ? xstrdup(im->companion.initrd) : NULL;
	view->memory_mb = im->companion.memory_mb;
	strv_copy(&view->args, &im->args);
	view->digest = oci_image_digest(view);
}

int companion_files_get(struct unikd *d, const struct unik_image *im, const struct unik_provider *p,
			int stage, struct companion_files *out, struct unik_err *err)
{
	struct unik_image view;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!im->companion.compiler || !im->companion.kernel || !p->companion_compiler ||
	    strcmp(p->companion_compiler, im->companion.compiler) || !p->boot_disk_format)
		return 0;
	companion_view(im, &view);
	if (blobs_path(d->state_dir, view.kernel, &out->kernel, err) ||
	    (stage && stagings_get(d, &view, p->boot_disk_format, &out->disk, err))) {
		unik_err_prefix(err, "the companion (%s) of image %s", view.compiler,
				im->name ? im->name : im->id);
		companion_files_release(out);
		rc = -1;
	} else {
		out->format = xstrdup(view.format);
		out->digest = xstrdup(view.digest);
	}
	unik_image_release(&view);
	return rc;
}

void companion_files_release(struct companion_files *f)
{
	free(f->format);
	free(f->kernel);
	free(f->disk);
	free(f->digest);
	memset(f, 0, sizeof(*f));
}

void companion_stagings_remove(struct unikd *d, const struct unik_image *im)
{
	struct unik_image view;

	if (!im->companion.compiler)
		return;
	companion_view(im, &view);
	stagings_remove(d, &view);
	unik_image_release(&view);
}
