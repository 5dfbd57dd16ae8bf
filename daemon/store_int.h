/* store_int.h - what daemon/store*.c share: the connection and the helpers
 * of store.c.  Not for other callers (they use store.h). */
#ifndef UNIKD_STORE_INT_H
#define UNIKD_STORE_INT_H

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>

#include "store.h"

/* One connection; `lock` (recursive) is held from prepare() to finish() of
 * every statement and across a transaction, so another thread's statement
 * can never land inside one (SQLite's own mutex serializes calls only). */
struct store {
	sqlite3 *db;
	pthread_mutex_t lock;
	struct store_stmts *stmts; /* prepared statements kept (store_stmts.c) */
};

/* store_stmts.c, under st->lock: the prepared statement of sql (*out NULL
 * for a text without one; an SQLite result code), and back after use. */
int store_stmt_get(struct store *st, const char *sql, sqlite3_stmt **out);
void store_stmt_put(struct store *st, sqlite3_stmt *s);
void store_stmts_free(struct store *st);

/* Decodes one `doc` into an element (initialising it); -1 if it is corrupt. */
typedef int (*store_doc_decode_fn)(json_t *j, void *elem);
typedef void (*store_elem_release_fn)(void *elem);

/* Prepares `sql` and takes st->lock until store_int_finish(). */
int store_int_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt, struct unik_err *err);
void store_int_finish(struct store *st, sqlite3_stmt *s);
/* Runs a prepared statement that returns no rows, and finishes it. */
int store_int_exec_stmt(struct store *st, sqlite3_stmt *s, const char *what, struct unik_err *err);
/* Runs `sql` (no rows) under st->lock. */
int store_int_exec_sql(struct store *st, const char *sql, struct unik_err *err);
/* Binds a string, or NULL. */
void store_int_bind_text(sqlite3_stmt *s, int i, const char *v);
/* The last error as err: CONFLICT for a constraint, else INTERNAL; -1. */
int store_int_db_error(struct store *st, struct unik_err *err, const char *what);
/* A ref (exact name, else unique id prefix) of `table` to an id. */
int store_int_resolve(struct store *st, const char *table, const char *what, const char *ref,
		      char **id, struct unik_err *err);
/* The `doc` of the row `id` of `table` (NEW), NOT_FOUND naming `what`. */
int store_int_get_doc(struct store *st, const char *table, const char *what, const char *id,
		      json_t **out, struct unik_err *err);
/* Deletes row `id` of `table`; NOT_FOUND when there is none. */
int store_int_delete_row(struct store *st, const char *table, const char *what, const char *id,
			 struct unik_err *err);
/* The rows of `sql` (one doc column each) decoded into a new array. */
int store_int_list_docs(struct store *st, const char *sql, const char *what, size_t size,
			store_doc_decode_fn decode, store_elem_release_fn release, void **out,
			size_t *n, struct unik_err *err);

/* store_volumes.c: replaces the instance_volumes rows of `in` by those of
 * its volumes (st->lock held, inside store_instance_put's savepoint). */
int store_int_put_mounts(struct store *st, const struct unik_instance *in, struct unik_err *err);

#endif
