/* http_listen.c - the listeners: sockets, one libmicrohttpd daemon each
 * (epoll, suspend/resume, limits, timeouts, TLS on TCP), start and stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "http_internal.h"

/* At shutdown, answers already made get this long to reach their clients. */
#define FLUSH_MS 3000
/* File descriptors kept for everything but client connections. */
#define FD_RESERVE 256

/* TLS 1.2 and 1.3 only. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* ---- libmicrohttpd's messages ------------------------------------------- */

/* At most this many library messages a second reach the log (a flood of
 * refused connections would otherwise fill it). */
#define LOG_PER_S 10

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t second;
	static int count, dropped;
	struct listener *l = cls;
	char msg[512];
	time_t now = time(NULL);
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	pthread_mutex_lock(&lock);
	if (now != second) {
		if (dropped)
			unikd_log("http: (%d more messages dropped)", dropped);
		second = now;
		count = dropped = 0;
	}
	if (++count > LOG_PER_S) {
		dropped++;
		pthread_mutex_unlock(&lock);
		return;
	}
	pthread_mutex_unlock(&lock);
	unikd_log("http %s: %s", l->name, msg);
}

/* ---- sockets ------------------------------------------------------------ */

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
	    listen(fd, SOMAXCONN) < 0) {
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

/* Raises the soft limit of open files to the hard one; returns the limit. */
static long raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;

		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

/* ---- daemons ------------------------------------------------------------ */

#define OPT(o, v, p)                                                                               \
	do {                                                                                       \
		opts[n].option = (o);                                                              \
		opts[n].value = (intptr_t)(v);                                                     \
		opts[n].ptr_value = (p);                                                           \
		n++;                                                                               \
	} while (0)

static int start_one(struct listener *l, const struct sockaddr_in *sa, unsigned max_conns,
		     unsigned per_client, struct unik_err *err)
{
	struct http_server *srv = l->srv;
	struct unikd *d = l->d;
	struct MHD_OptionItem opts[24];
	unsigned flags =
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	size_t n = 0;

	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, l); /* first, to get every message */
	if (l->fd >= 0)
		OPT(MHD_OPTION_LISTEN_SOCKET, l->fd, NULL);
	else
		OPT(MHD_OPTION_SOCK_ADDR, 0, (void *)sa);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, http_uri_logger, l);
	OPT(MHD_OPTION_UNESCAPE_CALLBACK, http_unescape_none, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, http_completed, l);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, http_connection, l);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->idle_timeout_s, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, max_conns, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)d->http_request_memory, NULL);
	if (per_client)
		OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client, NULL);
	if (l->fd < 0)
		OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)SOMAXCONN, NULL);
	if (l->fd < 0 && srv->tls) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key_pem(srv->tls));
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_cert_pem(srv->tls));
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES);
		if (tls_ca_pem(srv->tls))
			OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)tls_ca_pem(srv->tls));
	}
	OPT(MHD_OPTION_END, 0, NULL);

	/* A connection has one request at a time: with room for one queued request
	 * per allowed connection, load within the connection limit never gets 503. */
	l->workers =
	    workers_new(l->fd >= 0 ? "unikd-unix" : "unikd-tcp", d->http_workers, (int)max_conns);
	l->mhd = MHD_start_daemon(flags, sa ? ntohs(sa->sin_port) : 0, NULL, NULL, http_access, l,
				  MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!l->mhd)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot start the HTTP server on %s%s%s",
				    l->name, sa ? " " : "", sa ? d->listen_addr : "");
	return 0;
}

/* The rules of TCP: TLS unless --insecure; a token unless clients are
 * verified by certificate. */
static int tcp_rules(struct unikd *d, struct unik_err *err)
{
	int tls = d->tls_cert || d->tls_key;

	if (!d->token && !d->tls_verify)
		return unik_err_set(err, UNIK_E_INVALID,
				    "--listen needs --token-file (or --tlsverify with client "
				    "certificates): TCP access requires authentication");
	if (tls && (!d->tls_cert || !d->tls_key))
		return unik_err_set(err, UNIK_E_INVALID, "TLS needs both --tlscert and --tlskey");
	if (d->tls_verify && !tls)
		return unik_err_set(err, UNIK_E_INVALID,
				    "--tlsverify needs --tlscert and --tlskey (and --tlscacert)");
	if (d->tls_verify && !d->tls_ca)
		return unik_err_set(err, UNIK_E_INVALID,
				    "--tlsverify needs --tlscacert: the CA that signs client "
				    "certificates");
	if (tls && d->insecure)
		return unik_err_set(err, UNIK_E_INVALID,
				    "--insecure is for plain HTTP; it cannot go with --tlscert");
	if (!tls && !d->insecure)
		return unik_err_set(err, UNIK_E_INVALID,
				    "refusing to serve plain HTTP on %s: give --tlscert and "
				    "--tlskey, or --insecure to accept that anyone on the path can "
				    "read the bearer token and the traffic",
				    d->listen_addr);
	return 0;
}

