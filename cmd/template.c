/* template.c - --format templates (template.h). */
#include "template.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The member of `obj` named `key` (len bytes), case-insensitively. */
static json_t *member(json_t *obj, const char *key, size_t len)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return NULL;
	json_object_foreach (obj, k, v) {
		if (strlen(k) == len && !strncasecmp(k, key, len))
			return v;
	}
	return NULL;
}

/* Parses the action between "{{" and "}}" (trimmed, `len` bytes): sets
 * *json for a json call and *path to ".", ".Key" or ".Key.Sub" (within
 * `act`).  0, or -1 if it is not one this renderer takes. */
static int parse_action(const char *act, size_t len, int *json, const char **path, size_t *plen)
{
	while (len && *act == ' ')
		act++, len--;
	while (len && act[len - 1] == ' ')
		len--;
	*json = 0;
	if (len > 5 && !strncmp(act, "json ", 5)) {
		*json = 1;
		act += 5;
		len -= 5;
		while (len && *act == ' ')
			act++, len--;
	}
	if (!len || act[0] != '.')
		return -1;
	for (size_t i = 1; i < len; i++)
		if (!(act[i] == '.' || act[i] == '_' || (act[i] >= 'a' && act[i] <= 'z') ||
		      (act[i] >= 'A' && act[i] <= 'Z') || (act[i] >= '0' && act[i] <= '9')))
			return -1;
	if (len == 1 && !*json)
		return -1; /* {{.}} of an object: say json */
	*path = act;
	*plen = len;
	return 0;
}

/* Walks ".A.B" from obj; NULL when a member is missing. */
static json_t *walk(json_t *obj, const char *path, size_t len)
{
	size_t i = 1;

	while (i < len && obj) {
		size_t j = i;

		while (j < len && path[j] != '.')
			j++;
		if (j == i)
			return NULL;
		obj = member(obj, path + i, j - i);
		i = j + 1;
	}
	return obj;
}

int template_check(const char *tmpl, struct unik_err *err)
{
	for (const char *p = strstr(tmpl, "{{"); p; p = strstr(p, "{{")) {
		const char *e = strstr(p + 2, "}}"), *path;
		size_t plen;
		int json;

		if (!e)
			return unik_err_set(err, UNIK_E_INVALID, "--format: '{{' without '}}'");
		if (parse_action(p + 2, (size_t)(e - p - 2), &json, &path, &plen))
			return unik_err_set(err, UNIK_E_INVALID,
					    "--format: '%.*s' is not {{.Field}}, {{.Field.Sub}} "
					    "or {{json .}}",
					    (int)(e - p + 2), p);
		p = e + 2;
	}
	return 0;
}

void template_render(const char *tmpl, json_t *obj, struct strbuf *out)
{
	const char *p = tmpl;

	for (;;) {
		const char *s = strstr(p, "{{"), *e, *path;
		size_t plen;
		json_t *v;
		int json;
		char *text;

		if (!s || !(e = strstr(s + 2, "}}")) ||
		    parse_action(s + 2, (size_t)(e - s - 2), &json, &path, &plen)) {
			strbuf_adds(out, p);
			return;
		}
		strbuf_add(out, p, (size_t)(s - p));
		v = walk(obj, path, plen);
		if (!v) {
			strbuf_adds(out, "<no value>");
		} else if (json_is_string(v) && !json) {
			strbuf_adds(out, json_string_value(v));
		} else if ((text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY))) {
			strbuf_adds(out, text);
			free(text);
		}
		p = e + 2;
	}
}
