/* daemon.h - the state shared by unikd's parts.
 *
 * One `struct unikd` lives for the daemon's lifetime.  `lock` guards
 * instance state transitions, the instances' claims and job bookkeeping
 * (never a provider call: see claims.h); `changed` is broadcast
 * whenever an instance or job changes state, a log grows through us, or the
 * daemon begins to shut down, so waiters (wait, logs -f, job events) wake.
 */
#ifndef UNIKD_DAEMON_H
#define UNIKD_DAEMON_H

#include <pthread.h>
#include <stdint.h>

#include "../lib/config.h"

struct store;
struct supervisor;
struct network;
struct http_server;
struct jobs;
struct claim;

struct unikd {
	char *state_dir;
	char *socket_path; /* unix socket, or NULL */
	char *listen_addr; /* "127.0.0.1:3000" or NULL */
	char *token; /* bearer token for TCP, or NULL */
	char *default_provider;
	long long max_upload; /* bytes */
	long long max_extract; /* bytes */
	long max_extract_files; /* entries of an upload */
	long long max_volume_size; /* bytes of a volume (docs/volumes.md) */
	int stop_timeout; /* seconds */

	/* the HTTP layer (docs/config.md; daemon/http_listen.c) */
	char *tls_cert, *tls_key, *tls_ca; /* PEM files; TLS on TCP when cert+key */
	int tls_verify; /* TCP clients need a certificate signed by tls_ca */
	int insecure; /* plain HTTP on TCP was asked for explicitly */
	int max_connections; /* TCP listener, all clients */
	int max_connections_per_client; /* TCP listener, per IP address */
	int unix_max_connections; /* unix socket listener */
	int http_workers; /* handler threads per listener, at most */
	int http_idle_timeout; /* seconds a connection may idle */
	int http_header_timeout; /* seconds for a request's head to arrive */
	long long http_request_memory; /* bytes per connection for a request's head */
	struct unik_config cfg;

	struct store *store;
	struct supervisor *sup;
	struct network *net;
	struct jobs *jobs; /* build jobs and their sandbox (jobs.c) */

	struct http_server *http; /* set and cleared under lock (unikd_notify wakes it) */

	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct claim *claims; /* instances whose VM a thread works on (claims.h) */
	int shutting_down;
	int jobs_running;
};

/* Wakes everything waiting on d->changed, and the HTTP layer's parked
 * requests (wait, logs -f, job events).  Takes d->lock. */
void unikd_notify(struct unikd *d);
/* A console log grew: the streams following logs look again (cheap, no
 * handler re-runs). */
void unikd_data_ready(struct unikd *d);

/* Waits on d->changed for at most `ms` milliseconds; d->lock must be held. */
void unikd_wait_changed(struct unikd *d, int ms);

/* Paths under the state dir; the caller frees the result. */
char *unikd_path(const struct unikd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Timestamped log line on stderr. */
void unikd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t unikd_now(void);

#endif
