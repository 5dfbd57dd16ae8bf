/* http.c - the life of a request: target, authentication, route, body,
 * a handler on a worker thread, the reply (see http_internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "http_internal.h"
#include "routes.h"

/* ---- requests ------------------------------------------------------- */

static struct http_req *req_new(struct listener *l, struct MHD_Connection *conn, const char *raw)
{
	struct http_req *req = xcalloc(1, sizeof(*req));
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	atomic_fetch_add(&l->srv->requests, 1);
	req->d = l->d;
	req->conn = conn;
	req->l = l;
	req->method = "?";
	req->path = "?";
	req->spool_fd = -1;
	req->pfd = -1;
	req->cw = ci ? ci->socket_context : NULL;
	strbuf_init(&req->body);
	req->raw_target = raw;
	req->target_len = raw ? strlen(raw) : 0;
	if (req->target_len <= HTTP_MAX_TARGET) {
		req->uri_err = xcalloc(1, sizeof(*req->uri_err));
		if (http_uri_parse(raw ? raw : "", req->target_len, &req->uri, req->uri_err) == 0) {
			req->path = req->uri.path;
			free(req->uri_err);
			req->uri_err = NULL;
		} else {
			req->uri_failed = 1;
		}
	}
	return req;
}

static void req_free(struct http_req *req)
{
	if (!req)
		return;
	for (int i = 0; i < req->nparams; i++)
		free(req->params[i]);
	if (req->spool_fd >= 0)
		close(req->spool_fd);
	if (req->spool_path) {
		unlink(req->spool_path);
		free(req->spool_path);
	}
	if (req->resp)
		MHD_destroy_response(req->resp);
	strbuf_release(&req->body);
	http_uri_release(&req->uri);
	free(req->uri_err);
	atomic_fetch_sub(&req->l->srv->requests, 1);
	free(req);
}

/* MHD_OPTION_URI_LOG_CALLBACK: the raw request target, before libmicrohttpd
 * decodes anything; what we return becomes the request's context. */
void *http_uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	return req_new(cls, conn, uri);
}

/* MHD_OPTION_UNESCAPE_CALLBACK: libmicrohttpd's own copies stay as sent
 * (we never use them; our parser decodes with lengths). */
size_t http_unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static void reject(struct http_req *req, unsigned status, enum unik_errcode code, const char *fmt,
		   const char *a)
{
	struct unik_err e;

	unik_err_set(&e, code, fmt, a);
	http_reply_error_status(req, status, &e);
}

/* libmicrohttpd ends the target at a raw NUL byte of the request line; the
 * version follows the target's real end, so a gap betrays one. */
static void check_raw_nul(struct http_req *req, const char *version)
{
	if (!req->raw_target || !version || version <= req->raw_target ||
	    (size_t)(version - req->raw_target) == req->target_len + 1)
		return;
	if (!req->uri_err)
		req->uri_err = xcalloc(1, sizeof(*req->uri_err));
	req->uri_failed = 1;
	unik_err_set(req->uri_err, UNIK_E_INVALID, "the request line contains a NUL byte");
}

/* ---- authentication ---------------------------------------------------- */

static int token_ok(struct http_req *req, const char *token)
{
	const char *h =
	    MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	size_t lt = strlen(token), lh;
	unsigned char diff = 0;

	if (!h || strncmp(h, "Bearer ", 7))
		return 0;
	h += 7;
	lh = strlen(h);
	for (size_t i = 0; i < lt; i++)
		diff |= (unsigned char)(token[i] ^ (i < lh ? h[i] : 0));
	return diff == 0 && lh == lt;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	size_t *total = cls;

	(void)kind;
	*total += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* ---- the first call: headers are in ------------------------------------ */

static void begin_body(struct http_req *req)
{
	struct unikd *d = req->d;
	const char *cl =
	    MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long len = cl ? strtoll(cl, NULL, 10) : 0;

	if (req->route->body == ROUTE_BODY_UPLOAD) {
		char *tmpdir;

		if (len > d->max_upload) {
			struct unik_err e;

			unik_err_set(&e, UNIK_E_TOO_LARGE,
				     "the upload (%lld bytes) is over the limit of %lld bytes", len,
				     d->max_upload);
			http_reply_error(req, &e);
			return;
		}
		tmpdir = unikd_path(d, "tmp");
		req->spool_path = xasprintf("%s/upload.XXXXXX", tmpdir);
		free(tmpdir);
		req->spool_fd = mkostemp(req->spool_path, O_CLOEXEC);
		if (req->spool_fd < 0) {
			reject(req, 0, UNIK_E_INTERNAL, "cannot spool the upload: %s",
			       strerror(errno));
			free(req->spool_path);
			req->spool_path = NULL;
		}
	} else if (req->route->body == ROUTE_BODY_JSON && len > HTTP_MAX_JSON_BODY) {
		reject(req, 0, UNIK_E_TOO_LARGE, "%s", "the JSON body is over 1 MiB");
	}
}

static void req_begin(struct listener *l, struct http_req *req)
{
	struct unik_err e;
	size_t header_bytes = 0;
	int known;

	if (l->verify_clients && tls_verify_client(req, &e)) {
		http_reply_error(req, &e);
		return;
	}
	if (l->require_token && !token_ok(req, l->d->token)) {
		reject(req, 0, UNIK_E_UNAUTHORIZED, "%s",
		       "missing or wrong bearer token (send 'Authorization: Bearer <token>')");
		return;
	}
	if (req->target_len > HTTP_MAX_TARGET) {
		unik_err_set(&e, UNIK_E_TOO_LARGE, "the request target is over %d bytes",
			     HTTP_MAX_TARGET);
		http_reply_error_status(req, 414, &e);
		return;
	}
	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_header, &header_bytes);
	if (header_bytes > HTTP_MAX_HEADER_BYTES) {
		unik_err_set(&e, UNIK_E_TOO_LARGE, "the request's header fields are over %d bytes",
			     HTTP_MAX_HEADER_BYTES);
		http_reply_error_status(req, 431, &e);
		return;
	}
	if (req->uri_failed) {
		http_reply_error(req, req->uri_err);
		return;
	}
	req->route = route_match(req->method, req->path, req->params, &req->nparams, &known);
	if (!req->route) {
		if (known)
			reject(req, 405, UNIK_E_INVALID, "method %s is not allowed here",
			       req->method);
		else
			reject(req, 0, UNIK_E_NOT_FOUND, "no such endpoint: %s", req->path);
		return;
	}
	begin_body(req);
}

