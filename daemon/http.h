/* http.h - unikd's HTTP layer over libmicrohttpd.
 *
 * One MHD daemon per listener (the unix socket, and the TCP address when
 * asked for), thread per connection, so a handler may block (wait, logs -f).
 * The layer matches the route, enforces the bearer token on TCP, collects
 * the body (JSON in memory, uploads spooled to a file under a size limit),
 * then calls the route's handler exactly once; the handler answers with
 * one of the http_reply_* calls.
 */
#ifndef UNIKD_HTTP_H
#define UNIKD_HTTP_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "../api/types.h"
#include "../lib/error.h"
#include "../lib/strbuf.h"
#include "../lib/strv.h"

struct unikd;
struct route;
struct http_server;
struct MHD_Connection;
struct MHD_Response;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_JSON_BODY (1024 * 1024)

struct http_req {
	struct unikd *d;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	const struct route *route;
	char *params[HTTP_MAX_PARAMS]; /* path parameters, in pattern order */
	int nparams;

	struct strbuf body; /* JSON bodies */
	int spool_fd; /* uploads: -1 or the spool file */
	char *spool_path; /* uploads: the spooled body (handler may rename it) */
	long long body_len;
	int too_large;
	const char *early_error; /* set when rejected before the body */

	struct MHD_Response *resp;
	unsigned status;
};

/* Starts listening on the unix socket (d->socket_path) and, if set, the TCP
 * address (d->listen_addr, bearer token required). */
int http_start(struct unikd *d, struct http_server **out, struct unik_err *err);
void http_stop(struct http_server *srv);

/* Query string value (borrowed), or NULL. */
const char *http_query(struct http_req *req, const char *key);
/* Integer query value with a default; INVALID when not a number. */
int http_query_int(struct http_req *req, const char *key, long long def, long long *out,
		   struct unik_err *err);
/* 1 if the query flag is "1"/"true"/"yes". */
int http_query_flag(struct http_req *req, const char *key);
/* Every value of a repeated query parameter. */
void http_query_all(struct http_req *req, const char *key, struct strv *out);
/* Parses the JSON body (NEW reference) or fails with INVALID. */
int http_body_json(struct http_req *req, json_t **out, struct unik_err *err);

/* Replies; each takes ownership of what it is given. */
void http_reply_json(struct http_req *req, unsigned status, json_t *body);
void http_reply_error(struct http_req *req, const struct unik_err *err);

/* A streamed reply: `read` fills buf (may block), returns bytes, 0 never,
 * -1 at the end.  `fini` frees ctx when the connection is done. */
typedef ssize_t (*http_stream_read)(void *ctx, char *buf, size_t max);
void http_reply_stream(struct http_req *req, unsigned status, const char *content_type,
		       http_stream_read read, void *ctx, void (*fini)(void *ctx));

#endif
