/* store_volumes.c - the volumes table and which instance mounts which
 * volume (see store.h). */
#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "store.h"
#include "store_int.h"

int store_volume_resolve(struct store *st, const char *ref, char **id, struct unik_err *err)
{
	return store_int_resolve(st, "volumes", "volume", ref, id, err);
}

int store_volume_put(struct store *st, const struct unik_volume *v, struct unik_err *err)
{
	struct unik_volume bare = *v;
	json_t *j;
	char *doc;
	sqlite3_stmt *s;
	int rc;

	/* the attachments are the instances' records, never stored here */
	bare.users = NULL;
	bare.n_users = 0;
	j = unik_volume_to_json(&bare);
	json_object_del(j, "attachments");
	doc = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (store_int_prepare(st,
			      "INSERT INTO volumes(id, name, created, doc) VALUES(?1, ?2, ?3, ?4)"
			      " ON CONFLICT(id) DO UPDATE SET name = ?2, created = ?3, doc = ?4",
			      &s, err)) {
		free(doc);
		return -1;
	}
	store_int_bind_text(s, 1, v->id);
	store_int_bind_text(s, 2, v->name);
	sqlite3_bind_int64(s, 3, v->created);
	store_int_bind_text(s, 4, doc);
	rc = store_int_exec_stmt(st, s, "put volume", err);
	if (rc && err && err->code == UNIK_E_CONFLICT)
		unik_err_set(err, UNIK_E_CONFLICT, "the volume name '%s' is already in use",
			     v->name);
	free(doc);
	return rc;
}

int store_volume_get(struct store *st, const char *id, struct unik_volume *out,
		     struct unik_err *err)
{
	json_t *j;
	int rc;

	if (store_int_get_doc(st, "volumes", "volume", id, &j, err))
		return -1;
	rc = unik_volume_from_json(j, out, err);
	json_decref(j);
	return rc;
}

static int volume_decode(json_t *j, void *e)
{
	unik_volume_init(e);
	return unik_volume_from_json(j, e, NULL);
}

static void volume_release(void *e)
{
	unik_volume_release(e);
}

int store_volume_list(struct store *st, struct unik_volume **out, size_t *n, struct unik_err *err)
{
	return store_int_list_docs(st, "SELECT doc FROM volumes ORDER BY created DESC, id",
				   "list volumes", sizeof(**out), volume_decode, volume_release,
				   (void **)out, n, err);
}

void store_volumes_free(struct unik_volume *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unik_volume_release(&v[i]);
	free(v);
}

int store_volume_delete(struct store *st, const char *id, struct unik_err *err)
{
	int rc = store_int_delete_row(st, "volumes", "volume", id, err);

	if (rc && err && err->code == UNIK_E_CONFLICT)
		unik_err_set(err, UNIK_E_CONFLICT, "volume %s is attached to an instance", id);
	return rc;
}

int store_volume_users(struct store *st, struct unik_volume *v, struct unik_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (store_int_prepare(
		st,
		"SELECT iv.instance, i.name, iv.path, iv.read_only,"
		" json_extract(i.doc, '$.state') IN ('starting', 'running', 'stopping')"
		" FROM instance_volumes iv JOIN instances i ON i.id = iv.instance"
		" WHERE iv.volume = ?1 ORDER BY i.created, i.id",
		&s, err))
		return -1;
	store_int_bind_text(s, 1, v->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct unik_volume_user u = {
			.instance = (char *)sqlite3_column_text(s, 0),
			.instance_name = (char *)sqlite3_column_text(s, 1),
			.path = (char *)sqlite3_column_text(s, 2),
			.read_only = sqlite3_column_int(s, 3),
			.running = sqlite3_column_int(s, 4),
		};

		unik_volume_add_user(v, &u);
	}
	if (rc != SQLITE_DONE)
		store_int_db_error(st, err, "list volume users");
	store_int_finish(st, s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_int_put_mounts(struct store *st, const struct unik_instance *in, struct unik_err *err)
{
	sqlite3_stmt *s;

	if (store_int_prepare(st, "DELETE FROM instance_volumes WHERE instance = ?1", &s, err))
		return -1;
	store_int_bind_text(s, 1, in->id);
	if (store_int_exec_stmt(st, s, "put instance volumes", err))
		return -1;
	for (size_t i = 0; i < in->n_volumes; i++) {
		const struct unik_mount *m = &in->volumes[i];

		if (store_int_prepare(
			st,
			"INSERT INTO instance_volumes(instance, volume, path, read_only)"
			" VALUES(?1, ?2, ?3, ?4)",
			&s, err))
			return -1;
		store_int_bind_text(s, 1, in->id);
		store_int_bind_text(s, 2, m->volume);
		store_int_bind_text(s, 3, m->path);
		sqlite3_bind_int(s, 4, m->read_only ? 1 : 0);
		if (store_int_exec_stmt(st, s, "put instance volumes", err)) {
			if (err && err->code == UNIK_E_CONFLICT)
				unik_err_set(err, UNIK_E_CONFLICT,
					     "volume %s: no such volume, or mounted twice",
					     m->name ? m->name : m->volume);
			return -1;
		}
	}
	return 0;
}
