/* store.c - SQLite-backed records (see store.h). */
#include "store.h"

#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "store_int.h"

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "INSERT OR IGNORE INTO meta VALUES('schema_version','1');"
    "CREATE TABLE IF NOT EXISTS images(id TEXT PRIMARY KEY, name TEXT UNIQUE,"
    " kernel TEXT, initrd TEXT, created INTEGER, doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS instances(id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " image TEXT NOT NULL, created INTEGER, doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS jobs(id TEXT PRIMARY KEY, state TEXT, created INTEGER,"
    " doc TEXT NOT NULL);"
    /* volumes, and which instance mounts which (store_volumes.c) */
    "CREATE TABLE IF NOT EXISTS volumes(id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
    " created INTEGER, doc TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS instance_volumes("
    " instance TEXT NOT NULL REFERENCES instances(id) ON DELETE CASCADE,"
    " volume TEXT NOT NULL REFERENCES volumes(id), path TEXT NOT NULL,"
    " read_only INTEGER NOT NULL, PRIMARY KEY(instance, volume));"
    "CREATE INDEX IF NOT EXISTS instance_volumes_by_volume ON instance_volumes(volume);"
    /* the addresses live instances hold (store_instance_addresses, once per
     * create): read from this index, not by parsing every record */
    "CREATE INDEX IF NOT EXISTS instances_live_address ON"
    " instances(json_extract(doc, '$.address'), id)"
    " WHERE json_extract(doc, '$.state') IN ('starting', 'running', 'stopping');"
    /* a fleet's records stay in memory: 32 MiB of page cache, not 2 */
    "PRAGMA cache_size=-32768;";

static int db_error(struct store *st, struct unik_err *err, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return unik_err_set(err, UNIK_E_CONFLICT, "%s: %s", what, sqlite3_errmsg(st->db));
	return unik_err_set(err, UNIK_E_INTERNAL, "store: %s: %s", what, sqlite3_errmsg(st->db));
}

/* Schema step 2: the blobs of an image's companion (api/types.h) get
 * columns of their own, so that blob collection counts them
 * (store_blob_users).  Databases of schema 1 get the columns added. */
static int schema_step_companion(struct store *st, struct unik_err *err)
{
	static const char step[] = "BEGIN IMMEDIATE;"
				   "ALTER TABLE images ADD COLUMN companion_kernel TEXT;"
				   "ALTER TABLE images ADD COLUMN companion_initrd TEXT;"
				   "UPDATE meta SET value = '2' WHERE key = 'schema_version';"
				   "COMMIT;";
	sqlite3_stmt *s;
	char *msg = NULL;
	int version = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
			       &s, NULL) != SQLITE_OK)
		return db_error(st, err, "schema version");
	if (sqlite3_step(s) == SQLITE_ROW)
		version = (int)strtol((const char *)sqlite3_column_text(s, 0), NULL, 10);
	sqlite3_finalize(s);
	if (version >= 2)
		return 0;
	if (sqlite3_exec(st->db, step, NULL, NULL, &msg) != SQLITE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "schema step 2: %s", msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int store_open(struct store **out, const char *path, struct unik_err *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	pthread_mutexattr_t attr;
	char *msg = NULL;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	if (sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot open database %s: %s", path,
			     st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot initialise database %s: %s", path,
			     msg ? msg : "?");
		sqlite3_free(msg);
		store_close(st);
		return -1;
	}
	if (schema_step_companion(st, err)) {
		unik_err_prefix(err, "database %s", path);
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_stmts_free(st);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* Prepares `sql` and takes st->lock until finish(). */
static int prepare(struct store *st, const char *sql, sqlite3_stmt **stmt, struct unik_err *err)
{
	pthread_mutex_lock(&st->lock);
	if (store_stmt_get(st, sql, stmt) != SQLITE_OK || !*stmt) {
		db_error(st, err, "prepare");
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	return 0;
}

static void finish(struct store *st, sqlite3_stmt *s)
{
	store_stmt_put(st, s);
	pthread_mutex_unlock(&st->lock);
}

/* Runs `sql` (no rows) under st->lock: BEGIN IMMEDIATE, COMMIT, ROLLBACK. */
static int exec_sql(struct store *st, const char *sql, struct unik_err *err)
{
	sqlite3_stmt *s;
	int rc;

	pthread_mutex_lock(&st->lock);
	if (store_stmt_get(st, sql, &s) != SQLITE_OK || !s) {
		rc = db_error(st, err, sql);
	} else {
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_error(st, err, sql);
		store_stmt_put(st, s);
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a statement that returns no rows. */
static int exec_stmt(struct store *st, sqlite3_stmt *s, const char *what, struct unik_err *err)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE)
		db_error(st, err, what);
	finish(st, s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int is_hex(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

static int resolve(struct store *st, const char *table, const char *what, const char *ref,
		   char **id, struct unik_err *err)
{
	sqlite3_stmt *s;
	char sql[160];
	int rc, found = 0;

	if (!ref || !*ref)
		return unik_err_set(err, UNIK_E_INVALID, "empty %s reference", what);
	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE name = ?1", table);
	if (prepare(st, sql, &s, err))
		return -1;
	bind_text(s, 1, ref);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*id = xstrdup((const char *)sqlite3_column_text(s, 0));
		finish(st, s);
		return 0;
	}
	finish(st, s);
	if (!is_hex(ref))
		return unik_err_set(err, UNIK_E_NOT_FOUND, "no such %s: %s", what, ref);
	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE substr(id, 1, ?2) = ?1 LIMIT 2", table);
	if (prepare(st, sql, &s, err))
		return -1;
	bind_text(s, 1, ref);
	sqlite3_bind_int(s, 2, (int)strlen(ref));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (found++ == 0)
			*id = xstrdup((const char *)sqlite3_column_text(s, 0));
	}
	if (rc != SQLITE_DONE)
		db_error(st, err, "resolve");
	finish(st, s);
	if (rc != SQLITE_DONE) {
		free(*id);
		*id = NULL;
		return -1;
	}
	if (!found)
		return unik_err_set(err, UNIK_E_NOT_FOUND, "no such %s: %s", what, ref);
	if (found > 1) {
		free(*id);
		*id = NULL;
		return unik_err_set(err, UNIK_E_CONFLICT,
				    "%s reference '%s' is ambiguous: it matches several ids", what,
				    ref);
	}
	return 0;
}

int store_image_resolve(struct store *st, const char *ref, char **id, struct unik_err *err)
{
	return resolve(st, "images", "image", ref, id, err);
}

int store_instance_resolve(struct store *st, const char *ref, char **id, struct unik_err *err)
{
	return resolve(st, "instances", "instance", ref, id, err);
}

/* Loads the `doc` column of the single row matching `id` into a JSON value. */
static int get_doc(struct store *st, const char *table, const char *what, const char *id,
		   json_t **out, struct unik_err *err)
{
	sqlite3_stmt *s;
	json_error_t jerr;
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT doc FROM %s WHERE id = ?1", table);
	if (prepare(st, sql, &s, err))
		return -1;
	bind_text(s, 1, id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		finish(st, s);
		return unik_err_set(err, UNIK_E_NOT_FOUND, "no such %s: %s", what, id);
	}
	*out = json_loads((const char *)sqlite3_column_text(s, 0), 0, &jerr);
	finish(st, s);
	if (!*out)
		return unik_err_set(err, UNIK_E_INTERNAL, "store: %s %s is corrupt: %s", what, id,
				    jerr.text);
	return 0;
}

static int delete_row(struct store *st, const char *table, const char *what, const char *id,
		      struct unik_err *err)
{
	sqlite3_stmt *s;
	char sql[128];
	int rc;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?1", table);
	if (prepare(st, sql, &s, err))
		return -1;
	bind_text(s, 1, id);
	pthread_mutex_lock(&st->lock); /* sqlite3_changes() is of the last statement */
	rc = exec_stmt(st, s, "delete", err);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = unik_err_set(err, UNIK_E_NOT_FOUND, "no such %s: %s", what, id);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ---- lists ---------------------------------------------------------- */

typedef store_doc_decode_fn doc_decode_fn;
typedef store_elem_release_fn elem_release_fn;

static int image_decode(json_t *j, void *e)
{
	unik_image_init(e);
	return unik_image_from_json(j, e, NULL);
}

static void image_release(void *e)
{
	unik_image_release(e);
}

static int instance_decode(json_t *j, void *e)
{
	unik_instance_init(e);
	return unik_instance_from_json(j, e, NULL);
}

static void instance_release(void *e)
{
	unik_instance_release(e);
}

static int job_decode(json_t *j, void *e)
{
	unik_job_init(e);
	return unik_job_from_json(j, e, NULL);
}

static void job_release(void *e)
{
	unik_job_release(e);
}

/* Runs `sql` (rows of one doc column) into a new array of `size`-byte
 * elements; rows that do not decode are skipped. */
static int list_docs(struct store *st, const char *sql, const char *what, size_t size,
		     doc_decode_fn decode, elem_release_fn release, void **out, size_t *n,
		     struct unik_err *err)
{
	sqlite3_stmt *s;
	char *v = NULL;
	size_t cap = 0, cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (prepare(st, sql, &s, err))
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *j = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);

		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * size);
		}
		if (!j)
			continue; /* unreadable row: skipped */
		if (decode(j, v + cnt * size) < 0)
			release(v + cnt * size);
		else
			cnt++;
		json_decref(j);
	}
	if (rc != SQLITE_DONE)
		db_error(st, err, what);
	finish(st, s);
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < cnt; i++)
			release(v + i * size);
		free(v);
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- images --------------------------------------------------------- */

int store_image_put(struct store *st, const struct unik_image *im, struct unik_err *err)
{
	json_t *j = unik_image_to_json(im);
	char *doc = json_dumps(j, JSON_COMPACT);
	sqlite3_stmt *s;
	int rc = -1;

	json_decref(j);
	if (prepare(st,
		    "INSERT INTO images(id, name, kernel, initrd, created, doc, companion_kernel,"
		    " companion_initrd) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		    " ON CONFLICT(id) DO UPDATE SET name = ?2, kernel = ?3, initrd = ?4,"
		    " created = ?5, doc = ?6, companion_kernel = ?7, companion_initrd = ?8",
		    &s, err))
		goto cleanup;
	bind_text(s, 1, im->id);
	bind_text(s, 2, im->name);
	bind_text(s, 3, im->kernel);
	bind_text(s, 4, im->initrd);
	sqlite3_bind_int64(s, 5, im->created);
	bind_text(s, 6, doc);
	bind_text(s, 7, im->companion.kernel);
	bind_text(s, 8, im->companion.initrd);
	rc = exec_stmt(st, s, "save image", err);
	if (rc && err && err->code == UNIK_E_CONFLICT)
		unik_err_set(err, UNIK_E_CONFLICT, "the image name '%s' is already in use",
			     im->name ? im->name : "");
cleanup:
	free(doc);
	return rc;
}

int store_image_get(struct store *st, const char *id, struct unik_image *out, struct unik_err *err)
{
	json_t *j;
	int rc;

	if (get_doc(st, "images", "image", id, &j, err))
		return -1;
	rc = unik_image_from_json(j, out, err);
	json_decref(j);
	return rc;
}

int store_image_list(struct store *st, struct unik_image **out, size_t *n, struct unik_err *err)
{
	return list_docs(st, "SELECT doc FROM images ORDER BY created DESC, id", "list images",
			 sizeof(**out), image_decode, image_release, (void **)out, n, err);
}

void store_images_free(struct unik_image *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unik_image_release(&v[i]);
	free(v);
}

int store_image_delete(struct store *st, const char *id, struct unik_err *err)
{
	return delete_row(st, "images", "image", id, err);
}

int store_image_untag(struct store *st, const char *name, struct unik_err *err)
{
	struct unik_image im;
	char *id = NULL;
	sqlite3_stmt *s;
	int rc;

	if (prepare(st, "SELECT id FROM images WHERE name = ?1", &s, err))
		return -1;
	bind_text(s, 1, name);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = xstrdup((const char *)sqlite3_column_text(s, 0));
	finish(st, s);
	if (!id)
		return 0;
	unik_image_init(&im);
	rc = store_image_get(st, id, &im, err);
	if (!rc) {
		free(im.name);
		im.name = NULL;
		rc = store_image_put(st, &im, err);
	}
	unik_image_release(&im);
	free(id);
	return rc;
}

int store_image_put_tagged(struct store *st, const struct unik_image *im, struct unik_err *err)
{
	struct unik_err rb = UNIK_ERR_INIT;
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = exec_sql(st, "BEGIN IMMEDIATE", err);
	if (rc == 0) {
		rc = (im->name && store_image_untag(st, im->name, err)) ||
		     store_image_put(st, im, err);
		if (rc == 0)
			rc = exec_sql(st, "COMMIT", err);
		if (rc)
			exec_sql(st, "ROLLBACK", &rb); /* nothing of it stays */
	}
	pthread_mutex_unlock(&st->lock);
	return rc ? -1 : 0;
}

int store_image_find_digest(struct store *st, const char *digest, char **id, struct unik_err *err)
{
	sqlite3_stmt *s;

	*id = NULL;
	if (prepare(st, "SELECT id FROM images WHERE json_extract(doc, '$.digest') = ?1 LIMIT 1",
		    &s, err))
		return -1;
	bind_text(s, 1, digest);
	if (sqlite3_step(s) == SQLITE_ROW)
		*id = xstrdup((const char *)sqlite3_column_text(s, 0));
	finish(st, s);
	return 0;
}

int store_blob_users(struct store *st, const char *digest, int *count, struct unik_err *err)
{
	sqlite3_stmt *s;

	if (prepare(st,
		    "SELECT count(*) FROM images WHERE kernel = ?1 OR initrd = ?1"
		    " OR companion_kernel = ?1 OR companion_initrd = ?1",
		    &s, err))
		return -1;
	bind_text(s, 1, digest);
	if (sqlite3_step(s) != SQLITE_ROW) {
		db_error(st, err, "count blob users");
		finish(st, s);
		return -1;
	}
	*count = sqlite3_column_int(s, 0);
	finish(st, s);
	return 0;
}

/* ---- instances ------------------------------------------------------ */

/* The upsert of in's row (st->lock held). */
static int put_instance_row(struct store *st, const struct unik_instance *in, const char *doc,
			    struct unik_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (prepare(
		st,
		"INSERT INTO instances(id, name, image, created, doc) VALUES(?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT(id) DO UPDATE SET name = ?2, image = ?3, created = ?4, doc = ?5",
		&s, err))
		return -1;
	bind_text(s, 1, in->id);
	bind_text(s, 2, in->name);
	bind_text(s, 3, in->image);
	sqlite3_bind_int64(s, 4, in->created);
	bind_text(s, 5, doc);
	rc = exec_stmt(st, s, "save instance", err);
	if (rc && err && err->code == UNIK_E_CONFLICT)
		unik_err_set(err, UNIK_E_CONFLICT, "the instance name '%s' is already in use",
			     in->name);
	return rc;
}

int store_instance_put_state(struct store *st, const struct unik_instance *in, struct unik_err *err)
{
	json_t *j = unik_instance_to_json(in);
	char *doc = json_dumps(j, JSON_COMPACT);
	int rc;

	json_decref(j);
	pthread_mutex_lock(&st->lock);
	rc = put_instance_row(st, in, doc, err); /* one statement: atomic alone */
	pthread_mutex_unlock(&st->lock);
	free(doc);
	return rc;
}

int store_instance_put(struct store *st, const struct unik_instance *in, struct unik_err *err)
{
	json_t *j = unik_instance_to_json(in);
	char *doc = json_dumps(j, JSON_COMPACT);
	struct unik_err rb = UNIK_ERR_INIT;
	int rc = -1;

	json_decref(j);
	pthread_mutex_lock(&st->lock);
	/* the record and the rows of its volumes, together (a savepoint nests
	 * in a caller's transaction) */
	if (exec_sql(st, "SAVEPOINT instance_put", err))
		goto cleanup;
	rc = put_instance_row(st, in, doc, err);
	if (rc == 0)
		rc = store_int_put_mounts(st, in, err);
	if (rc == 0 && exec_sql(st, "RELEASE instance_put", err) == 0)
		goto cleanup;
	rc = -1; /* roll back */
	exec_sql(st, "ROLLBACK TO instance_put", &rb);
	exec_sql(st, "RELEASE instance_put", &rb);
cleanup:
	pthread_mutex_unlock(&st->lock);
	free(doc);
	return rc;
}

int store_instance_get(struct store *st, const char *id, struct unik_instance *out,
		       struct unik_err *err)
{
	json_t *j;
	int rc;

	if (get_doc(st, "instances", "instance", id, &j, err))
		return -1;
	rc = unik_instance_from_json(j, out, err);
	json_decref(j);
	return rc;
}

int store_instance_list(struct store *st, struct unik_instance **out, size_t *n,
			struct unik_err *err)
{
	return list_docs(st, "SELECT doc FROM instances ORDER BY created DESC, id",
			 "list instances", sizeof(**out), instance_decode, instance_release,
			 (void **)out, n, err);
}

int store_instance_list_unwatched(struct store *st, struct unik_instance **out, size_t *n,
				  struct unik_err *err)
{
	return list_docs(st,
			 "SELECT doc FROM instances WHERE json_extract(doc, '$.state')"
			 " IN ('running', 'stopping') AND json_extract(doc, '$.pid') IS NULL"
			 " ORDER BY created DESC, id",
			 "list unwatched instances", sizeof(**out), instance_decode,
			 instance_release, (void **)out, n, err);
}

int store_instance_addresses(struct store *st, const char *except, struct strv *out,
			     struct unik_err *err)
{
	sqlite3_stmt *s;
	int r;

	if (prepare(st,
		    "SELECT json_extract(doc, '$.address'), id FROM instances"
		    " INDEXED BY instances_live_address"
		    " WHERE json_extract(doc, '$.state') IN ('starting', 'running', 'stopping')"
		    " AND json_extract(doc, '$.address') IS NOT NULL",
		    &s, err))
		return -1;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *a = sqlite3_column_text(s, 0);
		const unsigned char *id = sqlite3_column_text(s, 1);

		if (a && !(except && id && !strcmp((const char *)id, except)))
			strv_push(out, (const char *)a);
	}
	if (r != SQLITE_DONE) {
		db_error(st, err, "list instance addresses");
		finish(st, s);
		return -1;
	}
	finish(st, s);
	return 0;
}