int http_start(struct unikd *d, struct http_server **out, struct unik_err *err)
{
	struct http_server *srv = xcalloc(1, sizeof(*srv));
	long nofile = raise_nofile();
	long room = nofile - FD_RESERVE;
	unsigned unix_max = (unsigned)d->unix_max_connections;
	unsigned tcp_max = (unsigned)d->max_connections;
	struct sockaddr_in sa;

	srv->d = d;
	srv->header_timeout_s = d->http_header_timeout;
	srv->idle_timeout_s = d->http_idle_timeout;
	srv->unix_l.srv = srv->tcp_l.srv = srv;
	srv->unix_l.d = srv->tcp_l.d = d;
	srv->unix_l.name = "unix";
	srv->tcp_l.name = "tcp";
	srv->unix_l.fd = srv->tcp_l.fd = -1;
	if (d->listen_addr && (tcp_rules(d, err) || tcp_addr(d->listen_addr, &sa, err)))
		goto fail;
	/* each listener's connections fit in the descriptors, with room left */
	if (room < 64)
		room = 64;
	if (unix_max > room / 4)
		unix_max = (unsigned)(room / 4);
	if (d->listen_addr && tcp_max > room - unix_max) {
		unikd_log("http: %u TCP connections would not fit in %ld open files; allowing %ld",
			  tcp_max, nofile, room - unix_max);
		tcp_max = (unsigned)(room - unix_max);
	}
	if (park_start(srv, &srv->park, err))
		goto fail;
	if (d->socket_path) {
		srv->unix_l.fd = unix_listen(d->socket_path, err);
		if (srv->unix_l.fd < 0 || start_one(&srv->unix_l, NULL, unix_max, 0, err))
			goto fail;
	}
	if (d->listen_addr) {
		if (d->tls_cert && tls_load(d, &srv->tls, err))
			goto fail;
		srv->tcp_l.require_token = d->token != NULL;
		srv->tcp_l.verify_clients = d->tls_verify;
		if (start_one(&srv->tcp_l, &sa, tcp_max, (unsigned)d->max_connections_per_client,
			      err))
			goto fail;
		if (!srv->tls)
			unikd_log(
			    "WARNING: serving plain HTTP on %s (--insecure): the token and all "
			    "traffic can be read by anyone on the path",
			    d->listen_addr);
	}
	pthread_mutex_lock(&d->lock);
	d->http = srv;
	pthread_mutex_unlock(&d->lock);
	*out = srv;
	return 0;
fail:
	http_stop(srv);
	return -1;
}

/* Stops one listener: its daemon (everything suspended was resumed before),
 * the listening socket libmicrohttpd gave back, its workers. */
static void stop_listener(struct listener *l, int quiesced_fd)
{
	if (l->mhd)
		MHD_stop_daemon(l->mhd);
	l->mhd = NULL;
	if (quiesced_fd >= 0 && quiesced_fd != l->fd)
		close(quiesced_fd);
	workers_free(l->workers);
	l->workers = NULL;
}

void http_stop(struct http_server *srv)
{
	struct unikd *d;
	int tcp_fd = -1, unix_fd = -1;

	if (!srv)
		return;
	d = srv->d;
	pthread_mutex_lock(&d->lock);
	if (d->http == srv)
		d->http = NULL;
	pthread_mutex_unlock(&d->lock);
	/* no new connections; then every parked request ends, then every
	 * queued or running handler finishes and resumes its connection */
	if (srv->tcp_l.mhd)
		tcp_fd = MHD_quiesce_daemon(srv->tcp_l.mhd);
	if (srv->unix_l.mhd)
		unix_fd = MHD_quiesce_daemon(srv->unix_l.mhd);
	if (srv->park)
		park_stop_parking(srv->park);
	workers_drain(srv->tcp_l.workers);
	workers_drain(srv->unix_l.workers);
	/* libmicrohttpd closes connections without sending what is queued */
	for (int waited = 0; atomic_load(&srv->requests) > 0 && waited < FLUSH_MS; waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	stop_listener(&srv->tcp_l, tcp_fd);
	stop_listener(&srv->unix_l, unix_fd);
	park_free(srv->park);
	tls_free(srv->tls);
	if (srv->unix_l.fd >= 0) {
		close(srv->unix_l.fd);
		unlink(d->socket_path);
	}
	free(srv);
}
