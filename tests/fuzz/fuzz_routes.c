/* fuzz_routes.c - the daemon's request routing: the request target (path
 * and query) as it reaches daemon/routes.c route_match() and the handlers.
 *
 * Input: one byte choosing the method, then the raw request target
 * ("/v1/images/x%41?name=a&force=1"; inputs with a NUL, CR or LF are
 * skipped: they cannot be part of a request line).  The target is decoded
 * the way the daemon decodes it (parse_target): with its own request-target
 * parser, daemon/http_uri.c, when the tree has one; else the way
 * libmicrohttpd decodes it for the daemon, MHD_http_unescape() on the path
 * and on each query key and value after turning '+' into ' '.
 * Promises checked:
 *   - decoding never shortens a path or value silently (an embedded NUL
 *     would cut the C string the handlers see);
 *   - a match names its method, gives at most HTTP_MAX_PARAMS parameters,
 *     each a non-empty path segment, and the pattern with them put back is
 *     the path; no match leaves nothing allocated (ASan's leak check);
 *   - the errors the daemon makes from the target - "no such endpoint:
 *     PATH", a handler's "no such image: REF", a query value quoted in a
 *     400 - can be sent as JSON error bodies.
 */
#include <jansson.h>
#include <microhttpd.h>
#include <string.h>

#include "../../api/types.h"
#include "../../daemon/http.h"
#if __has_include("../../daemon/http_uri.h")
#include "../../daemon/http_uri.h"
#define HAVE_HTTP_URI 1
#endif
#include "../../daemon/routes.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "fuzz.h"

static const char *const methods[] = { "GET", "POST", "DELETE", "PUT", "HEAD", "PATCH" };

struct target {
	char *path;
	size_t path_len; /* bytes the decoder produced */
	struct strv keys, values;
	size_t *value_lens; /* bytes the decoder produced for each value */
};

static void check_sendable(const char *what, const char *fmt, const char *arg)
{
	struct unik_err err;
	json_t *j;
	char *text;

	unik_err_set(&err, UNIK_E_NOT_FOUND, fmt, arg);
	j = unik_error_to_json(&err);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	FUZZ_CHECK(text, "the error for %s cannot be sent as JSON: \"%s\"", what, err.msg);
	free(text);
	json_decref(j);
}

#ifdef HAVE_HTTP_URI
/* The daemon's parser: a refused target is a 400 with err. */
static int parse_target(const char *raw, size_t len, struct target *t, struct unik_err *err)
{
	struct http_uri u = HTTP_URI_INIT;

	memset(t, 0, sizeof(*t));
	if (http_uri_parse(raw, len, &u, err)) {
		t->path = xstrdup("");
		return -1;
	}
	t->path = xstrdup(u.path);
	t->path_len = strlen(u.path);
	for (size_t i = 0; i < u.nparams; i++) {
		strv_push(&t->keys, u.keys[i]);
		strv_push(&t->values, u.values[i]);
		t->value_lens = xrealloc(t->value_lens, t->values.n * sizeof(*t->value_lens));
		t->value_lens[i] = strlen(u.values[i]);
	}
	http_uri_release(&u);
	return 0;
}
#else
/* Decodes one query component in place, as libmicrohttpd does. */
static size_t unescape_query(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '+')
			*p = ' ';
	return MHD_http_unescape(s);
}

/* Splits and decodes the raw target; 0, or -1 with err when the HTTP layer
 * refuses it (a 400; libmicrohttpd's own decoding refuses nothing). */
