/* published.h - images copied to the providers that keep their own (the
 * publish() operation of providers/provider.h: an AWS AMI).
 *
 * Image im's copy on provider p is made once, before the first start of
 * an instance of im on p, and its reference kept as
 * stagings/<manifest digest hex>/published/<p>.ref (written whole, under a
 * temporary name first); the provider's folder for it (an upload's resume
 * state) is stagings/<hex>/published/<p>/.  Removing the image unpublishes
 * every copy first. */
#ifndef UNIKD_PUBLISHED_H
#define UNIKD_PUBLISHED_H

#include "../api/types.h"
#include "../lib/error.h"
#include "../providers/provider.h"

struct unikd;

/* The reference (caller frees) of im's copy on p, published now when
 * there is none (from `disk`, im's staged boot disk, or NULL), with
 * progress lines for `progress` (may be NULL).  Publications of one
 * daemon happen one at a time. */
int published_get(struct unikd *d, const struct unik_image *im, const struct unik_provider *p,
		  const char *disk, void (*progress)(void *ctx, const char *line), void *ctx,
		  char **ref, struct unik_err *err);

/* Unpublishes every copy of im.  A provider that fails keeps its reference
 * and -1 is returned with its error, unless `force`: then the failure is
 * logged and the reference dropped (the copy is left behind, and the log
 * says which). */
int published_remove(struct unikd *d, const struct unik_image *im, int force, struct unik_err *err);

/* Fills im->published with the providers holding a copy of im (their
 * reference kept), in the providers' order. */
void published_fill(struct unikd *d, struct unik_image *im);

#endif
