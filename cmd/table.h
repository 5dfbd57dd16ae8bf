/* table.h - column output for the listing commands (images, ps, ...).
 *
 * Cells are added left to right, top to bottom, after the header.  table_print() pads every column to its widest cell, three
 * spaces apart, and trims trailing blanks.
 */
#ifndef UNIK_CMD_TABLE_H
#define UNIK_CMD_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "../lib/strv.h"

struct table {
	size_t ncols;
	struct strv cells; /* row-major */
};

/* Starts a table whose header is the space-separated words of `headers`
 * ("NAME ID SIZE"), one column each. */
void table_init(struct table *t, const char *headers);
void table_release(struct table *t);

/* Adds one cell; NULL or "" prints as "-" unless it is the last column. */
void table_cell(struct table *t, const char *s);
void table_cellf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the header and the rows (a partial last row is completed). */
void table_print(const struct table *t, FILE *f);

#endif
