/* http_reply.c - replies (JSON, errors, streams) and the request accessors
 * handlers use (http.h). */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/xalloc.h"
#include "daemon.h"
#include "http_internal.h"
#include "routes.h"

/* Sent when a reply cannot be encoded: always valid JSON. */
static const char fallback_body[] =
    "{\"error\":{\"code\":\"internal\",\"message\":\"the reply could not be encoded\"}}\n";

static void set_response(struct http_req *req, unsigned status, struct MHD_Response *resp,
			 const char *ctype)
{
	if (req->resp)
		MHD_destroy_response(req->resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	req->resp = resp;
	req->status = status;
}

static void reply_fallback(struct http_req *req)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    sizeof(fallback_body) - 1, (void *)fallback_body, MHD_RESPMEM_PERSISTENT);

	if (!resp)
		abort(); /* out of memory */
	set_response(req, 500, resp, "application/json");
}

void http_reply_json(struct http_req *req, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	struct MHD_Response *resp;
	size_t len;

	json_decref(body);
	if (!text) {
		/* a NULL document (a failed json_pack) or one jansson cannot encode */
		unikd_log("%s %s: the reply could not be encoded; answering 500", req->method,
			  req->route ? req->route->pattern : "?");
		reply_fallback(req);
		return;
	}
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		abort();
	set_response(req, status, resp, "application/json");
}

void http_reply_text(struct http_req *req, unsigned status, const char *content_type,
		     struct strbuf *body)
{
	size_t len = body->len;
	char *text = strbuf_detach(body);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);

	if (!resp)
		abort();
	set_response(req, status, resp, content_type);
}

void http_reply_error_status(struct http_req *req, unsigned status, const struct unik_err *err)
{
	struct unik_err e = *err;

	if (e.code == UNIK_E_OK) {
		e.code = UNIK_E_INTERNAL;
		snprintf(e.msg, sizeof(e.msg), "internal error");
	}
	http_reply_json(req, status ? status : (unsigned)unik_errcode_http(e.code),
			unik_error_to_json(&e));
}

void http_reply_error(struct http_req *req, const struct unik_err *err)
{
	http_reply_error_status(req, 0, err);
}

void http_reply_shutting_down(struct http_req *req)
{
	struct unik_err e;

	unik_err_set(&e, UNIK_E_UNAVAILABLE, "the daemon is shutting down");
	http_reply_error(req, &e);
}

void http_park(struct http_req *req)
{
	req->want_park = 1;
}

/* ---- streams ---------------------------------------------------------- */

struct stream {
	http_stream_read read;
	http_stream_ready ready;
	void *ctx;
	void (*fini)(void *ctx);
	struct http_req *req; /* valid while the connection is: reads only */
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	struct http_req *req = s->req;
	ssize_t n;

	(void)pos;
	if (req->gone)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = s->read(s->ctx, buf, max);
	if (n > 0)
		return n;
	if (n < 0 || park_stream(req->l->srv->park, req))
		return MHD_CONTENT_READER_END_OF_STREAM;
	return 0; /* suspended: called again when resumed */
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->fini)
		s->fini(s->ctx);
	free(s);
}

void http_reply_stream(struct http_req *req, unsigned status, const char *content_type,
		       http_stream_read read, http_stream_ready ready, void *ctx,
		       void (*fini)(void *ctx))
{
	struct stream *s = xcalloc(1, sizeof(*s));
	struct MHD_Response *resp;

	s->read = read;
	s->ready = ready;
	s->ctx = ctx;
	s->fini = fini;
	s->req = req;
	req->stream = s;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, s,
						 stream_free);
	if (!resp)
		abort();
	set_response(req, status, resp, content_type);
}

struct fd_stream {
	int fd;
};

static ssize_t fd_read(void *ctx, char *buf, size_t max)
{
	struct fd_stream *f = ctx;

	for (;;) {
		ssize_t n = read(f->fd, buf, max);

		if (n > 0)
			return n;
		if (n < 0 && errno == EINTR)
			continue;
		return -1; /* the end, or a read error: the client sees a short body */
	}
}

static int fd_ready(void *ctx, int changed)
{
	(void)ctx;
	(void)changed;
	return 1;
}

static void fd_fini(void *ctx)
{
	struct fd_stream *f = ctx;

	close(f->fd);
	free(f);
}

void http_reply_fd(struct http_req *req, unsigned status, const char *content_type, int fd)
{
	struct fd_stream *f = xmalloc(sizeof(*f));

	f->fd = fd;
	http_reply_stream(req, status, content_type, fd_read, fd_ready, f, fd_fini);
}

int http_stream_poll(struct http_req *req, int changed)
{
	struct stream *s = req->stream;

	return !s || !s->ready || s->ready(s->ctx, changed);
}

/* ---- request accessors ------------------------------------------------ */

const char *http_query(struct http_req *req, const char *key)
{
	return http_uri_query(&req->uri, key);
}

int http_query_int(struct http_req *req, const char *key, long long def, long long *out,
		   struct unik_err *err)
{
	const char *v = http_query(req, key);
	char *end;

	if (!v || !*v) {
		*out = def;
		return 0;
	}
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || *end)
		return unik_err_set(err, UNIK_E_INVALID, "query parameter '%s' must be an integer",
				    key);
	return 0;
}

int http_query_flag(struct http_req *req, const char *key)
{
	const char *v = http_query(req, key);

	return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"));
}

void http_query_all(struct http_req *req, const char *key, struct strv *out)
{
	for (size_t i = 0; i < req->uri.nparams; i++)
		if (!strcmp(req->uri.keys[i], key))
			strv_push(out, req->uri.values[i]);
}

int http_body_json(struct http_req *req, json_t **out, struct unik_err *err)
{
	json_error_t jerr;

	if (req->body.len == 0)
		return unik_err_set(err, UNIK_E_INVALID, "the request needs a JSON body");
	*out = json_loadb(req->body.buf, req->body.len, 0, &jerr);
	if (!*out)
		return unik_err_set(err, UNIK_E_INVALID,
				    "malformed JSON body: %s (line %d, column %d)", jerr.text,
				    jerr.line, jerr.column);
	return 0;
}
