/* client.c - HTTP to the daemon: unix socket (client_unix.c) or TCP and
 * TLS (client_curl.c), bearer token, JSON in and out, streamed answers, and
 * the daemon's errors. */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../api/types.h"
#include "../lib/xalloc.h"
#include "client_int.h"

char *client_default_host(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		return xstrdup("unix:///run/unik/unikd.sock");
	if (xdg && *xdg)
		return xasprintf("unix://%s/unik/unikd.sock", xdg);
	return xasprintf("unix:///tmp/unik-%u/unikd.sock", (unsigned)getuid());
}

static int has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* A file of the certificate folder ($UNIK_CERT_PATH, else ~/.unik) if it
 * exists (NEW), or NULL. */
static char *cert_path_file(const char *name)
{
	const char *dir = getenv("UNIK_CERT_PATH");
	const char *home = getenv("HOME");
	char *path;

	if (dir && *dir)
		path = xasprintf("%s/%s", dir, name);
	else if (home && *home)
		path = xasprintf("%s/.unik/%s", home, name);
	else
		return NULL;
	if (access(path, F_OK) == 0)
		return path;
	free(path);
	return NULL;
}

/* An explicitly named file, which must be readable (NEW copy). */
static int named_file(const char *path, const char *what, char **out, struct unik_err *err)
{
	if (access(path, R_OK) < 0)
		return unik_err_set(err, UNIK_E_INVALID, "cannot read the TLS %s %s: %s", what,
				    path, strerror(errno));
	*out = xstrdup(path);
	return 0;
}

/* Which files a TLS connection uses: flags, else the certificate folder. */
static int setup_tls(struct unik_client *cl, const struct client_tls *tls, int verify,
		     struct unik_err *err)
{
	if ((tls->ca && named_file(tls->ca, "CA certificate", &cl->ca_file, err)) ||
	    (tls->cert && named_file(tls->cert, "certificate", &cl->cert_file, err)) ||
	    (tls->key && named_file(tls->key, "key", &cl->key_file, err)))
		return -1;
	if (!cl->ca_file)
		cl->ca_file = cert_path_file("ca.pem");
	if (!cl->cert_file && !tls->key)
		cl->cert_file = cert_path_file("cert.pem");
	if (!cl->key_file && !tls->cert)
		cl->key_file = cert_path_file("key.pem");
	if (verify && !cl->ca_file)
		return unik_err_set(
		    err, UNIK_E_INVALID,
		    "--tlsverify needs the CA certificate that signed the daemon's: "
		    "--tlscacert FILE, or ca.pem in $UNIK_CERT_PATH (default ~/.unik)");
	if (!cl->cert_file != !cl->key_file)
		return unik_err_set(err, UNIK_E_INVALID,
				    "a client certificate needs both --tlscert and --tlskey");
	return 0;
}

int client_init(struct unik_client *cl, const char *host, const char *token,
		const struct client_tls *tls, struct unik_err *err)
{
	static const struct client_tls none = { 0, NULL, NULL, NULL };
	const char *env = getenv("UNIK_TLS_VERIFY");
	int verify, named;
	size_t n;

	memset(cl, 0, sizeof(*cl));
	if (!tls)
		tls = &none;
	verify = tls->verify || (env && *env && strcmp(env, "0"));
	named = tls->ca || tls->cert || tls->key;
	cl->host = host && *host ? xstrdup(host) : client_default_host();
	if (token && *token)
		cl->token = xstrdup(token);
	if (has_prefix(cl->host, "unix://")) {
		if (cl->host[7] != '/')
			return unik_err_set(err, UNIK_E_INVALID,
					    "bad host '%s': a unix socket needs an absolute path "
					    "(unix:///path/to/unikd.sock)",
					    cl->host);
		cl->socket_path = xstrdup(cl->host + 7);
		cl->base_url = xstrdup("http://localhost");
		verify = named = 0; /* TLS is for TCP */
	} else if (has_prefix(cl->host, "https://")) {
		cl->base_url = xstrdup(cl->host);
		cl->tls = 1;
	} else if (has_prefix(cl->host, "http://")) {
		if (verify || named)
			return unik_err_set(err, UNIK_E_INVALID,
					    "TLS settings (--tlsverify, --tlscacert, --tlscert, "
					    "--tlskey, UNIK_TLS_VERIFY) need an https:// or tcp:// "
					    "host, not '%s'",
					    cl->host);
		cl->base_url = xstrdup(cl->host);
	} else if (has_prefix(cl->host, "tcp://")) {
		cl->tls = verify || named;
		cl->base_url = xasprintf("%s://%s", cl->tls ? "https" : "http", cl->host + 6);
	} else {
		return unik_err_set(err, UNIK_E_INVALID,
				    "bad host '%s': use unix:///path/to/unikd.sock, "
				    "https://HOST:PORT or http://HOST:PORT",
				    cl->host);
	}
	if (cl->tls && setup_tls(cl, tls, verify, err))
		return -1;
	n = strlen(cl->base_url);
	while (n > 0 && cl->base_url[n - 1] == '/')
		cl->base_url[--n] = '\0';
	return cl->socket_path ? 0 : client_curl_init(cl, err);
}

