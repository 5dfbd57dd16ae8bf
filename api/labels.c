/* labels.c - labels as "K=V" strings and JSON objects (see labels.h). */
#include "labels.h"

#include <string.h>

#include "../lib/xalloc.h"
#include "types.h"

/* 1 for 1..UNIK_LABEL_KEY_MAX bytes of UTF-8 without control characters. */
static int key_ok(const char *k, size_t len)
{
	json_t *utf8;

	if (!len || len > UNIK_LABEL_KEY_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
			return 0;
	utf8 = json_stringn(k, len);
	json_decref(utf8);
	return utf8 != NULL;
}

int unik_label_add(struct strv *labels, const char *kv, struct unik_err *err)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
	const char *val = eq ? eq + 1 : "";

	if (!key_ok(kv, klen))
		return unik_err_set(err, UNIK_E_INVALID,
				    "bad label '%.64s': use KEY=VALUE, KEY 1..%d characters", kv,
				    UNIK_LABEL_KEY_MAX);
	if (strlen(val) > UNIK_LABEL_VALUE_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "label %.*s: the value is over %d bytes",
				    (int)klen, kv, UNIK_LABEL_VALUE_MAX);
	for (size_t i = 0; i < labels->n; i++) {
		if (!strncmp(labels->v[i], kv, klen) && labels->v[i][klen] == '=') {
			free(labels->v[i]);
			labels->v[i] = xasprintf("%.*s=%s", (int)klen, kv, val);
			return 0;
		}
	}
	if (labels->n >= UNIK_LABELS_MAX)
		return unik_err_set(err, UNIK_E_INVALID, "more than %d labels", UNIK_LABELS_MAX);
	strv_push_owned(labels, xasprintf("%.*s=%s", (int)klen, kv, val));
	return 0;
}

json_t *unik_labels_to_json(const struct strv *labels)
{
	json_t *o = json_object();

	for (size_t i = 0; i < labels->n; i++) {
		const char *eq = strchr(labels->v[i], '=');
		char *k =
		    xstrndup(labels->v[i], eq ? (size_t)(eq - labels->v[i]) : strlen(labels->v[i]));

		json_object_set_new(o, k, unik_json_text(eq ? eq + 1 : ""));
		free(k);
	}
	return o;
}

int unik_labels_from_json(json_t *j, const char *key, struct strv *labels, struct unik_err *err)
{
	json_t *o = json_object_get(j, key), *v;
	const char *k;

	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return unik_err_set(err, UNIK_E_INVALID,
				    "field '%s' must be an object of string values", key);
	json_object_foreach (o, k, v) {
		char *kv;
		int rc;

		if (!json_is_string(v))
			return unik_err_set(err, UNIK_E_INVALID,
					    "field '%s' must be an object of string values", key);
		if (strchr(k, '='))
			return unik_err_set(err, UNIK_E_INVALID, "label key '%.64s' has a '='", k);
		kv = xasprintf("%s=%s", k, json_string_value(v));
		rc = unik_label_add(labels, kv, err);
		free(kv);
		if (rc)
			return -1;
	}
	return 0;
}
