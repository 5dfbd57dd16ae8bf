/* client_int.h - one request of the CLI's client, shared by its two
 * transports: client_unix.c (the daemon's unix socket, HTTP/1.1 read by
 * http_resp.c) and client_curl.c (TCP and TLS, libcurl). */
#ifndef UNIK_CMD_CLIENT_INT_H
#define UNIK_CMD_CLIENT_INT_H

#include "client.h"

#define CLIENT_CONNECT_TIMEOUT_S 10
#define CLIENT_START_HINT "is unikd running? start it with 'unik daemon'"
#define CLIENT_ACCESS_HINT "the socket is open to its owner and group only"

struct request {
	struct unik_client *cl;
	const char *method; /* "GET", "POST", "DELETE" */
	const char *path;
	const char *content_type; /* of the body, or NULL */
	const void *data;
	size_t len;
	client_data_fn fn; /* streams a 2xx body; NULL collects it in `body` */
	void *arg;
	struct unik_err *err;

	long status;
	struct strbuf body;
	int fn_failed;
	int cancelled;
};

/* A piece of the answer's body (status known): to `fn` for a 2xx answer
 * with one, else kept in rq->body.  -1 when `fn` failed. */
int request_body(struct request *rq, const char *data, size_t n);

/* Polled about once a second and as data arrives: non-zero when the
 * user's cancel hook asks to stop (rq->cancelled is then set). */
int request_cancelled(struct request *rq);

/* Each transport: 0 with rq->status and the body received, or -1 with
 * rq->err set for a connection that failed (the daemon's own error
 * answers are the caller's). */
int client_unix_perform(struct request *rq);
int client_curl_perform(struct request *rq);
int client_curl_init(struct unik_client *cl, struct unik_err *err);
void client_curl_release(struct unik_client *cl);

#endif
