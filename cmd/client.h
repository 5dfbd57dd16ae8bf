/* client.h - the CLI's only way to the daemon: HTTP over a unix socket (its
 * own HTTP/1.1, client_unix.c) or TCP and TLS (libcurl, client_curl.c),
 * speaking api/openapi.yaml.
 *
 * Every call returns 0 on success, or -1 with `err` set:
 *   UNIK_E_UNAVAILABLE  the daemon could not be reached (one clear line,
 *                       with a hint to start it), or the connection broke;
 *   any other code      the daemon's own {"error":{code,message}} answer.
 * Requests are independent (one connection each), so two threads may use
 * one client at the same time.
 */
#ifndef UNIK_CMD_CLIENT_H
#define UNIK_CMD_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "../lib/error.h"
#include "../lib/strbuf.h"

struct unik_client {
	char *host; /* as the user sees it: "unix:///run/unik/unikd.sock" */
	char *socket_path; /* unix socket, or NULL over TCP */
	char *base_url; /* "http://localhost" or "http://host:port" */
	char *token; /* bearer token, or NULL */
	int tls; /* https: the daemon's certificate is verified */
	char *ca_file; /* PEM CA the daemon's certificate must chain to (NULL: the system's) */
	char *cert_file, *key_file; /* PEM client certificate and key, or NULL */
	int curl_ready; /* curl_global_init was called */
	/* Polled (about once a second, and as data arrives) while a request
	 * runs; a non-zero return aborts it with UNIK_E_INTERNAL "interrupted". */
	int (*cancel)(void *arg);
	void *cancel_arg;
};

/* The daemon's default address for this user: unix:///run/unik/unikd.sock
 * as root, else unix://$XDG_RUNTIME_DIR/unik/unikd.sock, else
 * unix:///tmp/unik-$UID/unikd.sock.  NEW string. */
char *client_default_host(void);

/* TLS settings as the user gave them (all borrowed; NULL when not given):
 * flags first, then UNIK_TLS_VERIFY and UNIK_CERT_PATH (see docs/cli.md). */
struct client_tls {
	int verify; /* --tlsverify */
	const char *ca, *cert, *key; /* --tlscacert, --tlscert, --tlskey */
};

/* Sets up `cl` for `host` ("unix:///path", "http://host:port",
 * "https://host:port", also "tcp://host:port", which --tlsverify makes
 * https; NULL: the default), `token` (borrowed; NULL or "" for none) and
 * `tls` (NULL: none given; the environment still counts).  Nothing is
 * connected yet; named certificate files must exist. */
int client_init(struct unik_client *cl, const char *host, const char *token,
		const struct client_tls *tls, struct unik_err *err);
void client_release(struct unik_client *cl);

/* Appends `s` percent-encoded (RFC 3986 unreserved characters kept), for
 * a path segment or a query value. */
void client_escape(struct strbuf *sb, const char *s);
/* Appends "?key=value" or "&key=value" to a path, the value escaped. */
void client_query(struct strbuf *path, const char *key, const char *value);

/* METHOD path (e.g. "/v1/images?x=1") with an optional JSON body
 * (borrowed).  On success *out is a NEW reference to the decoded answer,
 * or NULL when the answer was empty; `out` may be NULL to ignore it. */
int client_json(struct unik_client *cl, const char *method, const char *path, json_t *body,
		json_t **out, struct unik_err *err);

/* POSTs `len` bytes of `content_type`; the JSON answer as client_json(). */
int client_upload(struct unik_client *cl, const char *path, const char *content_type,
		  const void *data, size_t len, json_t **out, struct unik_err *err);

/* Receives the body of a 2xx answer piece by piece.  Return 0 to go on, or
 * -1 (with `err` set) to stop the request, which then returns -1. */
typedef int (*client_data_fn)(const char *data, size_t len, void *arg, struct unik_err *err);

/* GETs `path` and hands the body to `fn` as it arrives (a streamed answer
 * such as logs?follow=1 ends when the daemon ends it). */
int client_stream(struct unik_client *cl, const char *path, client_data_fn fn, void *arg,
		  struct unik_err *err);

/* Like client_stream() for newline-delimited answers: `fn` gets one line
 * at a time, without its '\n' (and a last unterminated line at the end). */
int client_stream_lines(struct unik_client *cl, const char *path, client_data_fn fn, void *arg,
			struct unik_err *err);

#endif