static int parse_target(const char *raw, size_t len, struct target *t, struct unik_err *err)
{
	const char *q = memchr(raw, '?', len);
	size_t plen = q ? (size_t)(q - raw) : len;
	char *query, *p;

	memset(t, 0, sizeof(*t));
	t->path = fuzz_cstr((const uint8_t *)raw, plen);
	t->path_len = MHD_http_unescape(t->path);
	(void)err;
	if (!q)
		return 0;
	query = fuzz_cstr((const uint8_t *)q + 1, len - plen - 1);
	for (p = query; p && *p;) {
		char *amp = strchr(p, '&'), *eq;
		size_t kl, vl = 0;

		if (amp)
			*amp = 0;
		eq = strchr(p, '=');
		if (eq)
			*eq = 0;
		kl = unescape_query(p);
		FUZZ_CHECK(kl == strlen(p), "query key decodes with an embedded NUL");
		if (eq)
			vl = unescape_query(eq + 1);
		strv_push(&t->keys, p);
		strv_push(&t->values, eq ? eq + 1 : "");
		t->value_lens = xrealloc(t->value_lens, t->values.n * sizeof(*t->value_lens));
		t->value_lens[t->values.n - 1] = vl;
		p = amp ? amp + 1 : NULL;
	}
	free(query);
	return 0;
}
#endif

static void target_release(struct target *t)
{
	free(t->path);
	strv_release(&t->keys);
	strv_release(&t->values);
	free(t->value_lens);
}

/* The route's pattern with its parameters put back. */
static void rebuild(const char *pattern, char **params, int n, struct strbuf *out)
{
	int k = 0;

	for (const char *p = pattern; *p; p++) {
		if (*p == '{') {
			const char *e = strchr(p, '}');

			FUZZ_CHECK(e && k < n, "pattern %s has more parameters than matched",
				   pattern);
			strbuf_adds(out, params[k++]);
			p = e;
			continue;
		}
		strbuf_addch(out, *p);
	}
	FUZZ_CHECK(k == n, "pattern %s has fewer parameters than matched", pattern);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *method;
	const struct route *r;
	char *params[HTTP_MAX_PARAMS];
	int n = -1, known = -1;
	struct target t;
	struct unik_err err = UNIK_ERR_INIT;

	/* a request line holds no NUL, CR or LF: the HTTP parser ends it there */
	if (size < 1 || memchr(data + 1, 0, size - 1) || memchr(data + 1, '\r', size - 1) ||
	    memchr(data + 1, '\n', size - 1))
		return 0;
	method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	if (parse_target((const char *)data + 1, size - 1, &t, &err)) {
		json_t *j = unik_error_to_json(&err);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_CHECK(text, "the 400 for a refused target cannot be sent: \"%s\"", err.msg);
		free(text);
		json_decref(j);
		target_release(&t);
		return 0;
	}

	FUZZ_CHECK(t.path_len == strlen(t.path),
		   "the path decodes with an embedded NUL: the handlers would see '%s'", t.path);
	r = route_match(method, t.path, params, &n, &known);
	FUZZ_CHECK(n >= 0 && n <= HTTP_MAX_PARAMS, "%d parameters", n);
	if (r) {
		struct strbuf back = STRBUF_INIT;

		FUZZ_CHECK(!strcmp(r->method, method), "%s %s matched a %s route", method, t.path,
			   r->method);
		for (int i = 0; i < n; i++) {
			FUZZ_CHECK(params[i][0] && !strchr(params[i], '/'),
				   "parameter %d '%s' of %s is not one path segment", i, params[i],
				   r->pattern);
			/* store.c's not-found errors quote the {ref} or {id} */
			check_sendable("a missing image", "no such image: %s", params[i]);
			check_sendable("a missing instance", "no such instance: %s", params[i]);
			check_sendable("a missing job", "no such job: %s", params[i]);
		}
		rebuild(r->pattern, params, n, &back);
		FUZZ_CHECK(!strcmp(strbuf_str(&back), t.path), "%s matched %s but rebuilds as %s",
			   t.path, r->pattern, strbuf_str(&back));
		strbuf_release(&back);
		for (int i = 0; i < n; i++)
			free(params[i]);
	} else {
		FUZZ_CHECK(n == 0, "no match but %d parameters handed out", n);
		check_sendable("an unknown endpoint", "no such endpoint: %s", t.path);
	}
	for (size_t i = 0; i < t.values.n; i++) {
		FUZZ_CHECK(t.value_lens[i] == strlen(t.values.v[i]),
			   "query value of '%s' decodes with an embedded NUL: the handlers would "
			   "see '%s'",
			   t.keys.v[i], t.values.v[i]);
		check_sendable("a query value", "invalid name '%s'", t.values.v[i]);
	}
	target_release(&t);
	return 0;
}
