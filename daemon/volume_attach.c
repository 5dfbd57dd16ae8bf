/* volume_attach.c - attach and detach (see volume_attach.h). */
#include "volume_attach.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "../providers/dispatch.h"
#include "claims.h"
#include "daemon.h"
#include "events.h"
#include "instance_volumes.h"
#include "instances.h"
#include "run_ctx.h"
#include "store.h"

/* The volume and instance of a request, and the instance's provider and
 * image format (d->lock held). */
struct target {
	struct unik_volume v;
	struct unik_instance in;
	struct unik_image im;
	const struct unik_provider *p;
};

static void target_release(struct target *t)
{
	unik_volume_release(&t->v);
	unik_instance_release(&t->in);
	unik_image_release(&t->im);
}

static int target_load(struct unikd *d, const char *vref, const char *iref, struct target *t,
		       struct unik_err *err)
{
	char *vid = NULL, *iid = NULL;
	int rc;

	unik_volume_init(&t->v);
	unik_instance_init(&t->in);
	unik_image_init(&t->im);
	rc = store_volume_resolve(d->store, vref, &vid, err) ||
	     store_volume_get(d->store, vid, &t->v, err) ||
	     store_instance_resolve(d->store, iref, &iid, err) ||
	     store_instance_get(d->store, iid, &t->in, err);
	free(vid);
	free(iid);
	if (rc)
		return -1;
	t->p = unik_provider_find(t->in.provider);
	if (!t->p)
		return unik_err_set(err, UNIK_E_INVALID, "instance %s uses unknown provider '%s'",
				    t->in.name, t->in.provider);
	/* an image removed meanwhile: its format is unknown, INVALID below */
	store_image_get(d->store, t->in.image, &t->im, NULL);
	return 0;
}

/* 0 while `in` mounts volume `id`; its index in *at. */
static int find_mount(const struct unik_instance *in, const char *id, size_t *at)
{
	for (size_t i = 0; i < in->n_volumes; i++)
		if (!strcmp(in->volumes[i].volume, id)) {
			*at = i;
			return 0;
		}
	return -1;
}

static int no_hotplug(const struct target *t, int attach, struct unik_err *err)
{
	return unik_err_set(err, UNIK_E_UNSUPPORTED,
			    "provider '%s' cannot %s volumes %s a running instance: stop "
			    "instance %s first",
			    t->p->name, attach ? "attach" : "detach", attach ? "to" : "from",
			    t->in.name);
}

/* Hot-plug on the running instance of t (d->lock held, released around
 * the provider call under the instance's claim): with `add` (a mount of
 * t->v) the volume joins the VM as its next disk, else t->v's disk leaves
 * it.  On success t->in is the record as saved. */
static int hotplug_locked(struct unikd *d, struct target *t, const struct unik_mount *add,
			  struct unik_err *err)
{
	enum unik_provider_op op = add ? UNIK_OP_ATTACH_VOLUME : UNIK_OP_DETACH_VOLUME;
	struct unik_instance now, just;
	struct run_ctx rc, one;
	struct claim *c;
	size_t at = 0;
	int rv = -1;

	if (!unik_provider_has(t->p, op))
		return no_hotplug(t, add != NULL, err);
	c = claim_take(d, t->in.id);
	unik_instance_init(&now);
	if (store_instance_get(d->store, t->in.id, &now, err))
		goto out;
	if (now.state != UNIK_STATE_RUNNING) {
		unik_err_set(err, UNIK_E_CONFLICT, "instance %s is %s: try again", now.name,
			     unik_state_name(now.state));
		goto out;
	}
	if (!add && find_mount(&now, t->v.id, &at)) {
		unik_err_set(err, UNIK_E_NOT_FOUND, "instance %s does not mount volume %s",
			     now.name, t->v.name);
		goto out;
	}
	pthread_mutex_unlock(&d->lock);
	/* the spec of the VM as it runs, with the disks it has */
	if (run_ctx_init(d, &now, 1, &rc, err) == 0) {
		if (!add) {
			rv = provider_detach_volume(t->p, &rc.spec, now.pid, &rc.vols[at], err);
		} else {
			just = now;
			just.volumes = (struct unik_mount *)add;
			just.n_volumes = 1;
			if (run_ctx_init(d, &just, 1, &one, err) == 0) {
				if (volumes_prepare_disks(d, &one, err) == 0)
					rv = provider_attach_volume(t->p, &rc.spec, now.pid,
								    &one.vols[0], err);
				run_ctx_release(&one);
			}
		}
		run_ctx_release(&rc);
	}
	pthread_mutex_lock(&d->lock);
	if (rv)
		goto out;
	if (add) {
		struct unik_mount *cp = unik_mounts_copy(add, 1);

		now.volumes = xrealloc(now.volumes, (now.n_volumes + 1) * sizeof(*now.volumes));
		now.volumes[now.n_volumes++] = cp[0];
		free(cp);
	} else {
		unik_mount_release(&now.volumes[at]);
		memmove(&now.volumes[at], &now.volumes[at + 1],
			(now.n_volumes - at - 1) * sizeof(*now.volumes));
		now.n_volumes--;
	}
	rv = store_instance_put(d->store, &now, err);
	unik_instance_release(&t->in);
	t->in = now;
	unik_instance_init(&now);
out:
	unik_instance_release(&now);
	instance_claim_release(d, c);
	return rv;
}

