/* http_resp.h - an HTTP/1.1 response read piece by piece: the status line
 * and headers, then a body framed by Content-Length, by chunks, or by the
 * end of the connection.  The CLI's own reader for the daemon's unix
 * socket (client_unix.c); it trusts nothing it reads: bounded header and
 * chunk lines, sizes checked for overflow, a clear reason when it refuses. */
#ifndef UNIK_CMD_HTTP_RESP_H
#define UNIK_CMD_HTTP_RESP_H

#include <stddef.h>

#include "../lib/strbuf.h"

#define HTTP_RESP_HEAD_MAX (64 * 1024) /* status line and headers */
#define HTTP_RESP_LINE_MAX 1024 /* a chunk-size line or a trailer line */

enum http_resp_state {
	HTTP_RESP_HEAD,
	HTTP_RESP_BODY, /* Content-Length bytes, or to the end */
	HTTP_RESP_CHUNK_SIZE,
	HTTP_RESP_CHUNK_DATA,
	HTTP_RESP_CHUNK_END, /* the CRLF after a chunk's data */
	HTTP_RESP_TRAILER,
	HTTP_RESP_DONE,
	HTTP_RESP_BAD,
};

/* Gets the body as it arrives; non-zero stops the reading. */
typedef int (*http_resp_body_fn)(const char *data, size_t len, void *arg);

struct http_resp {
	enum http_resp_state state;
	int status; /* once the head is read */
	int until_close; /* a body without Content-Length or chunks */
	unsigned long long left; /* body or chunk bytes still to come */
	struct strbuf line; /* the head, or the current chunk/trailer line */
	char why[160]; /* why the response was refused */
	http_resp_body_fn fn;
	void *arg;
};

void http_resp_init(struct http_resp *r, http_resp_body_fn fn, void *arg);
void http_resp_release(struct http_resp *r);

/* Reads `len` more bytes.  0: go on (or done: see state); -1: the
 * response is malformed (r->why says how); 1: `fn` stopped it.  Bytes
 * after the end of the response are ignored. */
int http_resp_feed(struct http_resp *r, const char *data, size_t len);

/* The connection ended: 0 when that completes the response (or it was
 * complete), -1 when the response was cut short (r->why). */
int http_resp_eof(struct http_resp *r);

#endif
