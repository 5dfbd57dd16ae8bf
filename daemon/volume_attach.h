/* volume_attach.h - attaching a volume to an instance and detaching it.
 * A stopped instance's record changes (its next start mounts the volume
 * or no longer does); a running one's provider must hot-plug the disk
 * (attach_volume / detach_volume; NULL ops: 501). */
#ifndef UNIKD_VOLUME_ATTACH_H
#define UNIKD_VOLUME_ATTACH_H

#include "../api/types.h"
#include "../lib/error.h"

struct unikd;

/* Mounts volume `ref` in instance rq->instance at rq->path; `out` gets the
 * instance.  NOT_FOUND, INVALID (see volumes_check_mount), CONFLICT (the
 * one-writer rule, for a running instance), UNSUPPORTED. */
int volume_attach(struct unikd *d, const char *ref, const struct unik_attach_request *rq,
		  struct unik_instance *out, struct unik_err *err);
/* Takes volume `ref` from instance `instance`.  NOT_FOUND when it does not
 * mount it. */
int volume_detach(struct unikd *d, const char *ref, const char *instance, struct unik_instance *out,
		  struct unik_err *err);

#endif