void store_instances_free(struct unik_instance *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unik_instance_release(&v[i]);
	free(v);
}

int store_instance_delete(struct store *st, const char *id, struct unik_err *err)
{
	return delete_row(st, "instances", "instance", id, err);
}

int store_image_users(struct store *st, const char *image_id, int *total, int *running,
		      struct unik_err *err)
{
	sqlite3_stmt *s;

	if (prepare(st,
		    "SELECT count(*), coalesce(sum(json_extract(doc, '$.state')"
		    " IN ('starting', 'running', 'stopping')), 0) FROM instances WHERE image = ?1",
		    &s, err))
		return -1;
	bind_text(s, 1, image_id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		db_error(st, err, "count image users");
		finish(st, s);
		return -1;
	}
	*total = sqlite3_column_int(s, 0);
	*running = sqlite3_column_int(s, 1);
	finish(st, s);
	return 0;
}

/* ---- jobs ----------------------------------------------------------- */

int store_job_put(struct store *st, const struct unik_job *job, struct unik_err *err)
{
	json_t *j = unik_job_to_json(job);
	char *doc = json_dumps(j, JSON_COMPACT);
	sqlite3_stmt *s;
	int rc = -1;

	json_decref(j);
	if (prepare(st,
		    "INSERT INTO jobs(id, state, created, doc) VALUES(?1, ?2, ?3, ?4)"
		    " ON CONFLICT(id) DO UPDATE SET state = ?2, created = ?3, doc = ?4",
		    &s, err))
		goto cleanup;
	bind_text(s, 1, job->id);
	bind_text(s, 2, unik_job_state_name(job->state));
	sqlite3_bind_int64(s, 3, job->created);
	bind_text(s, 4, doc);
	rc = exec_stmt(st, s, "save job", err);
cleanup:
	free(doc);
	return rc;
}

