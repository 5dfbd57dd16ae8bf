/* http_uri.c - parsing and decoding of request targets (http_uri.h). */
#include "http_uri.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/hex.h"
#include "../lib/utf8.h"
#include "../lib/xalloc.h"

enum part { PART_PATH, PART_KEY, PART_VALUE };

/* What a message calls the part being decoded. */
static const char *part_name(enum part part)
{
	return part == PART_PATH  ? "the path"
	       : part == PART_KEY ? "a query parameter name"
				  : "a query parameter value";
}

/* Decodes s[0..n) into a NEW string (*out), or fails with a message. */
static int decode(const char *s, size_t n, enum part part, char **out, struct unik_err *err)
{
	char *d = xmalloc(n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int v = hex_pct_at(s, n, i);

			if (v < 0) {
				free(d);
				return unik_err_set(
				    err, UNIK_E_INVALID,
				    "%s has a bad %%-escape (want %%XX with two hex "
				    "digits)",
				    part_name(part));
			}
			c = (unsigned char)v;
			i += 2;
			if (c == '/' && part == PART_PATH) {
				free(d);
				return unik_err_set(err, UNIK_E_INVALID, "%s",
						    "the path has an encoded '/' (%2F) inside a "
						    "segment");
			}
		} else if (c == '+' && part != PART_PATH) {
			c = ' ';
		}
		if (c == '\0') {
			free(d);
			return unik_err_set(err, UNIK_E_INVALID, "%s contains a NUL byte (%%00)",
					    part_name(part));
		}
		d[o++] = (char)c;
	}
	d[o] = '\0';
	if (!utf8_valid(d, o)) {
		free(d);
		return unik_err_set(err, UNIK_E_INVALID, "%s is not valid UTF-8", part_name(part));
	}
	*out = d;
	return 0;
}

void http_uri_release(struct http_uri *u)
{
	if (!u)
		return;
	free(u->path);
	for (size_t i = 0; i < u->nparams; i++) {
		free(u->keys[i]);
		free(u->values[i]);
	}
	free(u->keys);
	free(u->values);
	memset(u, 0, sizeof(*u));
}

/* Adds the query piece s[0..n) ("k=v" or "k"). */
static int add_param(struct http_uri *u, const char *s, size_t n, struct unik_err *err)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n;
	char *key, *value = NULL;

	if (u->nparams >= HTTP_URI_MAX_PARAMS)
		return unik_err_set(err, UNIK_E_INVALID, "more than %d query parameters",
				    HTTP_URI_MAX_PARAMS);
	if (decode(s, klen, PART_KEY, &key, err))
		return -1;
	if (decode(eq ? eq + 1 : "", eq ? n - klen - 1 : 0, PART_VALUE, &value, err)) {
		free(key);
		return -1;
	}
	u->keys = xrealloc(u->keys, (u->nparams + 1) * sizeof(*u->keys));
	u->values = xrealloc(u->values, (u->nparams + 1) * sizeof(*u->values));
	u->keys[u->nparams] = key;
	u->values[u->nparams] = value;
	u->nparams++;
	return 0;
}

static int parse_query(struct http_uri *u, const char *q, size_t n, struct unik_err *err)
{
	while (n) {
		const char *amp = memchr(q, '&', n);
		size_t piece = amp ? (size_t)(amp - q) : n;

		if (piece && add_param(u, q, piece, err))
			return -1;
		q += piece;
		n -= piece;
		if (n) { /* the '&' */
			q++;
			n--;
		}
	}
	return 0;
}

/* Skips "http://host" or "https://host" of an absolute-form target. */
static size_t authority_len(const char *raw, size_t len)
{
	size_t skip = 0, i;

	if (len >= 7 && !strncasecmp(raw, "http://", 7))
		skip = 7;
	else if (len >= 8 && !strncasecmp(raw, "https://", 8))
		skip = 8;
	else
		return 0;
	for (i = skip; i < len && raw[i] != '/' && raw[i] != '?' && raw[i] != '#'; i++)
		;
	return i;
}

int http_uri_parse(const char *raw, size_t len, struct http_uri *out, struct unik_err *err)
{
	size_t start = authority_len(raw, len), path_end, end;
	const char *hash;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)raw[i] <= ' ' || raw[i] == 0x7f)
			return unik_err_set(err, UNIK_E_INVALID,
					    "the request target contains a space or a control "
					    "character (escape it as %%XX)");
	hash = memchr(raw + start, '#', len - start);
	end = hash ? (size_t)(hash - raw) : len;
	for (path_end = start; path_end < end && raw[path_end] != '?'; path_end++)
		;
	if (start == 0 && (path_end == 0 || raw[0] != '/'))
		return unik_err_set(err, UNIK_E_INVALID,
				    "the request target must be a path "
				    "starting with '/'");
	if (path_end == start)
		out->path = xstrdup("/"); /* "http://host" or "http://host?x" */
	else if (raw[start] != '/')
		return unik_err_set(err, UNIK_E_INVALID,
				    "the request target must be a path "
				    "starting with '/'");
	else if (decode(raw + start, path_end - start, PART_PATH, &out->path, err))
		return -1;
	if (path_end < end && parse_query(out, raw + path_end + 1, end - path_end - 1, err)) {
		http_uri_release(out);
		return -1;
	}
	return 0;
}

const char *http_uri_query(const struct http_uri *u, const char *key)
{
	for (size_t i = 0; i < u->nparams; i++)
		if (!strcmp(u->keys[i], key))
			return u->values[i];
	return NULL;
}
