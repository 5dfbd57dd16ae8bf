/* instance_volumes.c - instances' volumes (see instance_volumes.h). */
#include "instance_volumes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/formats.h"
#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "daemon.h"
#include "run_ctx.h"
#include "store.h"
#include "volume_disk.h"

int volumes_check_mount(const struct unik_provider *p, const char *format,
			const struct unik_instance *in, const struct unik_volume *v,
			const char *path, int read_only, struct unik_err *err)
{
	if (unik_provider_check_volumes(p, in->n_volumes + 1, err))
		return -1;
	if (unik_mount_path_check(path, err))
		return -1;
	if (unik_format_mounts(format, v->type, read_only, err))
		return unik_err_prefix(err, "volume %s", v->name);
	for (size_t i = 0; i < in->n_volumes; i++) {
		const struct unik_mount *m = &in->volumes[i];

		if (!strcmp(m->volume, v->id))
			return unik_err_set(err, UNIK_E_INVALID,
					    "volume %s is already mounted at %s: a volume is "
					    "mounted once per instance",
					    v->name, m->path);
		if (unik_mount_paths_overlap(m->path, path))
			return unik_err_set(err, UNIK_E_INVALID,
					    "mount path %s overlaps %s (volume %s)", path, m->path,
					    m->name ? m->name : m->volume);
	}
	return 0;
}

int volumes_resolve(struct unikd *d, const struct strv *specs, const struct unik_provider *p,
		    const char *format, struct unik_instance *in, struct unik_err *err)
{
	for (size_t i = 0; i < specs->n; i++) {
		struct unik_volume v;
		char *ref = NULL, *path = NULL, *id = NULL;
		int ro, rc;

		unik_volume_init(&v);
		rc = unik_mount_spec_parse(specs->v[i], &ref, &path, &ro, err) ||
		     store_volume_resolve(d->store, ref, &id, err) ||
		     store_volume_get(d->store, id, &v, err) ||
		     volumes_check_mount(p, format, in, &v, path, ro, err);
		if (!rc) {
			in->volumes =
			    xrealloc(in->volumes, (in->n_volumes + 1) * sizeof(*in->volumes));
			in->volumes[in->n_volumes++] = (struct unik_mount){
				.volume = xstrdup(v.id),
				.name = xstrdup(v.name),
				.path = path,
				.read_only = ro,
			};
			path = NULL;
		}
		unik_volume_release(&v);
		free(ref);
		free(path);
		free(id);
		if (rc)
			return -1;
	}
	return 0;
}

int volumes_claim_locked(struct unikd *d, const struct unik_instance *in, struct unik_err *err)
{
	for (size_t i = 0; i < in->n_volumes; i++) {
		const struct unik_mount *m = &in->volumes[i];
		struct unik_volume v;
		int rc = 0;

		unik_volume_init(&v);
		if (store_volume_get(d->store, m->volume, &v, err) ||
		    store_volume_users(d->store, &v, err)) {
			unik_volume_release(&v);
			if (err->code == UNIK_E_NOT_FOUND)
				unik_err_set(err, UNIK_E_NOT_FOUND,
					     "volume %s of instance %s was removed",
					     m->name ? m->name : m->volume, in->name);
			return -1;
		}
		for (size_t j = 0; !rc && j < v.n_users; j++) {
			const struct unik_volume_user *u = &v.users[j];

			if (!u->running || !strcmp(u->instance, in->id))
				continue;
			if (!m->read_only)
				rc = unik_err_set(err, UNIK_E_CONFLICT,
						  "volume %s is in use by running instance %s: a "
						  "volume mounted read-write is attached to one "
						  "running instance at a time",
						  v.name, u->instance_name);
			else if (!u->read_only)
				rc = unik_err_set(err, UNIK_E_CONFLICT,
						  "volume %s is mounted read-write by running "
						  "instance %s: stop it first",
						  v.name, u->instance_name);
		}
		if (!rc && !m->read_only) {
			v.generation++;
			rc = store_volume_put(d->store, &v, err);
		}
		unik_volume_release(&v);
		if (rc)
			return -1;
	}
	return 0;
}

int volumes_run_specs(struct unikd *d, const struct unik_instance *in,
		      const struct unik_provider *p, int convert, struct run_ctx *rc,
		      struct unik_err *err)
{
	size_t n = in->n_volumes;

	if (n == 0)
		return 0;
	rc->vols = xcalloc(n, sizeof(*rc->vols));
	rc->vol_recs = xcalloc(n, sizeof(*rc->vol_recs));
	rc->vol_disks = xcalloc(n, sizeof(*rc->vol_disks));
	rc->n_vols = n;
	for (size_t i = 0; i < n; i++) {
		const struct unik_mount *m = &in->volumes[i];
		struct unik_volume *v = &rc->vol_recs[i];
		const char *format;

		unik_volume_init(v);
		if (store_volume_get(d->store, m->volume, v, err))
			return unik_err_prefix(err, "instance %s", in->name);
		format = unik_provider_volume_format(p, &d->cfg, m->read_only, err);
		if (!format)
			return -1;
		if (convert)
			rc->vol_disks[i] = volume_disk_for(d, v, format, err);
		else if (!strcmp(format, "raw"))
			rc->vol_disks[i] = volume_master_path(d, v->id);
		else
			rc->vol_disks[i] = unikd_path(d, "volumes/%s/disk.%lld.%s", v->id,
						      (long long)v->generation, format);
		if (!rc->vol_disks[i])
			return -1;
		rc->vols[i] = (struct unik_volume_spec){
			.name = v->name,
			.disk = rc->vol_disks[i],
			.format = format,
			.path = m->path,
			.fstype = v->type,
			.read_only = m->read_only,
		};
	}
	rc->spec.volumes = rc->vols;
	rc->spec.n_volumes = n;
	return 0;
}

int volumes_prepare_disks(struct unikd *d, struct run_ctx *rc, struct unik_err *err)
{
	for (size_t i = 0; i < rc->n_vols; i++) {
		struct unik_volume *v = &rc->vol_recs[i];
		char *disk, *id;
		int got;

		if (!strcmp(rc->vols[i].format, "raw"))
			continue;
		/* the generation as of the claim: no writer can start now */
		id = xstrdup(v->id);
		unik_volume_release(v);
		got = store_volume_get(d->store, id, v, err);
		free(id);
		if (got)
			return -1;
		disk = volume_disk_for(d, v, rc->vols[i].format, err);
		if (!disk)
			return -1;
		free(rc->vol_disks[i]);
		rc->vol_disks[i] = disk;
		rc->vols[i].disk = disk;
		rc->vols[i].name = v->name;
		rc->vols[i].fstype = v->type;
	}
	return 0;
}