void client_release(struct unik_client *cl)
{
	client_curl_release(cl);
	free(cl->host);
	free(cl->socket_path);
	free(cl->base_url);
	free(cl->token);
	free(cl->ca_file);
	free(cl->cert_file);
	free(cl->key_file);
	memset(cl, 0, sizeof(*cl));
}

void client_escape(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			strbuf_addch(sb, (char)*p);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[*p >> 4]);
			strbuf_addch(sb, hex[*p & 15]);
		}
	}
}

void client_query(struct strbuf *path, const char *key, const char *value)
{
	strbuf_addch(path, strchr(strbuf_str(path), '?') ? '&' : '?');
	client_escape(path, key);
	strbuf_addch(path, '=');
	client_escape(path, value);
}

int request_body(struct request *rq, const char *data, size_t n)
{
	if (rq->fn && rq->status >= 200 && rq->status < 300) {
		if (rq->fn(data, n, rq->arg, rq->err) < 0) {
			rq->fn_failed = 1;
			return -1;
		}
		return 0;
	}
	strbuf_add(&rq->body, data, n);
	return 0;
}

int request_cancelled(struct request *rq)
{
	if (rq->cl->cancel && rq->cl->cancel(rq->cl->cancel_arg))
		rq->cancelled = 1;
	return rq->cancelled;
}

static enum unik_errcode code_of_status(long status)
{
	switch (status) {
	case 400: return UNIK_E_INVALID;
	case 401: return UNIK_E_UNAUTHORIZED;
	case 404: return UNIK_E_NOT_FOUND;
	case 409: return UNIK_E_CONFLICT;
	case 413: return UNIK_E_TOO_LARGE;
	case 501: return UNIK_E_UNSUPPORTED;
	case 503: return UNIK_E_UNAVAILABLE;
	default: return UNIK_E_INTERNAL;
	}
}

static int http_error(const struct request *rq, struct unik_err *err)
{
	json_t *j = json_loadb(rq->body.buf ? rq->body.buf : "", rq->body.len, 0, NULL);
	int decoded = j && unik_error_from_json(j, err) == 0;

	json_decref(j);
	if (!decoded)
		unik_err_set(err, code_of_status(rq->status),
			     "the unik daemon answered HTTP %ld to %s %s", rq->status, rq->method,
			     rq->path);
	if (err->code == UNIK_E_UNAUTHORIZED && strstr(err->msg, "client certificate") &&
	    !rq->cl->cert_file) {
		unik_err_set(err, err->code,
			     "%s (pass --tlscert and --tlskey, or put cert.pem and key.pem in "
			     "$UNIK_CERT_PATH)",
			     err->msg);
	} else if (err->code == UNIK_E_UNAUTHORIZED && !rq->cl->token &&
		   !strstr(err->msg, "client certificate")) {
		unik_err_set(err, err->code, "%s (set UNIK_TOKEN or pass --token)", err->msg);
	}
	return -1;
}