int volume_attach(struct unikd *d, const char *ref, const struct unik_attach_request *rq,
		  struct unik_instance *out, struct unik_err *err)
{
	struct target t;
	int rv = -1;

	pthread_mutex_lock(&d->lock);
	if (target_load(d, ref, rq->instance, &t, err))
		goto out;
	/* a running instance without hot-plug: that first, whatever else */
	if (unik_state_active(t.in.state) && !unik_provider_has(t.p, UNIK_OP_ATTACH_VOLUME)) {
		no_hotplug(&t, 1, err);
		goto out;
	}
	if (volumes_check_mount(t.p, t.im.format, &t.in, &t.v, rq->path, rq->read_only, err))
		goto out;
	t.in.volumes = xrealloc(t.in.volumes, (t.in.n_volumes + 1) * sizeof(*t.in.volumes));
	t.in.volumes[t.in.n_volumes++] = (struct unik_mount){
		.volume = xstrdup(t.v.id),
		.name = xstrdup(t.v.name),
		.path = xstrdup(rq->path),
		.read_only = rq->read_only,
	};
	if (unik_state_active(t.in.state)) {
		if (volumes_claim_locked(d, &t.in, err) ||
		    hotplug_locked(d, &t, &t.in.volumes[t.in.n_volumes - 1], err))
			goto out;
	} else if (store_instance_put(d->store, &t.in, err)) {
		goto out;
	}
	unikd_log("volume %s attached to instance %s at %s%s", t.v.name, t.in.name, rq->path,
		  rq->read_only ? " (read-only)" : "");
	events_emit("volume", "mount", t.v.id, t.v.name,
		    json_pack("{ssssssss}", "instance", t.in.name, "instance_id", t.in.id,
			      "destination", rq->path, "read_only",
			      rq->read_only ? "true" : "false"));
	*out = t.in;
	unik_instance_init(&t.in);
	rv = 0;
out:
	pthread_mutex_unlock(&d->lock);
	target_release(&t);
	unikd_notify(d);
	return rv;
}

int volume_detach(struct unikd *d, const char *ref, const char *instance, struct unik_instance *out,
		  struct unik_err *err)
{
	struct target t;
	size_t at;
	int rv = -1;

	pthread_mutex_lock(&d->lock);
	if (target_load(d, ref, instance, &t, err))
		goto out;
	if (find_mount(&t.in, t.v.id, &at)) {
		unik_err_set(err, UNIK_E_NOT_FOUND, "instance %s does not mount volume %s",
			     t.in.name, t.v.name);
		goto out;
	}
	if (unik_state_active(t.in.state)) {
		if (hotplug_locked(d, &t, NULL, err))
			goto out;
	} else {
		unik_mount_release(&t.in.volumes[at]);
		memmove(&t.in.volumes[at], &t.in.volumes[at + 1],
			(t.in.n_volumes - at - 1) * sizeof(*t.in.volumes));
		t.in.n_volumes--;
		if (store_instance_put(d->store, &t.in, err))
			goto out;
	}
	unikd_log("volume %s detached from instance %s", t.v.name, t.in.name);
	events_emit("volume", "unmount", t.v.id, t.v.name,
		    json_pack("{ssss}", "instance", t.in.name, "instance_id", t.in.id));
	*out = t.in;
	unik_instance_init(&t.in);
	rv = 0;
out:
	pthread_mutex_unlock(&d->lock);
	target_release(&t);
	unikd_notify(d);
	return rv;
}
