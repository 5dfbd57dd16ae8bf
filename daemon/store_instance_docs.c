/* store_instance_docs.c - the instance list as the API shows it, straight
 * from the stored documents.
 *
 * An instance's record is the API's JSON of it (store_instance_put writes
 * json_dumps(unik_instance_to_json(in))), so `GET /v1/instances` can send
 * the stored texts side by side instead of decoding each into a struct and
 * encoding it again (two thirds of that request's time at thousands of
 * records).  That holds only while every stored text is what today's
 * encoder writes: store_instance_docs_refresh(), at the daemon's start,
 * re-encodes the records an older unikd wrote (new fields, new defaults),
 * once per build of unikd (its version and commit, kept in `meta`).
 */
#include <stdlib.h>
#include <string.h>

#include "../api/types.h"
#include "store_int.h"

/* 1 when the records were last refreshed by the encoder `rev` (st->lock held). */
static int refreshed_by(struct store *st, const char *rev)
{
	sqlite3_stmt *s;
	int same = 0;

	if (!rev || sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'instance_docs'",
				       -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		same = !strcmp((const char *)sqlite3_column_text(s, 0), rev);
	sqlite3_finalize(s);
	return same;
}

int store_instance_docs_refresh(struct store *st, const char *rev, size_t *rewritten,
				struct unik_err *err)
{
	sqlite3_stmt *s, *u = NULL;
	int rc;

	*rewritten = 0;
	pthread_mutex_lock(&st->lock); /* recursive: the whole transaction is ours */
	if (refreshed_by(st, rev)) {
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
	if (store_int_exec_sql(st, "BEGIN IMMEDIATE", err))
		goto fail;
	if (store_int_prepare(st, "SELECT id, doc FROM instances", &s, err)) {
		store_int_exec_sql(st, "ROLLBACK", NULL);
		goto fail;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *doc = (const char *)sqlite3_column_text(s, 1);
		json_t *j = doc ? json_loads(doc, 0, NULL) : NULL;
		struct unik_instance in;
		char *now = NULL;

		if (!j)
			continue; /* unreadable: the list skips it, as store_instance_list does */
		unik_instance_init(&in);
		if (unik_instance_from_json(j, &in, NULL) == 0) {
			json_t *e = unik_instance_to_json(&in);

			now = json_dumps(e, JSON_COMPACT);
			json_decref(e);
		}
		json_decref(j);
		if (now && strcmp(now, doc)) {
			if (!u && sqlite3_prepare_v2(st->db,
						     "UPDATE instances SET doc = ?2 WHERE id = ?1",
						     -1, &u, NULL) != SQLITE_OK)
				u = NULL;
			if (u) {
				sqlite3_bind_text(u, 1, (const char *)sqlite3_column_text(s, 0), -1,
						  SQLITE_TRANSIENT);
				sqlite3_bind_text(u, 2, now, -1, SQLITE_TRANSIENT);
				if (sqlite3_step(u) == SQLITE_DONE)
					(*rewritten)++;
				sqlite3_reset(u);
			}
		}
		free(now);
		unik_instance_release(&in);
	}
	if (rc != SQLITE_DONE)
		store_int_db_error(st, err, "refresh instance records");
	sqlite3_finalize(u);
	store_int_finish(st, s);
	if (rc != SQLITE_DONE) {
		store_int_exec_sql(st, "ROLLBACK", NULL);
		goto fail;
	}
	if (rev) {
		sqlite3_stmt *m;

		if (sqlite3_prepare_v2(st->db,
				       "INSERT OR REPLACE INTO meta VALUES('instance_docs', ?1)",
				       -1, &m, NULL) == SQLITE_OK) {
			sqlite3_bind_text(m, 1, rev, -1, SQLITE_TRANSIENT);
			sqlite3_step(m);
			sqlite3_finalize(m);
		}
	}
	rc = store_int_exec_sql(st, "COMMIT", err);
	pthread_mutex_unlock(&st->lock);
	return rc;
fail:
	pthread_mutex_unlock(&st->lock);
	return -1;
}

int store_instance_docs(struct store *st, int all, struct strbuf *out, struct unik_err *err)
{
	sqlite3_stmt *s;
	int rc, first = 1;

	if (store_int_prepare(
		st,
		"SELECT doc FROM instances WHERE ?1"
		" OR json_extract(doc, '$.state') IN ('starting', 'running', 'stopping')"
		" OR json_extract(doc, '$.summon') IS NOT NULL"
		" ORDER BY created DESC, id",
		&s, err))
		return -1;
	sqlite3_bind_int(s, 1, all != 0);
	strbuf_addch(out, '[');
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *doc = (const char *)sqlite3_column_text(s, 0);
		int len = sqlite3_column_bytes(s, 0);

		/* a record is an object (its writer is store_instance_put); a
		 * damaged one is left out, as store_instance_list does */
		if (!doc || len < 2 || doc[0] != '{' || doc[len - 1] != '}')
			continue;
		if (!first)
			strbuf_addch(out, ',');
		strbuf_add(out, doc, (size_t)len);
		first = 0;
	}
	strbuf_addch(out, ']');
	if (rc != SQLITE_DONE)
		store_int_db_error(st, err, "list instances");
	store_int_finish(st, s);
	return rc == SQLITE_DONE ? 0 : -1;
}
