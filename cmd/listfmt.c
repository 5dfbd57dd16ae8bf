/* listfmt.c - --filter and --format of the listing commands. */
#include "listfmt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "gotmpl.h"
#include "table.h"

int filters_parse(struct filters *f, const struct strv *given, const char *const *allowed,
		  struct unik_err *err)
{
	strv_init(&f->keys);
	strv_init(&f->values);
	for (size_t i = 0; i < given->n; i++) {
		const char *s = given->v[i], *eq = strchr(s, '=');
		size_t klen = eq ? (size_t)(eq - s) : 0;
		const char *const *a;

		for (a = allowed; *a; a++)
			if (strlen(*a) == klen && !strncmp(*a, s, klen))
				break;
		if (!eq || !*a) {
			struct strbuf keys = STRBUF_INIT;

			for (a = allowed; *a; a++)
				strbuf_addf(&keys, "%s%s", a == allowed ? "" : ", ", *a);
			unik_err_set(err, UNIK_E_INVALID,
				     "bad filter '%s': use KEY=VALUE, KEY one of %s", s,
				     strbuf_str(&keys));
			strbuf_release(&keys);
			return -1;
		}
		strv_push_owned(&f->keys, xstrndup(s, klen));
		strv_push(&f->values, eq + 1);
	}
	return 0;
}

void filters_release(struct filters *f)
{
	strv_release(&f->keys);
	strv_release(&f->values);
}

int filters_has(const struct filters *f, const char *key)
{
	return strv_find(&f->keys, key) >= 0;
}

int filters_all_ok(const struct filters *f, const char *key,
		   int (*test)(const char *want, void *arg), void *arg)
{
	for (size_t i = 0; i < f->keys.n; i++)
		if (!strcmp(f->keys.v[i], key) && !test(f->values.v[i], arg))
			return 0;
	return 1;
}

int filters_ok(const struct filters *f, const char *key, int (*test)(const char *want, void *arg),
	       void *arg)
{
	int seen = 0;

	for (size_t i = 0; i < f->keys.n; i++) {
		if (strcmp(f->keys.v[i], key))
			continue;
		seen = 1;
		if (test(f->values.v[i], arg))
			return 1;
	}
	return !seen;
}

int filters_label_test(const char *want, void *labels)
{
	const char *eq = strchr(want, '=');
	char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
	json_t *v = json_object_get(labels, key);
	int ok = json_is_string(v) && (!eq || !strcmp(json_string_value(v), eq + 1));

	free(key);
	return ok;
}

char *listfmt_labels(json_t *labels)
{
	struct strbuf sb = STRBUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach (labels, k, v) {
		strbuf_addf(&sb, "%s%s=%s", sb.len ? "," : "", k,
			    json_is_string(v) ? json_string_value(v) : "");
	}
	return strbuf_detach(&sb);
}

static const char *table_body(const char *format)
{
	if (!strncmp(format, "table", 5) && (!format[5] || isspace((unsigned char)format[5])))
		return format + 5 + strspn(format + 5, " \t");
	return NULL;
}

int listfmt_check(const char *format, struct unik_err *err)
{
	const char *body = table_body(format);

	return gotmpl_check(body ? body : format, err);
}

/* The header of a table template: each action's last field name in capitals. */
static void header_of(const char *tmpl, struct strbuf *out)
{
	const char *p = tmpl;

	while (*p) {
		const char *end;

		if (p[0] == '{' && p[1] == '{' && (end = strstr(p + 2, "}}"))) {
			const char *a = end;

			while (a > p + 2 && a[-1] != '.' && !isspace((unsigned char)a[-1]))
				a--;
			if (a == end) /* {{.}} */
				strbuf_adds(out, "VALUE");
			for (; a < end; a++)
				if (!isspace((unsigned char)*a))
					strbuf_addch(out, (char)toupper((unsigned char)*a));
			p = end + 2;
		} else if (p[0] == '\\' && p[1] == 't') {
			strbuf_addch(out, '\t');
			p += 2;
		} else {
			strbuf_addch(out, *p++);
		}
	}
}

static size_t count_tabs(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\t';
	return n;
}

/* Adds the tab-separated cells of `line` as one row of `t` (cells past the
 * header's count stay in the last one). */
static void add_row(struct table *t, const char *line)
{
	for (size_t c = 0; c < t->ncols; c++) {
		size_t n = c + 1 < t->ncols ? strcspn(line, "\t") : strlen(line);

		strv_push_owned(&t->cells, xstrndup(line, n));
		line += n + (line[n] == '\t');
	}
}

void listfmt_print(const char *format, json_t *rows, FILE *f)
{
	const char *body = table_body(format);
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf line = STRBUF_INIT;
	struct table t;
	size_t i;
	json_t *row;

	if (!body) {
		json_array_foreach (rows, i, row) {
			strbuf_reset(&line);
			gotmpl_render(format, row, &line, &err);
			fprintf(f, "%s\n", strbuf_str(&line));
		}
		strbuf_release(&line);
		return;
	}
	header_of(body, &line);
	strv_init(&t.cells);
	t.ncols = 1 + count_tabs(strbuf_str(&line));
	add_row(&t, strbuf_str(&line));
	json_array_foreach (rows, i, row) {
		strbuf_reset(&line);
		gotmpl_render(body, row, &line, &err);
		add_row(&t, strbuf_str(&line));
	}
	table_print(&t, f);
	table_release(&t);
	strbuf_release(&line);
}
