/* run_ctx.h - what a provider call for one instance needs (its run spec,
 * image, folder and artifact paths), owned in one place.  Used by the
 * instance lifecycle (instances.c) and reconciliation (reconcile.c). */
#ifndef UNIKD_RUN_CTX_H
#define UNIKD_RUN_CTX_H

#include "../api/types.h"
#include "../lib/error.h"
#include "../providers/provider.h"
#include "companion.h"

struct unikd;

struct run_ctx {
	struct unik_run_spec spec;
	struct unik_image im;
	char *dir;
	char *log;
	char *err_log; /* spec.err_path */
	char *kernel;
	char *initrd;
	char *boot_disk; /* spec.boot_disk (run_ctx_boot) */
	char *published; /* spec.published (run_ctx_boot) */
	struct companion_files companion; /* spec.companion_* (run_ctx_boot) */
	/* spec.volumes (instance_volumes.c): the specs, the volumes' records
	 * and their disks' paths */
	struct unik_volume_spec *vols;
	struct unik_volume *vol_recs;
	char **vol_disks;
	size_t n_vols;
};

/* Fills rc for `in` (borrowed: it must outlive rc).  With need_image, a
 * missing image or blob is an error (-1 with err, rc released), and the
 * spec has the instance's volumes (their disks named, not yet converted:
 * volumes_run_specs); without (collect, stop, remove) the spec simply has
 * no artifacts nor volumes and 0 is returned. */
int run_ctx_init(struct unikd *d, const struct unik_instance *in, int need_image,
		 struct run_ctx *rc, struct unik_err *err);
/* The same with `im`, the record of in's image the caller has just read,
 * taken (its fields move into rc->im, *im is left empty) instead of read
 * again; NULL reads it. */
int run_ctx_init_image(struct unikd *d, const struct unik_instance *in, struct unik_image *im,
		       int need_image, struct run_ctx *rc, struct unik_err *err);
void run_ctx_release(struct run_ctx *rc);

/* For a start on p: the image's staged boot disk (p's boot_disk_format)
 * and its copy on p (publish()), made now when missing, the publication's
 * progress appended to the instance's log.  0 when p needs neither. */
int run_ctx_boot(struct unikd *d, const struct unik_provider *p, struct run_ctx *rc,
		 struct unik_err *err);

#endif
