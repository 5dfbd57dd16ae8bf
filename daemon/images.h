/* images.h - image operations shared by the handlers and the tests. */
#ifndef UNIKD_IMAGES_H
#define UNIKD_IMAGES_H

#include "../lib/error.h"

struct unikd;

/* Removes the image `ref` (id, prefix or name:tag; h_images.c): its copies
 * on providers (published.h), its record, the blobs nobody else uses and
 * its stagings.  CONFLICT while instances use it (with `force`: only
 * running ones).  *id (caller frees) names what was removed. */
int images_remove(struct unikd *d, const char *ref, int force, char **id, struct unik_err *err);

#endif
