/* daemon.h - the state shared by unikd's parts.
 *
 * One `struct unikd` lives for the daemon's lifetime.  `lock` guards
 * instance state transitions and job bookkeeping; `changed` is broadcast
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
struct jobs;

struct unikd {
	char *state_dir;
	char *socket_path; /* unix socket, or NULL */
	char *listen_addr; /* "127.0.0.1:3000" or NULL */
	char *token; /* bearer token for TCP, or NULL */
	char *default_provider;
	long long max_upload; /* bytes */
	long long max_extract; /* bytes */
	int stop_timeout; /* seconds */
	struct unik_config cfg;

	struct store *store;
	struct supervisor *sup;
	struct network *net;
	struct jobs *jobs; /* build jobs and their sandbox (jobs.c) */

	pthread_mutex_t lock;
	pthread_cond_t changed;
	int shutting_down;
	int jobs_running;
};

/* Wakes everything waiting on d->changed.  Takes d->lock. */
void unikd_notify(struct unikd *d);

/* Waits on d->changed for at most `ms` milliseconds; d->lock must be held. */
void unikd_wait_changed(struct unikd *d, int ms);

/* Paths under the state dir; the caller frees the result. */
char *unikd_path(const struct unikd *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Timestamped log line on stderr. */
void unikd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t unikd_now(void);

#endif
