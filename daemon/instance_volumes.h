/* instance_volumes.h - the volumes of instances: which ones a run may
 * mount (at create and attach), the one-writer rule at start, and the
 * disks a provider is given (docs/volumes.md). */
#ifndef UNIKD_INSTANCE_VOLUMES_H
#define UNIKD_INSTANCE_VOLUMES_H

#include "../api/types.h"
#include "../lib/error.h"
#include "../lib/strv.h"

struct unikd;
struct unik_provider;
struct run_ctx;

/* 0 if `in` (on provider p, image format `format`) may mount volume `v` at
 * `path` besides the volumes it has: the provider attaches volumes (501)
 * and one more (400), the image's guest mounts v's file system in that
 * mode, the volume is not mounted twice and the path overlaps none of the
 * others (400). */
int volumes_check_mount(const struct unik_provider *p, const char *format,
			const struct unik_instance *in, const struct unik_volume *v,
			const char *path, int read_only, struct unik_err *err);

/* The RunRequest's "VOLUME:/PATH[:ro]" specs into in->volumes, each
 * resolved (NOT_FOUND) and checked with volumes_check_mount. */
int volumes_resolve(struct unikd *d, const struct strv *specs, const struct unik_provider *p,
		    const char *format, struct unik_instance *in, struct unik_err *err);

/* 0 if `in` may start with its volumes now (d->lock held): each still
 * exists, a read-write one is mounted by no other starting, running or
 * stopping instance, a read-only one by no such instance read-write
 * (CONFLICT naming it).  The generation of each read-write one is bumped
 * (its converted copies become stale). */
int volumes_claim_locked(struct unikd *d, const struct unik_instance *in, struct unik_err *err);

/* Fills rc->spec.volumes for `in` on p: each volume's record, its disk
 * format for p, and the path of its disk (the master, or its converted
 * copy, converted now when `convert`, else only named).  -1 with err. */
int volumes_run_specs(struct unikd *d, const struct unik_instance *in,
		      const struct unik_provider *p, int convert, struct run_ctx *rc,
		      struct unik_err *err);

/* After volumes_claim_locked: converts the disks of rc's read-only volumes
 * that the provider takes in another format than raw (cached copies of
 * the current generation are kept). */
int volumes_prepare_disks(struct unikd *d, struct run_ctx *rc, struct unik_err *err);

#endif
