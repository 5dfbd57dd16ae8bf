/* store_stmts.c - the store's prepared statements, kept for reuse.
 *
 * Parsing and planning the same SQL on every call was ~10% of a create's
 * CPU (docs/density.md): a statement is now prepared once per SQL text and
 * reset after use.  Used only under st->lock.  A statement already in use
 * (the lock is recursive: a nested call may run the same SQL) or past the
 * cache's size is prepared apart and finalized after use, as before.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "store_int.h"

/* The SQL texts: a fixed set of literals and a few built from table names. */
#define STMT_CACHE_SIZE 96

struct store_stmt {
	char *sql;
	sqlite3_stmt *stmt;
	int busy;
};

struct store_stmts {
	struct store_stmt e[STMT_CACHE_SIZE];
	int n;
};

int store_stmt_get(struct store *st, const char *sql, sqlite3_stmt **out)
{
	struct store_stmts *c = st->stmts;
	int i;

	*out = NULL;
	if (!c)
		c = st->stmts = xcalloc(1, sizeof(*c));
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].sql, sql))
			break;
	if (i < c->n && !c->e[i].busy) {
		c->e[i].busy = 1;
		*out = c->e[i].stmt;
		return SQLITE_OK;
	}
	if (i < c->n || c->n == STMT_CACHE_SIZE) /* busy, or no room: one of its own */
		return sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
		return sqlite3_errcode(st->db);
	if (!*out) /* no statement in the text */
		return SQLITE_OK;
	c->e[c->n++] = (struct store_stmt){ xstrdup(sql), *out, 1 };
	return SQLITE_OK;
}

void store_stmt_put(struct store *st, sqlite3_stmt *s)
{
	struct store_stmts *c = st->stmts;

	for (int i = 0; c && i < c->n; i++)
		if (c->e[i].stmt == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			c->e[i].busy = 0;
			return;
		}
	sqlite3_finalize(s);
}

void store_stmts_free(struct store *st)
{
	struct store_stmts *c = st->stmts;

	if (!c)
		return;
	for (int i = 0; i < c->n; i++) {
		sqlite3_finalize(c->e[i].stmt);
		free(c->e[i].sql);
	}
	free(c);
	st->stmts = NULL;
}
