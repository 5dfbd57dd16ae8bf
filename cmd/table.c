/* table.c - aligned columns. */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

#define GAP 3

void table_init(struct table *t, const char *headers)
{
	const char *p = headers;

	strv_init(&t->cells);
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n)
			strv_push_owned(&t->cells, xstrndup(p, n));
		p += n + strspn(p + n, " ");
	}
	t->ncols = t->cells.n ? t->cells.n : 1;
}

void table_release(struct table *t)
{
	strv_release(&t->cells);
	t->ncols = 0;
}

void table_cell(struct table *t, const char *s)
{
	int last = t->cells.n % t->ncols == t->ncols - 1;

	strv_push(&t->cells, s && *s ? s : last ? "" : "-");
}

void table_cellf(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	table_cell(t, s ? s : "?");
	free(s);
}

/* Display width of UTF-8 text: code points, not bytes. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void table_print(const struct table *t, FILE *f)
{
	size_t n = t->cells.n, rows = (n + t->ncols - 1) / t->ncols;
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	struct strbuf line = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		size_t cw = width(t->cells.v[i]);

		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t r = 0; r < rows; r++) {
		strbuf_reset(&line);
		for (size_t c = 0; c < t->ncols; c++) {
			size_t i = r * t->ncols + c;
			const char *s = i < n ? t->cells.v[i] : "";

			strbuf_adds(&line, s);
			if (c + 1 < t->ncols)
				for (size_t pad = width(s); pad < w[c] + GAP; pad++)
					strbuf_addch(&line, ' ');
		}
		while (line.len && line.buf[line.len - 1] == ' ')
			line.buf[--line.len] = '\0';
		fprintf(f, "%s\n", strbuf_str(&line));
	}
	strbuf_release(&line);
	free(w);
}