static int perform(struct request *rq)
{
	int rc = rq->cl->socket_path ? client_unix_perform(rq) : client_curl_perform(rq);

	if (rq->fn_failed)
		return -1;
	if (rq->cancelled)
		return unik_err_set(rq->err, UNIK_E_INTERNAL, "interrupted");
	if (rc)
		return -1;
	if (rq->status < 200 || rq->status >= 300)
		return http_error(rq, rq->err);
	return 0;
}

static void request_init(struct request *rq, struct unik_client *cl, const char *method,
			 const char *path, struct unik_err *err)
{
	memset(rq, 0, sizeof(*rq));
	rq->cl = cl;
	rq->method = method;
	rq->path = path;
	rq->err = err;
	strbuf_init(&rq->body);
}

/* Performs rq and decodes its JSON answer into *out. */
static int perform_json(struct request *rq, json_t **out)
{
	json_error_t jerr;
	json_t *j = NULL;
	int rc = perform(rq);

	if (!rc && rq->body.len) {
		j = json_loadb(rq->body.buf, rq->body.len, 0, &jerr);
		if (!j)
			rc = unik_err_set(rq->err, UNIK_E_INTERNAL,
					  "the unik daemon sent invalid JSON to %s %s: %s",
					  rq->method, rq->path, jerr.text);
	}
	strbuf_release(&rq->body);
	if (out)
		*out = j;
	else
		json_decref(j);
	return rc;
}

int client_json(struct unik_client *cl, const char *method, const char *path, json_t *body,
		json_t **out, struct unik_err *err)
{
	struct request rq;
	char *text = NULL;
	int rc;

	if (out)
		*out = NULL;
	request_init(&rq, cl, method, path, err);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			return unik_err_set(err, UNIK_E_INTERNAL, "cannot encode the request body");
		rq.content_type = "application/json";
		rq.data = text;
		rq.len = strlen(text);
	}
	rc = perform_json(&rq, out);
	free(text);
	return rc;
}

int client_upload(struct unik_client *cl, const char *path, const char *content_type,
		  const void *data, size_t len, json_t **out, struct unik_err *err)
{
	struct request rq;

	if (out)
		*out = NULL;
	request_init(&rq, cl, "POST", path, err);
	rq.content_type = content_type;
	rq.data = data;
	rq.len = len;
	return perform_json(&rq, out);
}

int client_stream(struct unik_client *cl, const char *path, client_data_fn fn, void *arg,
		  struct unik_err *err)
{
	struct request rq;
	int rc;

	request_init(&rq, cl, "GET", path, err);
	rq.fn = fn;
	rq.arg = arg;
	rc = perform(&rq);
	strbuf_release(&rq.body);
	return rc;
}

struct lines {
	struct strbuf partial;
	client_data_fn fn;
	void *arg;
};

static int emit_line(struct lines *ls, const char *s, size_t n, struct unik_err *err)
{
	if (n && s[n - 1] == '\r')
		n--;
	return ls->fn(s, n, ls->arg, err);
}

static int split_lines(const char *data, size_t len, void *arg, struct unik_err *err)
{
	struct lines *ls = arg;
	const char *nl;

	while (len && (nl = memchr(data, '\n', len))) {
		size_t n = (size_t)(nl - data);
		int rc;

		if (ls->partial.len) {
			strbuf_add(&ls->partial, data, n);
			rc = emit_line(ls, ls->partial.buf, ls->partial.len, err);
			strbuf_reset(&ls->partial);
		} else {
			rc = emit_line(ls, data, n, err);
		}
		if (rc < 0)
			return -1;
		data += n + 1;
		len -= n + 1;
	}
	strbuf_add(&ls->partial, data, len);
	return 0;
}

int client_stream_lines(struct unik_client *cl, const char *path, client_data_fn fn, void *arg,
			struct unik_err *err)
{
	struct lines ls = { STRBUF_INIT, fn, arg };
	int rc = client_stream(cl, path, split_lines, &ls, err);

	if (!rc && ls.partial.len)
		rc = emit_line(&ls, ls.partial.buf, ls.partial.len, err);
	strbuf_release(&ls.partial);
	return rc;
}
