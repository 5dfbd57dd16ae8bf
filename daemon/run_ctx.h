/* run_ctx.h - what a provider call for one instance needs (its run spec,
 * image, folder and artifact paths), owned in one place.  Used by the
 * instance lifecycle (instances.c) and reconciliation (reconcile.c). */
#ifndef UNIKD_RUN_CTX_H
#define UNIKD_RUN_CTX_H

#include "../api/types.h"
#include "../lib/error.h"
#include "../providers/provider.h"

struct unikd;

struct run_ctx {
	struct unik_run_spec spec;
	struct unik_image im;
	char *dir;
	char *log;
	char *kernel;
	char *initrd;
};

/* Fills rc for `in` (borrowed: it must outlive rc).  With need_image, a
 * missing image or blob is an error (-1 with err, rc released); without
 * (collect, stop, remove) the spec simply has no artifacts and 0 is
 * returned. */
int run_ctx_init(struct unikd *d, const struct unik_instance *in, int need_image,
		 struct run_ctx *rc, struct unik_err *err);
void run_ctx_release(struct run_ctx *rc);

#endif
