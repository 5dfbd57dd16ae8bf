/* http.c - libmicrohttpd glue (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "routes.h"

struct listener {
	struct unikd *d;
	struct MHD_Daemon *mhd;
	int require_token;
	int fd;
};

struct http_server {
	struct listener unix_l;
	struct listener tcp_l;
};

/* ---- replies -------------------------------------------------------- */

static void set_response(struct http_req *req, unsigned status, struct MHD_Response *resp,
			 const char *ctype)
{
	if (req->resp)
		MHD_destroy_response(req->resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	req->resp = resp;
	req->status = status;
}

void http_reply_json(struct http_req *req, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	size_t len = strlen(text);
	struct MHD_Response *resp;

	json_decref(body);
	text = xrealloc(text, len + 2);
	text[len++] = '\n';
	text[len] = '\0';
	resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	set_response(req, status, resp, "application/json");
}

void http_reply_error(struct http_req *req, const struct unik_err *err)
{
	struct unik_err e = *err;

	if (e.code == UNIK_E_OK) {
		e.code = UNIK_E_INTERNAL;
		snprintf(e.msg, sizeof(e.msg), "internal error");
	}
	http_reply_json(req, (unsigned)unik_errcode_http(e.code), unik_error_to_json(&e));
}

struct stream {
	http_stream_read read;
	void *ctx;
	void (*fini)(void *ctx);
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	ssize_t n;

	(void)pos;
	n = s->read(s->ctx, buf, max);
	return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	if (s->fini)
		s->fini(s->ctx);
	free(s);
}

void http_reply_stream(struct http_req *req, unsigned status, const char *content_type,
		       http_stream_read read, void *ctx, void (*fini)(void *ctx))
{
	struct stream *s = xcalloc(1, sizeof(*s));
	struct MHD_Response *resp;

	s->read = read;
	s->ctx = ctx;
	s->fini = fini;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, s,
						 stream_free);
	set_response(req, status, resp, content_type);
}

/* ---- request accessors ---------------------------------------------- */

const char *http_query(struct http_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
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

struct collect {
	const char *key;
	struct strv *out;
};

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct collect *c = cls;

	(void)kind;
	if (key && !strcmp(key, c->key))
		strv_push(c->out, value ? value : "");
	return MHD_YES;
}

void http_query_all(struct http_req *req, const char *key, struct strv *out)
{
	struct collect c = { key, out };

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_value, &c);
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

/* ---- the access handler --------------------------------------------- */

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

static struct http_req *req_new(struct listener *l, struct MHD_Connection *conn, const char *method,
				const char *url)
{
	struct http_req *req = xcalloc(1, sizeof(*req));

	req->d = l->d;
	req->conn = conn;
	req->method = method;
	req->path = url;
	req->spool_fd = -1;
	strbuf_init(&req->body);
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
	free(req);
}

static void reject(struct http_req *req, enum unik_errcode code, const char *fmt, const char *a)
{
	struct unik_err e;

	unik_err_set(&e, code, fmt, a);
	http_reply_error(req, &e);
}

/* First call for a request: route, authenticate, prepare the body. */
static void req_begin(struct listener *l, struct http_req *req)
{
	const char *cl;
	int known;

	if (l->require_token && !token_ok(req, l->d->token)) {
		reject(req, UNIK_E_UNAUTHORIZED, "%s",
		       "missing or wrong bearer token (send 'Authorization: Bearer <token>')");
		return;
	}
	req->route = route_match(req->method, req->path, req->params, &req->nparams, &known);
	if (!req->route) {
		if (known)
			reject(req, UNIK_E_INVALID, "method %s is not allowed here", req->method);
		else
			reject(req, UNIK_E_NOT_FOUND, "no such endpoint: %s", req->path);
		if (known)
			req->status = 405;
		return;
	}
	cl =
	    MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (req->route->body == ROUTE_BODY_UPLOAD) {
		char *tmpdir = unikd_path(l->d, "tmp");

		if (cl && strtoll(cl, NULL, 10) > l->d->max_upload) {
			struct unik_err e;

			unik_err_set(&e, UNIK_E_TOO_LARGE,
				     "the upload (%s bytes) is over the limit of %lld bytes", cl,
				     l->d->max_upload);
			http_reply_error(req, &e);
			free(tmpdir);
			return;
		}
		req->spool_path = xasprintf("%s/upload.XXXXXX", tmpdir);
		free(tmpdir);
		req->spool_fd = mkostemp(req->spool_path, O_CLOEXEC);
		if (req->spool_fd < 0) {
			reject(req, UNIK_E_INTERNAL, "cannot spool the upload: %s",
			       strerror(errno));
			free(req->spool_path);
			req->spool_path = NULL;
		}
	} else if (req->route->body == ROUTE_BODY_JSON && cl &&
		   strtoll(cl, NULL, 10) > HTTP_MAX_JSON_BODY) {
		reject(req, UNIK_E_TOO_LARGE, "%s", "the JSON body is over 1 MiB");
	}
}