int store_job_get(struct store *st, const char *id, struct unik_job *out, struct unik_err *err)
{
	json_t *j;
	int rc;

	if (get_doc(st, "jobs", "job", id, &j, err))
		return -1;
	rc = unik_job_from_json(j, out, err);
	json_decref(j);
	return rc;
}

int store_job_list_running(struct store *st, struct unik_job **out, size_t *n, struct unik_err *err)
{
	return list_docs(st, "SELECT doc FROM jobs WHERE state = 'running'", "list jobs",
			 sizeof(**out), job_decode, job_release, (void **)out, n, err);
}

void store_jobs_free(struct unik_job *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unik_job_release(&v[i]);
	free(v);
}

/* ---- for store_volumes.c (store_int.h) ------------------------------ */

int store_int_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt, struct unik_err *err)
{
	return prepare(st, sql, stmt, err);
}

void store_int_finish(struct store *st, sqlite3_stmt *s)
{
	finish(st, s);
}

int store_int_exec_stmt(struct store *st, sqlite3_stmt *s, const char *what, struct unik_err *err)
{
	return exec_stmt(st, s, what, err);
}

int store_int_exec_sql(struct store *st, const char *sql, struct unik_err *err)
{
	return exec_sql(st, sql, err);
}

void store_int_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	bind_text(s, i, v);
}

int store_int_db_error(struct store *st, struct unik_err *err, const char *what)
{
	return db_error(st, err, what);
}

int store_int_resolve(struct store *st, const char *table, const char *what, const char *ref,
		      char **id, struct unik_err *err)
{
	return resolve(st, table, what, ref, id, err);
}

int store_int_get_doc(struct store *st, const char *table, const char *what, const char *id,
		      json_t **out, struct unik_err *err)
{
	return get_doc(st, table, what, id, out, err);
}

int store_int_delete_row(struct store *st, const char *table, const char *what, const char *id,
			 struct unik_err *err)
{
	return delete_row(st, table, what, id, err);
}

int store_int_list_docs(struct store *st, const char *sql, const char *what, size_t size,
			store_doc_decode_fn decode, store_elem_release_fn release, void **out,
			size_t *n, struct unik_err *err)
{
	return list_docs(st, sql, what, size, decode, release, out, n, err);
}
