/* summon_pool.c - the records of a summon pool (`unik run --summon --max
 * N`, summon.h): the instance publishing the ports, and N-1 copies of it
 * without ports whose summon.pool names it.  summon.c spreads the
 * connections over them; they go with it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "events.h"
#include "ids.h"
#include "instances.h"
#include "store.h"
#include "summon.h"

int summon_pool_create(struct unikd *d, const struct unik_instance *in, struct unik_err *err)
{
	json_t *j;
	int rv = 0;

	if (!in->summon.enabled || in->summon.max <= 1)
		return 0;
	j = unik_instance_to_json(in);
	for (int i = 2; i <= in->summon.max && !rv; i++) {
		struct unik_instance m;

		unik_instance_init(&m);
		rv = unik_instance_from_json(j, &m, err);
		if (!rv) {
			free(m.id);
			m.id = ids_new();
			free(m.name);
			m.name = xasprintf("%s-%d", in->name, i);
			strv_release(&m.ports);
			snprintf(m.summon.pool, sizeof(m.summon.pool), "%s", in->id);
			m.created = unikd_now();
			rv = instance_make_dir(d, m.id, err);
		}
		if (!rv) {
			pthread_mutex_lock(&d->lock);
			rv = store_instance_put(d->store, &m, err);
			pthread_mutex_unlock(&d->lock);
			if (rv) {
				char *dir = instance_dir(d, m.id);

				fs_remove_tree(dir, NULL);
				free(dir);
			} else {
				events_instance(&m, "create", NULL);
			}
		}
		unik_instance_release(&m);
	}
	json_decref(j);
	return rv;
}

int summon_pool_member_locked(struct unikd *d, const struct unik_instance *in, struct unik_err *err)
{
	struct unik_instance first;
	int rv = 0;

	if (!in->summon.enabled || !in->summon.pool[0])
		return 0;
	unik_instance_init(&first);
	if (store_instance_get(d->store, in->summon.pool, &first, NULL) == 0)
		rv = unik_err_set(err, UNIK_E_CONFLICT,
				  "instance %s is a member of the summon pool of %s: remove %s",
				  in->name, first.name, first.name);
	unik_instance_release(&first);
	return rv;
}

void summon_pool_remove(struct unikd *d, const char *id)
{
	struct unik_instance *v;
	struct unik_err err = UNIK_ERR_INIT;
	size_t n;

	pthread_mutex_lock(&d->lock);
	if (store_instance_list(d->store, &v, &n, &err)) {
		pthread_mutex_unlock(&d->lock);
		unikd_log("summon pool %s: cannot list its members: %s", id, err.msg);
		return;
	}
	pthread_mutex_unlock(&d->lock);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].summon.enabled || strcmp(v[i].summon.pool, id))
			continue;
		unik_err_clear(&err);
		if (instance_remove_member(d, v[i].id, &err))
			unikd_log("summon pool %s: its member %s is kept: %s", id, v[i].name,
				  err.msg);
	}
	store_instances_free(v, n);
}
