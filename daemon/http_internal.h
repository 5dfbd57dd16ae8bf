/* http_internal.h - what the files of the HTTP layer share (not handlers).
 *
 *   http.c          the request lifecycle: access handler, auth, body, dispatch
 *   http_reply.c    replies (JSON, errors, streams) and request accessors
 *   http_listen.c   sockets, libmicrohttpd daemons and their limits, start/stop
 *   http_workers.c  the handler threads of a listener (a bounded pool)
 *   http_park.c     requests waiting for a change, and connection deadlines
 *   http_tls.c      certificates and client verification
 *   http_uri.c      the request-target parser
 *
 * Threads: each listener has one libmicrohttpd thread polling its sockets
 * (epoll); it never blocks.  A request whose headers and body are in is
 * suspended and handed to the listener's workers, which run the handler
 * and resume it.  Requests that wait for something (wait, follow streams)
 * are parked: suspended, costing no thread, until unikd_notify(), a
 * periodic tick, or the client hanging up wakes them.
 */
#ifndef UNIKD_HTTP_INTERNAL_H
#define UNIKD_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "http.h"

struct http_workers;
struct http_park;
struct http_tls;

/* Limits of what reaches a handler; beyond them we answer 414/431. */
#define HTTP_MAX_TARGET (16 * 1024)
#define HTTP_MAX_HEADER_BYTES (32 * 1024)

struct listener {
	struct http_server *srv;
	struct unikd *d;
	const char *name; /* "unix" or "tcp", for logs */
	struct MHD_Daemon *mhd;
	int fd; /* our own listening socket (unix), or -1 */
	int require_token;
	int verify_clients; /* TLS client certificates required */
	struct http_workers *workers;
};

struct http_server {
	struct unikd *d;
	struct listener unix_l;
	struct listener tcp_l;
	struct http_park *park;
	struct http_tls *tls; /* NULL without TLS */
	int header_timeout_s; /* the head of a request must arrive within this */
	int idle_timeout_s;
	_Atomic int requests; /* in progress on both listeners (http.c) */
};

enum req_phase {
	REQ_HEADERS = 0, /* headers in, body (if any) coming */
	REQ_QUEUED, /* suspended, with the workers */
	REQ_PARKED, /* suspended, waiting for a change (re-run) */
	REQ_ANSWERED, /* req->resp is set: queue it */
	REQ_SENT,
};

/* http_reply.c */
void http_reply_error_status(struct http_req *req, unsigned status, const struct unik_err *err);
/* Fills req->resp with the 503 of a daemon that is shutting down. */
void http_reply_shutting_down(struct http_req *req);
/* A parked stream: 1 if its reader should run again (http_stream_ready). */
int http_stream_poll(struct http_req *req, int changed);

/* http.c: runs the handler of a queued (or re-run) request on a worker
 * thread, then resumes the connection or parks the request. */
void http_run_handler(struct http_req *req);
/* Resumes the connection of a suspended request (any thread). */
void http_resume(struct http_req *req);

/* http.c: libmicrohttpd's callbacks (cls: the listener) */
void *http_uri_logger(void *cls, const char *uri, struct MHD_Connection *conn);
size_t http_unescape_none(void *cls, struct MHD_Connection *conn, char *s);
enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
			    const char *method, const char *version, const char *upload_data,
			    size_t *upload_data_size, void **con_cls);
void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe);
void http_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
		     enum MHD_ConnectionNotificationCode toe);

/* http_workers.c */
struct http_workers *workers_new(const char *name, int max_threads, int max_queue);
/* Suspends the request's connection and queues it (libmicrohttpd's thread
 * only).  -1 (nothing suspended) when the pool is stopping or full. */
int workers_submit_suspended(struct http_workers *w, struct http_req *req);
/* Queues a request already suspended.  -1 when stopping or full. */
int workers_submit(struct http_workers *w, struct http_req *req);
/* Refuses new work, runs what is queued, and waits for every thread to end. */
void workers_drain(struct http_workers *w);
/* Drains and frees the pool (after its listener's daemon has stopped). */
void workers_free(struct http_workers *w);

/* http_park.c */
int park_start(struct http_server *srv, struct http_park **out, struct unik_err *err);
/* A change happened (unikd_notify): parked requests will look again. */
void park_notify(struct http_park *p);
/* A producer of parked streams has more (a log grew): streams look again
 * soon, parked handlers are not re-run. */
void park_data_ready(struct http_park *p);
/* The number of changes so far; read before checking, given to park_*(). */
uint64_t park_generation(struct http_park *p);
/* Parks a suspended request until a change after `gen`, or its client
 * hanging up; then re-runs its handler on its listener's workers.  -1 when
 * the server is stopping (the caller answers). */
int park_rerun(struct http_park *p, struct http_req *req, uint64_t gen);
/* From a stream's reader (libmicrohttpd's thread): suspends the connection
 * until the stream may have more (growth, a change since it last asked
 * its producer, tick) or the client hangs up.  -1 when stopping (the
 * stream should end). */
int park_stream(struct http_park *p, struct http_req *req);
/* Resumes everything parked and refuses new parking, then returns. */
void park_stop_parking(struct http_park *p);
/* Ends the park thread and frees it (after the daemons have stopped). */
void park_free(struct http_park *p);

/* Connection deadlines: the head of each request must arrive within the
 * header timeout, else the connection is shut down. */
struct conn_watch;
struct conn_watch *park_conn_open(struct http_park *p, int fd);
void park_conn_request_begun(struct http_park *p, struct conn_watch *cw);
void park_conn_request_done(struct http_park *p, struct conn_watch *cw);
void park_conn_close(struct http_park *p, struct conn_watch *cw);
/* Per-connection TLS state, cached by http.c. */
int *park_conn_verified(struct conn_watch *cw);

/* http_tls.c */
int tls_load(struct unikd *d, struct http_tls **out, struct unik_err *err);
const char *tls_cert_pem(const struct http_tls *t);
const char *tls_key_pem(const struct http_tls *t);
const char *tls_ca_pem(const struct http_tls *t); /* NULL without --tlsverify */
void tls_free(struct http_tls *t);
/* 0 if the connection's client presented a certificate signed by the CA. */
int tls_verify_client(struct http_req *req, struct unik_err *err);

#endif
