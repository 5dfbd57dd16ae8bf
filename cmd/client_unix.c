/* client_unix.c - the client's transport to a daemon on this host: HTTP/1.1
 * over the daemon's unix socket, one connection per request, the answer
 * read by http_resp.c.  No library to load: the CLI's usual start is a
 * few hundred microseconds (dynload.h says why that matters). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "client_int.h"
#include "http_resp.h"

#define POLL_MS 1000 /* how often a long request asks the cancel hook */

struct unix_rq {
	struct request *rq;
	struct http_resp resp;
};

static int lost(struct request *rq, const char *why)
{
	return unik_err_set(rq->err, UNIK_E_UNAVAILABLE,
			    "lost the connection to the unik daemon at %s: %s", rq->cl->host, why);
}

static int unreachable(struct request *rq, int e)
{
	return unik_err_set(rq->err, UNIK_E_UNAVAILABLE,
			    "cannot reach the unik daemon at %s: %s (%s)", rq->cl->host,
			    e == EAGAIN ? "the daemon does not accept (timed out)" : strerror(e),
			    e == EACCES || e == EPERM ? CLIENT_ACCESS_HINT : CLIENT_START_HINT);
}

static int dial(struct request *rq)
{
	struct timeval tv = { CLIENT_CONNECT_TIMEOUT_S, 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = rq->cl->socket_path;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return unik_err_set(rq->err, UNIK_E_INVALID,
				    "the socket path %s is longer than a unix socket's %zu bytes",
				    path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return unik_err_set(rq->err, UNIK_E_INTERNAL, "socket: %s", strerror(errno));
	/* a daemon whose backlog is full: wait at most the connect timeout */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		e = errno == EINPROGRESS ? EAGAIN : errno;
		close(fd);
		unreachable(rq, e);
		return -1;
	}
	return fd;
}

/* One header line's text must not break the request's framing. */
static int has_line_break(const char *s)
{
	return s && strpbrk(s, "\r\n") != NULL;
}

static void build_head(const struct request *rq, struct strbuf *head)
{
	strbuf_addf(head, "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: unik/%s\r\n",
		    rq->method, rq->path, UNIK_VERSION);
	if (rq->cl->token)
		strbuf_addf(head, "Authorization: Bearer %s\r\n", rq->cl->token);
	if (!rq->fn)
		strbuf_adds(head, "Accept: application/json\r\n");
	if (!strcmp(rq->method, "POST")) {
		if (rq->content_type && *rq->content_type)
			strbuf_addf(head, "Content-Type: %s\r\n", rq->content_type);
		strbuf_addf(head, "Content-Length: %zu\r\n", rq->len);
	}
	strbuf_adds(head, "Connection: close\r\n\r\n");
}

/* Waits for `events` on fd, asking the cancel hook every POLL_MS.
 * 0: ready; 1: cancelled; -1: poll failed (errno). */
static int wait_for(struct request *rq, int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	for (;;) {
		int n = poll(&p, 1, POLL_MS);

		if (request_cancelled(rq))
			return 1;
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Sends all of `data`.  0: sent; 1: the daemon closed its side (its
 * answer, if any, is still to be read); -1: failed or cancelled. */
static int send_all(struct request *rq, int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return 1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return lost(rq, strerror(errno));
		if (n < 0 && errno == EAGAIN) {
			int w = wait_for(rq, fd, POLLOUT);

			if (w)
				return w < 0 ? lost(rq, strerror(errno)) : -1;
		}
	}
	return 0;
}

static int on_body(const char *data, size_t len, void *arg)
{
	struct unix_rq *u = arg;

	u->rq->status = u->resp.status;
	return request_body(u->rq, data, len);
}

static int read_answer(struct unix_rq *u, int fd)
{
	struct request *rq = u->rq;
	char buf[65536];

	while (u->resp.state != HTTP_RESP_DONE) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		int rc;

		if (n < 0 && errno == EAGAIN) {
			int w = wait_for(rq, fd, POLLIN);

			if (w)
				return w < 0 ? lost(rq, strerror(errno)) : -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lost(rq, strerror(errno));
		rc = n ? http_resp_feed(&u->resp, buf, (size_t)n) : http_resp_eof(&u->resp);
		if (rc > 0)
			return -1; /* the body's reader stopped it (rq->fn_failed) */
		if (rc < 0)
			return n || u->resp.state == HTTP_RESP_BAD
				   ? unik_err_set(
					 rq->err, UNIK_E_UNAVAILABLE,
					 "the unik daemon at %s sent a bad answer to %s %s: %s",
					 rq->cl->host, rq->method, rq->path, u->resp.why)
				   : lost(rq, u->resp.why);
		if (!n)
			break;
	}
	rq->status = u->resp.status;
	return 0;
}

int client_unix_perform(struct request *rq)
{
	struct strbuf head = STRBUF_INIT;
	struct unix_rq u = { .rq = rq };
	int fd, rc;

	if (has_line_break(rq->path) || strchr(rq->path, ' ') || has_line_break(rq->cl->token) ||
	    has_line_break(rq->content_type))
		return unik_err_set(rq->err, UNIK_E_INVALID,
				    "a request path or header with a line break or a blank");
	fd = dial(rq);
	if (fd < 0)
		return -1;
	build_head(rq, &head);
	http_resp_init(&u.resp, on_body, &u);
	rc = send_all(rq, fd, head.buf, head.len);
	if (!rc && rq->len)
		rc = send_all(rq, fd, rq->data, rq->len);
	if (rc >= 0)
		rc = read_answer(&u, fd);
	http_resp_release(&u.resp);
	strbuf_release(&head);
	close(fd);
	return rc < 0 ? -1 : 0;
}
