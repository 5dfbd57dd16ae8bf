/* http_uri.h - the request target (path and query) of a request, parsed
 * from its raw bytes.
 *
 * unikd never uses libmicrohttpd's decoded copies of the path and the
 * query: they are C strings, so a "%00" would cut them.  This parser sees
 * the target exactly as the client sent it, decodes it with lengths, and
 * refuses what no route can mean: NUL bytes, invalid UTF-8, bad
 * %-escapes, an encoded '/' inside a path segment.  A pure function (no
 * I/O, no global state), so it can be fuzzed on its own.
 */
#ifndef UNIKD_HTTP_URI_H
#define UNIKD_HTTP_URI_H

#include <stddef.h>

#include "../lib/error.h"

/* Query parameters past this are refused (400). */
#define HTTP_URI_MAX_PARAMS 128

struct http_uri {
	char *path; /* decoded: no NUL, valid UTF-8, starts with '/' */
	size_t nparams;
	char **keys; /* decoded query keys and values, same rules as path */
	char **values; /* "" for a key without '=' */
};

#define HTTP_URI_INIT                                                                              \
	{                                                                                          \
		NULL, 0, NULL, NULL                                                                \
	}

/* Parses the raw request target raw[0..len): origin form ("/path?query")
 * or absolute form ("http://host/path?query", whose scheme and host are
 * ignored); a "#fragment" is dropped.  In the query, '+' is a space and
 * pieces are split at '&'; empty pieces are skipped.  On success fills
 * `out` (release with http_uri_release); on failure returns -1 with
 * UNIK_E_INVALID and a message naming the problem, and leaves `out`
 * empty. */
int http_uri_parse(const char *raw, size_t len, struct http_uri *out, struct unik_err *err);
void http_uri_release(struct http_uri *u);

/* The first value of `key`, borrowed, or NULL. */
const char *http_uri_query(const struct http_uri *u, const char *key);

#endif
