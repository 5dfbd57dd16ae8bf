/* http.h - unikd's HTTP layer over libmicrohttpd, as handlers see it.
 *
 * One libmicrohttpd daemon per listener (the unix socket, and the TCP
 * address when asked for, with TLS), each polled by one thread with epoll.
 * The layer parses the request target itself (http_uri.h), matches the
 * route, enforces the bearer token and client certificates on TCP,
 * collects the body (JSON in memory, uploads spooled to a file under a
 * size limit), then runs the route's handler on a worker thread; the
 * handler answers with one of the http_reply_* calls, or parks the request
 * (http_park) to be run again after the daemon's state changes.
 * See http_internal.h for the threads.
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
#include "http_uri.h"

struct unikd;
struct route;
struct http_server;
struct MHD_Connection;
struct MHD_Response;
struct listener;
struct conn_watch;
struct stream;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_JSON_BODY (1024 * 1024)

struct http_req {
	struct unikd *d;
	struct MHD_Connection *conn;
	struct listener *l;
	const char *method;
	const char *path; /* decoded (uri.path) */
	struct http_uri uri;
	const struct route *route;
	char *params[HTTP_MAX_PARAMS]; /* path parameters, in pattern order */
	int nparams;

	struct strbuf body; /* JSON bodies */
	int spool_fd; /* uploads: -1 or the spool file */
	char *spool_path; /* uploads: the spooled body (handler may rename it) */
	long long body_len;
	int too_large;

	struct MHD_Response *resp;
	unsigned status;

	/* the HTTP layer's own (http_internal.h) */
	int uri_failed; /* the target did not parse: uri_err says why */
	struct unik_err *uri_err;
	const char *raw_target; /* libmicrohttpd's buffer: valid until the head is handled */
	size_t target_len;
	int begun; /* the head was seen by the access handler */
	int phase; /* enum req_phase */
	int want_park; /* the handler called http_park() */
	uint64_t gen; /* park generation before the handler ran */
	int gone; /* the client hung up while the request was parked */
	int pkind; /* parked: 0 no, else how (http_park.c) */
	uint64_t pgen;
	int pfd;
	struct http_req *pnext, *pprev; /* parked requests */
	struct http_req *wnext; /* a worker queue */
	struct conn_watch *cw;
	struct stream *stream; /* a streamed reply's state, while parked */
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
/* A reply of the text in `body` (taken: released), as `content_type`. */
void http_reply_text(struct http_req *req, unsigned status, const char *content_type,
		     struct strbuf *body);

/* Answer later: parks the request, costing no thread, and runs the handler
 * again after the next change of the daemon's state (unikd_notify), its
 * shutdown, or when the client hangs up (then the answer is dropped).  The
 * handler must then reply nothing now, and be safe to run again. */
void http_park(struct http_req *req);

/* A streamed reply.  `read` (called on the polling thread: must not block)
 * fills buf and returns bytes, 0 when it has nothing yet, -1 at the end.
 * After a 0 the stream is parked; `ready` (called from another thread
 * while parked) says whether to try `read` again: 1 yes, 0 not yet.
 * `changed` is 1 when the daemon's state changed since the last call (the
 * time to ask whether the producer has finished).  `fini` frees ctx when
 * the connection is done. */
typedef ssize_t (*http_stream_read)(void *ctx, char *buf, size_t max);
typedef int (*http_stream_ready)(void *ctx, int changed);
void http_reply_stream(struct http_req *req, unsigned status, const char *content_type,
		       http_stream_read read, http_stream_ready ready, void *ctx,
		       void (*fini)(void *ctx));
/* Streams the open file `fd` (taken: closed when the reply is done). */
void http_reply_fd(struct http_req *req, unsigned status, const char *content_type, int fd);

/* The daemon's state changed: wakes parked requests.  unikd_notify()
 * calls it; cheap, never blocks. */
void http_notify(struct http_server *srv);
/* A streamed reply's producer has more (a console log grew): parked
 * streams look again within a few ms (unikd_data_ready calls it). */
void http_data_ready(struct http_server *srv);

#endif