/* ---- the body ----------------------------------------------------------- */

static void req_data(struct http_req *req, const char *data, size_t len)
{
	long long limit;

	if (req->resp || !req->route)
		return; /* already answered: discard */
	req->body_len += (long long)len;
	limit = req->route->body == ROUTE_BODY_UPLOAD ? req->d->max_upload
		: req->route->body == ROUTE_BODY_JSON ? HTTP_MAX_JSON_BODY
						      : 0;
	if (req->body_len > limit) {
		req->too_large = 1;
		return;
	}
	if (req->spool_fd >= 0) {
		const char *p = data;

		while (len) {
			ssize_t n = write(req->spool_fd, p, len);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				reject(req, 0, UNIK_E_INTERNAL, "cannot spool the upload: %s",
				       strerror(errno));
				return;
			}
			p += n;
			len -= (size_t)n;
		}
	} else {
		strbuf_add(&req->body, data, len);
	}
}

/* The whole request is in: answer a body error, or hand it to a worker. */
static void req_complete(struct listener *l, struct http_req *req)
{
	struct unik_err e;

	if (req->too_large) {
		if (req->route->body == ROUTE_BODY_NONE)
			unik_err_set(&e, UNIK_E_INVALID, "%s %s takes no request body", req->method,
				     req->route->pattern);
		else
			unik_err_set(&e, UNIK_E_TOO_LARGE,
				     "the request body is over the limit of %lld bytes",
				     req->route->body == ROUTE_BODY_UPLOAD
					 ? req->d->max_upload
					 : (long long)HTTP_MAX_JSON_BODY);
		http_reply_error(req, &e);
		return;
	}
	if (req->spool_fd >= 0) {
		close(req->spool_fd);
		req->spool_fd = -1;
	}
	if (workers_submit_suspended(l->workers, req) < 0) {
		if (req->d->shutting_down)
			http_reply_shutting_down(req);
		else
			reject(req, 503, UNIK_E_UNAVAILABLE, "%s",
			       "too many requests in progress; try again");
	}
}

/* ---- workers ------------------------------------------------------------ */

void http_resume(struct http_req *req)
{
	req->phase = REQ_ANSWERED;
	MHD_resume_connection(req->conn);
}

void http_run_handler(struct http_req *req)
{
	struct http_park *park = req->l->srv->park;
	struct unik_err e;

	if (req->gone) {
		/* hung up while parked: nobody reads this */
		unik_err_set(&e, UNIK_E_UNAVAILABLE, "the client went away");
		http_reply_error(req, &e);
		http_resume(req);
		return;
	}
	req->want_park = 0;
	req->gen = park_generation(park);
	req->route->handler(req);
	if (!req->resp && req->want_park) {
		req->phase = REQ_PARKED;
		if (park_rerun(park, req, req->gen) == 0)
			return;
		http_reply_shutting_down(req);
	}
	if (!req->resp) {
		unik_err_set(&e, UNIK_E_INTERNAL, "handler for %s %s gave no answer", req->method,
			     req->route->pattern);
		http_reply_error(req, &e);
	}
	http_resume(req);
}

/* ---- libmicrohttpd's callbacks ------------------------------------------ */

static enum MHD_Result queue_reply(struct http_req *req)
{
	enum MHD_Result r = MHD_queue_response(req->conn, req->status, req->resp);

	MHD_destroy_response(req->resp);
	req->resp = NULL;
	req->phase = REQ_SENT;
	return r;
}

enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
			    const char *method, const char *version, const char *upload_data,
			    size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct http_req *req = *con_cls;

	(void)upload_data;
	if (!req) /* no target was logged (cannot happen with our options) */
		*con_cls = req = req_new(l, conn, url);
	if (!req->begun) {
		/* the first call: the head is in */
		req->begun = 1;
		req->method = method;
		check_raw_nul(req, version);
		park_conn_request_begun(l->srv->park, req->cw);
		req_begin(l, req);
		return req->resp ? queue_reply(req) : MHD_YES;
	}
	if (*upload_data_size) {
		req_data(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (req->phase == REQ_HEADERS && !req->resp)
		req_complete(l, req);
	if (req->resp && (req->phase == REQ_HEADERS || req->phase == REQ_ANSWERED))
		return queue_reply(req);
	return MHD_YES; /* suspended with a worker */
}

void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct http_req *req = *con_cls;

	(void)conn;
	(void)toe;
	if (req)
		park_conn_request_done(l->srv->park, req->cw);
	req_free(req);
	*con_cls = NULL;
}

void http_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
		     enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = park_conn_open(l->srv->park, ci ? ci->connect_fd : -1);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		park_conn_close(l->srv->park, *socket_context);
		*socket_context = NULL;
	}
}

void http_data_ready(struct http_server *srv)
{
	park_data_ready(srv->park);
}

void http_notify(struct http_server *srv)
{
	park_notify(srv->park);
}
