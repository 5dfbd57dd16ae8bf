/* gotmpl.c - {{.A.B}} and {{json .X}} over JSON (see gotmpl.h). */
#include "gotmpl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* 1 when `key` equals name[0..len) ignoring case and underscores. */
static int loose_eq(const char *key, const char *name, size_t len)
{
	size_t i = 0;

	for (; *key; key++) {
		if (*key == '_')
			continue;
		while (i < len && name[i] == '_')
			i++;
		if (i == len || tolower((unsigned char)*key) != tolower((unsigned char)name[i]))
			return 0;
		i++;
	}
	while (i < len && name[i] == '_')
		i++;
	return i == len;
}

static json_t *member(json_t *obj, const char *name, size_t len)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return NULL;
	json_object_foreach (obj, key, val) {
		if (strlen(key) == len && !strncmp(key, name, len))
			return val;
	}
	json_object_foreach (obj, key, val) {
		if (loose_eq(key, name, len))
			return val;
	}
	return NULL;
}

json_t *gotmpl_lookup(json_t *v, const char *path, size_t len)
{
	size_t i = 0;

	if (len == 0 || path[0] != '.')
		return NULL;
	if (len == 1)
		return v;
	while (i < len && v) {
		size_t start = ++i, n;

		while (i < len && path[i] != '.')
			i++;
		n = i - start;
		if (!n)
			return NULL;
		v = member(v, path + start, n);
	}
	return v;
}

/* 1 when path[0..len) is "." or ".Name" segments of [A-Za-z0-9_]. */
static int path_ok(const char *path, size_t len)
{
	if (len == 0 || path[0] != '.')
		return 0;
	if (len == 1)
		return 1;
	for (size_t i = 0; i < len; i++) {
		if (path[i] == '.') {
			if (i + 1 == len || path[i + 1] == '.')
				return 0;
		} else if (!isalnum((unsigned char)path[i]) && path[i] != '_') {
			return 0;
		}
	}
	return 1;
}

static void add_json(struct strbuf *out, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	strbuf_adds(out, s ? s : "null");
	free(s);
}

static void add_value(struct strbuf *out, json_t *v, int found)
{
	if (!found)
		strbuf_adds(out, "<no value>");
	else if (json_is_null(v))
		strbuf_adds(out, "<nil>");
	else if (json_is_string(v))
		strbuf_add(out, json_string_value(v), json_string_length(v));
	else
		add_json(out, v);
}

/* One action: the text between {{ and }}.  `out` NULL: check only. */
static int action(const char *a, size_t len, json_t *v, struct strbuf *out, struct unik_err *err)
{
	int as_json = 0;
	json_t *x;

	while (len && isspace((unsigned char)*a))
		a++, len--;
	while (len && isspace((unsigned char)a[len - 1]))
		len--;
	if (len > 4 && !strncmp(a, "json", 4) && isspace((unsigned char)a[4])) {
		as_json = 1;
		a += 4, len -= 4;
		while (len && isspace((unsigned char)*a))
			a++, len--;
	}
	if (!path_ok(a, len))
		return unik_err_set(err, UNIK_E_INVALID,
				    "--format: '{{%.*s}}' is not in the subset unik takes "
				    "({{.Field}}, {{.A.B}}, {{json .Field}})",
				    (int)len, a);
	if (!out)
		return 0;
	x = gotmpl_lookup(v, a, len);
	if (as_json)
		add_json(out, x ? x : json_null());
	else
		add_value(out, x, x != NULL);
	return 0;
}

static int walk(const char *tmpl, json_t *v, struct strbuf *out, struct unik_err *err)
{
	const char *p = tmpl;

	while (*p) {
		if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}");

			if (!end)
				return unik_err_set(err, UNIK_E_INVALID,
						    "--format: '{{' without its '}}'");
			if (action(p + 2, (size_t)(end - p - 2), v, out, err))
				return -1;
			p = end + 2;
		} else if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n' || p[1] == '\\')) {
			if (out)
				strbuf_addch(out, p[1] == 't' ? '\t' : p[1] == 'n' ? '\n' : '\\');
			p += 2;
		} else {
			if (out)
				strbuf_addch(out, *p);
			p++;
		}
	}
	return 0;
}

int gotmpl_check(const char *tmpl, struct unik_err *err)
{
	return walk(tmpl, NULL, NULL, err);
}

int gotmpl_render(const char *tmpl, json_t *v, struct strbuf *out, struct unik_err *err)
{
	return walk(tmpl, v, out, err);
}