static void req_data(struct http_req *req, const char *data, size_t len)
{
	long long limit;

	if (req->resp)
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
				reject(req, UNIK_E_INTERNAL, "cannot spool the upload: %s",
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

static void req_dispatch(struct http_req *req)
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
	req->route->handler(req);
	if (!req->resp) {
		unik_err_set(&e, UNIK_E_INTERNAL, "handler for %s %s gave no answer", req->method,
			     req->route->pattern);
		http_reply_error(req, &e);
	}
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct listener *l = cls;
	struct http_req *req = *con_cls;
	enum MHD_Result r;

	(void)version;
	if (!req) {
		req = req_new(l, conn, method, url);
		*con_cls = req;
		req_begin(l, req);
		if (!req->resp)
			return MHD_YES; /* wait for the body */
	} else if (*upload_data_size) {
		req_data(req, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	} else if (!req->resp) {
		req_dispatch(req);
	}
	r = MHD_queue_response(conn, req->status, req->resp);
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	return r;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	req_free(*con_cls);
	*con_cls = NULL;
}

/* ---- listeners ------------------------------------------------------ */

static int unix_listen(const char *path, struct unik_err *err)
{
	struct sockaddr_un sa;
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		free(dir);
		return unik_err_set(err, UNIK_E_INVALID, "socket path too long: %s", path);
	}
	if (slash && slash != dir) {
		*slash = '\0';
		if (fs_mkdir_p(dir, 0755, err)) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return unik_err_set(err, UNIK_E_INTERNAL, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return unik_err_set(err, UNIK_E_CONFLICT,
				    "another unikd is already listening on %s", path);
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, 128) < 0) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot listen on %s: %s", path,
			     strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_addr(const char *spec, struct sockaddr_in *sa, struct unik_err *err)
{
	char *host = xstrdup(spec), *colon = strrchr(host, ':');
	char *end;
	long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon) {
		free(host);
		return unik_err_set(err, UNIK_E_INVALID, "--listen wants HOST:PORT, not '%s'",
				    spec);
	}
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
		free(host);
		return unik_err_set(err, UNIK_E_INVALID, "--listen wants IPv4:PORT, not '%s'",
				    spec);
	}
	sa->sin_port = htons((uint16_t)port);
	free(host);
	return 0;
}

static int start_one(struct listener *l, int fd, const struct sockaddr_in *sa, struct unik_err *err)
{
	unsigned flags =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (fd >= 0)
		l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, l,
					  MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
					  completed, NULL, MHD_OPTION_END);
	else
		l->mhd = MHD_start_daemon(flags, ntohs(sa->sin_port), NULL, NULL, access_handler, l,
					  MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED,
					  completed, NULL, MHD_OPTION_END);
	if (!l->mhd)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot start the HTTP server");
	return 0;
}

int http_start(struct unikd *d, struct http_server **out, struct unik_err *err)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	struct sockaddr_in sa;

	srv->unix_l.d = d;
	srv->unix_l.fd = -1;
	srv->tcp_l.d = d;
	srv->tcp_l.fd = -1;
	if (d->socket_path) {
		srv->unix_l.fd = unix_listen(d->socket_path, err);
		if (srv->unix_l.fd < 0 || start_one(&srv->unix_l, srv->unix_l.fd, NULL, err))
			goto fail;
	}
	if (d->listen_addr) {
		if (!d->token) {
			unik_err_set(err, UNIK_E_INVALID,
				     "--listen needs --token-file: TCP access requires a token");
			goto fail;
		}
		srv->tcp_l.require_token = 1;
		if (tcp_addr(d->listen_addr, &sa, err) || start_one(&srv->tcp_l, -1, &sa, err))
			goto fail;
	}
	*out = srv;
	return 0;
fail:
	http_stop(srv);
	return -1;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->tcp_l.mhd)
		MHD_stop_daemon(srv->tcp_l.mhd);
	if (srv->unix_l.mhd)
		MHD_stop_daemon(srv->unix_l.mhd);
	if (srv->unix_l.fd >= 0)
		close(srv->unix_l.fd);
	if (srv->unix_l.d && srv->unix_l.d->socket_path && srv->unix_l.fd >= 0)
		unlink(srv->unix_l.d->socket_path);
	free(srv);
}
